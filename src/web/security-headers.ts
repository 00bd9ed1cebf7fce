/**
 * Helmet's security headers, worked out once. @fastify/helmet runs helmet anew on every request:
 * it re-parses the CSP directives and rebuilds a dozen middlewares each time, a tenth of what a
 * survey page costs. The headers depend on the options only, so they are taken once from helmet
 * itself (a probe request through @fastify/helmet with the same options) and then set by one hook:
 * the same headers, the same CSP, with helmet staying the source of what they are.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';

export interface HeaderSet {
  /** Headers helmet sets, in the order it sets them. */
  set: Array<[string, string]>;
  /** Headers helmet removes (X-Powered-By). */
  removed: string[];
}

type SetHeader = (name: string, value: number | string | readonly string[]) => unknown;

/** The headers @fastify/helmet sets on a response with these options. */
export async function helmetHeaderSet(options: FastifyHelmetOptions): Promise<HeaderSet> {
  const headers: HeaderSet = { set: [], removed: [] };
  let recording = false;
  const probe = Fastify({ logger: false });
  // Runs before helmet's own hooks (added first): records what helmet does to the response...
  probe.addHook('onRequest', (_request, reply, done) => {
    const raw = reply.raw;
    const setHeader = raw.setHeader.bind(raw) as SetHeader;
    const removeHeader = raw.removeHeader.bind(raw);
    raw.setHeader = ((name: string, value: number | string | readonly string[]) => {
      if (recording) headers.set.push([name, String(value)]);
      return setHeader(name, value);
    }) as typeof raw.setHeader;
    raw.removeHeader = (name: string) => {
      if (recording) headers.removed.push(name);
      removeHeader(name);
    };
    recording = true;
    done();
  });
  await probe.register(helmet, options);
  // ...and stops once they have run (what Fastify itself sets later is not helmet's).
  probe.addHook('onRequest', (_request, _reply, done) => {
    recording = false;
    done();
  });
  probe.get('/', async () => '');
  try {
    const res = await probe.inject({ method: 'GET', url: '/' });
    if (res.statusCode !== 200 || headers.set.length === 0) throw new Error(`security headers: the helmet probe answered ${res.statusCode}`);
  } finally {
    await probe.close();
  }
  return headers;
}

/**
 * Helmet's headers that still mean something on a response a page's own script fetches (not a
 * document): the others (CSP, frame, opener, referrer, DNS-prefetch, legacy IE and Flash headers)
 * apply to documents only, and the fetched page is shown inside a document that has them.
 */
const FOR_FETCHED = new Set(['x-content-type-options', 'cross-origin-resource-policy']);

/**
 * Sets helmet's headers (for these options) on every response of this plugin's routes; `fetched`
 * tells a request whose answer a page's script reads itself, which gets only FOR_FETCHED.
 */
export async function securityHeaders(app: FastifyInstance, options: FastifyHelmetOptions, fetched?: (request: FastifyRequest) => boolean): Promise<void> {
  const { set: all, removed } = await helmetHeaderSet(options);
  const forFetched = all.filter(([name]) => FOR_FETCHED.has(name.toLowerCase()));
  app.addHook('onRequest', (request, reply, done) => {
    const set = fetched?.(request) ? forFetched : all;
    // Set on the reply, not the raw response: one header set on the raw response makes Node take its
    // slow path when the reply is written, copying every header of it through setHeader.
    for (const [name, value] of set) reply.header(name, value);
    for (const name of removed) reply.raw.removeHeader(name);
    done();
  });
}

import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { Services } from '../services/index.ts';
import { pages } from './pages/index.ts';
import { securityHeaders } from './security-headers.ts';
import { webSession } from './session.ts';

const CSS = readFileSync(new URL('./assets/app.css', import.meta.url));
const COPY_JS = readFileSync(new URL('./assets/copy.js', import.meta.url));

/** Helmet's options for the web UI (the headers are set by security-headers.ts). */
export const WEB_HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], formAction: ["'self'"], frameAncestors: ["'none'"] },
  },
  // The site is often run on plain http inside an organisation; HSTS is the TLS terminator's call.
  strictTransportSecurity: false,
};

/**
 * The signed-in web UI and the public pages. Registered as its own plugin so its body parsers and
 * security headers do not touch the API endpoint, which reads raw bodies itself.
 */
export async function webApp(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  await app.register(cookie, { secret: services.config.secretKey });
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  await securityHeaders(app, WEB_HELMET_OPTIONS);
  await app.register(webSession, { services });

  app.get('/assets/app.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CSS));
  app.get('/assets/copy.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(COPY_JS));
  app.get('/healthz', async () => ({ ok: true }));
  // Browsers ask for it on every site; answering "no content" keeps logs free of 404s.
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).header('Cache-Control', 'public, max-age=86400').send());
  app.get('/', async (request, reply) => reply.redirect(request.actor ? '/account/ids' : '/login', 303));
  await pages(app, services);
}

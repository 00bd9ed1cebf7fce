import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { Services } from '../../services/index.ts';
import { securityHeaders } from '../security-headers.ts';
import { INLINE_HEADER, respondentRoutes } from './routes.ts';

const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'survey.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./assets/survey.css', import.meta.url)) },
  'survey.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(new URL('./assets/survey.js', import.meta.url)) },
};

export const ASSET_BASE = '/jfe/assets';

/** Helmet's options for survey pages (the headers are set by security-headers.ts). */
export const RESPONDENT_HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"],
      // Survey texts may show images hosted elsewhere (the sanitizer allows http/https/data images).
      imgSrc: ["'self'", 'data:', 'https:', 'http:'],
      // An end-of-survey redirect is a 303, not a form action; forms only post back here.
      formAction: ["'self'"], frameAncestors: ["'none'"],
    },
  },
  strictTransportSecurity: false,
};

/**
 * The pages respondents see. A plugin of its own, beside the signed-in web UI: respondents carry no
 * admin session, so these routes skip its session lookup and its form CSRF token (a survey session's
 * own cookie and page token guard a page post instead), which keeps a page submit cheap.
 */
export async function respondentApp(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  await app.register(cookie, { secret: services.config.secretKey });
  // Survey pages carry at most a few hundred answers; 1 MiB leaves room for long text answers.
  await app.register(formbody, { bodyLimit: 1024 * 1024 });
  // A page post survey.js makes itself is answered with a page it shows inside the current document.
  await securityHeaders(app, RESPONDENT_HELMET_OPTIONS, (request) => request.method === 'POST' && request.headers[INLINE_HEADER] === '1');
  app.get<{ Params: { file: string } }>(`${ASSET_BASE}/:file`, async (request, reply): Promise<FastifyReply> => {
    const asset = Object.prototype.hasOwnProperty.call(ASSETS, request.params.file) ? ASSETS[request.params.file] : undefined;
    if (!asset) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    return reply.type(asset.type).header('Cache-Control', 'public, max-age=3600').send(asset.body);
  });
  await respondentRoutes(app, services);
}

import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';

// The smallest transparent GIF: what an open-tracking image must answer whatever happens.
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const PAGE = (title: string, text: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><main><h1>${title}</h1><p>${text}</p></main></body></html>`;

/**
 * The public addresses an invitation carries: the open-tracking image and the opt-out link (GET,
 * as Qualtrics' opt-out link unsubscribed at once, and RFC 8058's one-click POST). Both carry a
 * signed token instead of a session.
 */
export async function mailRoutes(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  app.get<{ Params: { token: string } }>('/mail/open/:token', async (request, reply) => {
    await services.distributions.trackOpen(request.params.token.replace(/\.gif$/, ''));
    return reply.header('Cache-Control', 'no-store').type('image/gif').send(PIXEL);
  });

  const optOut = async (token: string, reply: import('fastify').FastifyReply) => {
    const ok = await services.distributions.optOut(token);
    return reply
      .code(ok ? 200 : 404)
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(ok ? PAGE('You are unsubscribed', 'You will not receive further invitations from this mailing list.') : PAGE('Link not valid', 'This unsubscribe link is not valid. Check that the whole link was copied.'));
  };
  app.get<{ Params: { token: string } }>('/mail/unsubscribe/:token', async (request, reply) => optOut(request.params.token, reply));
  // One-click (RFC 8058): mail clients POST `List-Unsubscribe=One-Click`; the body is not needed.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.post<{ Params: { token: string } }>('/mail/unsubscribe/:token', async (request, reply) => optOut(request.params.token, reply));
}

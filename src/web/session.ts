import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Actor } from '../services/actor.ts';
import type { Services } from '../services/index.ts';
import { SESSION_TTL_MS } from '../services/auth.ts';

export const SESSION_COOKIE = 'insight_session';
const ANON_COOKIE = 'insight_anon';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, when there is one. */
    actor: Actor | undefined;
    /** The token every form of this page must carry in `_csrf`. */
    csrfToken: string;
    sessionId: string | undefined;
  }
}

function csrfFor(secret: string, binding: string): string {
  return createHmac('sha256', secret).update(`csrf:${binding}`).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Web sessions: a signed cookie holds a random session ID (its hash is in the database, so sign-out
 * and disabling a user end it). CSRF: every form carries an HMAC of the session ID (or, before
 * sign-in, of a random per-browser cookie); every POST must present it. Cookies are SameSite=Lax.
 */
export const webSession = fp(async (app: FastifyInstance, opts: { services: Services }) => {
  const { services } = opts;
  const secure = services.config.publicUrl.startsWith('https:');
  const secret = services.config.secretKey;
  app.decorateRequest('actor', undefined);
  app.decorateRequest('csrfToken', '');
  app.decorateRequest('sessionId', undefined);

  app.addHook('preHandler', async (request, reply) => {
    const signed = request.cookies[SESSION_COOKIE];
    const unsigned = signed ? request.unsignCookie(signed) : undefined;
    if (unsigned?.valid && unsigned.value) {
      request.actor = await services.auth.sessionActor(unsigned.value);
      if (request.actor) request.sessionId = unsigned.value;
    }
    let binding = request.sessionId;
    if (!binding) {
      const anon = request.cookies[ANON_COOKIE];
      const checked = anon ? request.unsignCookie(anon) : undefined;
      binding = checked?.valid && checked.value ? checked.value : undefined;
      if (!binding) {
        binding = randomBytes(18).toString('base64url');
        reply.setCookie(ANON_COOKIE, binding, { path: '/', httpOnly: true, sameSite: 'lax', secure, signed: true });
      }
    }
    request.csrfToken = csrfFor(secret, binding);
    if (request.method === 'POST') {
      const body = request.body as Record<string, unknown> | undefined;
      const sent = typeof body?._csrf === 'string' ? body._csrf : '';
      if (!safeEqual(sent, request.csrfToken)) {
        return reply.code(403).type('text/html; charset=utf-8').send('<!doctype html><title>Form expired</title><p>This form has expired or did not come from this site. Go back, reload the page and try again.</p>');
      }
    }
  });
});

export function startSession(reply: FastifyReply, sessionId: string, publicUrl: string): void {
  reply.setCookie(SESSION_COOKIE, sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: publicUrl.startsWith('https:'),
    signed: true,
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
}

export function endSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

/** For pages that need a signed-in user: sends the visitor to sign in and back. */
export function requireActor(request: FastifyRequest, reply: FastifyReply): Actor | undefined {
  if (request.actor) return request.actor;
  const next = encodeURIComponent(request.url);
  void reply.redirect(`/login?next=${next}`, 303);
  return undefined;
}

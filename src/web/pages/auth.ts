import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import { html } from '../html.ts';
import { page } from '../layout.ts';
import { endSessionCookie, startSession } from '../session.ts';

const HOME = '/account/ids';

/**
 * Where to go after signing in. Only a path on this site is honoured: one leading slash, never a
 * second one or a backslash (browsers read `//host` and `/\host` as another site), no whitespace.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return HOME;
  return /^\/(?![/\\])[^\s\\]*$/.test(next) ? next : HOME;
}

interface LoginForm {
  username?: string;
  password?: string;
  next?: string;
}

function field(body: unknown, name: keyof LoginForm): string {
  const value = (body as LoginForm | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function loginPage(request: FastifyRequest, o: { username: string; next: string; error?: string }) {
  const describedBy = o.error ? 'login-error' : undefined;
  const focusUser = o.username === '';
  return page({
    title: 'Sign in',
    actor: request.actor,
    csrfToken: request.csrfToken,
    body: html`<h1>Sign in</h1>
${o.error ? html`<p id="login-error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/login" class="signin">
  <input type="hidden" name="_csrf" value="${request.csrfToken}">
  ${o.next !== HOME ? html`<input type="hidden" name="next" value="${o.next}">` : ''}
  <label for="username">Username</label>
  <input type="text" id="username" name="username" value="${o.username}" autocomplete="username" autocapitalize="none" spellcheck="false" required
    aria-describedby="${describedBy ? `${describedBy} username-hint` : 'username-hint'}"${o.error ? html` aria-invalid="true"` : ''}${focusUser ? html` autofocus` : ''}>
  <p class="hint" id="username-hint">For example ann#acme. You may leave out the #brand part when your name is unique.</p>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required
    ${describedBy ? html`aria-describedby="${describedBy}" aria-invalid="true"` : ''}${focusUser ? '' : html` autofocus`}>
  <div class="actions"><button type="submit">Sign in</button></div>
</form>`,
  });
}

function sendPage(reply: FastifyReply, status: number, body: { toString(): string }) {
  // Sign-in pages carry a CSRF token and maybe a typed username: never keep them in a cache.
  return reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(body.toString());
}

export async function authPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as { next?: unknown }).next);
    if (request.actor) return reply.redirect(next, 303);
    return sendPage(reply, 200, loginPage(request, { username: '', next }));
  });

  app.post('/login', async (request, reply) => {
    const username = field(request.body, 'username');
    const next = safeNext(field(request.body, 'next') || undefined);
    try {
      const actor = await services.auth.signIn(username, field(request.body, 'password'), request.ip);
      // A fresh session ID on every sign-in (no fixation); a session this browser had is ended.
      if (request.sessionId) await services.auth.endSession(request.sessionId);
      startSession(reply, await services.auth.createSession(actor), services.config.publicUrl);
      return reply.redirect(next, 303);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      return sendPage(reply, 401, loginPage(request, { username, next, error: err.message }));
    }
  });

  app.post('/logout', async (request, reply) => {
    if (request.sessionId) await services.auth.endSession(request.sessionId);
    endSessionCookie(reply);
    return reply.redirect('/login', 303);
  });
}

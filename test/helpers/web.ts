import { createHmac } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.ts';
import type { SeededUser } from './seed.ts';

// ---------------------------------------------------------------------------------------------
// A cookie-keeping client over app.inject, for HTTP-level tests of the web pages.
// ---------------------------------------------------------------------------------------------

/** The `_csrf` value of the first form in a page. */
export function csrfOf(body: string): string {
  const m = /name="_csrf" value="([^"]*)"/.exec(body);
  if (!m) throw new Error('no _csrf field in the page');
  return m[1];
}

/** Behaves like one browser: keeps the cookies the app sets (and drops the ones it clears). */
export class WebClient {
  readonly cookies: Record<string, string> = {};

  constructor(private readonly app: FastifyInstance) {}

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as Array<{ name: string; value: string; expires?: Date; maxAge?: number }>) {
      const cleared = c.value === '' || c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() <= Date.now());
      if (cleared) delete this.cookies[c.name];
      else this.cookies[c.name] = c.value;
    }
    return res;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, cookies: this.cookies }));
  }

  /** Posts a form as it is; callers add `_csrf` (or leave it out to test the refusal). */
  async post(url: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        cookies: this.cookies,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(form).toString(),
      }),
    );
  }

  /** Fetches `pageUrl`, then posts `form` to `action` with that page's CSRF token, as a browser would. */
  async submit(pageUrl: string, action: string, form: Record<string, string>): Promise<LightMyRequestResponse> {
    const page = await this.get(pageUrl);
    return this.post(action, { ...form, _csrf: csrfOf(page.body) });
  }

  async signIn(username: string, password: string, extra: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.submit('/login', '/login', { username, password, ...extra });
  }
}

// ---------------------------------------------------------------------------------------------
// A browser already signed in: the session is created directly, without the sign-in form.
// ---------------------------------------------------------------------------------------------

/** The session cookie for `user`, signed as @fastify/cookie signs it. */
export async function sessionCookie(t: TestApp, user: SeededUser): Promise<string> {
  const id = await t.services.auth.createSession(user.actor);
  const signature = createHmac('sha256', t.config.secretKey).update(id).digest('base64').replace(/=+$/, '');
  return `insight_session=${encodeURIComponent(`${id}.${signature}`)}`;
}

/** How a form post finds its CSRF token: given, left out (`false`), or read from page `from`. */
export interface CsrfOptions {
  csrf?: string | false;
  from?: string;
}

/**
 * A browser signed in as `user`. Posts carry the `_csrf` of page `csrfPage` (or of `opts.from`)
 * unless the test passes its own token or `csrf: false`.
 */
export async function signedInBrowser(t: TestApp, user: SeededUser, csrfPage: string) {
  const cookie = await sessionCookie(t, user);
  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });
  const csrfFrom = async (url = csrfPage) => {
    const res = await get(url);
    const m = /name="_csrf" value="([^"]+)"/.exec(res.body);
    if (!m) throw new Error(`no CSRF token on ${url} (${res.statusCode})`);
    return m[1] as string;
  };
  const withCsrf = async (fields: Record<string, string>, opts: CsrfOptions): Promise<Record<string, string>> => {
    const token = opts.csrf === false ? undefined : (opts.csrf ?? (await csrfFrom(opts.from)));
    return token === undefined ? fields : { _csrf: token, ...fields };
  };
  const post = async (url: string, fields: Record<string, string>, opts: CsrfOptions = {}) => {
    const body = new URLSearchParams(await withCsrf(fields, opts));
    return t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  };
  /** A multipart form with one file, as a browser sends the upload step. */
  const upload = async (url: string, fields: Record<string, string>, file: { name: string; content: Buffer | string } | undefined, opts: CsrfOptions = {}) => {
    const boundary = '----insight-test-boundary-7MA4YWxkTrZu0gW';
    const all = await withCsrf(fields, opts);
    const parts: Buffer[] = Object.entries(all).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    if (file) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`));
      parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content));
      parts.push(Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(parts) });
  };
  return { get, post, upload, csrfOf: csrfFrom };
}

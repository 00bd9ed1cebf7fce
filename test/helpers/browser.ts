import { existsSync } from 'node:fs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { chromium, type Browser } from 'playwright-core';

// ---------------------------------------------------------------------------------------------
// A real browser for the end-to-end tests: Debian's chromium, never a downloaded one.
// ---------------------------------------------------------------------------------------------

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The chromium binary to drive (CHROMIUM_PATH overrides). Throws, so the test fails, when there is none. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    throw new Error(
      `No chromium at ${path}. The browser tests drive Debian's chromium: install it with ` +
        '`apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH to a chromium binary).',
    );
  }
  return path;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // No sandbox: CI runs as root in a container. The rest keeps chromium off the network and quiet.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

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

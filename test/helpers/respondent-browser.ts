/** A respondent's browser over app.inject: keeps its cookies across the survey's pages. */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/** Form fields; a list posts the name once per value (multi-answer questions). */
export type Form = Record<string, string | string[]>;

export class RespondentBrowser {
  cookies: Record<string, string> = {};

  constructor(private readonly app: FastifyInstance) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, cookies: this.cookies }));
  }

  /** A page post; `headers` adds request headers (survey.js sends X-Insight-Inline with its own posts). */
  async post(url: string, form: Form, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of [v].flat()) body.append(k, one);
    return this.keep(
      await this.app.inject({ method: 'POST', url, cookies: this.cookies, payload: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }),
    );
  }

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as Array<{ name: string; value: string }>) this.cookies[c.name] = c.value;
    return res;
  }
}

/** The value of a hidden field of a survey page (throws when the page has none). */
export function hidden(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no ${name} field in the page: ${html.slice(0, 300)}`);
  return m[1] as string;
}

/** What every page group's forms share: reading a POSTed body, the answer page, refusals shown on the form. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError, type ErrorKind } from '../services/errors.ts';
import { html, type Html } from './html.ts';
import { page } from './layout.ts';

/** A POSTed form body as formbody parses it: repeated names arrive as arrays; we keep the last. */
export type FormBody = Record<string, string | string[] | undefined>;

export function field(body: unknown, name: string): string {
  const v = (body as FormBody | undefined)?.[name];
  const last = Array.isArray(v) ? v[v.length - 1] : v;
  return typeof last === 'string' ? last : '';
}

export function checked(body: unknown, name: string): boolean {
  return field(body, name) !== '';
}

/** A whole page in the shared layout, never cached (it may show the signed-in user's data). */
export function sendHtml(request: FastifyRequest, reply: FastifyReply, status: number, title: string, current: string | undefined, body: Html): FastifyReply {
  return reply
    .code(status)
    .header('Cache-Control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page({ title, actor: request.actor, csrfToken: request.csrfToken, current, body }).toString());
}

/** What status a refused form answers with: the form is shown again, never a 500. */
const FORM_STATUS: Partial<Record<ErrorKind, number>> = {
  InvalidParameter: 400,
  NotFound: 404,
  Conflict: 409,
  UserLimit: 409,
  SurveyLimit: 409,
  AdminOnly: 403,
  Forbidden: 403,
  NoApiAccess: 403,
};

export function formStatus(error: ServiceError): number {
  return FORM_STATUS[error.kind] ?? 400;
}

/** Turns a thrown error into the message shown; anything that is not a ServiceError is rethrown. */
export function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  throw error;
}

/** The form field a service parameter comes from, so an error summary can link to it. */
export interface FieldLabel {
  id: string;
  label: string;
  hint?: string;
}

/** The summary at the top of a refused form: announced (role=alert), linking to the field at fault. */
export function errorSummaryFor(fields: Record<string, FieldLabel>): (error: ServiceError | undefined) => Html {
  return (error) => {
    if (!error) return html``;
    const f = error.kind === 'InvalidParameter' && error.param ? fields[error.param] : undefined;
    const message = f
      ? html`<a href="#${f.id}">${f.label}</a>: this value is missing or not valid.${f.hint ? ` ${f.hint}` : ''}`
      : html`${error.message}`;
    return html`<div class="error-summary" role="alert" tabindex="-1" id="error-summary">
    <h2>There is a problem</h2><p>${message}</p><p class="hint">Nothing was changed.</p></div>`;
  };
}

export function notice(text: string | undefined): Html {
  return text ? html`<div class="notice" role="status"><p>${text}</p></div>` : html``;
}

export function csrf(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

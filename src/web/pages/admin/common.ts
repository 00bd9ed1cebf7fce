import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatDateTime } from '../../../domain/dates.ts';
import type { Actor } from '../../../services/actor.ts';
import { isBrandAdmin } from '../../../services/actor.ts';
import { ServiceError, type ErrorKind } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { html, type Html } from '../../html.ts';
import { page } from '../../layout.ts';
import { requireActor } from '../../session.ts';

export type AdminSection = '/admin/users' | '/admin/divisions' | '/admin/groups';

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

/**
 * Admin pages are for Brand Administrators: anonymous visitors go to sign in, everyone else gets a
 * 403 page. The service layer checks again; this only decides which page to show.
 */
export function adminOf(request: FastifyRequest, reply: FastifyReply): Actor | undefined {
  const actor = requireActor(request, reply);
  if (!actor) return undefined;
  if (isBrandAdmin(actor)) return actor;
  void sendPage(request, reply, 403, 'Not allowed', undefined, html`<h1>Not allowed</h1>
    <p>Only a Brand Administrator can manage users, divisions and groups. Ask your Brand Administrator if you need a change to your account.</p>`);
  return undefined;
}

export function sendPage(request: FastifyRequest, reply: FastifyReply, status: number, title: string, current: AdminSection | undefined, body: Html): FastifyReply {
  return reply
    .code(status)
    .header('Cache-Control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page({ title, actor: request.actor, csrfToken: request.csrfToken, current, body }).toString());
}

export function notFoundPage(request: FastifyRequest, reply: FastifyReply, current: AdminSection, what: string): FastifyReply {
  return sendPage(request, reply, 404, 'Not found', current, html`<h1>Not found</h1>
    <p>There is no ${what} with that ID in your brand.</p><p><a href="${current}">Back to the list</a></p>`);
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

/** Service parameter names → the form fields they come from, so the summary can link to the field. */
const FIELD_OF: Record<string, { id: string; label: string; hint?: string }> = {
  NewUsername: { id: 'f-username', label: 'Username', hint: 'Letters, digits and . _ @ + - only; the #brand part is added for you.' },
  NewPassword: { id: 'f-password', label: 'Password', hint: 'At least 8 characters.' },
  FirstName: { id: 'f-first', label: 'First name' },
  LastName: { id: 'f-last', label: 'Last name' },
  Email: { id: 'f-email', label: 'E-mail address', hint: 'Use the form name@example.org.' },
  Type: { id: 'f-type', label: 'User type' },
  DivisionID: { id: 'f-division', label: 'Division' },
  Language: { id: 'f-language', label: 'Language', hint: 'A language code such as EN or PT-BR.' },
  Status: { id: 'f-status-active', label: 'Status' },
  Name: { id: 'f-name', label: 'Name' },
  UserID: { id: 'f-user', label: 'User' },
  GroupID: { id: 'f-group', label: 'Group' },
};

/** Turns a thrown error into the message shown; anything that is not a ServiceError is rethrown. */
export function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  throw error;
}

/** The summary at the top of a refused form: announced (role=alert), linking to the field at fault. */
export function errorSummary(error: ServiceError | undefined): Html {
  if (!error) return html``;
  const f = error.kind === 'InvalidParameter' && error.param ? FIELD_OF[error.param] : undefined;
  const message = f
    ? html`<a href="#${f.id}">${f.label}</a>: this value is missing or not valid.${f.hint ? ` ${f.hint}` : ''}`
    : html`${error.message}`;
  return html`<div class="error-summary" role="alert" tabindex="-1" id="error-summary">
    <h2>There is a problem</h2><p>${message}</p><p class="hint">Nothing was changed.</p></div>`;
}

export function notice(text: string | undefined): Html {
  return text ? html`<div class="notice" role="status"><p>${text}</p></div>` : html``;
}

export function csrf(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export async function timeZone(services: Services, brandId: string): Promise<string> {
  return (await services.accounts.getBrand(brandId))?.time_zone ?? 'America/Denver';
}

export function when(ms: number | null, tz: string): string {
  return ms === null ? 'Never' : formatDateTime(ms, tz);
}

/** The stylesheet of the admin pages; a body <link rel=stylesheet> is valid HTML and keeps the shared layout untouched. */
export const ADMIN_CSS_LINK = html`<link rel="stylesheet" href="/assets/admin.css">`;

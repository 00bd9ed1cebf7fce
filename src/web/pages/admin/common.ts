import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatDateTime } from '../../../domain/dates.ts';
import type { Actor } from '../../../services/actor.ts';
import { isBrandAdmin } from '../../../services/actor.ts';
import type { Services } from '../../../services/index.ts';
import { errorSummaryFor, sendHtml, type FieldLabel } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { requireActor } from '../../session.ts';

export { asServiceError, checked, csrf, field, formStatus, notice, type FormBody } from '../../forms.ts';

export type AdminSection = '/admin/users' | '/admin/divisions' | '/admin/groups';

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
  return sendHtml(request, reply, status, title, current, body);
}

export function notFoundPage(request: FastifyRequest, reply: FastifyReply, current: AdminSection, what: string): FastifyReply {
  return sendPage(request, reply, 404, 'Not found', current, html`<h1>Not found</h1>
    <p>There is no ${what} with that ID in your brand.</p><p><a href="${current}">Back to the list</a></p>`);
}

/** Service parameter names → the form fields they come from, so the summary can link to the field. */
const FIELD_OF: Record<string, FieldLabel> = {
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

export const errorSummary = errorSummaryFor(FIELD_OF);

export async function timeZone(services: Services, brandId: string): Promise<string> {
  return (await services.accounts.getBrand(brandId))?.time_zone ?? 'America/Denver';
}

export function when(ms: number | null, tz: string): string {
  return ms === null ? 'Never' : formatDateTime(ms, tz);
}

/** The stylesheet of the admin pages; a body <link rel=stylesheet> is valid HTML and keeps the shared layout untouched. */
export const ADMIN_CSS_LINK = html`<link rel="stylesheet" href="/assets/admin.css">`;

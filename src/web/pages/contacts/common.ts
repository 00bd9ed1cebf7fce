import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../../../services/errors.ts';
import { errorSummaryFor, sendHtml, type FieldLabel } from '../../forms.ts';
import { html, type Html } from '../../html.ts';

export { asServiceError, checked, csrf, field, formStatus, notice } from '../../forms.ts';

export const SECTION = '/contacts';

/** Stylesheets of the contacts pages; a body <link rel=stylesheet> keeps the shared layout untouched. */
const CSS_LINKS = html`<link rel="stylesheet" href="/assets/admin.css"><link rel="stylesheet" href="/assets/contacts.css">`;

export function sendPage(request: FastifyRequest, reply: FastifyReply, status: number, title: string, body: Html): FastifyReply {
  return sendHtml(request, reply, status, title, SECTION, html`${CSS_LINKS}${body}`);
}

/** One answer for unknown, foreign and malformed IDs alike, so nothing tells another brand's IDs apart. */
export function notFoundPage(request: FastifyRequest, reply: FastifyReply, what = 'panel'): FastifyReply {
  return sendPage(request, reply, 404, 'Not found', html`<h1>Not found</h1>
    <p>There is no ${what} with that ID in your libraries.</p><p><a href="${SECTION}">Back to your panels</a></p>`);
}

/**
 * Whether a service refusal means "that object is not yours / does not exist": a bad LibraryID is
 * ESRV35|LibraryID in the API (the recorded shape); a page shows it as a 404 instead.
 */
export function isMissing(error: unknown): boolean {
  if (!(error instanceof ServiceError)) return false;
  if (error.kind === 'NotFound') return true;
  return error.kind === 'InvalidParameter' && ['LibraryID', 'PanelID', 'RecipientID', 'LastRecipientID'].includes(error.param ?? '');
}

/** Service parameter names → the form fields they come from, so the summary can link to the field. */
const FIELD_OF: Record<string, FieldLabel> = {
  Name: { id: 'f-name', label: 'Panel name' },
  Category: { id: 'f-category', label: 'Category' },
  LibraryID: { id: 'f-library', label: 'Library' },
  Email: { id: 'f-email', label: 'E-mail address', hint: 'Use the form name@example.org.' },
  FirstName: { id: 'f-first', label: 'First name' },
  LastName: { id: 'f-last', label: 'Last name' },
  ExternalRef: { id: 'f-ref', label: 'External reference' },
  ExternalDataRef: { id: 'f-ref', label: 'External reference' },
  Language: { id: 'f-language', label: 'Language', hint: 'A language code such as EN or PT-BR.' },
  EmbeddedData: { id: 'f-ed0-key', label: 'Embedded data' },
  File: { id: 'f-file', label: 'CSV file' },
};

export const errorSummary = errorSummaryFor(FIELD_OF);

/** A labelled text input; every control has an id so error summaries can link to it. */
export function textInput(id: string, name: string, label: string, value: string, o: { type?: string; hint?: string; required?: boolean; autocomplete?: string; invalid?: boolean } = {}): Html {
  const hintId = `${id}-hint`;
  return html`<label for="${id}">${label}${o.required ? '' : html` <span class="optional">(optional)</span>`}</label>
    ${o.hint ? html`<p class="hint" id="${hintId}">${o.hint}</p>` : ''}
    <input type="${o.type ?? 'text'}" id="${id}" name="${name}" value="${value}"${o.required ? html` required` : ''} autocomplete="${o.autocomplete ?? 'off'}"${o.hint ? html` aria-describedby="${hintId}"` : ''}${o.invalid ? html` aria-invalid="true"` : ''}>`;
}

export function option(value: string, label: string, selected: string): Html {
  return html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
}

/** Whether the refusal is about this field (for aria-invalid). */
export function about(error: ServiceError | undefined, ...params: string[]): boolean {
  return error?.kind === 'InvalidParameter' && params.includes(error.param ?? '');
}

export function query(request: FastifyRequest): Record<string, string | undefined> {
  const q = request.query as Record<string, unknown>;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(q)) out[k] = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
  return out;
}

export function panelUrl(libraryId: string, panelId: string): string {
  return `${SECTION}/${encodeURIComponent(libraryId)}/${encodeURIComponent(panelId)}`;
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatDateTime } from '../../../domain/dates.ts';
import { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { errorSummaryFor, sendHtml } from '../../forms.ts';
import { html, type Html } from '../../html.ts';

export const SECTION = '/surveys';

const CSS_LINKS = html`<link rel="stylesheet" href="/assets/admin.css"><link rel="stylesheet" href="/assets/surveys.css">`;

export function sendPage(request: FastifyRequest, reply: FastifyReply, status: number, title: string, body: Html): FastifyReply {
  return sendHtml(request, reply, status, title, SECTION, html`${CSS_LINKS}${body}`);
}

/** One answer for unknown, foreign, deleted and malformed IDs alike. */
export function notFoundPage(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendPage(request, reply, 404, 'Not found', html`<h1>Not found</h1>
    <p>There is no survey with that ID among your surveys.</p><p><a href="${SECTION}">Back to your surveys</a></p>`);
}

/** ESRV18 means "not yours or not there": a page says 404. */
export function isMissing(error: unknown): boolean {
  return error instanceof ServiceError && (error.kind === 'UnknownSurvey' || error.kind === 'NotFound');
}

export const errorSummary = errorSummaryFor({
  Name: { id: 'f-name', label: 'Survey name' },
  File: { id: 'f-file', label: 'QSF file' },
  ImportFormat: { id: 'f-file', label: 'QSF file' },
});

export function surveyUrl(id: string): string {
  return `${SECTION}/${encodeURIComponent(id)}`;
}

export async function timeZone(services: Services, brandId: string): Promise<string> {
  return (await services.accounts.getBrand(brandId))?.time_zone ?? 'America/Denver';
}

export function when(ms: number, tz: string): Html {
  return html`<time datetime="${new Date(ms).toISOString()}">${formatDateTime(ms, tz)}</time>`;
}

/**
 * What the response pages (table, one response, downloads, report) share: the error pages a
 * refused read becomes, the query-string filters (EndDate range in the brand's zone, finished),
 * and the survey's sub-navigation.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isId } from '../../../domain/ids.ts';
import { parseStrictDate } from '../../../domain/export/response-import.ts';
import type { Actor } from '../../../services/actor.ts';
import { invalidParam, ServiceError } from '../../../services/errors.ts';
import type { FileExportFilter } from '../../../services/responses.ts';
import type { Services } from '../../../services/index.ts';
import { errorSummaryFor, formStatus } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { requireActor } from '../../session.ts';
import { isMissing, notFoundPage, SECTION, sendPage, surveyUrl } from './common.ts';

export const RESPONSES_CSS = html`<link rel="stylesheet" href="/assets/responses.css">`;

/** What a handler gets: the signed-in actor, the survey ID from the path and the brand's zone. */
export interface DataContext {
  actor: Actor;
  surveyId: string;
  timeZone: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

type DataHandler = (c: DataContext) => Promise<FastifyReply>;

/**
 * Signed-in users only. A survey the actor cannot reach is a 404 page, a response that is not the
 * survey's (or was deleted) too; without downloadResponses the page is a 403 with the catalogue's text.
 */
export function withResponseData(services: Services, handler: DataHandler) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const { id } = request.params as { id: string };
    try {
      const timeZone = await services.accounts.timeZone(actor.brandId);
      return await handler({ actor, surveyId: id, timeZone, request, reply });
    } catch (e) {
      return refusedPage(request, reply, e);
    }
  };
}

/** The page a refused read or change becomes; anything that is not a ServiceError is a real fault. */
export function refusedPage(request: FastifyRequest, reply: FastifyReply, e: unknown): FastifyReply {
  if (isMissing(e)) return notFoundPage(request, reply);
  if (!(e instanceof ServiceError)) throw e;
  if (e.kind === 'InvalidParameter' && e.param === 'ResponseID') {
    return sendPage(request, reply, 404, 'Response not found', html`<h1>Response not found</h1>
      <p>This survey has no response with that ID. It may have been deleted.</p><p><a href="${SECTION}">Back to your surveys</a></p>`);
  }
  if (e.kind === 'NoDownloadPermission') {
    return sendPage(request, reply, 403, 'Not allowed', html`<h1>Not allowed</h1>
      <p>${e.message}</p><p>Ask a brand administrator for the permission to download survey responses.</p><p><a href="${SECTION}">Back to your surveys</a></p>`);
  }
  return sendPage(request, reply, formStatus(e), 'Not possible', html`<h1>That was not possible</h1><p>${e.message}</p><p><a href="${SECTION}">Back to your surveys</a></p>`);
}

/** The first value of each query parameter (repeated names keep their first). */
export function queryOf(request: FastifyRequest): Record<string, string | undefined> {
  const q = request.query as Record<string, unknown>;
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(q)) out[k] = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
  return out;
}

/** Every value of a repeated query parameter. */
export function queryAll(request: FastifyRequest, name: string): string[] {
  const v = (request.query as Record<string, unknown>)[name];
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

// ---- filters ----------------------------------------------------------------------------------

/** The filters as the form shows them (what the user typed, valid or not). */
export interface FilterForm {
  /** `YYYY-MM-DD`, a day in the brand's zone, or ''. */
  from: string;
  to: string;
  /** '1' finished only, '0' in progress only, '' all. */
  finished: string;
}

export interface ReadFilter {
  form: FilterForm;
  filter: FileExportFilter;
  error: ServiceError | undefined;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Midnight starting `day` in `zone`, or null for anything that is not a real calendar day. */
export function dayStart(day: string, zone: string): number | null {
  return DAY.test(day) ? parseStrictDate(day, zone) : null;
}

/** The last millisecond of `day` in `zone` (the next local midnight less one: days need not be 24 h). */
export function dayEnd(day: string, zone: string): number | null {
  if (dayStart(day, zone) === null) return null;
  const next = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
  const at = parseStrictDate(next, zone);
  return at === null ? null : at - 1;
}

/** Reads from/to/finished; an unreadable value is reported and left out of the filter. */
export function readFilter(q: Record<string, string | undefined>, zone: string): ReadFilter {
  const form: FilterForm = { from: (q.from ?? '').trim(), to: (q.to ?? '').trim(), finished: q.finished === '1' || q.finished === '0' ? q.finished : '' };
  const filter: FileExportFilter = {};
  let error: ServiceError | undefined;
  if (form.from !== '') {
    const at = dayStart(form.from, zone);
    if (at === null) error = invalidParam('From');
    else filter.endFrom = at;
  }
  if (form.to !== '') {
    const at = dayEnd(form.to, zone);
    if (at === null || (filter.endFrom !== undefined && at < filter.endFrom)) error ??= invalidParam('To');
    else filter.endTo = at;
  }
  if (form.finished !== '') filter.finished = form.finished === '1' ? 1 : 0;
  return { form, filter, error };
}

/** Query parameters of the filters, empty ones left out (for links that keep them). */
export function filterParams(f: FilterForm): Array<[string, string]> {
  return ([['from', f.from], ['to', f.to], ['finished', f.finished]] as Array<[string, string]>).filter(([, v]) => v !== '');
}

export const filterErrors = errorSummaryFor({
  From: { id: 'f-from', label: 'From (date)', hint: 'Use a date such as 2026-03-01.' },
  To: { id: 'f-to', label: 'To (date)', hint: 'Use a date such as 2026-03-31, not before the From date.' },
  Format: { id: 'f-format-csv', label: 'Format' },
  ED: { id: 'f-ed-new-key', label: 'New field name', hint: 'Give a name of at most 200 characters, or change an existing value.' },
});

/** The EndDate range inputs, shared by the table, download and report forms. */
export function dateRangeFields(f: FilterForm, zone: string, error: ServiceError | undefined): Html {
  const bad = (p: string) => (error?.kind === 'InvalidParameter' && error.param === p ? html` aria-invalid="true"` : '');
  return html`<fieldset class="date-range"><legend>Ended between</legend>
    <p class="hint" id="f-range-hint">Days in ${zone}; both days are included. Leave a date empty for no limit.</p>
    <div class="range-fields"><div><label for="f-from">From (date)</label><input type="date" id="f-from" name="from" value="${f.from}" aria-describedby="f-range-hint"${bad('From')}></div>
    <div><label for="f-to">To (date)</label><input type="date" id="f-to" name="to" value="${f.to}" aria-describedby="f-range-hint"${bad('To')}></div></div>
  </fieldset>`;
}

/** A "finished only" checkbox (downloads and the report; the table offers all three choices). */
export function finishedOnlyField(f: FilterForm): Html {
  return html`<div class="check"><input type="checkbox" id="f-finished" name="finished" value="1"${f.finished === '1' ? html` checked` : ''}><label for="f-finished">Finished responses only</label></div>`;
}

/** Whether the value looks like a panel ID (the service filters by brand, so a foreign one finds nothing). */
export function panelParam(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  return isId('ML', v) ? v : undefined;
}

// ---- navigation -------------------------------------------------------------------------------

export type SurveyView = 'outline' | 'responses' | 'report' | 'download' | 'distribute' | 'distributions';

/** Links between the survey's pages; the current one is marked for assistive technology. */
export function surveyNav(surveyId: string, current: SurveyView): Html {
  const url = surveyUrl(surveyId);
  const links: Array<[SurveyView, string, string]> = [
    ['outline', url, 'Survey'],
    ['responses', `${url}/responses`, 'Responses'],
    ['report', `${url}/report`, 'Report'],
    ['download', `${url}/download`, 'Download responses'],
    ['distribute', `${url}/distribute`, 'Distribute'],
    ['distributions', `${url}/distributions`, 'Distributions'],
  ];
  return html`<nav class="survey-nav" aria-label="This survey"><ul>${links.map(([k, href, label]) =>
    html`<li><a href="${href}"${k === current ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>`;
}

/** The heading block of every response page. */
export function pageHead(surveyId: string, surveyName: string, title: string, current: SurveyView): Html {
  return html`<p><a href="${SECTION}">Back to your surveys</a></p>
    <h1>${title}</h1>
    <p class="survey-name">Survey: <strong>${surveyName}</strong></p>
    ${surveyNav(surveyId, current)}`;
}

/**
 * The responses table: newest first, 50 a page, server-paged on the export order. Filters and the
 * chosen columns live in the query string, so a page can be bookmarked, shared and reloaded.
 *
 * The service pages one way only (older than `before`). To go back, each link carries the trail of
 * the `before` values of the newer pages it came through; the trail is capped, and past the cap
 * "Newer" lands on the newest page instead.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Actor } from '../../../services/actor.ts';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { ResponsePage } from '../../../services/responses.ts';
import { notice } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { SECTION, sendPage, surveyUrl } from './common.ts';
import {
  dateRangeFields, filterErrors, filterParams, pageHead, panelParam, queryAll, queryOf, readFilter, RESPONSES_CSS, withResponseData,
  type DataContext, type FilterForm,
} from './response-common.ts';

export const PAGE_SIZE = 50;
/** Question columns shown before the user chooses. */
const DEFAULT_QUESTIONS = 8;
const DEFAULT_META = ['EndDate', 'Finished'];
/** The row header: always shown, so it is not offered in the chooser. */
const ID_COLUMN = 'ResponseId';
const MAX_TRAIL = 100;
const SEARCH_MAX = 200;
/** Characters of an answer shown in a cell; the response's own page has all of it. */
const CELL_MAX = 160;
const LABEL_MAX = 80;

type Column = ResponsePage['columns'][number];

interface TableState {
  filter: FilterForm;
  panel: string;
  q: string;
  /** Chosen column names; undefined means the default set. */
  cols: string[] | undefined;
  before: number | undefined;
  /** The `before` of each newer page after the first, oldest-visited first. */
  trail: number[];
}

const DONE: Record<string, string> = { deleted: 'The response was deleted.' };

function seqOf(text: string | undefined): number | undefined {
  return text !== undefined && /^[1-9]\d{0,15}$/.test(text) ? Number(text) : undefined;
}

function stateOf(c: DataContext): TableState & { read: ReturnType<typeof readFilter> } {
  const q = queryOf(c.request);
  const read = readFilter(q, c.timeZone);
  const cols = queryAll(c.request, 'col');
  return {
    read,
    filter: read.form,
    panel: panelParam(q.panel) ?? '',
    q: (q.q ?? '').trim().slice(0, SEARCH_MAX),
    cols: cols.length > 0 ? cols : undefined,
    before: seqOf(q.before),
    trail: (q.trail ?? '').split(',').map((s) => seqOf(s)).filter((n): n is number => n !== undefined).slice(-MAX_TRAIL),
  };
}

function tableUrl(surveyId: string, s: TableState): string {
  const params: Array<[string, string]> = [...filterParams(s.filter)];
  if (s.panel) params.push(['panel', s.panel]);
  if (s.q) params.push(['q', s.q]);
  for (const c of s.cols ?? []) params.push(['col', c]);
  if (s.before !== undefined) params.push(['before', String(s.before)]);
  if (s.trail.length > 0) params.push(['trail', s.trail.join(',')]);
  const qs = new URLSearchParams(params).toString();
  return `${surveyUrl(surveyId)}/responses${qs ? `?${qs}` : ''}`;
}

/** ResponseId is the row header; of the rest, EndDate, Finished and the first question columns. */
function defaultColumns(columns: Column[]): string[] {
  const questions = columns.filter((c) => c.kind === 'question').slice(0, DEFAULT_QUESTIONS).map((c) => c.name);
  return [...DEFAULT_META.filter((n) => columns.some((c) => c.name === n)), ...questions];
}

/** The chosen columns in the survey's column order; unknown names are dropped, none at all means the default. */
function shownColumns(columns: Column[], chosen: string[] | undefined): { names: Set<string>; isDefault: boolean } {
  const fallback = defaultColumns(columns);
  const wanted = new Set(chosen ?? []);
  const picked = columns.filter((c) => c.name !== ID_COLUMN && wanted.has(c.name)).map((c) => c.name);
  const names = picked.length > 0 ? picked : fallback;
  return { names: new Set(names), isDefault: names.length === fallback.length && names.every((n, i) => n === fallback[i]) };
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Fixed columns hold short values (dates, IDs) that read best on one line; answers may be long. */
function cell(v: string | number | null, c: Column): Html {
  if (v === null || v === '') return html`<td></td>`;
  if (typeof v === 'number') return html`<td class="num">${String(v)}</td>`;
  const cls = c.kind === 'meta' ? 'nowrap' : v.length > 24 ? 'text' : '';
  return html`<td${cls ? html` class="${cls}"` : ''}>${cut(v, CELL_MAX)}</td>`;
}

function columnHeader(c: Column): Html {
  return html`<th scope="col"><span class="col-name">${c.name}</span>${c.label !== c.name ? html`<span class="col-label">${cut(c.label, LABEL_MAX)}</span>` : ''}</th>`;
}

function hiddenInputs(params: Array<[string, string]>): Html {
  return html`${params.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}`;
}

function option(value: string, label: string, selected: string): Html {
  return html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
}

function filterForm(surveyId: string, s: TableState, panels: Array<{ id: string; name: string }>, zone: string, error: ServiceError | undefined): Html {
  const chosen = s.cols ?? [];
  const knownPanel = s.panel === '' || panels.some((p) => p.id === s.panel);
  return html`<form method="get" action="${surveyUrl(surveyId)}/responses" class="filters" role="search" aria-label="Filter responses" novalidate>
    ${filterErrors(error)}
    ${hiddenInputs(chosen.map((c) => ['col', c]))}
    ${dateRangeFields(s.filter, zone, error)}
    <div class="filter-fields">
      <div><label for="f-finished">Show</label><select id="f-finished" name="finished">${option('', 'All responses', s.filter.finished)}${option('1', 'Finished only', s.filter.finished)}${option('0', 'In progress only', s.filter.finished)}</select></div>
      <div><label for="f-panel">Panel</label><select id="f-panel" name="panel">${option('', 'Any panel or none', s.panel)}${knownPanel ? '' : option(s.panel, s.panel, s.panel)}${panels.map((p) => option(p.id, p.name, s.panel))}</select></div>
      <div><label for="f-q">Search answers and embedded data</label><input type="text" id="f-q" name="q" value="${s.q}" maxlength="${SEARCH_MAX}" autocomplete="off"></div>
    </div>
    <div class="actions"><button type="submit">Apply filters</button><a class="button secondary" href="${tableUrl(surveyId, { ...s, filter: { from: '', to: '', finished: '' }, panel: '', q: '', before: undefined, trail: [] })}">Clear filters</a></div>
  </form>`;
}

function columnChooser(surveyId: string, s: TableState, columns: Column[], shown: Set<string>): Html {
  const keep: Array<[string, string]> = [...filterParams(s.filter)];
  if (s.panel) keep.push(['panel', s.panel]);
  if (s.q) keep.push(['q', s.q]);
  const choices = columns.filter((c) => c.name !== ID_COLUMN);
  return html`<details class="column-chooser"><summary>Choose columns (${shown.size} of ${choices.length} shown)</summary>
    <form method="get" action="${surveyUrl(surveyId)}/responses">
      ${hiddenInputs(keep)}
      <fieldset><legend>Columns to show</legend>
        <p class="hint">The response ID is always shown. With none ticked, the table shows the default columns.</p>
        <div class="column-list">${choices.map((c, i) => html`<div class="check"><input type="checkbox" id="f-col-${i}" name="col" value="${c.name}"${shown.has(c.name) ? html` checked` : ''}><label for="f-col-${i}">${c.name}${c.label !== c.name ? html` <span class="hint">${cut(c.label, LABEL_MAX)}</span>` : ''}</label></div>`)}</div>
      </fieldset>
      <div class="actions"><button type="submit">Show these columns</button><a class="button secondary" href="${tableUrl(surveyId, { ...s, cols: undefined, before: undefined, trail: [] })}">Default columns</a></div>
    </form></details>`;
}

function pager(surveyId: string, s: TableState, page: ResponsePage): Html {
  const links: Html[] = [];
  if (s.before !== undefined) {
    links.push(html`<a href="${tableUrl(surveyId, { ...s, before: undefined, trail: [] })}">Newest</a>`);
    const back = s.trail.length > 0 ? { before: s.trail[s.trail.length - 1], trail: s.trail.slice(0, -1) } : { before: undefined, trail: [] };
    links.push(html`<a href="${tableUrl(surveyId, { ...s, ...back })}" rel="prev">Newer</a>`);
  }
  if (page.nextBeforeSeq !== undefined) {
    const trail = s.before === undefined ? [] : [...s.trail, s.before].slice(-MAX_TRAIL);
    links.push(html`<a href="${tableUrl(surveyId, { ...s, before: page.nextBeforeSeq, trail })}" rel="next">Older</a>`);
  }
  return links.length ? html`<nav class="pager" aria-label="Pages of responses">${links}</nav>` : html``;
}

function table(surveyId: string, s: TableState, page: ResponsePage, shown: Set<string>, filtered: boolean): Html {
  if (page.rows.length === 0) {
    const why = filtered ? 'No responses match these filters.' : s.before !== undefined ? 'There are no older responses.' : 'This survey has no responses yet.';
    return html`<p class="empty-table">${why}</p>`;
  }
  const indexes = page.columns.flatMap((c, i) => (shown.has(c.name) ? [i] : []));
  const caption = `Responses, newest first${filtered ? ', filtered' : ''}${s.before !== undefined ? ', older page' : ''}: ${page.rows.length} shown`;
  return html`<div class="table-wrap" role="region" aria-labelledby="responses-caption" tabindex="0"><table class="responses">
    <caption id="responses-caption">${caption}</caption>
    <thead><tr><th scope="col">Response ID</th>${indexes.map((i) => columnHeader(page.columns[i] as Column))}</tr></thead>
    <tbody>${page.rows.map((r) => html`<tr><th scope="row"><a href="${surveyUrl(surveyId)}/responses/${encodeURIComponent(r.responseId)}">${r.responseId}</a></th>${indexes.map((i) => cell(r.cells[i] ?? null, page.columns[i] as Column))}</tr>`)}</tbody>
  </table></div>`;
}

async function panelsOf(services: Services, actor: Actor): Promise<Array<{ id: string; name: string }>> {
  const out: Array<{ id: string; name: string }> = [];
  for (const lib of await services.accounts.libraries(actor)) {
    for (const p of await services.panels.listPanels(actor, lib.id)) out.push({ id: p.id, name: `${p.name} (${lib.name})` });
  }
  return out;
}

async function tablePage(services: Services, c: DataContext): Promise<FastifyReply> {
  const s = stateOf(c);
  const page = await services.responses.responsePage(c.actor, c.surveyId, {
    size: PAGE_SIZE,
    beforeSeq: s.before,
    ...s.read.filter,
    panelId: s.panel || undefined,
    search: s.q || undefined,
  });
  const { names: shown, isDefault } = shownColumns(page.columns, s.cols);
  // Links keep the columns only when they differ from the default, so ordinary URLs stay short.
  const state: TableState = { ...s, cols: isDefault ? undefined : [...shown] };
  const filtered = s.read.form.from !== '' || s.read.form.to !== '' || s.read.form.finished !== '' || s.panel !== '' || s.q !== '';
  const panels = await panelsOf(services, c.actor);
  const done = queryOf(c.request).done;
  return sendPage(c.request, c.reply, s.read.error ? 400 : 200, `Responses · ${page.surveyName}`, html`${RESPONSES_CSS}
    ${pageHead(c.surveyId, page.surveyName, 'Responses', 'responses')}
    ${notice(done ? DONE[done] : undefined)}
    ${filterForm(c.surveyId, state, panels, c.timeZone, s.read.error)}
    ${columnChooser(c.surveyId, state, page.columns, shown)}
    ${s.read.error ? html`<p>Correct the filters to see the responses.</p>` : html`${table(c.surveyId, state, page, shown, filtered)}${pager(c.surveyId, state, page)}`}`);
}

export function responsesTablePages(app: FastifyInstance, services: Services): void {
  app.get(`${SECTION}/:id/responses`, withResponseData(services, (c) => tablePage(services, c)));
}

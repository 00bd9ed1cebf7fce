/**
 * Stored responses: the legacy export (getLegacyResponseData), one response (getResponse,
 * getSingleResponseHTML), importResponses, embedded-data edits, soft deletion and the response
 * counts. The only place that decides who may read or change response data:
 *  - reading response data (exports, one response, its page) needs access to the survey (owner or
 *    shared, ESRV18 otherwise) and the downloadResponses permission (ESEC62, checked first);
 *  - importing, editing embedded data and deleting need access to the survey;
 *  - counts need access to the survey; without a SurveyID a brand administrator counts the whole
 *    brand (the licence view) and anyone else the surveys they can reach.
 *
 * Exports stream: every check runs before the first byte, then the rows come from keyset batches
 * over (survey_id, seq), each one short query, so memory stays flat and no long read holds the
 * database. Previews (Status 1) and deleted responses never appear in an export or a count of
 * responses; a deleted one asked for by ResponseID gives an empty document, as the spec records.
 */
import { newId, isId } from '../domain/ids.ts';
import { ED_KEY_MAX, ED_VALUE_MAX, cleanField, parseEmbeddedData } from '../domain/recipients.ts';
import { ImportInputError, csvRecords } from '../domain/csv-import.ts';
import { legacyBatchChunks, legacyWriter, prepareLegacyExport, LegacyExportOptionError, type LegacyExport, type LegacyFormat, type StoredResponse } from '../domain/export/legacy-response-data.ts';
import { headerRowCount, importRow, parseStrictDate, planImport, type ImportedResponse } from '../domain/export/response-import.ts';
import { singleResponseHtml } from '../domain/export/single-response-html.ts';
import { FILE_FORMATS, exportFile, type FileFormat } from '../domain/export/files.ts';
import { modernLayout } from '../domain/export/modern-layout.ts';
import { createReport, numericTextQuestions, type SurveyReport } from '../domain/report/index.ts';
import { formatDateTime } from '../domain/dates.ts';
import { storedValues } from '../domain/export/stored-values.ts';
import { exportColumns, type ExportColumn, type LegacyDialect } from '../domain/survey/export-columns.ts';
import { readQsf, type QsfSurvey } from '../domain/survey/qsf.ts';
import type { QuestionAnswer, SessionState } from '../domain/survey/session-state.ts';
import type { Writable } from 'node:stream';
import type { Store } from '../store/db.ts';
import {
  IMPORTED_STATUS,
  PREVIEW_STATUS,
  exportTuple,
  responsesStore,
  type ExportRow,
  type ExportTuple,
  type NewResponseRow,
  type OpenSessionRow,
  type ResponseCounts,
  type ResponseFilter,
} from '../store/responses.ts';
import { sessionsStore } from '../store/sessions.ts';
import type { AccountsService } from './accounts.ts';
import { isBrandAdmin, type Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError, conflict, invalidParam } from './errors.ts';
import { Lru } from './survey-runtime.ts';
import type { SurveysService } from './surveys.ts';

/** The one response set every survey has (responses store it as their response_set_id). */
export const DEFAULT_RESPONSE_SET_ID = 'Default';

/** getLegacyResponseData's options, as the API adapter read them (§3.1). */
export interface LegacyExportRequest {
  format: LegacyFormat;
  responseId?: string | undefined;
  lastResponseId?: string | undefined;
  /** A positive integer (the adapter rejects anything else). */
  limit?: number | undefined;
  /** `YYYY-MM-DD HH:MM:SS` (or a date alone), read in the brand's zone with LocalTime=1, else UTC. */
  startDate?: string | undefined;
  endDate?: string | undefined;
  questions?: string[] | undefined;
  labels?: boolean;
  exportTags?: boolean;
  exportQuestionIds?: boolean;
  localTime?: boolean;
  unansweredRecode?: string | undefined;
  panelId?: string | undefined;
  responsesInProgress?: boolean;
  responseSetId?: string | undefined;
  subgroupId?: string | undefined;
  locationData?: boolean;
  /** Insight addition: the 'named' column layout of newer exports instead of the legacy V layout. */
  layout?: LegacyDialect;
}

export interface ExportDocument {
  contentType: string;
  chunks: AsyncIterable<string>;
}

/** Which responses a file export, the web table or the report covers. */
export interface FileExportFilter {
  endFrom?: number | undefined;
  endTo?: number | undefined;
  finished?: 0 | 1 | undefined;
}

export interface FileExportRequest extends FileExportFilter {
  labels?: boolean;
  unansweredRecode?: string | undefined;
}

export interface ResponsePageRequest extends FileExportFilter {
  size: number;
  /** Rows older than this place in the export order (the previous page's `nextBeforeSeq`). */
  beforeSeq?: number | undefined;
  panelId?: string | undefined;
  /** Text to find in the answers and embedded data (case-insensitive). */
  search?: string | undefined;
}

export interface ResponsePage {
  surveyName: string;
  /** `kind` tells the fixed (meta, location) columns from embedded data and answers. */
  columns: { name: string; label: string; kind: 'meta' | 'location' | 'embedded' | 'question' }[];
  rows: { responseId: string; seq: number; cells: (string | number | null)[] }[];
  nextBeforeSeq: number | undefined;
}

export interface ImportResponsesOptions {
  delimiter?: string | undefined;
  enclosure?: string | undefined;
  ignoreValidation?: boolean;
  decimalComma?: boolean;
  responseSetId?: string | undefined;
  /** The parameter to blame for an unreadable file (FileContents or FileURL). */
  sourceParam?: string;
}

export interface ImportResponsesResult {
  count: number;
  responseIds: string[];
  /** Headers that named no survey column, imported as embedded data. */
  unmatchedColumns: string[];
}

export interface CountsRequest {
  surveyId?: string | undefined;
  /** `YYYY-MM-DD` (a time may follow), in the brand's zone. */
  startDate: string;
  endDate?: string | undefined;
}

interface LoadedSurvey {
  id: string;
  name: string;
  survey: QsfSurvey;
  columns: ExportColumn[];
  /** Text-entry questions validated as numbers (the report summarises them as numbers). */
  numericText: Set<string>;
}

/** Rows per keyset query: large enough to amortise the query, small enough to keep memory flat. */
const BATCH = 1000;
const IMPORT_BATCH = 400;
/** Row errors listed in a refused import's message. */
const ERRORS_SHOWN = 10;
const DAY = 24 * 60 * 60 * 1000;

const unknownSurvey = () => new ServiceError('UnknownSurvey');

export class ResponsesService {
  private readonly surveyCache = new Lru<string, { modifiedAt: number; loaded: LoadedSurvey }>(50);

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly accounts: AccountsService,
    private readonly surveys: SurveysService,
  ) {}

  private get db() {
    return this.store.db;
  }

  private requireDownload(actor: Actor): void {
    if (!actor.permissions.downloadResponses) throw new ServiceError('NoDownloadPermission');
  }

  /** The survey parsed (cached per modification), or ESRV18 when the actor cannot reach it. */
  private async survey(actor: Actor, surveyId: string): Promise<LoadedSurvey> {
    if (!isId('SV', surveyId)) throw unknownSurvey();
    const { info, qsf } = await this.surveys.getDefinition(actor, surveyId);
    const cached = this.surveyCache.get(surveyId);
    if (cached && cached.modifiedAt === info.modifiedAt) return cached.loaded;
    let survey: QsfSurvey;
    let doc: unknown;
    try {
      doc = JSON.parse(qsf.charCodeAt(0) === 0xfeff ? qsf.slice(1) : qsf);
      survey = readQsf(doc);
    } catch {
      throw conflict('The survey definition cannot be read.');
    }
    const loaded = { id: surveyId, name: info.name, survey, columns: exportColumns(survey), numericText: numericTextQuestions(doc) };
    this.surveyCache.set(surveyId, { modifiedAt: info.modifiedAt, loaded });
    return loaded;
  }

  // ---- getLegacyResponseData ----------------------------------------------------------------

  /** The export as text chunks; every check (and so every error) happens before this resolves. */
  async exportLegacy(actor: Actor, surveyId: string, req: LegacyExportRequest): Promise<ExportDocument> {
    this.requireDownload(actor);
    const s = await this.survey(actor, surveyId);
    if (req.subgroupId !== undefined) throw invalidParam('SubgroupID');
    const responseSetId = this.responseSet(req.responseSetId, 'ResponseSetID');
    const timeZone = await this.accounts.timeZone(actor.brandId);
    const localTime = req.localTime ?? true;
    const zone = localTime ? timeZone : 'UTC';
    const endFrom = req.startDate === undefined ? undefined : this.date(req.startDate, zone, 'StartDate', false);
    const endTo = req.endDate === undefined ? undefined : this.date(req.endDate, zone, 'EndDate', true);
    if (req.questions !== undefined && req.questions.some((q) => !s.survey.questions.has(q))) throw invalidParam('Questions');
    if (req.panelId !== undefined && !(isId('ML', req.panelId) && (await responsesStore.panelInBrand(this.db, actor.brandId, req.panelId)))) {
      throw invalidParam('PanelID');
    }
    let exp: LegacyExport;
    try {
      exp = prepareLegacyExport(s.survey, {
        dialect: req.layout ?? 'v',
        labels: req.labels ?? false,
        exportTags: req.exportTags ?? true,
        exportQuestionIds: req.exportQuestionIds ?? false,
        questions: req.questions,
        unansweredRecode: req.unansweredRecode,
        localTime,
        timeZone,
        locationData: req.locationData ?? true,
      });
    } catch (error) {
      if (error instanceof LegacyExportOptionError) throw invalidParam('LocalTime');
      throw error;
    }
    const writer = legacyWriter(req.format, exp);
    const filter = { brandId: actor.brandId, surveyId: s.id, endFrom, endTo, panelId: req.panelId };
    const batches = req.responsesInProgress
      ? await this.sessionBatches(s, filter, req)
      : await this.responseBatches({ ...filter, responseSetId }, req, exp.options.unansweredRecode !== undefined);
    return { contentType: writer.contentType, chunks: legacyBatchChunks(writer, batches) };
  }

  private responseSet(value: string | undefined, param: string): string {
    if (value === undefined || value === DEFAULT_RESPONSE_SET_ID) return DEFAULT_RESPONSE_SET_ID;
    throw invalidParam(param);
  }

  /** A date filter: `YYYY-MM-DD[ HH:MM:SS]`; a date alone as an EndDate means the whole day. */
  private date(text: string, zone: string, param: string, endOfDay: boolean): number {
    const ms = parseStrictDate(text, zone);
    if (ms === null) throw invalidParam(param);
    if (endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(text.trim())) {
      const next = parseStrictDate(new Date(Date.parse(`${text.trim()}T00:00:00Z`) + DAY).toISOString().slice(0, 10), zone);
      return (next ?? ms + DAY) - 1;
    }
    return ms;
  }

  private async responseBatches(filter: ResponseFilter, req: LegacyExportRequest, withDisplayed: boolean): Promise<AsyncIterable<StoredResponse[]>> {
    const f: ResponseFilter = { ...filter };
    let after = 0;
    if (req.responseId !== undefined) {
      const at = isId('R', req.responseId) ? await responsesStore.position(this.db, f.brandId, f.surveyId, req.responseId) : undefined;
      if (!at) throw invalidParam('ResponseID');
      // A deleted response (or a preview) is simply not in the export: the document is empty.
      if (at.deleted_at !== null || at.status === PREVIEW_STATUS) return emptyBatches();
      f.id = req.responseId;
    }
    if (req.lastResponseId !== undefined) {
      const from = isId('R', req.lastResponseId) ? await responsesStore.position(this.db, f.brandId, f.surveyId, req.lastResponseId) : undefined;
      if (!from) throw invalidParam('LastResponseID');
      after = from.seq;
    }
    return storedBatches(this.store, f, after, req.limit ?? Infinity, withDisplayed);
  }

  /** ResponsesInProgress=1: the open sessions as unfinished responses keyed by their FS_ IDs. */
  private async sessionBatches(s: LoadedSurvey, filter: { brandId: string; surveyId: string; endFrom?: number | undefined; endTo?: number | undefined; panelId?: string | undefined }, req: LegacyExportRequest): Promise<AsyncIterable<StoredResponse[]>> {
    const f = { ...filter, id: undefined as string | undefined };
    if (req.responseId !== undefined) {
      if (!isId('FS', req.responseId) || !(await responsesStore.findOpenSession(this.db, f.brandId, f.surveyId, req.responseId))) throw invalidParam('ResponseID');
      f.id = req.responseId;
    }
    let after: { startedAt: number; id: string } | undefined;
    if (req.lastResponseId !== undefined) {
      const from = isId('FS', req.lastResponseId) ? await sessionsStore.find(this.db, req.lastResponseId) : undefined;
      if (!from || from.survey_id !== f.surveyId || from.brand_id !== f.brandId) throw invalidParam('LastResponseID');
      after = { startedAt: from.started_at, id: from.id };
    }
    const db = this.db;
    let left = req.limit ?? Infinity;
    return (async function* () {
      while (left > 0) {
        const size = Math.min(BATCH, left);
        const rows = await responsesStore.pageOpenSessions(db, f, after, size);
        if (rows.length > 0) yield rows.map((r) => sessionResponse(s, r));
        if (rows.length < size) return;
        left -= rows.length;
        const last = rows[rows.length - 1] as OpenSessionRow;
        after = { startedAt: last.started_at, id: last.id };
      }
    })();
  }

  // ---- file exports, the web table and the report ---------------------------------------------

  /**
   * The responses a file export, the web table or the report reads, as a source that can be read
   * more than once (the .sav writer measures, then writes): every pass sees the same responses, those
   * recorded before the call.
   */
  private async stableRows(actor: Actor, s: LoadedSurvey, filter: FileExportFilter): Promise<() => AsyncIterable<StoredResponse>> {
    const f: ResponseFilter = {
      brandId: actor.brandId, surveyId: s.id, responseSetId: DEFAULT_RESPONSE_SET_ID,
      endFrom: filter.endFrom, endTo: filter.endTo, finished: filter.finished,
      uptoSeq: await responsesStore.lastSeq(this.db, actor.brandId, s.id),
    };
    const store = this.store;
    return async function* () {
      for await (const batch of storedBatches(store, f, 0, Infinity, true)) yield* batch;
    };
  }

  /**
   * A download in one of the file formats (web and CLI), streamed into `sink`, which it ends.
   * Options are checked before anything is written, so a refusal can still be an error page.
   */
  async exportFile(actor: Actor, surveyId: string, format: FileFormat, options: FileExportRequest, sink: Writable, onProgress?: (rows: number) => void): Promise<{ rows: number }> {
    this.requireDownload(actor);
    const s = await this.survey(actor, surveyId);
    const rows = await this.stableRows(actor, s, options);
    const exportOptions = {
      labels: options.labels ?? false,
      unansweredRecode: options.unansweredRecode,
      localTime: true,
      timeZone: await this.accounts.timeZone(actor.brandId),
    };
    return exportFile(format, s.survey, exportOptions, rows, sink, onProgress);
  }

  /** How many responses a file export of the survey holds now (for progress). */
  async countForExport(actor: Actor, surveyId: string): Promise<number> {
    this.requireDownload(actor);
    const s = await this.survey(actor, surveyId);
    return responsesStore.count(this.db, actor.brandId, s.id);
  }

  /** The survey's name and a file name for a download of it. */
  async exportName(actor: Actor, surveyId: string, format: FileFormat): Promise<string> {
    const s = await this.survey(actor, surveyId);
    const base = s.name.replace(/[^A-Za-z0-9 ._-]+/g, '').trim().replace(/\s+/g, '-').slice(0, 60) || 'responses';
    return `${base}-${s.id}.${FILE_FORMATS[format].extension}`;
  }

  /** The report of a survey's responses (previews left out), aggregated while streaming. */
  async report(actor: Actor, surveyId: string, filter: FileExportFilter = {}): Promise<SurveyReport> {
    this.requireDownload(actor);
    const s = await this.survey(actor, surveyId);
    const report = createReport(s.survey, { timeZone: await this.accounts.timeZone(actor.brandId), numericText: s.numericText });
    const rows = await this.stableRows(actor, s, filter);
    for await (const r of rows()) report.add(r);
    return report.result();
  }

  /** One page of the web table, newest first, with its cells as the labelled layout shows them. */
  async responsePage(actor: Actor, surveyId: string, page: ResponsePageRequest): Promise<ResponsePage> {
    this.requireDownload(actor);
    const s = await this.survey(actor, surveyId);
    const timeZone = await this.accounts.timeZone(actor.brandId);
    const layout = modernLayout(s.survey, { dialect: 'named', labels: true, localTime: true, timeZone });
    const size = Math.min(Math.max(1, page.size), 200);
    const rows = await responsesStore.pageForTable(this.db, {
      brandId: actor.brandId, surveyId: s.id, before: page.beforeSeq, limit: size + 1,
      endFrom: page.endFrom, endTo: page.endTo, finished: page.finished, panelId: page.panelId, search: page.search,
    });
    const more = rows.length > size;
    const shown = rows.slice(0, size);
    return {
      surveyName: s.name,
      columns: layout.columns.map((c) => ({ name: c.name, label: c.label, kind: c.kind })),
      rows: shown.map((r) => ({ responseId: r.id, seq: r.seq, cells: layout.row(storedResponse(r, true)).map((v) => (v instanceof Date ? formatDateTime(v.getTime(), timeZone) : v)) })),
      nextBeforeSeq: more ? (shown[shown.length - 1] as ExportRow).seq : undefined,
    };
  }

  // ---- one response ---------------------------------------------------------------------------

  private async liveResponse(actor: Actor, s: LoadedSurvey, responseId: string) {
    const row = isId('R', responseId) ? await responsesStore.findInSurvey(this.db, actor.brandId, s.id, responseId) : undefined;
    if (!row) throw invalidParam('ResponseID');
    return row;
  }

  /** Insight addition getResponse: one response's columns (fixed ones by label), as getLegacyResponseData's JSON holds them. */
  async getResponse(actor: Actor, surveyId: string, responseId: string, options: { labels?: boolean } = {}): Promise<Record<string, string | number | null>> {
    this.requireDownload(actor);
    const s = await this.survey(actor, surveyId);
    const row = await this.liveResponse(actor, s, responseId);
    const exp = prepareLegacyExport(s.survey, { labels: options.labels ?? false, localTime: true, timeZone: await this.accounts.timeZone(actor.brandId) });
    // The writer's first row opens the document's object: closing it gives {"R_…":{…}}.
    const body = legacyWriter('JSON', exp).row(storedResponse(row, true));
    const values = (JSON.parse(`${body}}`) as Record<string, Record<string, string | number | null>>)[row.id] ?? {};
    return { ResponseID: row.id, ...values };
  }

  /** The response's stored embedded data, every field (the exports show only those the flow declares). */
  async embeddedData(actor: Actor, surveyId: string, responseId: string): Promise<Record<string, string>> {
    this.requireDownload(actor);
    const s = await this.survey(actor, surveyId);
    return parseEmbeddedData((await this.liveResponse(actor, s, responseId)).embedded);
  }

  /** getSingleResponseHTML: a complete, inert HTML page showing the response. */
  async singleResponseHtml(actor: Actor, surveyId: string, responseId: string): Promise<string> {
    this.requireDownload(actor);
    const s = await this.survey(actor, surveyId);
    const row = await this.liveResponse(actor, s, responseId);
    const timeZone = await this.accounts.timeZone(actor.brandId);
    const base = { localTime: true, timeZone };
    return singleResponseHtml({
      surveyName: s.name,
      survey: s.survey,
      recodes: prepareLegacyExport(s.survey, base),
      labels: prepareLegacyExport(s.survey, { ...base, labels: true }),
      response: storedResponse(row, true),
    });
  }

  // ---- changes --------------------------------------------------------------------------------

  /** updateResponseEmbeddedData: sets the given fields (an empty value removes one). */
  async updateEmbeddedData(actor: Actor, surveyId: string, responseId: string, fields: Record<string, string>): Promise<void> {
    const s = await this.survey(actor, surveyId);
    if (Object.keys(fields).length === 0) throw invalidParam('ED');
    const row = await this.liveResponse(actor, s, responseId);
    const embedded = parseEmbeddedData(row.embedded);
    for (const [k, v] of Object.entries(fields)) {
      const key = cleanField(k, ED_KEY_MAX);
      if (key === null) throw invalidParam('ED');
      const value = v.slice(0, ED_VALUE_MAX);
      if (value === '') delete embedded[key];
      else embedded[key] = value;
    }
    await responsesStore.updateEmbedded(this.db, actor.brandId, row.id, JSON.stringify(embedded), this.clock.now());
  }

  /** Insight addition deleteResponse: a soft delete (the row stays, deleted_at is set). */
  async deleteResponse(actor: Actor, surveyId: string, responseId: string): Promise<void> {
    const s = await this.survey(actor, surveyId);
    const ok = isId('R', responseId) && (await responsesStore.softDelete(this.db, actor.brandId, s.id, responseId, this.clock.now()));
    if (!ok) throw invalidParam('ResponseID');
  }

  /**
   * importResponses: every data row becomes a response with Status 4, all in one transaction
   * written in batches while the file is parsed. Any row that cannot be read refuses the whole
   * file (ESRV37 listing the first rows' errors) and nothing is stored.
   */
  async importResponses(actor: Actor, surveyId: string, csv: Buffer, options: ImportResponsesOptions = {}): Promise<ImportResponsesResult> {
    const s = await this.survey(actor, surveyId);
    const responseSetId = this.responseSet(options.responseSetId, 'ResponseSetID');
    const timeZone = await this.accounts.timeZone(actor.brandId);
    const now = this.clock.now();
    const rowOptions = { timeZone, decimalComma: options.decimalComma ?? false, ignoreValidation: options.ignoreValidation ?? false, now };
    const sourceParam = options.sourceParam ?? 'FileContents';
    try {
      return await this.db.transaction().execute(async (trx) => {
        const result: ImportResponsesResult = { count: 0, responseIds: [], unmatchedColumns: [] };
        const errors: string[] = [];
        let errorCount = 0;
        const head: string[][] = [];
        let plan: ReturnType<typeof planImport> | undefined;
        let line = 0;
        let batch: NewResponseRow[] = [];
        const take = async (record: string[]): Promise<void> => {
          line++;
          if (record.every((c) => c.trim() === '')) return;
          const r = importRow(plan!, record, rowOptions);
          if (!r.ok) {
            errorCount += r.errors.length;
            // Only the first few are reported; the rest are counted, not kept.
            for (const e of r.errors) if (errors.length < ERRORS_SHOWN) errors.push(`row ${line}, ${e}`);
            return;
          }
          if (errorCount > 0) return;
          const row = importedRow(actor.brandId, s.id, responseSetId, r.response, now);
          batch.push(row);
          result.responseIds.push(row.id);
          if (batch.length >= IMPORT_BATCH) {
            await responsesStore.insertMany(trx, batch);
            batch = [];
          }
        };
        for await (const record of csvRecords(csv, { delimiter: options.delimiter, quote: options.enclosure })) {
          if (plan) {
            await take(record);
            continue;
          }
          head.push(record);
          if (head.length < 3) continue;
          const headers = headerRowCount(head);
          plan = planImport(s.survey, head.slice(0, headers));
          line = headers;
          for (const rest of head.slice(headers)) await take(rest);
        }
        if (!plan) {
          if (head.length < 2) throw invalidParam(sourceParam);
          plan = planImport(s.survey, head.slice(0, 2));
          line = 2;
        }
        if (errorCount > 0) {
          const more = errorCount > errors.length ? ` (and ${errorCount - errors.length} more)` : '';
          throw conflict(`The file was not imported: ${errors.join('; ')}${more}.`);
        }
        await responsesStore.insertMany(trx, batch);
        result.count = result.responseIds.length;
        result.unmatchedColumns = plan.unmatched;
        return result;
      });
    } catch (error) {
      if (error instanceof ImportInputError) throw invalidParam(error.param === 'Body' ? sourceParam : error.param);
      throw error;
    }
  }

  // ---- counts ---------------------------------------------------------------------------------

  /** getResponseCountsBySurvey / getResponseCountsBase: responses by EndDate day range (inclusive, brand zone). */
  async counts(actor: Actor, req: CountsRequest): Promise<ResponseCounts> {
    const zone = await this.accounts.timeZone(actor.brandId);
    let surveyIds: string[] | undefined;
    if (req.surveyId !== undefined) surveyIds = [(await this.survey(actor, req.surveyId)).id];
    else if (!isBrandAdmin(actor)) surveyIds = (await this.surveys.listSurveys(actor)).map((x) => x.id);
    const from = this.date(req.startDate, zone, 'StartDate', false);
    const today = new Date(this.clock.now()).toLocaleDateString('en-CA', { timeZone: zone });
    const to = this.date(req.endDate ?? today, zone, 'EndDate', true);
    return responsesStore.counts(this.db, actor.brandId, surveyIds, from, to);
  }
}

// ---- rows -----------------------------------------------------------------------------------------

function emptyBatches(): AsyncIterable<StoredResponse[]> {
  return (async function* () {})();
}

/**
 * The filtered responses after `after` (at most `limit`), as StoredResponses in keyset batches. On
 * PostgreSQL the next batch is asked for before this one is handed over, so the database works on
 * it while the caller formats this one.
 */
async function* storedBatches(store: Store, f: ResponseFilter, after: number, limit: number, withDisplayed: boolean): AsyncGenerator<StoredResponse[]> {
  const fetch = (from: number, size: number): Promise<ExportTuple[]> => {
    const page = responsesStore.pageForExport(store, f, from, size);
    // Left unawaited if the caller stops early; its failure then has nobody to tell.
    page.catch(() => undefined);
    return page;
  };
  // On SQLite the read is synchronous: asking ahead would only hold two batches in memory.
  const ahead = store.dialect === 'postgres';
  let left = limit;
  let size = Math.min(BATCH, left);
  let next = size > 0 ? fetch(after, size) : undefined;
  while (next) {
    const rows = await next;
    next = undefined;
    left -= rows.length;
    const more = rows.length === size && left > 0;
    if (more) size = Math.min(BATCH, left);
    if (more && ahead) next = fetch((rows[rows.length - 1] as ExportTuple)[0], size);
    if (rows.length > 0) yield rows.map((r) => storedFromTuple(r, withDisplayed));
    if (more && !ahead) next = fetch((rows[rows.length - 1] as ExportTuple)[0], size);
  }
}

function storedResponse(r: ExportRow, withDisplayed: boolean): StoredResponse {
  return storedFromTuple(exportTuple(r), withDisplayed);
}

function storedFromTuple(t: ExportTuple, withDisplayed: boolean): StoredResponse {
  const [, id, responseSetId, status, finished, startDate, endDate, ipAddress, name, email, externalRef, latitude, longitude, accuracy, answers, embedded, displayed] = t;
  const out: StoredResponse = {
    responseId: id,
    responseSetId,
    name,
    externalRef,
    email,
    ipAddress,
    status,
    startDate,
    endDate,
    finished: finished === 1 ? 1 : 0,
    values: JSON.parse(answers) as StoredResponse['values'],
    embedded: JSON.parse(embedded) as StoredResponse['embedded'],
    // Only UnansweredRecode reads which questions were displayed.
    displayed: withDisplayed ? (JSON.parse(displayed) as string[]) : [],
  };
  if (latitude !== null || longitude !== null || accuracy !== null) {
    out.location = { latitude: latitude ?? '', longitude: longitude ?? '', accuracy: accuracy ?? '' };
  }
  return out;
}

/** An open session as an unfinished response: the answers of the questions shown so far. */
function sessionResponse(s: LoadedSurvey, r: OpenSessionRow): StoredResponse {
  const state = JSON.parse(r.state) as SessionState;
  const shown = new Set(state.displayedQuestions);
  const answers: Record<string, QuestionAnswer> = {};
  for (const [qid, a] of Object.entries(state.answers)) if (shown.has(qid)) answers[qid] = a;
  const parts = [r.last_name, r.first_name].filter((p): p is string => p !== null && p !== '');
  return {
    responseId: r.id,
    responseSetId: DEFAULT_RESPONSE_SET_ID,
    name: parts.length === 0 ? null : parts.join(', '),
    externalRef: r.external_ref,
    email: r.email,
    ipAddress: r.ip,
    status: 0,
    startDate: r.started_at,
    endDate: r.updated_at,
    finished: 0,
    values: storedValues(s.survey, answers, s.columns),
    embedded: state.embeddedData,
    displayed: state.displayedQuestions,
  };
}

function importedRow(brandId: string, surveyId: string, responseSetId: string, r: ImportedResponse, now: number): NewResponseRow {
  return {
    id: newId('R'), brand_id: brandId, survey_id: surveyId, response_set_id: responseSetId, status: IMPORTED_STATUS, finished: r.finished,
    start_date: r.startDate, end_date: r.endDate, ip_address: r.ipAddress, recipient_id: null, panel_id: null, distribution_id: null,
    name: r.name, email: r.email, external_ref: r.externalRef,
    location_latitude: r.location.latitude, location_longitude: r.location.longitude, location_accuracy: r.location.accuracy,
    session_id: null, answers_values: JSON.stringify(r.values), embedded: JSON.stringify(r.embedded), displayed: JSON.stringify(r.displayed),
    created_at: now, updated_at: now, deleted_at: null,
  };
}


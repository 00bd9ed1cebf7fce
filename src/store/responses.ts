import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { sqliteHandle, type Dialect, type Store } from './db.ts';
import type { Statement } from './group-commit.ts';
import type { Database, ResponsesTable } from './schema.ts';

export type ResponseRow = Selectable<ResponsesTable>;
/** A new response: `seq` is assigned by the database. */
export type NewResponseRow = Omit<ResponseRow, 'seq'>;
type Db = Kysely<Database> | Transaction<Database>;

/** Preview responses (Status 1) are kept but never counted as responses. */
export const PREVIEW_STATUS = 1;
/** Responses made by importResponses. */
export const IMPORTED_STATUS = 4;
/** Statuses that getResponseCounts* report as Generated (test and imported responses); the rest are Auditable. */
export const GENERATED_STATUSES = [2, IMPORTED_STATUS] as const;

/** What an export reads of a response (everything but the bookkeeping columns). */
export const EXPORT_COLUMNS = [
  'seq', 'id', 'response_set_id', 'status', 'finished', 'start_date', 'end_date', 'ip_address', 'name', 'email', 'external_ref',
  'location_latitude', 'location_longitude', 'location_accuracy', 'answers_values', 'embedded', 'displayed',
] as const satisfies readonly (keyof ResponseRow)[];
export type ExportRow = Pick<ResponseRow, (typeof EXPORT_COLUMNS)[number]>;
/** An export row as an array in EXPORT_COLUMNS order (see pageForExport). */
export type ExportTuple = RowTuple<typeof EXPORT_COLUMNS>;
type RowTuple<C extends readonly (keyof ResponseRow)[]> = { -readonly [I in keyof C]: C[I] extends keyof ResponseRow ? ResponseRow[C[I]] : never };

/** Which responses of one survey an export reads. Previews and deleted responses are never included. */
export interface ResponseFilter {
  brandId: string;
  surveyId: string;
  responseSetId?: string | undefined;
  /** EndDate bounds in epoch ms, both inclusive. */
  endFrom?: number | undefined;
  endTo?: number | undefined;
  panelId?: string | undefined;
  /** Only this response. */
  id?: string | undefined;
  /** Responses recorded up to this point of the export order (a stable set for multi-pass exports). */
  uptoSeq?: number | undefined;
  finished?: 0 | 1 | undefined;
}

export interface TablePageFilter {
  brandId: string;
  surveyId: string;
  before?: number | undefined;
  limit: number;
  endFrom?: number | undefined;
  endTo?: number | undefined;
  finished?: 0 | 1 | undefined;
  panelId?: string | undefined;
  search?: string | undefined;
}

/** A response's place in its survey, deleted ones included (LastResponseID may name one). */
export interface ResponsePosition {
  seq: number;
  status: number;
  deleted_at: number | null;
}

/** An open session as ResponsesInProgress exports it, with its panel member's fields. */
export interface OpenSessionRow {
  id: string;
  started_at: number;
  updated_at: number;
  ip: string | null;
  panel_id: string | null;
  state: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  external_ref: string | null;
}

export interface SessionFilter {
  brandId: string;
  surveyId: string;
  endFrom?: number | undefined;
  endTo?: number | undefined;
  panelId?: string | undefined;
  id?: string | undefined;
}

export interface ResponseCounts {
  auditable: number;
  generated: number;
  deleted: number;
}

/** Rows per multi-row INSERT: 26 columns × 400 stays under both dialects' bound-parameter limits. */
const INSERT_CHUNK = 400;

const COLUMNS = [
  'id', 'brand_id', 'survey_id', 'response_set_id', 'status', 'finished', 'start_date', 'end_date', 'ip_address',
  'recipient_id', 'panel_id', 'distribution_id', 'name', 'email', 'external_ref', 'location_latitude',
  'location_longitude', 'location_accuracy', 'session_id', 'answers_values', 'embedded', 'displayed',
  'created_at', 'updated_at', 'deleted_at',
] as const satisfies readonly (keyof NewResponseRow)[];

const INSERT_SQL = `INSERT INTO responses (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

/** Responses: the insert is a group-commit statement (it finishes a session); the rest are reads. */
export const responsesStore = {
  insert(row: NewResponseRow): Statement {
    return { sql: INSERT_SQL, params: COLUMNS.map((c) => row[c]) };
  },

  /** For callers outside the respondent hot path (imports, tests). */
  insertRow: (db: Db, row: Insertable<ResponsesTable>) => db.insertInto('responses').values(row).execute(),

  find: (db: Db, brandId: string, id: string) =>
    db.selectFrom('responses').selectAll().where('brand_id', '=', brandId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst(),

  findBySession: (db: Db, sessionId: string) => db.selectFrom('responses').selectAll().where('session_id', '=', sessionId).executeTakeFirst(),

  /** Whether the recipient already finished a response through this distribution. */
  finishedFor: async (db: Db, distributionId: string, recipientId: string): Promise<boolean> =>
    (await db
      .selectFrom('responses')
      .select('id')
      .where('distribution_id', '=', distributionId)
      .where('recipient_id', '=', recipientId)
      .where('finished', '=', 1)
      .where('deleted_at', 'is', null)
      .executeTakeFirst()) !== undefined,

  /** Responses of one survey, previews and deleted ones left out. */
  count: async (db: Db, brandId: string, surveyId: string): Promise<number> =>
    Number(
      (
        await db
          .selectFrom('responses')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('brand_id', '=', brandId)
          .where('survey_id', '=', surveyId)
          .where('status', '!=', PREVIEW_STATUS)
          .where('deleted_at', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    ),

  /** Counts for several surveys at once (lists); surveys without responses are absent. */
  async countBySurvey(db: Db, brandId: string, surveyIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (surveyIds.length === 0) return out;
    const rows = await db
      .selectFrom('responses')
      .select(['survey_id', sql<number | string>`count(*)`.as('n')])
      .where('brand_id', '=', brandId)
      .where('survey_id', 'in', surveyIds)
      .where('status', '!=', PREVIEW_STATUS)
      .where('deleted_at', 'is', null)
      .groupBy('survey_id')
      .execute();
    for (const r of rows) out.set(r.survey_id, Number(r.n));
    return out;
  },

  /** Inserts many responses in multi-row statements (imports, benchmarks); run it inside a transaction. */
  async insertMany(db: Db, rows: readonly NewResponseRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await db.insertInto('responses').values(rows.slice(i, i + INSERT_CHUNK)).execute();
  },

  /**
   * One keyset batch of an export: the filtered responses after `afterSeq`, in `seq` order, each as
   * an array in EXPORT_COLUMNS order. Served by the (survey_id, seq) index. On SQLite the EndDate
   * bounds are written `+end_date` so that the planner cannot pick the (brand, survey, end_date) index
   * instead, which would sort every matching row for every batch; PostgreSQL costs both plans itself.
   *
   * On SQLite the statement runs in better-sqlite3's raw mode on Kysely's connection (held for that
   * one synchronous call, so no transaction of another request can be open on it): building a
   * 17-property object per row costs as much as the rest of reading it. PostgreSQL's rows are only
   * rearranged.
   */
  async pageForExport(store: Store, f: ResponseFilter, afterSeq: number, limit: number): Promise<ExportTuple[]> {
    const query = exportPage(store.db, store.dialect, f, afterSeq, limit);
    const sqlite = sqliteHandle(store);
    if (!sqlite) return (await query.execute()).map(exportTuple);
    const { sql: text, parameters } = query.compile();
    return store.db.connection().execute(async () => {
      // The handle caches statements by SQL, and Kysely may run this same SQL in object mode.
      const stmt = sqlite.prepare(text).raw(true);
      try {
        return stmt.all(parameters) as ExportTuple[];
      } finally {
        stmt.raw(false);
      }
    });
  },

  /**
   * A page of the web table, newest first: keyset on seq, with the filters the table offers. The
   * text search looks through the stored answers and embedded data (LIKE, escaped).
   */
  pageForTable(db: Db, f: TablePageFilter): Promise<ExportRow[]> {
    let q = db
      .selectFrom('responses')
      .select(EXPORT_COLUMNS)
      .where('survey_id', '=', f.surveyId)
      .where('brand_id', '=', f.brandId)
      .where('status', '!=', PREVIEW_STATUS)
      .where('deleted_at', 'is', null);
    if (f.before !== undefined) q = q.where('seq', '<', f.before);
    if (f.endFrom !== undefined) q = q.where('end_date', '>=', f.endFrom);
    if (f.endTo !== undefined) q = q.where('end_date', '<=', f.endTo);
    if (f.finished !== undefined) q = q.where('finished', '=', f.finished);
    if (f.panelId !== undefined) q = q.where('panel_id', '=', f.panelId);
    if (f.search) {
      const like = `%${f.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) => eb.or([
        eb(sql`lower(answers_values)`, 'like', sql`${like} escape '\\'`),
        eb(sql`lower(embedded)`, 'like', sql`${like} escape '\\'`),
      ]));
    }
    return q.orderBy('seq', 'desc').limit(f.limit).execute();
  },

  /** The newest response's place in the export order (0 when there is none). */
  lastSeq: async (db: Db, brandId: string, surveyId: string): Promise<number> => {
    const row = await db.selectFrom('responses').select((eb) => eb.fn.max('seq').as('seq')).where('survey_id', '=', surveyId).where('brand_id', '=', brandId).executeTakeFirst();
    return Number(row?.seq ?? 0);
  },

  /** Where a response of this survey stands, deleted or preview ones included; undefined when it is not the survey's. */
  position: (db: Db, brandId: string, surveyId: string, id: string): Promise<ResponsePosition | undefined> =>
    db
      .selectFrom('responses')
      .select(['seq', 'status', 'deleted_at'])
      .where('id', '=', id)
      .where('brand_id', '=', brandId)
      .where('survey_id', '=', surveyId)
      .executeTakeFirst(),

  /** One live (not deleted) response of the survey, previews included. */
  findInSurvey: (db: Db, brandId: string, surveyId: string, id: string) =>
    db
      .selectFrom('responses')
      .selectAll()
      .where('id', '=', id)
      .where('brand_id', '=', brandId)
      .where('survey_id', '=', surveyId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst(),

  updateEmbedded: (db: Db, brandId: string, id: string, embedded: string, now: number) =>
    db.updateTable('responses').set({ embedded, updated_at: now }).where('brand_id', '=', brandId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst(),

  /** Marks the response deleted; false when it was already deleted or is not the survey's. */
  async softDelete(db: Db, brandId: string, surveyId: string, id: string, now: number): Promise<boolean> {
    const res = await db
      .updateTable('responses')
      .set({ deleted_at: now, updated_at: now })
      .where('brand_id', '=', brandId)
      .where('survey_id', '=', surveyId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  },

  /**
   * Auditable / Generated / Deleted responses whose EndDate falls in [from, to] (inclusive), previews
   * left out, for the given surveys (all of the brand's when `surveyIds` is undefined).
   */
  async counts(db: Db, brandId: string, surveyIds: readonly string[] | undefined, from: number, to: number): Promise<ResponseCounts> {
    if (surveyIds !== undefined && surveyIds.length === 0) return { auditable: 0, generated: 0, deleted: 0 };
    const generated = sql.join(GENERATED_STATUSES.map((s) => sql.lit(s)));
    let q = db
      .selectFrom('responses')
      .select([
        sql<number | string | null>`sum(case when deleted_at is null and status not in (${generated}) then 1 else 0 end)`.as('auditable'),
        sql<number | string | null>`sum(case when deleted_at is null and status in (${generated}) then 1 else 0 end)`.as('generated'),
        sql<number | string | null>`sum(case when deleted_at is not null then 1 else 0 end)`.as('deleted'),
      ])
      .where('brand_id', '=', brandId)
      .where('status', '!=', PREVIEW_STATUS)
      .where('end_date', '>=', from)
      .where('end_date', '<=', to);
    if (surveyIds !== undefined) q = q.where('survey_id', 'in', surveyIds);
    const row = await q.executeTakeFirstOrThrow();
    return { auditable: Number(row.auditable ?? 0), generated: Number(row.generated ?? 0), deleted: Number(row.deleted ?? 0) };
  },

  /** Whether the brand has this panel (a PanelID filter must name one). */
  panelInBrand: async (db: Db, brandId: string, panelId: string): Promise<boolean> =>
    (await db.selectFrom('panels').select('id').where('brand_id', '=', brandId).where('id', '=', panelId).executeTakeFirst()) !== undefined,

  /**
   * One keyset batch of the survey's open (in-progress) sessions, previews left out, ordered by
   * (started_at, id), with the panel member each personal link belongs to. The EndDate filter reads
   * the session's last activity, which is what its EndDate cell shows.
   */
  pageOpenSessions(db: Db, f: SessionFilter, after: { startedAt: number; id: string } | undefined, limit: number): Promise<OpenSessionRow[]> {
    let q = openSessions(db, f);
    if (after) {
      q = q.where((eb) =>
        eb.or([eb('s.started_at', '>', after.startedAt), eb.and([eb('s.started_at', '=', after.startedAt), eb('s.id', '>', after.id)])]),
      );
    }
    return q.orderBy('s.started_at').orderBy('s.id').limit(limit).execute();
  },

  /** An open, non-preview session of this survey (ResponseID / LastResponseID with ResponsesInProgress=1). */
  findOpenSession: (db: Db, brandId: string, surveyId: string, id: string) =>
    openSessions(db, { brandId, surveyId, id }).executeTakeFirst(),

  /** Every response of a survey in `seq` order (tests, small exports). */
  listBySurvey: (db: Db, brandId: string, surveyId: string) =>
    db.selectFrom('responses').selectAll().where('brand_id', '=', brandId).where('survey_id', '=', surveyId).orderBy('seq').execute(),
};

function exportPage(db: Db, dialect: Dialect, f: ResponseFilter, afterSeq: number, limit: number) {
  let q = db
    .selectFrom('responses')
    .select(EXPORT_COLUMNS)
    .where('survey_id', '=', f.surveyId)
    .where('seq', '>', afterSeq)
    .where('brand_id', '=', f.brandId)
    .where('status', '!=', PREVIEW_STATUS)
    .where('deleted_at', 'is', null);
  const end = dialect === 'sqlite' ? sql<number>`+end_date` : sql<number>`end_date`;
  if (f.endFrom !== undefined) q = q.where(end, '>=', f.endFrom);
  if (f.endTo !== undefined) q = q.where(end, '<=', f.endTo);
  if (f.responseSetId !== undefined) q = q.where('response_set_id', '=', f.responseSetId);
  if (f.panelId !== undefined) q = q.where('panel_id', '=', f.panelId);
  if (f.id !== undefined) q = q.where('id', '=', f.id);
  if (f.uptoSeq !== undefined) q = q.where('seq', '<=', f.uptoSeq);
  if (f.finished !== undefined) q = q.where('finished', '=', f.finished);
  return q.orderBy('seq').limit(limit);
}

/** An export row as pageForExport gives it. */
export function exportTuple(r: ExportRow): ExportTuple {
  return [
    r.seq, r.id, r.response_set_id, r.status, r.finished, r.start_date, r.end_date, r.ip_address, r.name, r.email, r.external_ref,
    r.location_latitude, r.location_longitude, r.location_accuracy, r.answers_values, r.embedded, r.displayed,
  ];
}

function openSessions(db: Db, f: SessionFilter) {
  let q = db
    .selectFrom('survey_sessions as s')
    .leftJoin('panel_members as m', (j) => j.onRef('m.id', '=', 's.recipient_id').onRef('m.brand_id', '=', 's.brand_id'))
    .select(['s.id', 's.started_at', 's.updated_at', 's.ip', 's.panel_id', 's.state', 'm.first_name', 'm.last_name', 'm.email', 'm.external_ref'])
    .where('s.survey_id', '=', f.surveyId)
    .where('s.brand_id', '=', f.brandId)
    .where('s.status', '=', 'open')
    .where('s.mode', '!=', 'preview');
  if (f.endFrom !== undefined) q = q.where('s.updated_at', '>=', f.endFrom);
  if (f.endTo !== undefined) q = q.where('s.updated_at', '<=', f.endTo);
  if (f.panelId !== undefined) q = q.where('s.panel_id', '=', f.panelId);
  if (f.id !== undefined) q = q.where('s.id', '=', f.id);
  return q;
}

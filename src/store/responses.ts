import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Statement } from './group-commit.ts';
import type { Database, ResponsesTable } from './schema.ts';

export type ResponseRow = Selectable<ResponsesTable>;
/** A new response: `seq` is assigned by the database. */
export type NewResponseRow = Omit<ResponseRow, 'seq'>;
type Db = Kysely<Database> | Transaction<Database>;

/** Preview responses (Status 1) are kept but never counted as responses. */
export const PREVIEW_STATUS = 1;

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

  /** Every response of a survey in `seq` order (tests, small exports). */
  listBySurvey: (db: Db, brandId: string, surveyId: string) =>
    db.selectFrom('responses').selectAll().where('brand_id', '=', brandId).where('survey_id', '=', surveyId).orderBy('seq').execute(),
};

import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import { preparedRead } from './db.ts';
import type { Database, SurveySharesTable, SurveysTable } from './schema.ts';

export type SurveyRow = Selectable<SurveysTable>;
export type SurveyShareRow = Selectable<SurveySharesTable>;
/** A survey with its owner's names, for lists; the QSF text is left out (it can be 50 MB). */
export type SurveyListRow = Omit<SurveyRow, 'qsf'> & { owner_first_name: string | null; owner_last_name: string | null };
type Db = Kysely<Database> | Transaction<Database>;

const LIST_COLUMNS = [
  'surveys.id',
  'surveys.brand_id',
  'surveys.owner_id',
  'surveys.name',
  'surveys.description',
  'surveys.status',
  'surveys.created_at',
  'surveys.modified_at',
  'surveys.last_activated_at',
  'surveys.start_date',
  'surveys.expiration_date',
  'surveys.deleted_at',
] as const;

/** The survey is shared with the user directly or with one of the user's groups. */
function sharedWith(eb: ExpressionBuilder<Database, 'surveys'>, brandId: string, userId: string) {
  return eb.exists(
    eb
      .selectFrom('survey_shares')
      .select('survey_shares.survey_id')
      .whereRef('survey_shares.survey_id', '=', 'surveys.id')
      .where('survey_shares.brand_id', '=', brandId)
      .where((s) =>
        s.or([
          s('survey_shares.user_id', '=', userId),
          s(
            'survey_shares.group_id',
            'in',
            s.selectFrom('group_members').select('group_members.group_id').where('group_members.brand_id', '=', brandId).where('group_members.user_id', '=', userId),
          ),
        ]),
      ),
  );
}

/** What the respondent engine checks on every page: the survey row without its QSF text. */
export type SurveyHeadRow = Pick<SurveyRow, 'id' | 'brand_id' | 'owner_id' | 'name' | 'status' | 'modified_at' | 'start_date' | 'expiration_date' | 'deleted_at'>;

// Read on every respondent page: compiled once.
const headById = preparedRead((db, id: string) =>
  db
    .selectFrom('surveys')
    .select(['id', 'brand_id', 'owner_id', 'name', 'status', 'modified_at', 'start_date', 'expiration_date', 'deleted_at'])
    .where('id', '=', id),
);

/** Queries over surveys and their shares. Deleted surveys are invisible to every read here. */
export const surveysStore = {
  insert: (db: Db, row: SurveyRow) => db.insertInto('surveys').values(row).execute(),

  /**
   * A survey by ID alone, deleted ones included (deleted_at tells): survey links carry no brand.
   * The caller checks the brand wherever one is known.
   */
  head: async (db: Db, id: string): Promise<SurveyHeadRow | undefined> => (await headById(db, id)).at(0),

  /** The QSF text of a survey by ID (the respondent engine's cache loads it once per modification). */
  qsfById: async (db: Db, id: string): Promise<string | undefined> =>
    (await db.selectFrom('surveys').select('qsf').where('id', '=', id).executeTakeFirst())?.qsf,

  /** A live survey of the brand, with its QSF text. */
  find: (db: Db, brandId: string, id: string) =>
    db.selectFrom('surveys').selectAll().where('brand_id', '=', brandId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst(),

  isSharedWith: async (db: Db, brandId: string, surveyId: string, userId: string) =>
    (await db
      .selectFrom('surveys')
      .select('surveys.id')
      .where('surveys.id', '=', surveyId)
      .where((eb) => sharedWith(eb, brandId, userId))
      .executeTakeFirst()) !== undefined,

  /** Surveys the user owns or that are shared with them, oldest first. */
  listVisible: (db: Db, brandId: string, userId: string): Promise<SurveyListRow[]> =>
    db
      .selectFrom('surveys')
      .leftJoin('users', (j) => j.onRef('users.id', '=', 'surveys.owner_id').onRef('users.brand_id', '=', 'surveys.brand_id'))
      .select([...LIST_COLUMNS, 'users.first_name as owner_first_name', 'users.last_name as owner_last_name'])
      .where('surveys.brand_id', '=', brandId)
      .where('surveys.deleted_at', 'is', null)
      .where((eb) => eb.or([eb('surveys.owner_id', '=', userId), sharedWith(eb, brandId, userId)]))
      .orderBy('surveys.created_at')
      .orderBy('surveys.id')
      .execute(),

  countActive: async (db: Db, brandId: string) =>
    Number(
      (
        await db
          .selectFrom('surveys')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('brand_id', '=', brandId)
          .where('status', '=', 'Active')
          .where('deleted_at', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    ),

  update: (db: Db, brandId: string, id: string, patch: Partial<Pick<SurveyRow, 'status' | 'modified_at' | 'last_activated_at' | 'deleted_at'>>) =>
    db.updateTable('surveys').set(patch).where('brand_id', '=', brandId).where('id', '=', id).execute(),

  insertShare: (db: Db, row: SurveyShareRow) => db.insertInto('survey_shares').values(row).execute(),

  findShare: (db: Db, surveyId: string, userId: string | null, groupId: string | null) =>
    db
      .selectFrom('survey_shares')
      .select('survey_id')
      .where('survey_id', '=', surveyId)
      .where('user_id', userId === null ? 'is' : '=', userId)
      .where('group_id', groupId === null ? 'is' : '=', groupId)
      .executeTakeFirst(),
};

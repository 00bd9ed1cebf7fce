import { PostgresAdapter, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the schema of their own time
type Db = Kysely<any>;

/**
 * Respondents: a session (`FS_…`) is one pass through a survey, kept as the engine's JSON state with
 * a version for optimistic concurrency; it becomes a response (`R_…`) when it ends or when its
 * partial-data deadline passes. Responses carry `seq`, an ever-growing number that orders exports
 * and LastResponseID paging (IDs are random). Distributions are minimal here: what a personal link
 * needs (the distributions issue adds the mailing columns).
 */
export async function up(db: Db): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;

  await db.schema
    .createTable('survey_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('survey_id', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('distribution_id', 'text')
    .addColumn('recipient_id', 'text')
    .addColumn('panel_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('page_shown_at', 'bigint')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('response_id', 'text')
    .execute();
  await db.schema.createIndex('survey_sessions_expiry').on('survey_sessions').columns(['survey_id', 'status', 'expires_at']).execute();
  // The sweep looks for open sessions past their deadline across all surveys.
  await db.schema.createIndex('survey_sessions_open_expiry').on('survey_sessions').columns(['status', 'expires_at']).execute();
  await db.schema.createIndex('survey_sessions_recipient').on('survey_sessions').columns(['distribution_id', 'recipient_id']).execute();

  // seq is the row's own key on SQLite (the table is stored in seq order), an identity on PostgreSQL.
  let responses = db.schema.createTable('responses');
  responses = postgres
    ? responses.addColumn('seq', 'bigint', (c) => c.generatedByDefaultAsIdentity().primaryKey())
    : responses.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
  await responses
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('survey_id', 'text', (c) => c.notNull())
    .addColumn('response_set_id', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('finished', 'integer', (c) => c.notNull())
    .addColumn('start_date', 'bigint', (c) => c.notNull())
    .addColumn('end_date', 'bigint', (c) => c.notNull())
    .addColumn('ip_address', 'text')
    .addColumn('recipient_id', 'text')
    .addColumn('panel_id', 'text')
    .addColumn('distribution_id', 'text')
    .addColumn('name', 'text')
    .addColumn('email', 'text')
    .addColumn('external_ref', 'text')
    .addColumn('location_latitude', 'text')
    .addColumn('location_longitude', 'text')
    .addColumn('location_accuracy', 'text')
    .addColumn('session_id', 'text', (c) => c.unique())
    .addColumn('answers_values', 'text', (c) => c.notNull())
    .addColumn('embedded', 'text', (c) => c.notNull())
    .addColumn('displayed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema.createIndex('responses_survey_seq').on('responses').columns(['survey_id', 'seq']).execute();
  await db.schema.createIndex('responses_survey_end').on('responses').columns(['brand_id', 'survey_id', 'end_date']).execute();
  await db.schema.createIndex('responses_recipient').on('responses').columns(['distribution_id', 'recipient_id']).execute();

  await db.schema
    .createTable('distributions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('survey_id', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('panel_id', 'text')
    .addColumn('recipient_id', 'text')
    .addColumn('link_type', 'text', (c) => c.notNull())
    .addColumn('expiration_date', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('distributions_survey').on('distributions').columns(['brand_id', 'survey_id']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('distributions').ifExists().execute();
  await db.schema.dropTable('responses').ifExists().execute();
  await db.schema.dropTable('survey_sessions').ifExists().execute();
}

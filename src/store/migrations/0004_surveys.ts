import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the schema of their own time
type Db = Kysely<any>;

/**
 * Surveys keep the imported QSF text verbatim (lossless export); the columns beside it are what
 * lists and the lifecycle need without parsing it. A deleted survey keeps its row (deleted_at) so
 * that its ID stays unknown (ESRV18) rather than reusable. Shares grant a user or a group access.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('surveys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('qsf', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('modified_at', 'bigint', (c) => c.notNull())
    .addColumn('last_activated_at', 'bigint')
    .addColumn('start_date', 'bigint')
    .addColumn('expiration_date', 'bigint')
    .addColumn('deleted_at', 'bigint')
    .execute();
  await db.schema.createIndex('surveys_owner').on('surveys').columns(['brand_id', 'owner_id']).execute();
  await db.schema.createIndex('surveys_status').on('surveys').columns(['brand_id', 'status']).execute();

  // Exactly one of user_id / group_id is set.
  await db.schema
    .createTable('survey_shares')
    .addColumn('survey_id', 'text', (c) => c.notNull().references('surveys.id').onDelete('cascade'))
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('group_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('survey_shares_survey').on('survey_shares').columns(['survey_id']).execute();
  await db.schema.createIndex('survey_shares_user').on('survey_shares').columns(['brand_id', 'user_id']).execute();
  await db.schema.createIndex('survey_shares_group').on('survey_shares').columns(['brand_id', 'group_id']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('survey_shares').ifExists().execute();
  await db.schema.dropTable('surveys').ifExists().execute();
}

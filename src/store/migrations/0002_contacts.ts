import { PostgresAdapter, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the schema of their own time
type Db = Kysely<any>;

/**
 * Panels (ControlPanel contact lists) and their members, library messages, the Contacts product's
 * brand-wide directory with its lists, and the job table that background work (imports, mail,
 * webhooks) is claimed from.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('panels')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('library_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('panels_library').on('panels').columns(['brand_id', 'library_id']).execute();

  // `position` orders members as they were added (CSV order for imports) and is the paging key.
  await db.schema
    .createTable('panel_members')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('panel_id', 'text', (c) => c.notNull().references('panels.id').onDelete('cascade'))
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('email', 'text')
    .addColumn('external_ref', 'text')
    .addColumn('language', 'text')
    .addColumn('unsubscribed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('embedded_data', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('panel_members_order').on('panel_members').columns(['panel_id', 'position']).unique().execute();
  await db.schema.createIndex('panel_members_email').on('panel_members').columns(['panel_id', 'email']).execute();

  await db.schema
    .createTable('library_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('library_id', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('library_messages_library').on('library_messages').columns(['brand_id', 'library_id', 'category']).execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('email', 'text')
    .addColumn('external_ref', 'text')
    .addColumn('language', 'text')
    .addColumn('unsubscribed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('embedded_data', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('contacts_brand_id').on('contacts').columns(['brand_id', 'id']).execute();
  await db.schema.createIndex('contacts_brand_email').on('contacts').columns(['brand_id', 'email']).execute();
  await db.schema.createIndex('contacts_brand_ref').on('contacts').columns(['brand_id', 'external_ref']).execute();
  await db.schema.createIndex('contacts_brand_updated').on('contacts').columns(['brand_id', 'updated_at']).execute();

  await db.schema
    .createTable('contact_lists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull().references('brands.id').onDelete('cascade'))
    .addColumn('library_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('contact_lists_library').on('contact_lists').columns(['brand_id', 'library_id']).execute();

  await db.schema
    .createTable('contact_list_members')
    .addColumn('list_id', 'text', (c) => c.notNull().references('contact_lists.id').onDelete('cascade'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('position', 'bigint', (c) => c.notNull())
    .addColumn('added_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_list_members_pk', ['list_id', 'contact_id'])
    .execute();
  await db.schema.createIndex('contact_list_members_order').on('contact_list_members').columns(['list_id', 'position']).unique().execute();
  await db.schema.createIndex('contact_list_members_contact').on('contact_list_members').column('contact_id').execute();

  // Background work. A job is claimed by setting locked_by/locked_until in one UPDATE … RETURNING
  // (FOR UPDATE SKIP LOCKED on PostgreSQL); an expired lease makes it claimable again.
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('progress', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('total', 'bigint')
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('locked_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_at']).execute();
  // Large import payloads (a CSV of many MB) live beside the job row, written once.
  await db.schema
    .createTable('job_blobs')
    .addColumn('job_id', 'text', (c) => c.primaryKey().references('jobs.id').onDelete('cascade'))
    .addColumn('data', db.getExecutor().adapter instanceof PostgresAdapter ? 'bytea' : 'blob', (c) => c.notNull())
    .execute();
}

export async function down(db: Db): Promise<void> {
  for (const t of ['job_blobs', 'jobs', 'contact_list_members', 'contact_lists', 'contacts', 'library_messages', 'panel_members', 'panels']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}

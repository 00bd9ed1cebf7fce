import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the schema of their own time
type Db = Kysely<any>;

/**
 * Mailed distributions. The distribution row gains what an invitation or reminder needs (sender,
 * subject, message, schedule, status); every recipient of a mailing gets a row of its own, which is
 * the unit of exactly-once sending (queued → sending → sent | failed | skipped) and of tracking
 * (opened, bounced). The outbox holds the mail of an installation without SMTP.
 */
export async function up(db: Db): Promise<void> {
  const columns: [string, 'text' | 'bigint' | 'integer'][] = [
    ['parent_id', 'text'],
    ['request_type', 'text'],
    ['description', 'text'],
    ['status', 'text'],
    ['send_date', 'bigint'],
    ['from_email', 'text'],
    ['from_name', 'text'],
    ['sent_from_address', 'text'],
    ['subject', 'text'],
    ['message_library_id', 'text'],
    ['message_id', 'text'],
    ['recipient_library_id', 'text'],
    ['job_id', 'text'],
    ['approx_emails', 'integer'],
    ['materialized', 'integer'],
    ['cancelled_at', 'bigint'],
    ['modified_at', 'bigint'],
  ];
  for (const [name, type] of columns) await db.schema.alterTable('distributions').addColumn(name, type).execute();
  await db.schema.createIndex('distributions_panel').on('distributions').columns(['brand_id', 'panel_id']).execute();

  await db.schema
    .createTable('distribution_recipients')
    .addColumn('distribution_id', 'text', (c) => c.notNull())
    .addColumn('recipient_id', 'text', (c) => c.notNull())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('mail_message_id', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('claimed_by', 'text')
    .addColumn('sent_at', 'bigint')
    .addColumn('failed_at', 'bigint')
    .addColumn('bounced_at', 'bigint')
    .addColumn('opened_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('distribution_recipients_pk', ['distribution_id', 'recipient_id'])
    .execute();
  await db.schema.createIndex('distribution_recipients_status').on('distribution_recipients').columns(['distribution_id', 'status', 'position']).execute();
  await db.schema.createIndex('distribution_recipients_member').on('distribution_recipients').columns(['brand_id', 'recipient_id']).execute();

  await db.schema
    .createTable('mail_outbox')
    .addColumn('mail_message_id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('distribution_id', 'text')
    .addColumn('recipient_id', 'text')
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('from_address', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('html', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('mail_outbox_brand').on('mail_outbox').columns(['brand_id', 'created_at']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('mail_outbox').ifExists().execute();
  await db.schema.dropTable('distribution_recipients').ifExists().execute();
  await db.schema.dropIndex('distributions_panel').ifExists().execute();
}

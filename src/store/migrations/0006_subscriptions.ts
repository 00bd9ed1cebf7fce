import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the schema of their own time
type Db = Kysely<any>;

/**
 * Event subscriptions (`SUB_…`): where a brand's events are POSTed. Each topic pattern is a row of
 * its own so that an event finds its subscriptions by equality on an index (domain/topics.ts). The
 * shared key is kept as given: it is needed in clear to sign (HMAC) and encrypt each delivery.
 * Every delivery attempt is logged (`webhook_deliveries`), keyed by job and attempt number.
 */
export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('publication_url', 'text', (c) => c.notNull())
    .addColumn('topics', 'text', (c) => c.notNull())
    .addColumn('encrypt', 'integer', (c) => c.notNull())
    .addColumn('shared_key', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('subscriptions_brand').on('subscriptions').columns(['brand_id', 'created_at']).execute();

  await db.schema
    .createTable('subscription_topics')
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('pattern', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('subscription_topics_pk', ['subscription_id', 'pattern'])
    .execute();
  await db.schema.createIndex('subscription_topics_match').on('subscription_topics').columns(['brand_id', 'pattern']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('brand_id', 'text', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_subscription').on('webhook_deliveries').columns(['subscription_id', 'created_at']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('subscription_topics').execute();
  await db.schema.dropTable('subscriptions').execute();
}

import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Statement } from './group-commit.ts';
import type { Database, SubscriptionsTable, WebhookDeliveriesTable } from './schema.ts';

export type SubscriptionRow = Selectable<SubscriptionsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
type Db = Kysely<Database>;

/** The job kind of one delivery of one event to one subscription. */
export const WEBHOOK_JOB = 'webhook-delivery';

/**
 * The outbox statement of one event: a queued delivery job for each subscription of the brand with
 * a pattern among `patterns`, in one INSERT … SELECT. Written inside the same atomic write as the
 * change it reports (the response, the status change), it cannot be lost or invented: a subscription
 * created by any process before the write commits is seen. Job ids are `<jobPrefix>_<SUB_…>`, the
 * payload `<payloadHead><SUB_…>"}`. Numbers are CAST so PostgreSQL types the SELECT's parameters.
 */
export function eventJobsStatement(e: { brandId: string; patterns: string[]; jobPrefix: string; payloadHead: string; now: number }): Statement {
  const marks = e.patterns.map(() => '?').join(', ');
  return {
    sql:
      `INSERT INTO jobs (id, brand_id, kind, payload, status, run_at, created_at, updated_at) ` +
      `SELECT ? || s.id, s.brand_id, ?, ? || s.id || ?, 'queued', CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) FROM subscriptions s ` +
      `WHERE s.brand_id = ? AND s.id IN (SELECT subscription_id FROM subscription_topics WHERE brand_id = ? AND pattern IN (${marks}))`,
    params: [`${e.jobPrefix}_`, WEBHOOK_JOB, e.payloadHead, '"}', e.now, e.now, e.now, e.brandId, e.brandId, ...e.patterns],
  };
}

export const subscriptionsStore = {
  async insert(db: Db, row: SubscriptionRow, patterns: string[]): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('subscriptions').values(row).execute();
      await trx.insertInto('subscription_topics').values(patterns.map((pattern) => ({ subscription_id: row.id, brand_id: row.brand_id, pattern }))).execute();
    });
  },

  /** The brand's subscriptions, oldest first; only the owner's when ownerId is given. */
  list(db: Db, brandId: string, ownerId?: string): Promise<SubscriptionRow[]> {
    let q = db.selectFrom('subscriptions').selectAll().where('brand_id', '=', brandId);
    if (ownerId !== undefined) q = q.where('owner_id', '=', ownerId);
    return q.orderBy('created_at').orderBy('id').execute();
  },

  find: (db: Db, brandId: string, id: string) => db.selectFrom('subscriptions').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),
  /** Any brand's: the delivery worker reads the subscription its job names. */
  findById: (db: Db, id: string) => db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst(),

  async delete(db: Db, brandId: string, id: string): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('subscription_topics').where('subscription_id', '=', id).where('brand_id', '=', brandId).execute();
      await trx.deleteFrom('subscriptions').where('id', '=', id).where('brand_id', '=', brandId).execute();
    });
  },

  insertDelivery: (db: Db, row: Insertable<WebhookDeliveriesTable>) => db.insertInto('webhook_deliveries').values(row).execute(),

  /** The latest attempts first. */
  deliveries: (db: Db, brandId: string, subscriptionId: string, limit: number) =>
    db.selectFrom('webhook_deliveries').selectAll().where('brand_id', '=', brandId).where('subscription_id', '=', subscriptionId)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute(),

  /** Deliveries of the subscription still waiting in the job table (queued or running); job ids end in the SUB_ id. */
  async waiting(db: Db, brandId: string, subscriptionId: string): Promise<number> {
    const r = await db.selectFrom('jobs').select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('brand_id', '=', brandId).where('kind', '=', WEBHOOK_JOB).where('id', 'like', `%${subscriptionId}`)
      .where('status', 'in', ['queued', 'running']).executeTakeFirst();
    return Number(r?.n ?? 0);
  },
};

import { sql, type Insertable, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { Database, DistributionRecipientsTable, DistributionsTable, MailOutboxTable } from './schema.ts';

export type DistributionRow = Selectable<DistributionsTable>;
export type DistributionRecipientRow = Selectable<DistributionRecipientsTable>;
export type OutboxRow = Selectable<MailOutboxTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** Per-distribution tallies of the recipient rows. */
export interface RecipientCounts {
  total: number;
  queued: number;
  sending: number;
  sent: number;
  failed: number;
  skipped: number;
  bounced: number;
  opened: number;
}

/** Who a mailing goes to, resolved when its job first runs. */
export type RecipientSource =
  | { kind: 'panel'; panelId: string; recipientId?: string }
  /** A reminder: the parent's invited recipients who have not finished. */
  | { kind: 'reminder'; parentId: string; parentMailed: boolean; panelId: string; recipientId?: string };

const text = (v: string) => sql`cast(${v} as text)`;

/** Distributions and their recipients. Every read names the brand, except the link and job lookups that check it after. */
export const distributionsStore = {
  insert: (db: Db, row: Insertable<DistributionsTable>) => db.insertInto('distributions').values(row).execute(),

  find: (db: Db, brandId: string, id: string) =>
    db.selectFrom('distributions').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  /** Looked up from a personal link, before the brand is known: the caller checks the survey and brand. */
  findById: (db: Db, id: string) => db.selectFrom('distributions').selectAll().where('id', '=', id).executeTakeFirst(),

  /** The library a panel of the brand is in (a distribution's creator must be able to use it). */
  panelLibrary: async (db: Db, brandId: string, panelId: string): Promise<string | undefined> =>
    (await db.selectFrom('panels').select('library_id').where('brand_id', '=', brandId).where('id', '=', panelId).executeTakeFirst())?.library_id,

  async update(db: Db, id: string, set: Updateable<DistributionsTable>, onlyStatus?: string): Promise<boolean> {
    let q = db.updateTable('distributions').set(set).where('id', '=', id);
    if (onlyStatus !== undefined) q = q.where('status', '=', onlyStatus);
    return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
  },

  /** A survey's distributions, optionally of one panel, oldest first. */
  listForSurvey(db: Db, brandId: string, surveyId: string, panelId?: string): Promise<DistributionRow[]> {
    let q = db.selectFrom('distributions').selectAll().where('brand_id', '=', brandId).where('survey_id', '=', surveyId);
    if (panelId !== undefined) q = q.where('panel_id', '=', panelId);
    return q.orderBy('created_at').orderBy('id').execute();
  },

  /**
   * Writes one row per recipient in a single INSERT … SELECT: unsubscribed members and members
   * without an address are 'skipped' from the start. The Message-ID is fixed here, once, so that
   * a retried send carries the same one.
   */
  async materialize(db: Db, dist: DistributionRow, source: RecipientSource, mailHost: string, now: number): Promise<void> {
    const skip = sql`case when m.unsubscribed = 1 then 'skipped' when m.email is null or m.email = '' then 'skipped' else 'queued' end`;
    const why = sql`case when m.unsubscribed = 1 then 'unsubscribed' when m.email is null or m.email = '' then 'no address' else null end`;
    const select = sql`select ${text(dist.id)}, m.id, m.brand_id, m.position, m.email, ${skip}, '<' || ${text(dist.id)} || '.' || m.id || '@' || ${text(mailHost)} || '>',
        0, ${why}, null, null, null, null, null, ${now}`;
    const only = (alias: string, recipientId?: string) => (recipientId === undefined ? sql`` : sql`and ${sql.ref(`${alias}.id`)} = ${recipientId}`);
    let from;
    if (source.kind === 'panel' || !source.parentMailed) {
      const finishedFilter =
        source.kind === 'reminder'
          ? sql`and not exists (select 1 from responses r where r.distribution_id = ${source.parentId} and r.recipient_id = m.id and r.finished = 1 and r.deleted_at is null)`
          : sql``;
      from = sql`from panel_members m where m.brand_id = ${dist.brand_id} and m.panel_id = ${source.panelId} ${only('m', source.recipientId)} ${finishedFilter}`;
    } else {
      from = sql`from distribution_recipients p join panel_members m on m.id = p.recipient_id and m.brand_id = p.brand_id
        where p.distribution_id = ${source.parentId} and p.status = 'sent'
          and not exists (select 1 from responses r where r.distribution_id = ${source.parentId} and r.recipient_id = m.id and r.finished = 1 and r.deleted_at is null)`;
    }
    await sql`insert into distribution_recipients (distribution_id, recipient_id, brand_id, position, email, status, mail_message_id,
        attempts, error, claimed_by, sent_at, failed_at, bounced_at, opened_at, updated_at) ${select} ${from}`.execute(db);
  },

  /** Moves up to `limit` queued recipients to 'sending' for this worker, in position order. */
  async claim(db: Db, distributionId: string, worker: string, limit: number, now: number): Promise<DistributionRecipientRow[]> {
    const ids = await db
      .selectFrom('distribution_recipients')
      .select('recipient_id')
      .where('distribution_id', '=', distributionId)
      .where('status', '=', 'queued')
      .orderBy('position')
      .limit(limit)
      .execute();
    if (ids.length === 0) return [];
    return db
      .updateTable('distribution_recipients')
      .set({ status: 'sending', claimed_by: worker, attempts: sql`attempts + 1`, updated_at: now })
      .where('distribution_id', '=', distributionId)
      .where('status', '=', 'queued')
      .where('recipient_id', 'in', ids.map((r) => r.recipient_id))
      .returningAll()
      .execute();
  },

  /** Rows a dead worker left in 'sending'. */
  stranded: (db: Db, distributionId: string) =>
    db.selectFrom('distribution_recipients').selectAll().where('distribution_id', '=', distributionId).where('status', '=', 'sending').execute(),

  async setStatus(db: Db, distributionId: string, recipientIds: string[], set: Updateable<DistributionRecipientsTable>, fromStatus = 'sending'): Promise<void> {
    for (let i = 0; i < recipientIds.length; i += 500) {
      await db
        .updateTable('distribution_recipients')
        .set(set)
        .where('distribution_id', '=', distributionId)
        .where('status', '=', fromStatus)
        .where('recipient_id', 'in', recipientIds.slice(i, i + 500))
        .execute();
    }
  },

  recipient: (db: Db, distributionId: string, recipientId: string) =>
    db.selectFrom('distribution_recipients').selectAll().where('distribution_id', '=', distributionId).where('recipient_id', '=', recipientId).executeTakeFirst(),

  recipientsPage: (db: Db, distributionId: string, afterPosition: number, limit: number) =>
    db
      .selectFrom('distribution_recipients')
      .selectAll()
      .where('distribution_id', '=', distributionId)
      .where('position', '>', afterPosition)
      .orderBy('position')
      .limit(limit)
      .execute(),

  /** The first open of a recipient's e-mail (later ones change nothing). */
  markOpened: (db: Db, distributionId: string, recipientId: string, now: number) =>
    db
      .updateTable('distribution_recipients')
      .set({ opened_at: now, updated_at: now })
      .where('distribution_id', '=', distributionId)
      .where('recipient_id', '=', recipientId)
      .where('opened_at', 'is', null)
      .execute(),

  async counts(db: Db, distributionId: string): Promise<RecipientCounts> {
    const rows = await db
      .selectFrom('distribution_recipients')
      .select((eb) => ['status', eb.fn.countAll().as('n'), eb.fn.count('opened_at').as('opened'), eb.fn.count('bounced_at').as('bounced')])
      .where('distribution_id', '=', distributionId)
      .groupBy('status')
      .execute();
    const c: RecipientCounts = { total: 0, queued: 0, sending: 0, sent: 0, failed: 0, skipped: 0, bounced: 0, opened: 0 };
    for (const r of rows) {
      const n = Number(r.n);
      c.total += n;
      if (r.status in c) c[r.status as 'queued' | 'sending' | 'sent' | 'failed' | 'skipped'] += n;
      c.opened += Number(r.opened);
      c.bounced += Number(r.bounced);
    }
    return c;
  },

  /** Recipients who answered (any response) and who finished, through the given (link) distribution; `among` limits to a reminder's recipients. */
  async responseCounts(db: Db, linkDistributionId: string, among?: string): Promise<{ responded: number; finished: number }> {
    let q = db
      .selectFrom('responses as r')
      .select((eb) => [eb.fn.count('r.recipient_id').distinct().as('responded'), eb.fn.sum(eb.case().when('r.finished', '=', 1).then(1).else(0).end()).as('finished')])
      .where('r.distribution_id', '=', linkDistributionId)
      .where('r.deleted_at', 'is', null)
      .where('r.status', '=', 0);
    if (among !== undefined) {
      q = q.where('r.recipient_id', 'in', (eb) => eb.selectFrom('distribution_recipients').select('recipient_id').where('distribution_id', '=', among));
    }
    const row = await q.executeTakeFirst();
    return { responded: Number(row?.responded ?? 0), finished: Number(row?.finished ?? 0) };
  },
};

/** The mail of an installation without SMTP. */
export const outboxStore = {
  insert: (db: Db, row: OutboxRow) => db.insertInto('mail_outbox').values(row).onConflict((oc) => oc.column('mail_message_id').doNothing()).execute(),
  has: async (db: Db, mailMessageIds: string[]): Promise<Set<string>> => {
    if (mailMessageIds.length === 0) return new Set();
    const rows = await db.selectFrom('mail_outbox').select('mail_message_id').where('mail_message_id', 'in', mailMessageIds).execute();
    return new Set(rows.map((r) => r.mail_message_id));
  },
  list: (db: Db, brandId: string, limit: number) =>
    db.selectFrom('mail_outbox').selectAll().where('brand_id', '=', brandId).orderBy('created_at', 'desc').orderBy('mail_message_id').limit(limit).execute(),
  find: (db: Db, brandId: string, mailMessageId: string) =>
    db.selectFrom('mail_outbox').selectAll().where('brand_id', '=', brandId).where('mail_message_id', '=', mailMessageId).executeTakeFirst(),
  count: async (db: Db, brandId: string) =>
    Number((await db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll().as('n')).where('brand_id', '=', brandId).executeTakeFirstOrThrow()).n),
};

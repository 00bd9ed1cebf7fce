import { sql, type Insertable, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely';
import type { Database, DistributionRecipientsTable, DistributionsTable, MailOutboxTable } from './schema.ts';
import type { Statement } from './group-commit.ts';

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

/**
 * A recipient row's status in an UPDATE that names its rows by primary key. Written as an
 * expression so that SQLite's planner takes the primary key: given the bare column, it picks the
 * (distribution_id, status) index and walks every row of that status (for a claim, every queued
 * recipient of the mailing) to find the few named. PostgreSQL plans by statistics either way.
 */
const statusOfNamedRow = sql<string>`status || ''`;

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

  /** A survey's distributions (thank-yous left out), optionally of one panel, oldest first. */
  listForSurvey(db: Db, brandId: string, surveyId: string, panelId?: string): Promise<DistributionRow[]> {
    let q = db
      .selectFrom('distributions')
      .selectAll()
      .where('brand_id', '=', brandId)
      .where('survey_id', '=', surveyId)
      // Thank-yous are one per finished response: found through getDistributions by ID, never listed.
      .where((eb) => eb.or([eb('request_type', 'is', null), eb('request_type', '<>', 'ThankYou')]));
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
      .where(statusOfNamedRow, '=', 'queued')
      .where('recipient_id', 'in', ids.map((r) => r.recipient_id))
      .returningAll()
      .execute();
  },

  /** Gives back claimed rows that were never attempted: queued again, the claim's attempt not counted. */
  async unclaim(db: Db, distributionId: string, worker: string, recipientIds: string[], now: number): Promise<void> {
    for (let i = 0; i < recipientIds.length; i += 500) {
      await db
        .updateTable('distribution_recipients')
        .set({ status: 'queued', claimed_by: null, attempts: sql`attempts - 1`, updated_at: now })
        .where('distribution_id', '=', distributionId)
        .where(statusOfNamedRow, '=', 'sending')
        .where('claimed_by', '=', worker)
        .where('recipient_id', 'in', recipientIds.slice(i, i + 500))
        .execute();
    }
  },

  /**
   * The writes that record send outcomes, as plain statements for a group commit (a commit per
   * handful of messages must cost little more than its fsync): 'sent' (with the outbox row, when
   * there is one), 'failed', or 'queued' again; each only from this worker's 'sending'.
   */
  outcomeStatements(distributionId: string, outcomes: readonly RecordedOutcome[], now: number): Statement[] {
    const statements: Statement[] = [];
    for (const o of outcomes) {
      if (o.outbox) statements.push(outboxInsert(o.outbox));
    }
    const sent = outcomes.filter((o) => o.status === 'sent').map((o) => o.recipientId);
    for (let i = 0; i < sent.length; i += 500) {
      const ids = sent.slice(i, i + 500);
      statements.push({
        sql: `update distribution_recipients set status = 'sent', sent_at = ?, claimed_by = null, error = null, updated_at = ?
          where distribution_id = ? and status || '' = 'sending' and recipient_id in (${ids.map(() => '?').join(', ')})`,
        params: [now, now, distributionId, ...ids],
      });
    }
    for (const o of outcomes) {
      if (o.status === 'failed') {
        statements.push({
          sql: `update distribution_recipients set status = 'failed', failed_at = ?, bounced_at = ?, claimed_by = null, error = ?, updated_at = ?
            where distribution_id = ? and status || '' = 'sending' and recipient_id = ?`,
          params: [now, o.bounced ? now : null, o.error, now, distributionId, o.recipientId],
        });
      } else if (o.status === 'queued') {
        statements.push({
          sql: `update distribution_recipients set status = 'queued', claimed_by = null, error = ?, updated_at = ?
            where distribution_id = ? and status || '' = 'sending' and recipient_id = ?`,
          params: [o.error, now, distributionId, o.recipientId],
        });
      }
    }
    return statements;
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
        .where(statusOfNamedRow, '=', fromStatus)
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

/** One recipient's send outcome, as outcomeStatements records it. */
export interface RecordedOutcome {
  recipientId: string;
  status: 'sent' | 'failed' | 'queued';
  error: string | null;
  /** A failure the server gave at RCPT: the address bounced. */
  bounced: boolean;
  /** Recorded with 'sent' when there is no SMTP server. */
  outbox?: OutboxRow | undefined;
}

const OUTBOX_COLUMNS = ['mail_message_id', 'brand_id', 'distribution_id', 'recipient_id', 'to_address', 'from_address', 'subject', 'html', 'text', 'headers', 'created_at'] as const;

/** As outboxStore.insert: a row already there (a retried send) is kept. */
const outboxInsert = (row: OutboxRow): Statement => ({
  sql: `insert into mail_outbox (${OUTBOX_COLUMNS.join(', ')}) values (${OUTBOX_COLUMNS.map(() => '?').join(', ')}) on conflict (mail_message_id) do nothing`,
  params: OUTBOX_COLUMNS.map((c) => row[c]),
});

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

/** What one thank-you enqueue is made of; services/thank-you.ts decides when to try one. */
export interface ThankYouEnqueue {
  distributionId: string;
  jobId: string;
  jobKind: string;
  responseId: string;
  brandId: string;
  surveyId: string;
  /** The distribution whose personal link the response came through. */
  linkDistributionId: string;
  recipientId: string;
  /** The survey options' thank-you, used when the invitation names none (null: none). */
  fallback: { message: string; library: string } | null;
  defaultSubject: string;
  mailHost: string;
  now: number;
}

/**
 * The thank-you of a finished response as three group-commit statements, written with the response:
 * a 'ThankYou' distribution (parent = the invitation, one recipient, already materialised), its
 * recipient row and its send job. Each is an INSERT … SELECT, so every condition that needs the
 * database is checked in the same transaction: the link distribution is a mailed invitation with
 * personal links, the member is in its panel with an address and subscribed, and some thank-you
 * message is configured. When one fails, the first inserts nothing and so do the other two.
 */
export function thankYouStatements(e: ThankYouEnqueue): Statement[] {
  const distribution: Statement = {
    sql:
      'INSERT INTO distributions (id, brand_id, survey_id, owner_id, panel_id, recipient_id, link_type, expiration_date, created_at, parent_id, ' +
      'request_type, status, send_date, from_email, from_name, sent_from_address, subject, message_library_id, message_id, recipient_library_id, ' +
      'job_id, approx_emails, materialized, modified_at, response_id) ' +
      'SELECT CAST(? AS TEXT), p.brand_id, p.survey_id, p.owner_id, p.panel_id, m.id, p.link_type, p.expiration_date, CAST(? AS BIGINT), p.id, ' +
      "'ThankYou', 'Pending', CAST(? AS BIGINT), p.from_email, p.from_name, p.sent_from_address, COALESCE(p.thank_you_subject, CAST(? AS TEXT)), " +
      'CASE WHEN p.thank_you_message_id IS NULL THEN CAST(? AS TEXT) ELSE p.thank_you_library_id END, COALESCE(p.thank_you_message_id, CAST(? AS TEXT)), ' +
      'p.recipient_library_id, CAST(? AS TEXT), 1, 1, CAST(? AS BIGINT), CAST(? AS TEXT) ' +
      'FROM distributions p JOIN panel_members m ON m.brand_id = p.brand_id AND m.panel_id = p.panel_id ' +
      "WHERE p.id = ? AND p.brand_id = ? AND p.survey_id = ? AND m.id = ? AND p.request_type = 'Invite' AND p.link_type IN ('Individual', 'Multiple') " +
      "AND (p.recipient_id IS NULL OR p.recipient_id = m.id) AND m.unsubscribed = 0 AND m.email IS NOT NULL AND m.email <> '' AND COALESCE(p.thank_you_message_id, CAST(? AS TEXT)) IS NOT NULL",
    params: [
      e.distributionId, e.now, e.now, e.defaultSubject, e.fallback?.library ?? null, e.fallback?.message ?? null, e.jobId, e.now, e.responseId,
      e.linkDistributionId, e.brandId, e.surveyId, e.recipientId, e.fallback?.message ?? null,
    ],
  };
  const recipient: Statement = {
    sql:
      'INSERT INTO distribution_recipients (distribution_id, recipient_id, brand_id, position, email, status, mail_message_id, attempts, updated_at) ' +
      "SELECT t.id, m.id, m.brand_id, m.position, m.email, 'queued', '<' || t.id || '.' || m.id || '@' || CAST(? AS TEXT) || '>', 0, CAST(? AS BIGINT) " +
      'FROM distributions t JOIN panel_members m ON m.id = t.recipient_id AND m.brand_id = t.brand_id WHERE t.id = ?',
    params: [e.mailHost, e.now, e.distributionId],
  };
  const job: Statement = {
    sql:
      'INSERT INTO jobs (id, brand_id, kind, payload, status, run_at, created_at, updated_at) ' +
      "SELECT CAST(? AS TEXT), t.brand_id, CAST(? AS TEXT), CAST(? AS TEXT), 'queued', CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT) " +
      'FROM distributions t WHERE t.id = ?',
    params: [e.jobId, e.jobKind, JSON.stringify({ distributionId: e.distributionId }), e.now, e.now, e.now, e.distributionId],
  };
  return [distribution, recipient, job];
}

/** A panel member's history: responses through the panel's links and the e-mails sent to them. */
export const recipientHistoryStore = {
  /** Responses (not previews, not deleted) attached to the member, by end date. */
  responses: (db: Db, brandId: string, recipientId: string, panelId: string) =>
    db
      .selectFrom('responses')
      .select(['id', 'survey_id', 'end_date', 'distribution_id', 'finished'])
      .where('brand_id', '=', brandId)
      .where('recipient_id', '=', recipientId)
      // Through the panel's distributions: the (distribution_id, recipient_id) index answers it.
      .where('distribution_id', 'in', (eb) => eb.selectFrom('distributions').select('id').where('brand_id', '=', brandId).where('panel_id', '=', panelId))
      .where('status', '=', 0)
      .where('deleted_at', 'is', null)
      .orderBy('end_date')
      .orderBy('seq')
      .execute(),

  /** Every mailing the member was a recipient of (sent, failed, skipped or still queued), oldest first. */
  emails: (db: Db, brandId: string, recipientId: string) =>
    db
      .selectFrom('distribution_recipients as r')
      .innerJoin('distributions as d', 'd.id', 'r.distribution_id')
      .select(['r.distribution_id', 'd.survey_id', 'd.request_type', 'r.status', 'r.sent_at', 'r.opened_at'])
      .where('r.brand_id', '=', brandId)
      .where('r.recipient_id', '=', recipientId)
      .orderBy('d.created_at')
      .orderBy('d.id')
      .execute(),
};

import { PostgresAdapter, sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { ContactListMembersTable, ContactListsTable, ContactsTable, Database } from './schema.ts';

export type ContactRow = Selectable<ContactsTable>;
export type ContactListRow = Selectable<ContactListsTable>;
export type MemberRow = Selectable<ContactListMembersTable>;
export type ContactMemberRow = ContactRow & { position: number };
type Db = Kysely<Database> | Transaction<Database>;

/** Rows per multi-row INSERT: 500 × 11 columns stays far below SQLite's 32766 bound parameters. */
const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const isPostgres = (db: Db) => db.getExecutor().adapter instanceof PostgresAdapter;

export type SubscriptionFilter = 'all' | 'subscribed' | 'unsubscribed';

/**
 * Queries over the Contacts product: the brand-wide directory (`contacts`), lists in libraries
 * (`contact_lists`) and their ordered members. Every query names the brand.
 */
export const contactsStore = {
  // ---- lists ----
  insertList: (db: Db, row: ContactListRow) => db.insertInto('contact_lists').values(row).execute(),

  findList: (db: Db, brandId: string, libraryId: string, id: string) =>
    db.selectFrom('contact_lists').selectAll().where('brand_id', '=', brandId).where('library_id', '=', libraryId).where('id', '=', id).executeTakeFirst(),

  findListAnywhere: (db: Db, brandId: string, id: string) =>
    db.selectFrom('contact_lists').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  /**
   * The list, locked until the transaction ends on PostgreSQL, so two writers appending to it take
   * turns with its positions (SQLite transactions already run one at a time).
   */
  lockList: (db: Db, brandId: string, id: string) => {
    const q = db.selectFrom('contact_lists').select('id').where('brand_id', '=', brandId).where('id', '=', id);
    return (isPostgres(db) ? q.forUpdate() : q).executeTakeFirst();
  },

  async listsWithCounts(db: Db, brandId: string, libraryId: string): Promise<Array<ContactListRow & { count: number }>> {
    const rows = await db
      .selectFrom('contact_lists as l')
      .leftJoin('contact_list_members as m', 'm.list_id', 'l.id')
      .select(['l.id', 'l.brand_id', 'l.library_id', 'l.name', 'l.created_at', (eb) => eb.fn.count('m.contact_id').as('n')])
      .where('l.brand_id', '=', brandId)
      .where('l.library_id', '=', libraryId)
      .groupBy(['l.id', 'l.brand_id', 'l.library_id', 'l.name', 'l.created_at'])
      .orderBy('l.created_at')
      .orderBy('l.id')
      .execute();
    return rows.map(({ n, ...row }) => ({ ...row, count: Number(n) }));
  },

  /** Members go with the list; the contacts stay in the directory. */
  async deleteList(db: Db, brandId: string, id: string): Promise<void> {
    await db.deleteFrom('contact_list_members').where('brand_id', '=', brandId).where('list_id', '=', id).execute();
    await db.deleteFrom('contact_lists').where('brand_id', '=', brandId).where('id', '=', id).execute();
  },

  // ---- members ----
  memberPosition: async (db: Db, brandId: string, listId: string, contactId: string) =>
    (
      await db
        .selectFrom('contact_list_members')
        .select('position')
        .where('brand_id', '=', brandId)
        .where('list_id', '=', listId)
        .where('contact_id', '=', contactId)
        .executeTakeFirst()
    )?.position,

  async maxPosition(db: Db, listId: string): Promise<number> {
    const row = await db.selectFrom('contact_list_members').select((eb) => eb.fn.max('position').as('p')).where('list_id', '=', listId).executeTakeFirst();
    return row?.p === null || row?.p === undefined ? 0 : Number(row.p);
  },

  /** Which of these contacts are already members of the list. */
  async memberIds(db: Db, listId: string, contactIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (const part of chunks(contactIds)) {
      const rows = await db.selectFrom('contact_list_members').select('contact_id').where('list_id', '=', listId).where('contact_id', 'in', part).execute();
      for (const r of rows) found.add(r.contact_id);
    }
    return found;
  },

  async insertMembers(db: Db, rows: readonly Insertable<ContactListMembersTable>[]): Promise<void> {
    for (const part of chunks(rows)) await db.insertInto('contact_list_members').values(part).execute();
  },

  removeMember: async (db: Db, brandId: string, listId: string, contactId: string) =>
    Number(
      (
        await db
          .deleteFrom('contact_list_members')
          .where('brand_id', '=', brandId)
          .where('list_id', '=', listId)
          .where('contact_id', '=', contactId)
          .executeTakeFirst()
      ).numDeletedRows,
    ),

  /**
   * One page of a list in member order, after `afterPosition` (the paging key). The page of IDs
   * comes from the (list_id, position) index first, then its contacts by primary key: a join lets
   * PostgreSQL pick a scan of the whole directory per page before it has statistics.
   */
  async membersPage(db: Db, brandId: string, listId: string, afterPosition: number, limit: number, filter: SubscriptionFilter): Promise<ContactMemberRow[]> {
    const out: ContactMemberRow[] = [];
    let after = afterPosition;
    while (out.length < limit) {
      const want = limit - out.length;
      const page = await db
        .selectFrom('contact_list_members')
        .select(['contact_id', 'position'])
        .where('list_id', '=', listId)
        .where('brand_id', '=', brandId)
        .where('position', '>', after)
        .orderBy('position')
        .limit(want)
        .execute();
      if (page.length === 0) break;
      const rows = await db.selectFrom('contacts').selectAll().where('brand_id', '=', brandId).where('id', 'in', page.map((m) => m.contact_id)).execute();
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const m of page) {
        const c = byId.get(m.contact_id);
        if (c && (filter === 'all' || c.unsubscribed === (filter === 'unsubscribed' ? 1 : 0))) out.push({ ...c, position: m.position });
      }
      after = (page[page.length - 1] as { position: number }).position;
      if (page.length < want) break;
    }
    return out;
  },

  async listIdsOf(db: Db, brandId: string, contactIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const part of chunks(contactIds)) {
      const rows = await db
        .selectFrom('contact_list_members')
        .select(['contact_id', 'list_id'])
        .where('brand_id', '=', brandId)
        .where('contact_id', 'in', part)
        .orderBy('added_at')
        .orderBy('list_id')
        .execute();
      for (const r of rows) out.set(r.contact_id, [...(out.get(r.contact_id) ?? []), r.list_id]);
    }
    return out;
  },

  // ---- directory ----
  findContact: (db: Db, brandId: string, id: string) => db.selectFrom('contacts').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  async findContactsByIds(db: Db, brandId: string, ids: readonly string[]): Promise<Map<string, ContactRow>> {
    const out = new Map<string, ContactRow>();
    for (const part of chunks(ids)) {
      for (const r of await db.selectFrom('contacts').selectAll().where('brand_id', '=', brandId).where('id', 'in', part).execute()) out.set(r.id, r);
    }
    return out;
  },

  /**
   * The oldest contact for each lower-cased address (the one merges go to when several share it).
   *
   * On PostgreSQL each address is its own lookup (unnest + LATERAL … LIMIT 1): asked as one long
   * IN list before the planner has statistics on lower(email) (a new table, or the rows an import
   * wrote in its open transaction), it judged the list unselective and walked every contact of the
   * brand per query. A single-address lookup always takes the (brand_id, lower(email)) index.
   */
  async findContactsByEmails(db: Db, brandId: string, lowerEmails: readonly string[]): Promise<Map<string, ContactRow>> {
    const out = new Map<string, ContactRow>();
    const postgres = isPostgres(db);
    for (const part of chunks(lowerEmails)) {
      if (postgres) {
        const { rows } = await sql<ContactRow>`SELECT c.* FROM unnest(${part}::text[]) AS k(e)
          CROSS JOIN LATERAL (SELECT * FROM contacts WHERE brand_id = ${brandId} AND lower(email) = k.e ORDER BY created_at, id LIMIT 1) AS c`.execute(db);
        for (const r of rows) out.set((r.email as string).toLowerCase(), r);
        continue;
      }
      const rows = await db
        .selectFrom('contacts')
        .selectAll()
        .where('brand_id', '=', brandId)
        .where(sql<string>`lower(email)`, 'in', part)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      // Newest first, so the oldest is written last and wins.
      for (const r of rows) out.set((r.email as string).toLowerCase(), r);
    }
    return out;
  },

  findContactsByInfo: (db: Db, brandId: string, by: { lowerEmail?: string; externalRef?: string }, limit: number) => {
    let q = db.selectFrom('contacts').selectAll().where('brand_id', '=', brandId);
    if (by.lowerEmail !== undefined) q = q.where(sql<string>`lower(email)`, '=', by.lowerEmail);
    if (by.externalRef !== undefined) q = q.where('external_ref', '=', by.externalRef);
    return q.orderBy('created_at').orderBy('id').limit(limit).execute();
  },

  async insertContacts(db: Db, rows: readonly ContactRow[]): Promise<void> {
    for (const part of chunks(rows)) await db.insertInto('contacts').values(part).execute();
  },

  updateContact: (db: Db, brandId: string, id: string, set: Partial<ContactRow>) =>
    db.updateTable('contacts').set(set).where('brand_id', '=', brandId).where('id', '=', id).execute(),

  /**
   * Writes these contacts' fields (not id, brand or created_at), one statement per chunk: the new
   * values arrive as a VALUES list joined on the ID, which both SQLite (3.33+) and PostgreSQL run
   * as UPDATE … FROM. The numeric columns are cast because PostgreSQL types untyped VALUES as text.
   * The brand travels in the VALUES rows rather than as a constant: given `brand_id = ?`, SQLite's
   * planner scans the brand's whole directory once per statement instead of looking up each ID.
   */
  async updateContacts(db: Db, brandId: string, rows: readonly ContactRow[]): Promise<void> {
    for (const part of chunks(rows)) {
      const values = sql.join(
        part.map((r) => sql`(${brandId}, ${r.id}, ${r.first_name}, ${r.last_name}, ${r.email}, ${r.external_ref}, ${r.language}, ${r.unsubscribed}, ${r.embedded_data}, ${r.updated_at})`),
      );
      await sql`WITH v (brand_id, id, first_name, last_name, email, external_ref, language, unsubscribed, embedded_data, updated_at) AS (VALUES ${values})
        UPDATE contacts SET first_name = v.first_name, last_name = v.last_name, email = v.email, external_ref = v.external_ref, language = v.language,
          unsubscribed = CAST(v.unsubscribed AS integer), embedded_data = v.embedded_data, updated_at = CAST(v.updated_at AS bigint)
        FROM v WHERE contacts.brand_id = v.brand_id AND contacts.id = v.id`.execute(db);
    }
  },

  /** One page of the directory in ContactID order, strictly after `afterId` when given. */
  directoryPage: (db: Db, brandId: string, opts: { afterId?: string; modifiedSince?: number; filter: SubscriptionFilter; limit: number }) => {
    let q = db.selectFrom('contacts').selectAll().where('brand_id', '=', brandId);
    if (opts.afterId !== undefined) q = q.where('id', '>', opts.afterId);
    if (opts.modifiedSince !== undefined) q = q.where('updated_at', '>=', opts.modifiedSince);
    if (opts.filter !== 'all') q = q.where('unsubscribed', '=', opts.filter === 'unsubscribed' ? 1 : 0);
    return q.orderBy('id').limit(opts.limit).execute();
  },
};

import { sql, type Kysely, type Selectable, type SelectQueryBuilder, type Transaction } from 'kysely';
import type { Dialect } from './db.ts';
import type { Database, PanelMembersTable, PanelsTable } from './schema.ts';

export type PanelRow = Selectable<PanelsTable>;
export type MemberRow = Selectable<PanelMembersTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** Which members a query sees: by subscription state and a case-insensitive text search. */
export interface MemberQuery {
  subscribed?: boolean;
  unsubscribed?: boolean;
  search?: string;
}

/** Rows per multi-row INSERT: 500 × 13 columns stays far below SQLite's 32766 bound parameters. */
const INSERT_CHUNK = 500;

const likePattern = (s: string) => `%${s.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;

type MemberSelect<O> = SelectQueryBuilder<Database, 'panel_members', O>;

function applyFilter<O>(q: MemberSelect<O>, filter: MemberQuery): MemberSelect<O> {
  // Asking for both (or neither) means everyone.
  if (filter.subscribed && !filter.unsubscribed) q = q.where('unsubscribed', '=', 0);
  if (filter.unsubscribed && !filter.subscribed) q = q.where('unsubscribed', '=', 1);
  if (filter.search) {
    const p = likePattern(filter.search);
    q = q.where((eb) =>
      eb.or([
        eb(sql<string>`lower(coalesce(email, ''))`, 'like', sql<string>`${p} escape '\\'`),
        eb(sql<string>`lower(coalesce(first_name, ''))`, 'like', sql<string>`${p} escape '\\'`),
        eb(sql<string>`lower(coalesce(last_name, ''))`, 'like', sql<string>`${p} escape '\\'`),
        eb(sql<string>`lower(coalesce(external_ref, ''))`, 'like', sql<string>`${p} escape '\\'`),
      ]),
    );
  }
  return q;
}

/** Queries over panels and their members. Every query names the brand (sharding key) as well as the ID. */
export const panelsStore = {
  insertPanel: (db: Db, row: PanelRow) => db.insertInto('panels').values(row).execute(),

  findPanel: (db: Db, brandId: string, libraryId: string, id: string) =>
    db.selectFrom('panels').selectAll().where('brand_id', '=', brandId).where('library_id', '=', libraryId).where('id', '=', id).executeTakeFirst(),

  /** The panel row, locked against concurrent appends on PostgreSQL (SQLite has one writer anyway). */
  lockPanel(db: Db, dialect: Dialect, brandId: string, libraryId: string, id: string): Promise<PanelRow | undefined> {
    const q = db.selectFrom('panels').selectAll().where('brand_id', '=', brandId).where('library_id', '=', libraryId).where('id', '=', id);
    return (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
  },

  listPanels: (db: Db, brandId: string, libraryId: string) =>
    db.selectFrom('panels').selectAll().where('brand_id', '=', brandId).where('library_id', '=', libraryId).execute(),

  updatePanel: (db: Db, brandId: string, id: string, patch: Partial<Pick<PanelRow, 'name' | 'category' | 'updated_at'>>) =>
    db.updateTable('panels').set(patch).where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  async deletePanel(db: Db, brandId: string, id: string): Promise<boolean> {
    await db.deleteFrom('panel_members').where('brand_id', '=', brandId).where('panel_id', '=', id).execute();
    const res = await db.deleteFrom('panels').where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  },

  async countMembers(db: Db, brandId: string, panelId: string, filter: MemberQuery = {}): Promise<number> {
    const q = db.selectFrom('panel_members').select((eb) => eb.fn.countAll().as('n')).where('brand_id', '=', brandId).where('panel_id', '=', panelId);
    return Number((await applyFilter(q, filter).executeTakeFirstOrThrow()).n);
  },

  async maxPosition(db: Db, brandId: string, panelId: string): Promise<number> {
    const row = await db
      .selectFrom('panel_members')
      .select((eb) => eb.fn.max('position').as('p'))
      .where('brand_id', '=', brandId)
      .where('panel_id', '=', panelId)
      .executeTakeFirst();
    return row?.p === null || row?.p === undefined ? 0 : Number(row.p);
  },

  async insertMembers(db: Db, rows: MemberRow[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await db.insertInto('panel_members').values(rows.slice(i, i + INSERT_CHUNK)).execute();
    }
  },

  findMember: (db: Db, brandId: string, id: string) =>
    db.selectFrom('panel_members').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  updateMember: (db: Db, brandId: string, id: string, patch: Partial<MemberRow>) =>
    db.updateTable('panel_members').set(patch).where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  async deleteMember(db: Db, brandId: string, panelId: string, id: string): Promise<boolean> {
    const res = await db.deleteFrom('panel_members').where('brand_id', '=', brandId).where('panel_id', '=', panelId).where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  },

  /** One keyset page: members after `afterPosition`, in position order. */
  pageMembers(db: Db, brandId: string, panelId: string, afterPosition: number, limit: number, filter: MemberQuery = {}): Promise<MemberRow[]> {
    const q = db
      .selectFrom('panel_members')
      .selectAll()
      .where('brand_id', '=', brandId)
      .where('panel_id', '=', panelId)
      .where('position', '>', afterPosition);
    return applyFilter(q, filter).orderBy('position').limit(limit).execute();
  },
};

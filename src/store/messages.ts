import type { Kysely, Selectable } from 'kysely';
import type { Database, LibraryMessagesTable } from './schema.ts';

export type MessageRow = Selectable<LibraryMessagesTable>;
/** A message without its body: what lists need (a body may be up to 1 MB). */
export type MessageSummaryRow = Omit<MessageRow, 'body'>;
type Db = Kysely<Database>;

const SUMMARY_COLUMNS = ['id', 'brand_id', 'library_id', 'category', 'name', 'language', 'created_at', 'updated_at'] as const;

/** Every query carries brand and library, so a message is only ever found through the library it is in. */
export const messagesStore = {
  insert: (db: Db, row: MessageRow) => db.insertInto('library_messages').values(row).execute(),

  find: (db: Db, brandId: string, libraryId: string, id: string) =>
    db.selectFrom('library_messages').selectAll().where('brand_id', '=', brandId).where('library_id', '=', libraryId).where('id', '=', id).executeTakeFirst(),

  list(db: Db, brandId: string, libraryId: string, category?: string): Promise<MessageSummaryRow[]> {
    let q = db.selectFrom('library_messages').select(SUMMARY_COLUMNS).where('brand_id', '=', brandId).where('library_id', '=', libraryId);
    if (category !== undefined) q = q.where('category', '=', category);
    return q.execute();
  },

  async update(db: Db, brandId: string, libraryId: string, id: string, set: Partial<Omit<MessageRow, 'id' | 'brand_id' | 'library_id'>>): Promise<boolean> {
    const res = await db.updateTable('library_messages').set(set).where('brand_id', '=', brandId).where('library_id', '=', libraryId).where('id', '=', id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  },

  async delete(db: Db, brandId: string, libraryId: string, id: string): Promise<boolean> {
    const res = await db.deleteFrom('library_messages').where('brand_id', '=', brandId).where('library_id', '=', libraryId).where('id', '=', id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  },
};

import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, DistributionsTable } from './schema.ts';

export type DistributionRow = Selectable<DistributionsTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** Distributions (minimal: what personal links need). Every read names the brand. */
export const distributionsStore = {
  insert: (db: Db, row: DistributionRow) => db.insertInto('distributions').values(row).execute(),

  find: (db: Db, brandId: string, id: string) =>
    db.selectFrom('distributions').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  /** Looked up from a personal link, before the brand is known: the caller checks the survey and brand. */
  findById: (db: Db, id: string) => db.selectFrom('distributions').selectAll().where('id', '=', id).executeTakeFirst(),

  /** The library a panel of the brand is in (a distribution's creator must be able to use it). */
  panelLibrary: async (db: Db, brandId: string, panelId: string): Promise<string | undefined> =>
    (await db.selectFrom('panels').select('library_id').where('brand_id', '=', brandId).where('id', '=', panelId).executeTakeFirst())?.library_id,
};

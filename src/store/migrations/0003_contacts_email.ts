import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the schema of their own time
type Db = Kysely<any>;

/**
 * The Contacts directory merges by e-mail address without regard to case (one contact per address
 * and brand), while keeping the address as it was typed: an index on the lower-cased address.
 */
export async function up(db: Db): Promise<void> {
  await db.schema.createIndex('contacts_brand_email_ci').on('contacts').expression(sql`brand_id, lower(email)`).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('contacts_brand_email_ci').ifExists().execute();
}

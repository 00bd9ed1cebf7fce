import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import SQLite from 'better-sqlite3';
import type { Store } from './db.ts';
import * as m0001 from './migrations/0001_foundation.ts';
import * as m0002 from './migrations/0002_contacts.ts';
import * as m0003ce from './migrations/0003_contacts_email.ts';
import * as m0004sv from './migrations/0004_surveys.ts';
import * as m0005rs from './migrations/0005_responses.ts';
import * as m0006sub from './migrations/0006_subscriptions.ts';
import * as m0007ds from './migrations/0007_distributions.ts';
import * as m0008ty from './migrations/0008_thank_you.ts';
import * as m0009av from './migrations/0009_accounts_version.ts';

/** Migrations are listed here, in order, rather than read from disk, so they work from any build. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_contacts': m0002,
  '0003_contacts_email': m0003ce,
  '0004_surveys': m0004sv,
  '0005_responses': m0005rs,
  '0006_subscriptions': m0006sub,
  '0007_distributions': m0007ds,
  '0008_thank_you': m0008ty,
  '0009_accounts_version': m0009av,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/**
 * Runs every pending migration. Safe when several processes start at once: PostgreSQL serialises
 * them with Kysely's advisory lock; for SQLite (where Kysely takes no lock) we hold an exclusive
 * transaction on a small lock database next to the data file for the duration.
 */
export async function migrate(store: Store): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one; with several
  // installations (or test runs) in one PostgreSQL database it would find another's. Name ours.
  const migrationTableSchema =
    store.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0]?.s : undefined;
  const migrator = new Migrator({ db: store.db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const run = async () => {
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error instanceof Error ? error : new Error(String(error));
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  };
  if (!store.sqliteFile) return run();
  const lock = new SQLite(`${store.sqliteFile}.migrate-lock`);
  try {
    lock.pragma('busy_timeout = 60000');
    lock.exec('BEGIN EXCLUSIVE');
    try {
      return await run();
    } finally {
      lock.exec('COMMIT');
    }
  } finally {
    lock.close();
  }
}

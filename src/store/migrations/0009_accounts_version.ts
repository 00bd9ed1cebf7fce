import { PostgresAdapter, sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations describe the schema of their own time
type Db = Kysely<any>;

/**
 * The "accounts" change counter: one number that every write to the tables an API caller's
 * identity and getUserInfo are made of moves on, in the writing transaction itself (a trigger, so
 * no writer can forget it and every process's writes count). A server remembers what it verified
 * together with the number read before verifying, and trusts the memory while the number is the
 * same (services/auth.ts, services/accounts.ts). Being transactional is the point: readers see the
 * new number exactly when the change commits (a sequence would move before it).
 *
 * web_sessions is left out on purpose: sessions are touched every minute and are not part of either.
 */
export const ACCOUNTS_TABLES = ['brands', 'divisions', 'users', 'groups', 'group_members', 'auth_counters', 'login_events'] as const;

const BUMP = sql`UPDATE change_counters SET value = value + 1 WHERE name = 'accounts'`;

export async function up(db: Db): Promise<void> {
  await db.schema
    .createTable('change_counters')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('change_counters').values({ name: 'accounts', value: 0 }).execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Unqualified names: the function and the table live in the installation's schema (tests give
    // each run its own, through search_path). One bump per statement, not per row: a statement that
    // touches many rows needs only one, and the row lock is taken once.
    await sql`CREATE FUNCTION bump_accounts_version() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        ${BUMP};
        RETURN NULL;
      END $$`.execute(db);
    for (const table of ACCOUNTS_TABLES) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_accounts_version`)} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)}
        FOR EACH STATEMENT EXECUTE FUNCTION bump_accounts_version()`.execute(db);
    }
    return;
  }
  // SQLite has row triggers only; each row's bump is one update of the same page.
  for (const table of ACCOUNTS_TABLES) {
    for (const [event, suffix] of [['INSERT', 'ins'], ['UPDATE', 'upd'], ['DELETE', 'del']] as const) {
      await sql`CREATE TRIGGER ${sql.raw(`${table}_accounts_version_${suffix}`)} AFTER ${sql.raw(event)} ON ${sql.table(table)}
        FOR EACH ROW BEGIN ${BUMP}; END`.execute(db);
    }
  }
}

export async function down(db: Db): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    for (const table of ACCOUNTS_TABLES) await sql`DROP TRIGGER IF EXISTS ${sql.raw(`${table}_accounts_version`)} ON ${sql.table(table)}`.execute(db);
    await sql`DROP FUNCTION IF EXISTS bump_accounts_version()`.execute(db);
  } else {
    for (const table of ACCOUNTS_TABLES) {
      for (const suffix of ['ins', 'upd', 'del']) await sql`DROP TRIGGER IF EXISTS ${sql.raw(`${table}_accounts_version_${suffix}`)}`.execute(db);
    }
  }
  await db.schema.dropTable('change_counters').ifExists().execute();
}

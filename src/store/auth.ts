import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { preparedRead } from './db.ts';
import type { Counter } from '../domain/lockout.ts';

type Db = Kysely<Database>;

// Read on every getUserInfo call: compiled once per limit. The limit is written into the SQL, not
// bound: a bound LIMIT makes SQLite re-plan the statement on every run (5 µs of a 1 µs query).
const recentLogins = new Map<number, (db: Db, userId: string) => Promise<Array<{ at: number }>>>();
function recentLoginsRead(limit: number) {
  // Bounded, so callers' limits can only ever make a thousand statements.
  const n = Math.min(1000, Math.max(0, Math.floor(limit) || 0));
  let read = recentLogins.get(n);
  if (!read) {
    read = preparedRead((db, userId: string) => db.selectFrom('login_events').select('at').where('user_id', '=', userId).orderBy('at', 'desc').limit(sql.lit(n)));
    recentLogins.set(n, read);
  }
  return read;
}

/** Failure counters, web sessions and sign-in history. */
export const authStore = {
  /** Several counters in one read (the username's and the address's, on every authentication). */
  async counters(db: Db, keys: string[]): Promise<Map<string, Counter>> {
    const rows = await db.selectFrom('auth_counters').selectAll().where('key', 'in', keys).execute();
    return new Map(rows.map((row) => [row.key, { failures: row.failures, windowStartedAt: row.window_started_at, lockedUntil: row.locked_until }]));
  },

  async counter(db: Db, key: string): Promise<Counter | undefined> {
    const row = await db.selectFrom('auth_counters').selectAll().where('key', '=', key).executeTakeFirst();
    return row && { failures: row.failures, windowStartedAt: row.window_started_at, lockedUntil: row.locked_until };
  },

  async saveCounter(db: Db, key: string, c: Counter): Promise<void> {
    const values = { failures: c.failures, window_started_at: c.windowStartedAt, locked_until: c.lockedUntil };
    await db
      .insertInto('auth_counters')
      .values({ key, ...values })
      .onConflict((oc) => oc.column('key').doUpdateSet(values))
      .execute();
  },

  clearCounter: (db: Db, key: string) => db.deleteFrom('auth_counters').where('key', '=', key).execute(),

  recordLogin: (db: Db, userId: string, at: number, channel: string) => db.insertInto('login_events').values({ user_id: userId, at, channel }).execute(),

  loginHistory: (db: Db, userId: string, limit: number) => recentLoginsRead(limit)(db, userId),

  insertSession: (db: Db, row: Database['web_sessions']) => db.insertInto('web_sessions').values(row).execute(),
  findSession: (db: Db, idHash: string) => db.selectFrom('web_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst(),
  touchSession: (db: Db, idHash: string, at: number) => db.updateTable('web_sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute(),
  deleteSession: (db: Db, idHash: string) => db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute(),
  deleteSessionsOfUser: (db: Db, userId: string) => db.deleteFrom('web_sessions').where('user_id', '=', userId).execute(),
  deleteExpiredSessions: (db: Db, now: number) => db.deleteFrom('web_sessions').where('expires_at', '<', now).execute(),
};

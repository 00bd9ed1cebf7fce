import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import { preparedRead } from './db.ts';

// Read on every API call (authentication, getUserInfo): compiled once, run directly on SQLite.
const accountsVersionRead = preparedRead((db) => db.selectFrom('change_counters').select('value').where('name', '=', 'accounts'));

/**
 * The accounts version: moved by the writing transaction itself on every change to users, brands,
 * divisions, groups, group members, lockout counters and sign-in history, from any process
 * (migrations/0009_accounts_version.ts). Memory of anything read from those tables holds while the
 * version is the one read before reading them. Without the counter row the answer is NaN, which
 * equals nothing, so such memories are never trusted rather than trusted for ever.
 */
export function accountsVersion(db: Kysely<Database>): Promise<number> {
  const waiting = nextRead.get(db);
  if (waiting) return waiting;
  // Callers in the same turn of the event loop share one read, made once they have all asked: a
  // read that starts after a caller asked sees every change committed before it asked, which is
  // all a caller may assume. (On SQLite each read costs its lock system calls, most of its time;
  // under load a turn brings many API calls.)
  const read = new Promise<number>((resolve, reject) => {
    setImmediate(() => {
      nextRead.delete(db);
      readVersion(db).then(resolve, reject);
    });
  });
  nextRead.set(db, read);
  return read;
}

/** Per database handle, the shared read not yet started. */
const nextRead = new WeakMap<Kysely<Database>, Promise<number>>();

async function readVersion(db: Kysely<Database>): Promise<number> {
  const [row] = await accountsVersionRead(db);
  return row ? Number(row.value) : Number.NaN;
}

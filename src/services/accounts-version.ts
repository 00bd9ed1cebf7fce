import type { Kysely } from 'kysely';
import { accountsVersion } from '../store/change-counters.ts';
import type { Database } from '../store/schema.ts';
import type { Actor } from './actor.ts';

/**
 * One read of the accounts version per API call. authenticateToken reads it anyway; getUserInfo,
 * in the same call, would read it again, and on SQLite each read outside a transaction costs its
 * lock system calls (most of the read). So the actor authenticateToken answers is an object of
 * that call alone, bound here to the version it read; memories judged by that version are what the
 * database held when the call was authenticated, as the authentication itself was. An actor from
 * anywhere else (web sessions, jobs, tests) has no version bound: it is read afresh.
 */
const versionOf = new WeakMap<Actor, number>();

/** A copy of `actor` for one call, bound to the accounts version read before its authentication. */
export function actorAsOf(actor: Actor, version: number): Actor {
  const own = { ...actor };
  versionOf.set(own, version);
  return own;
}

/** The accounts version the actor's call was authenticated at, else a fresh read. */
export function accountsVersionFor(db: Kysely<Database>, actor: Actor): number | Promise<number> {
  return versionOf.get(actor) ?? accountsVersion(db);
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { splitUsername } from '../domain/accounts.ts';
import { ADDRESS_FAILURE_LIMIT, USER_FAILURE_LIMIT, afterFailure, isLocked } from '../domain/lockout.ts';
import { accountsStore, type UserRow } from '../store/accounts.ts';
import { authStore } from '../store/auth.ts';
import { accountsVersion } from '../store/change-counters.ts';
import type { Store } from '../store/db.ts';
import { hashToken, toUserView } from './accounts.ts';
import { actorAsOf } from './accounts-version.ts';
import type { Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError } from './errors.ts';
import { verifyPassword } from './passwords.ts';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Token "last used" is written at most this often per user, so authenticated reads stay read-only. */
const LAST_USED_RESOLUTION_MS = 60 * 1000;

/** Remembered API credentials (each trusted only while the accounts version is unchanged, see authenticateToken). */
const VERIFIED_MAX = 10_000;

// Hashed: a username as sent may hold NUL (PostgreSQL refuses it) or be too long for an index entry.
const userKey = (username: string) => `user:${sha256(username.trim().toLowerCase())}`;
const addressKey = (address: string) => `addr:${address}`;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function sameUser(row: UserRow, given: string): boolean {
  const wanted = given.trim().toLowerCase();
  if (row.username === wanted) return true;
  const { name, brandId } = splitUsername(wanted);
  return brandId === undefined && row.username === `${name}#${row.brand_id}`;
}

export function actorOf(row: UserRow): Actor {
  const view = toUserView(row);
  return { userId: view.id, brandId: view.brandId, username: view.username, typeId: view.typeId, permissions: view.permissions };
}

interface Verified {
  actor: Actor;
  /** The accounts version read before verifying: the memory holds while the version is unchanged. */
  version: number;
  /** The token's last use as stored when verified (any later write to it moves the version). */
  lastUsedAt: number | null;
}

/**
 * Authentication for the API (User + Token) and the web (username + password), with one lockout
 * rule for both (see domain/lockout.ts). Every failure answers the same whether the user exists.
 */
export class AuthService {
  private readonly lastUsedWritten = new Map<string, number>();
  private readonly verified = new Map<string, Verified>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private get db() {
    return this.store.db;
  }

  /** Refuses while the username or the address is locked; tells whether the username has a failure count to clear. */
  private async refuseIfLocked(username: string, address: string | undefined): Promise<boolean> {
    const now = this.clock.now();
    const keys = address ? [userKey(username), addressKey(address)] : [userKey(username)];
    const found = await authStore.counters(this.db, keys);
    const byUser = found.get(keys[0] as string);
    const byAddress = address ? found.get(keys[1] as string) : undefined;
    if (isLocked(byUser, now) || isLocked(byAddress, now)) throw new ServiceError('TooManyFailures');
    return byUser !== undefined;
  }

  /** Counts a failure against the username and the address; answers with the lockout text when this one locks. */
  private async fail(username: string, address: string | undefined): Promise<never> {
    const now = this.clock.now();
    const keys: Array<[string, number]> = [[userKey(username), USER_FAILURE_LIMIT]];
    if (address) keys.push([addressKey(address), ADDRESS_FAILURE_LIMIT]);
    let locked = false;
    for (const [key, limit] of keys) {
      const next = afterFailure(await authStore.counter(this.db, key), now, limit);
      await authStore.saveCounter(this.db, key, next);
      locked ||= isLocked(next, now);
    }
    throw new ServiceError(locked ? 'TooManyFailures' : 'BadCredentials');
  }

  private async admit(row: UserRow, username: string, hadFailures: boolean): Promise<Actor> {
    if (row.status !== 'Active') throw new ServiceError('AccountDisabled');
    if (hadFailures) await authStore.clearCounter(this.db, userKey(username));
    return actorOf(row);
  }

  /**
   * User + Token from an API request. A credential verified before is remembered by token hash,
   * username and client address, with the accounts version read before verifying it
   * (store/change-counters.ts); a later call whose version read answers the same number is that
   * credential again, and costs that one read. Every write to the tables a verification depends on
   * (the user row, lockout counters of username and address, …) moves the version in the writing
   * transaction, from whichever process, so a token regenerated, a user disabled, deleted or
   * changed, or a lockout takes effect on the next call: it finds another number and goes through
   * the full check, which answers exactly as an unremembered call would. Time alone only ever lifts
   * a lock, and nothing locked is remembered. The address is part of the key because a lock on one
   * address must still refuse a token remembered from another. The actor answered is bound to the
   * version read, so the rest of the call need not read it again (services/accounts-version.ts).
   */
  async authenticateToken(username: string, token: string, address?: string): Promise<Actor> {
    const tokenHash = hashToken(token);
    const cacheKey = `${tokenHash}\n${username}\n${address ?? ''}`;
    // Read before anything else: on a miss it is the version the verification's reads are newer than.
    const version = await accountsVersion(this.db);
    const hit = this.verified.get(cacheKey);
    if (hit) {
      if (hit.version === version) {
        const noted = this.noteTokenUse(hit.actor.brandId, hit.actor.userId, hit.lastUsedAt);
        if (noted) await noted;
        return actorAsOf(hit.actor, version);
      }
      this.verified.delete(cacheKey);
    }
    return this.verifyToken(username, token, tokenHash, { cacheKey, version }, address);
  }

  private remember(cacheKey: string, version: number, actor: Actor, row: UserRow): void {
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.set(cacheKey, { actor, version, lastUsedAt: row.api_token_last_used_at });
  }

  /**
   * The full check. What it verifies is remembered under the version read before it started, so
   * its own writes (clearing a failure count, noting the token's use) make the next call check
   * again once; that check writes nothing, and what it remembers holds.
   */
  private async verifyToken(username: string, token: string, tokenHash: string, memo: { cacheKey: string; version: number }, address: string | undefined): Promise<Actor> {
    const hadFailures = await this.refuseIfLocked(username, address);
    // Look the token up by its hash (one indexed read); the username must then name its owner.
    const row = /^[A-Za-z0-9]{40}$/.test(token) ? await accountsStore.findUserByTokenHash(this.db, tokenHash) : undefined;
    const expected = row?.api_token_hash ?? '0'.repeat(64);
    const ok = row !== undefined && sameUser(row, username) && timingSafeEqual(Buffer.from(expected), Buffer.from(tokenHash));
    if (!ok || !row) return this.fail(username, address);
    const actor = await this.admit(row, username, hadFailures);
    if (!actor.permissions.accessApi) throw new ServiceError('NoApiAccess');
    await this.noteTokenUse(row.brand_id, row.id, row.api_token_last_used_at);
    this.remember(memo.cacheKey, memo.version, actor, row);
    return actorAsOf(actor, memo.version);
  }

  /**
   * Records the token's use, at most once per LAST_USED_RESOLUTION_MS per user (the stored time may
   * be that much behind). Answers the write to wait for, or nothing when none is due (most calls).
   */
  private noteTokenUse(brandId: string, userId: string, storedLastUsed: number | null): Promise<unknown> | undefined {
    const now = this.clock.now();
    const last = Math.max(storedLastUsed ?? 0, this.lastUsedWritten.get(userId) ?? 0);
    if (now - last < LAST_USED_RESOLUTION_MS) return undefined;
    this.lastUsedWritten.set(userId, now);
    return accountsStore.updateUser(this.db, brandId, userId, { api_token_last_used_at: now });
  }

  /** Username + password from the sign-in page. Bare names (no `#brand`) work when they are unique. */
  async signIn(username: string, password: string, address?: string): Promise<Actor> {
    const hadFailures = await this.refuseIfLocked(username, address);
    const row = await this.findForSignIn(username);
    const ok = await verifyPassword(row?.password_hash ?? null, password);
    if (!ok || !row) return this.fail(username, address);
    const actor = await this.admit(row, username, hadFailures);
    await authStore.recordLogin(this.db, row.id, this.clock.now(), 'web');
    return actor;
  }

  private async findForSignIn(username: string): Promise<UserRow | undefined> {
    const wanted = username.trim().toLowerCase();
    if (wanted === '' || wanted.length > 250) return undefined;
    if (wanted.includes('#')) return accountsStore.findUserByUsername(this.db, wanted);
    const found = await accountsStore.findUsersByNamePart(this.db, wanted);
    return found.length === 1 ? found[0] : undefined;
  }

  // ---- web sessions: the cookie holds a random ID; the database holds its hash ----

  async createSession(actor: Actor): Promise<string> {
    const id = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await authStore.insertSession(this.db, {
      id_hash: sha256(id),
      user_id: actor.userId,
      brand_id: actor.brandId,
      created_at: now,
      expires_at: now + SESSION_TTL_MS,
      last_seen_at: now,
    });
    return id;
  }

  /** The signed-in user behind a session ID, or undefined when it is unknown, expired or the user is disabled. */
  async sessionActor(sessionId: string): Promise<Actor | undefined> {
    const session = await authStore.findSession(this.db, sha256(sessionId));
    const now = this.clock.now();
    if (!session || session.expires_at <= now) return undefined;
    const row = await accountsStore.findUserById(this.db, session.brand_id, session.user_id);
    if (!row || row.status !== 'Active') return undefined;
    if (now - session.last_seen_at > LAST_USED_RESOLUTION_MS) await authStore.touchSession(this.db, session.id_hash, now);
    return actorOf(row);
  }

  async endSession(sessionId: string): Promise<void> {
    await authStore.deleteSession(this.db, sha256(sessionId));
  }

  async purgeExpiredSessions(): Promise<void> {
    await authStore.deleteExpiredSessions(this.db, this.clock.now());
  }
}

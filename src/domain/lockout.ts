/**
 * The failed-sign-in rule shared by API tokens and web passwords. Pure: the store keeps one
 * counter per key (a username, or a client address) and this decides what a failure does to it.
 *
 * - A username is locked for 10 minutes after 5 failures within 10 minutes.
 * - A client address is locked for 10 minutes after 30 failures within 10 minutes (it may be a
 *   shared NAT, so the threshold is higher than for one username).
 * Keys are counted whether or not the user exists, so the answers never tell which names exist.
 */
export const LOCKOUT_WINDOW_MS = 10 * 60 * 1000;
export const LOCKOUT_DURATION_MS = 10 * 60 * 1000;
export const USER_FAILURE_LIMIT = 5;
export const ADDRESS_FAILURE_LIMIT = 30;

export interface Counter {
  failures: number;
  windowStartedAt: number;
  lockedUntil: number;
}

export function isLocked(counter: Counter | undefined, now: number): boolean {
  return counter !== undefined && counter.lockedUntil > now;
}

export function afterFailure(counter: Counter | undefined, now: number, limit: number): Counter {
  const fresh = counter === undefined || now - counter.windowStartedAt >= LOCKOUT_WINDOW_MS;
  const failures = fresh ? 1 : counter.failures + 1;
  const windowStartedAt = fresh ? now : counter.windowStartedAt;
  const lockedUntil = failures >= limit ? now + LOCKOUT_DURATION_MS : counter?.lockedUntil ?? 0;
  // A lock starts a new window, so the count after it expires begins again at zero.
  return failures >= limit ? { failures: 0, windowStartedAt: now, lockedUntil } : { failures, windowStartedAt, lockedUntil };
}

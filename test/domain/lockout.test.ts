import { describe, expect, it } from 'vitest';
import { ADDRESS_FAILURE_LIMIT, LOCKOUT_DURATION_MS, LOCKOUT_WINDOW_MS, USER_FAILURE_LIMIT, afterFailure, isLocked, type Counter } from '../../src/domain/lockout.ts';

const T0 = 1_000_000;

function failTimes(n: number, limit: number, at = T0, start?: Counter): Counter | undefined {
  let c = start;
  for (let i = 0; i < n; i++) c = afterFailure(c, at, limit);
  return c;
}

describe('lockout rule', () => {
  it('uses the documented thresholds: 5 per username, 30 per address, 10 minutes', () => {
    expect(USER_FAILURE_LIMIT).toBe(5);
    expect(ADDRESS_FAILURE_LIMIT).toBe(30);
    expect(LOCKOUT_WINDOW_MS).toBe(10 * 60 * 1000);
    expect(LOCKOUT_DURATION_MS).toBe(10 * 60 * 1000);
  });

  it('is not locked without a counter or below the limit', () => {
    expect(isLocked(undefined, T0)).toBe(false);
    for (let n = 1; n < 5; n++) expect(isLocked(failTimes(n, 5), T0)).toBe(false);
  });

  it('locks at the limit-th failure for exactly the lock duration', () => {
    const c = failTimes(5, 5) as Counter;
    expect(isLocked(c, T0)).toBe(true);
    expect(c.lockedUntil).toBe(T0 + LOCKOUT_DURATION_MS);
    expect(isLocked(c, T0 + LOCKOUT_DURATION_MS - 1)).toBe(true);
    expect(isLocked(c, T0 + LOCKOUT_DURATION_MS)).toBe(false);
  });

  it('counts the first failure as 1 and starts the window then', () => {
    expect(afterFailure(undefined, T0, 5)).toEqual({ failures: 1, windowStartedAt: T0, lockedUntil: 0 });
    expect(afterFailure({ failures: 1, windowStartedAt: T0, lockedUntil: 0 }, T0 + 5, 5)).toEqual({ failures: 2, windowStartedAt: T0, lockedUntil: 0 });
  });

  it('starts a new window when the old one has passed', () => {
    const four = failTimes(4, 5) as Counter;
    const later = afterFailure(four, T0 + LOCKOUT_WINDOW_MS, 5);
    expect(later).toEqual({ failures: 1, windowStartedAt: T0 + LOCKOUT_WINDOW_MS, lockedUntil: 0 });
    const justInside = afterFailure(four, T0 + LOCKOUT_WINDOW_MS - 1, 5);
    expect(isLocked(justInside, T0 + LOCKOUT_WINDOW_MS - 1)).toBe(true);
  });

  it('counts again from zero after a lock expires', () => {
    const locked = failTimes(5, 5) as Counter;
    const after = T0 + LOCKOUT_DURATION_MS + 1;
    const next = afterFailure(locked, after, 5);
    expect(isLocked(next, after)).toBe(false);
    expect(isLocked(failTimes(3, 5, after, next), after)).toBe(false);
    expect(isLocked(failTimes(4, 5, after, next), after)).toBe(true);
  });

  it('applies the address limit the same way', () => {
    expect(isLocked(failTimes(29, ADDRESS_FAILURE_LIMIT), T0)).toBe(false);
    expect(isLocked(failTimes(30, ADDRESS_FAILURE_LIMIT), T0)).toBe(true);
  });

  it('keeps an existing lock when failures continue during it', () => {
    const locked = failTimes(5, 5) as Counter;
    const more = afterFailure(locked, T0 + 1000, 5);
    expect(more.lockedUntil).toBe(locked.lockedUntil);
    expect(isLocked(more, T0 + 1000)).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { isId, newApiToken, newId, randomBase62, randomPassword, type IdPrefix } from '../../src/domain/ids.ts';

const PREFIXES: IdPrefix[] = ['UR', 'DV', 'GR', 'UT', 'ML', 'MLRP', 'MS', 'SV', 'R', 'RS', 'FS', 'EMD', 'J', 'BL', 'CG', 'SUB', 'F'];

describe('ids', () => {
  it('has the v2 shape PREFIX_[0-9a-e][0-9A-Za-z]{14} for every prefix', () => {
    for (const prefix of PREFIXES) {
      for (let i = 0; i < 200; i++) {
        const id = newId(prefix);
        expect(id).toMatch(new RegExp(`^${prefix}_[0-9a-e][0-9A-Za-z]{14}$`));
        expect(isId(prefix, id)).toBe(true);
      }
    }
  });

  it('uses every allowed first character and the whole base-62 alphabet after it', () => {
    const first = new Set<string>();
    const rest = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const id = newId('SV');
      first.add(id.charAt(3));
      for (const ch of id.slice(4)) rest.add(ch);
    }
    expect([...first].sort().join('')).toBe('0123456789abcde');
    expect(rest.size).toBe(62);
  });

  it('does not repeat', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(newId('R'));
    expect(seen.size).toBe(20_000);
  });

  it('isId refuses other prefixes, lengths and characters', () => {
    const id = newId('UR');
    expect(isId('GR', id)).toBe(false);
    expect(isId('UR', `${id}x`)).toBe(false);
    expect(isId('UR', id.slice(0, -1))).toBe(false);
    expect(isId('UR', `UR_${'-'.repeat(15)}`)).toBe(false);
    expect(isId('UR', ` ${id}`)).toBe(false);
  });

  it('makes 40-character alphanumeric API tokens, all different', () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const token = newApiToken();
      expect(token).toMatch(/^[A-Za-z0-9]{40}$/);
      tokens.add(token);
    }
    expect(tokens.size).toBe(2000);
  });

  it('draws base-62 characters without visible bias', () => {
    const counts = new Map<string, number>();
    const sample = randomBase62(62 * 2000);
    expect(sample).toHaveLength(62 * 2000);
    for (const ch of sample) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(62);
    // Each character should appear about 2000 times; modulo bias would push some toward 2000 * 1.03.
    for (const n of counts.values()) expect(Math.abs(n - 2000)).toBeLessThan(250);
  });

  it('generates 20-character passwords', () => {
    expect(randomPassword()).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(randomPassword()).not.toBe(randomPassword());
  });
});

import { randomBytes, randomInt } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const FIRST = '0123456789abcde';

/** Uniform base-62 characters from the CSPRNG (rejection sampling avoids modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export type IdPrefix = 'UR' | 'DV' | 'GR' | 'UT' | 'ML' | 'MLRP' | 'MS' | 'SV' | 'R' | 'RS' | 'FS' | 'EMD' | 'J' | 'BL' | 'CG' | 'CID' | 'SUB' | 'F';

/**
 * `PREFIX_` + 15 characters. Real v2 IDs always had [0-9a-e] after the underscore (spec wire §7),
 * and some clients validate IDs with that pattern, so ours follow it too.
 */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${FIRST[randomInt(FIRST.length)]}${randomBase62(14)}`;
}

export function isId(prefix: IdPrefix, value: string): boolean {
  return new RegExp(`^${prefix}_[0-9A-Za-z]{15}$`).test(value);
}

/** API tokens: 40 alphanumeric characters, as Qualtrics issued them. */
export function newApiToken(): string {
  return randomBase62(40);
}

export function randomPassword(): string {
  return randomBase62(20);
}

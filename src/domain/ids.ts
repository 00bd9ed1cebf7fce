import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const FIRST = '0123456789abcde';

// CSPRNG bytes are drawn 16 KiB at a time: one system call per ID made imports of 100,000
// recipients spend half a second in getrandom.
const POOL_SIZE = 16 * 1024;
let pool = Buffer.alloc(0);
let poolAt = 0;

function randomByte(): number {
  if (poolAt >= pool.length) {
    pool = randomBytes(POOL_SIZE);
    poolAt = 0;
  }
  return pool[poolAt++] as number;
}

/** Uniform base-62 characters from the CSPRNG (rejection sampling avoids modulo bias). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = randomByte();
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
}

export type IdPrefix = 'UR' | 'DV' | 'GR' | 'UT' | 'ML' | 'MLRP' | 'MS' | 'SV' | 'R' | 'RS' | 'FS' | 'EMD' | 'J' | 'BL' | 'CG' | 'CID' | 'SUB' | 'F';

/**
 * `PREFIX_` + 15 characters. Real v2 IDs always had [0-9a-e] after the underscore (spec wire §7),
 * and some clients validate IDs with that pattern, so ours follow it too.
 */
export function newId(prefix: IdPrefix): string {
  let first = randomByte();
  while (first >= 240) first = randomByte();
  return `${prefix}_${FIRST[first % FIRST.length]}${randomBase62(14)}`;
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

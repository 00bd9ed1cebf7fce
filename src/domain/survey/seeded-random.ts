/**
 * A stream of floats in [0,1) from a seed and the name of a decision (xmur3 hash → mulberry32).
 * Naming each decision keeps it independent of the order the others are taken in, so a stored
 * session replays identically (block and choice randomization, piped random numbers).
 */
export function seededRandom(seed: string, name = ''): () => number {
  let h = 1779033703 ^ (seed.length + name.length + 1);
  for (const ch of `${seed}\u0000${name}`) {
    h = Math.imul(h ^ ch.charCodeAt(0), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

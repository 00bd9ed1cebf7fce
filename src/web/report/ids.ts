/** Element ids unique within one rendered report (aria-labelledby needs them). */
export type IdMaker = () => string;

export function idMaker(prefix = 'rp'): IdMaker {
  const safe = prefix.replace(/[^A-Za-z0-9_-]/g, '_') || 'rp';
  let n = 0;
  return () => `${safe}-${++n}`;
}

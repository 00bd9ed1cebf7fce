/**
 * bench/sav-write: the SPSS .sav writer on 100,000 rows × 30 variables (codes, reals, dates, short
 * and free text with some UTF-8) streamed to /dev/null, bytecode-compressed and plain. Prints rows/s
 * with the same-run baseline: csv-stringify of the same rows to /dev/null.
 *
 *   node bin/run-ts.js bench/sav-write.ts [--rows 100000]
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { savStream, savVariableName, spssDate, type SavValue, type SavVariable } from '../src/domain/export/sav.ts';
import { mb, rowsOption } from './lib/harness.ts';

type Kind = 'code' | 'real' | 'date' | 'short' | 'text';
const KINDS: Kind[] = [
  ...Array<Kind>(12).fill('code'), ...Array<Kind>(5).fill('real'), ...Array<Kind>(2).fill('date'),
  ...Array<Kind>(8).fill('short'), ...Array<Kind>(3).fill('text'),
];

function variables(): SavVariable[] {
  const taken = new Set<string>();
  return KINDS.map((kind, i): SavVariable => {
    const name = savVariableName(`Q${i + 1}_${kind}`, taken);
    if (kind === 'code') return { name, label: `Question ${i + 1}`, type: 'numeric', decimals: 0, valueLabels: [[1, 'Yes'], [2, 'No']] };
    if (kind === 'real') return { name, type: 'numeric', decimals: 2 };
    if (kind === 'date') return { name, type: 'numeric', format: 'DATETIME' };
    if (kind === 'short') return { name, type: 'string', width: 24 };
    return { name, type: 'string', width: 400 };
  });
}

function rows(count: number): SavValue[][] {
  const start = Date.UTC(2024, 0, 1);
  const out: SavValue[][] = [];
  for (let r = 0; r < count; r++) {
    out.push(KINDS.map((kind, i) => {
      const x = (r * 31 + i * 17) % 101;
      if (kind === 'code') return x < 10 ? null : 1 + (x % 5);
      if (kind === 'real') return x * 1.37 + r / 1000;
      if (kind === 'date') return spssDate(start + r * 60_000 + i * 1000);
      if (kind === 'short') return x < 20 ? '' : `R_${r.toString(36)}${i}`;
      return x < 50 ? '' : x < 60 ? `Ünïcødé ✓ answer ${r} with some more words` : `A free text answer number ${r}, ${'word '.repeat(x % 20)}end`;
    }));
  }
  return out;
}

async function timeIt(source: () => Readable): Promise<{ seconds: number; bytes: number }> {
  let bytes = 0;
  const started = performance.now();
  const counted = source();
  counted.on('data', (c: Buffer | string) => (bytes += c.length));
  await pipeline(counted, createWriteStream('/dev/null'));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, bytes };
}

async function main(): Promise<void> {
  const count = rowsOption();
  const vars = variables();
  const data = rows(count);
  const line = (label: string, r: { seconds: number; bytes: number }) =>
    console.log(`${label.padEnd(46)} ${(count / r.seconds).toFixed(0).padStart(8)} rows/s (${r.seconds.toFixed(2)} s, ${mb(r.bytes)} MB)`);
  console.log(`table      ${count} rows × ${vars.length} variables`);
  // A warm-up pass of each, so the timings compare compiled code.
  const warm = data.slice(0, 5000);
  await timeIt(() => Readable.from(savStream(vars, warm)));
  await timeIt(() => Readable.from(warm).pipe(stringify()));
  line('baseline   csv-stringify to /dev/null', await timeIt(() => Readable.from(data).pipe(stringify())));
  line('insight    .sav bytecode to /dev/null', await timeIt(() => Readable.from(savStream(vars, data))));
  line('insight    .sav uncompressed to /dev/null', await timeIt(() => Readable.from(savStream(vars, data, { compression: 'none' }))));
}

await main();

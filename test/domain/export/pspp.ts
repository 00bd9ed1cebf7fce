/**
 * Reading .sav files back with GNU PSPP (`apt-get install pspp`), an independent reader: its
 * dictionary tables and every value, as text. pspp's warnings (stderr) fail the calling test.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { expect } from 'vitest';

export interface PsppView {
  /** SYSFILE INFO's File Information table. */
  info: Record<string, string>;
  /** DISPLAY DICTIONARY's Variables table (Label, Measurement Level, Width, Print Format, …) by name. */
  variables: Map<string, Record<string, string>>;
  /** Value labels by variable name: [value as pspp prints it, label]. */
  valueLabels: Map<string, string[][]>;
  header: string[];
  /** Every case; numbers in full precision, system-missing as ' ', dates as mm/dd/yyyy hh:mm:ss. */
  rows: string[][];
}

export function requirePspp(): void {
  const probe = spawnSync('pspp', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('GNU PSPP is required to verify .sav files and `pspp` was not found on PATH: install it with `apt-get install pspp`');
  }
}

/** Has pspp read `file` (working in `dir`) and report its dictionary and every value. */
export function psppRead(file: string, dir: string): PsppView {
  const out = join(dir, 'pspp-out.csv');
  const data = join(dir, 'pspp-data.csv');
  const syntax = join(dir, 'pspp-read.sps');
  writeFileSync(syntax, [
    // Tables name variables by name, so value labels of variables sharing a label stay apart.
    'SET TVARS=NAMES.',
    `GET FILE='${file}'.`,
    `SYSFILE INFO FILE='${file}'.`,
    'DISPLAY DICTIONARY.',
    `SAVE TRANSLATE /OUTFILE='${data}' /TYPE=CSV /REPLACE /FIELDNAMES /TEXTOPTIONS FORMAT=PLAIN.`,
    '',
  ].join('\n'));
  const run = spawnSync('pspp', [syntax, '-o', out], { encoding: 'utf8', cwd: dir });
  expect(run.stderr, 'pspp complained').toBe('');
  expect(run.status).toBe(0);
  const tables = psppTables(readFileSync(out, 'utf8'));
  const info = Object.fromEntries(tables.get('File Information') ?? []) as Record<string, string>;
  const [varHeader, ...varRows] = tables.get('Variables') ?? [[]];
  const variables = new Map(varRows.map((r) => [r[0], Object.fromEntries(varHeader.map((h, i) => [h, r[i]]))]));
  const valueLabels = new Map<string, string[][]>();
  let current = '';
  for (const r of (tables.get('Value Labels') ?? [[]]).slice(1)) {
    current = r[0] || current;
    valueLabels.set(current, [...(valueLabels.get(current) ?? []), [r[1], r[2]]]);
  }
  const [header, ...rows] = parse(readFileSync(data, 'utf8'), { relax_column_count: false }) as string[][];
  return { info, variables, valueLabels, header, rows };
}

/** pspp's CSV output: `Table: Name` followed by CSV lines, tables separated by blank lines. */
export function psppTables(text: string): Map<string, string[][]> {
  const tables = new Map<string, string[][]>();
  for (const block of text.split(/\n\n+/)) {
    const m = /^Table: (.*)\n/.exec(block);
    if (m) tables.set(m[1], parse(block.slice(m[0].length), { relax_column_count: true }) as string[][]);
  }
  return tables;
}

/**
 * The file as pspp saves it again, uncompressed: each string up to 255 bytes then lies whole in the
 * bytes, so a test can look for text that pspp's CSV output would change (it writes CRLF as LF).
 */
export function psppResaved(file: string, dir: string): Buffer {
  const copy = join(dir, 'pspp-resaved.sav');
  const syntax = join(dir, 'pspp-resave.sps');
  writeFileSync(syntax, `GET FILE='${file}'.\nSAVE OUTFILE='${copy}' /UNCOMPRESSED.\n`);
  const run = spawnSync('pspp', [syntax], { encoding: 'utf8', cwd: dir });
  expect(run.stderr, 'pspp complained').toBe('');
  expect(run.status).toBe(0);
  return readFileSync(copy);
}

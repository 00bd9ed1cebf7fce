/**
 * The .sav writer checked against an independent reader: GNU PSPP (`apt-get install pspp`, which
 * .ci/run does). Each test writes a file, has pspp read it back (SYSFILE INFO, DISPLAY DICTIONARY,
 * SAVE TRANSLATE to CSV with full-precision numbers) and compares what pspp saw with what was
 * written. pspp's warnings (stderr) fail the test too.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { psppTables } from './pspp.ts';
import {
  type SavOptions, type SavValue, type SavVariable,
  isSavName, savCaseCountPatch, savStream, savVariableName, savWriter, spssDate,
} from '../../../src/domain/export/sav.ts';

let dir = '';

beforeAll(() => {
  const probe = spawnSync('pspp', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('GNU PSPP is required to verify .sav files and `pspp` was not found on PATH: install it with `apt-get install pspp`');
  }
  dir = mkdtempSync(join(tmpdir(), 'insight-sav-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// ---- pspp -------------------------------------------------------------------------------------

interface PsppView {
  info: Record<string, string>;
  /** DISPLAY DICTIONARY's Variables table by name. */
  variables: Map<string, Record<string, string>>;
  /** [variable label or name, value, label]. */
  valueLabels: string[][];
  header: string[];
  rows: string[][];
}

/** Has pspp read `file` and report its dictionary and every value. */
function psppRead(file: string): PsppView {
  const out = join(dir, 'out.csv');
  const data = join(dir, 'data.csv');
  const syntax = join(dir, 'read.sps');
  writeFileSync(syntax, [
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
  const info = Object.fromEntries(tables.get('File Information') ?? []);
  const [varHeader, ...varRows] = tables.get('Variables') ?? [[]];
  const variables = new Map(varRows.map((r) => [r[0], Object.fromEntries(varHeader.map((h, i) => [h, r[i]]))]));
  let current = '';
  const valueLabels = (tables.get('Value Labels') ?? [[]]).slice(1).map((r) => [(current = r[0] || current), r[1], r[2]]);
  const [header, ...rows] = parse(readFileSync(data, 'utf8'), { relax_column_count: false }) as string[][];
  return { info, variables, valueLabels, header, rows };
}

function writeSav(name: string, variables: SavVariable[], rows: SavValue[][], options?: SavOptions): string {
  const file = join(dir, name);
  const w = savWriter(variables, options);
  const parts = [w.header()];
  for (const r of rows) parts.push(w.row(r));
  parts.push(w.end());
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

// ---- expected values as pspp prints them ------------------------------------------------------

/** SAVE TRANSLATE's plain date-times: mm/dd/yyyy hh:mm:ss. */
function plainDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Whether one cell of pspp's CSV shows the value written. */
function sameCell(v: SavVariable, written: SavValue, cell: string): boolean {
  // pspp drops trailing spaces, which a fixed-width string cannot tell from padding.
  if (v.type === 'string') return cell === (written === null || written === undefined ? '' : String(written).trimEnd());
  if (written === null || written === undefined || (typeof written === 'number' && !Number.isFinite(written))) return cell === ' ';
  if (v.format === 'DATETIME') return cell === plainDate(written as number);
  return Number(cell) === Number(written);
}

/** Compares every cell (one expect per cell would dominate the run time) and lists the first misses. */
function expectRows(variables: SavVariable[], rows: SavValue[][], cells: string[][]): void {
  expect(cells).toHaveLength(rows.length);
  const misses: string[] = [];
  rows.forEach((r, i) => variables.forEach((v, j) => {
    const written = asWritten(v, r[j]);
    if (misses.length < 10 && !sameCell(v, written, cells[i][j])) misses.push(`row ${i} ${v.name}: wrote ${JSON.stringify(written)}, pspp read ${JSON.stringify(cells[i][j])}`);
  }));
  expect(misses).toEqual([]);
}

// ---- generated data ---------------------------------------------------------------------------

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', ' ', 'ü', 'Ünïcødé ✓', '✓', '😀', ',', '"', '\n', 'x', '9', '中文', 'é'];

/** Text of at most `maxBytes` UTF-8 bytes that does not end in a space. */
function text(rnd: () => number, maxBytes: number): string {
  const target = Math.floor(rnd() * (maxBytes + 1));
  let s = '';
  let bytes = 0;
  for (;;) {
    const piece = PIECES[Math.floor(rnd() * PIECES.length)];
    const b = Buffer.byteLength(piece);
    if (bytes + b > target) break;
    s += piece;
    bytes += b;
  }
  return s.trimEnd();
}

/** 200 variables of every kind the writer handles, and a generator of their values. */
function wideTable(): { variables: SavVariable[]; value: (rnd: () => number, col: number) => SavValue } {
  const kinds = ['int', 'real', 'short', 'text', 'date', 'coded', 'char', 'real'];
  const variables: SavVariable[] = [];
  const kindOf: string[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const kind = i % 40 === 4 ? 'long' : kinds[i % kinds.length];
    kindOf.push(kind);
    const name = savVariableName(`Q${i}_${kind}_column_with_a_long_name`, taken);
    if (kind === 'int' || kind === 'real') variables.push({ name, type: 'numeric' });
    else if (kind === 'date') variables.push({ name, type: 'numeric', format: 'DATETIME' });
    else if (kind === 'coded') variables.push({ name, type: 'numeric', decimals: 0, valueLabels: [[1, 'One'], [2, 'Two']] });
    else if (kind === 'short') variables.push({ name, type: 'string', width: 8 });
    else if (kind === 'char') variables.push({ name, type: 'string', width: 1 });
    else if (kind === 'text') variables.push({ name, type: 'string', width: 40 });
    else variables.push({ name, type: 'string', width: 700 });
  }
  const value = (rnd: () => number, col: number): SavValue => {
    const r = rnd();
    switch (kindOf[col]) {
      case 'int': return r < 0.1 ? null : Math.floor(rnd() * 300) - 120; // across the -99..151 compressible range
      case 'real': return r < 0.1 ? null : r < 0.2 ? Number.NaN : (rnd() - 0.5) * 10 ** Math.floor(rnd() * 20 - 5);
      case 'date': return r < 0.1 ? null : spssDate(Math.floor(Date.UTC(2000, 0, 1) / 1000 + rnd() * 1e9) * 1000);
      case 'coded': return r < 0.2 ? null : 1 + Math.floor(rnd() * 5);
      case 'short': return r < 0.2 ? '' : text(rnd, 8);
      case 'char': return r < 0.3 ? '' : 'ABC'[Math.floor(rnd() * 3)];
      case 'text': return r < 0.2 ? '' : r < 0.25 ? null : text(rnd, 40);
      default: return r < 0.1 ? '' : text(rnd, 700);
    }
  };
  return { variables, value };
}

/** DATETIME values are written as SPSS seconds; the reader prints them as dates of the Unix ms. */
function asWritten(v: SavVariable, value: SavValue): SavValue {
  return v.format === 'DATETIME' && typeof value === 'number' ? (value - spssDate(0)) * 1000 : value;
}

// ---- tests ------------------------------------------------------------------------------------

describe('savWriter read back by pspp', () => {
  const dictionary: SavVariable[] = [
    { name: 'ResponseID', label: 'Response ID', type: 'string', width: 17 },
    { name: 'Q1', label: 'How satisfied are you? Ünïcødé ✓', type: 'numeric', decimals: 0, measure: 'ordinal', valueLabels: [[1, 'Very unhappy'], [2, 'Neutral ✓'], [3, 'Happy']] },
    { name: 'Q1_TEXT', label: 'Other (please specify)', type: 'string', width: 300, valueLabels: [['n/a', 'Not applicable']] },
    { name: 'Q2', type: 'string', width: 3, valueLabels: [['Y', 'Yes'], ['N', 'No']] },
    { name: 'Q3#1_2', type: 'numeric', decimals: 2, measure: 'scale' },
    { name: 'Q1.1', type: 'numeric', decimals: 0, valueLabels: [[-99, 'Seen but not answered']] },
    { name: 'StartDate', label: 'Start date', type: 'numeric', format: 'DATETIME' },
    { name: 'Frage_größe_中文', label: 'x'.repeat(300), type: 'string', width: 12, valueLabels: [['größe', 'ä'.repeat(100)]] },
    { name: 'A_very_long_variable_name_that_goes_on_and_on_to_64_bytes_xxxxx', type: 'numeric' },
    { name: 'Huge', type: 'string', width: 20000 },
  ];
  const rows: SavValue[][] = [
    ['R_abc', 1, 'n/a', 'Y', 3.25, -99, spssDate(Date.UTC(2024, 1, 29, 23, 59, 58)), 'größe', 1e-7, 'é'.repeat(10000)],
    ['', null, 'é'.repeat(150), '', null, null, null, '', -123456.789, ''],
  ];

  for (const compression of ['bytecode', 'none'] as const) {
    it(`keeps names, labels, formats, measures and value labels (${compression})`, () => {
      const view = psppRead(writeSav(`dict-${compression}.sav`, dictionary, rows, { compression, fileLabel: 'Ünïcødé survey', created: new Date(Date.UTC(2025, 2, 4, 5, 6, 7)) }));
      expect(view.info).toMatchObject({
        Label: 'Ünïcødé survey', Created: '04 Mar 25 05:06:07 by Insight', Variables: '10', Cases: 'Unknown',
        Encoding: 'UTF-8', Compression: compression === 'none' ? 'None' : 'SAV',
      });
      expect([...view.variables.keys()]).toEqual(dictionary.map((v) => v.name));
      const row = (name: string) => view.variables.get(name);
      expect(row('ResponseID')).toMatchObject({ Label: 'Response ID', 'Measurement Level': 'Nominal', Width: '17', Alignment: 'Left', 'Print Format': 'A17', 'Write Format': 'A17' });
      expect(row('Q1')).toMatchObject({ Label: 'How satisfied are you? Ünïcødé ✓', 'Measurement Level': 'Ordinal', Alignment: 'Right', 'Print Format': 'F8.0' });
      expect(row('Q1_TEXT')).toMatchObject({ 'Measurement Level': 'Nominal', 'Print Format': 'A300' });
      expect(row('Q2')).toMatchObject({ 'Print Format': 'A3' });
      expect(row('Q3#1_2')).toMatchObject({ 'Measurement Level': 'Scale', 'Print Format': 'F8.2' });
      expect(row('Q1.1')).toMatchObject({ 'Measurement Level': 'Nominal', 'Print Format': 'F8.0' });
      expect(row('StartDate')).toMatchObject({ Label: 'Start date', 'Measurement Level': 'Scale', Width: '20', 'Print Format': 'DATETIME20.0' });
      // Variable labels are cut to 255 bytes, at a character boundary.
      expect(row('Frage_größe_中文')).toMatchObject({ Label: 'x'.repeat(255), 'Print Format': 'A12' });
      expect(row('A_very_long_variable_name_that_goes_on_and_on_to_64_bytes_xxxxx')).toMatchObject({ 'Print Format': 'F8.2', 'Measurement Level': 'Scale' });
      expect(row('Huge')).toMatchObject({ 'Print Format': 'A20000' });
      expect(view.valueLabels).toEqual([
        ['How satisfied are you? Ünïcødé ✓', '1', 'Very unhappy'],
        ['How satisfied are you? Ünïcødé ✓', '2', 'Neutral ✓'],
        ['How satisfied are you? Ünïcødé ✓', '3', 'Happy'],
        ['Other (please specify)', 'n/a', 'Not applicable'],
        ['Q2', 'N', 'No'],
        ['Q2', 'Y', 'Yes'],
        ['Q1.1', '-99', 'Seen but not answered'],
        // Value labels are cut to 120 bytes (60 two-byte characters).
        ['x'.repeat(255), 'größe', 'ä'.repeat(60)],
      ]);
      expect(view.header).toEqual(dictionary.map((v) => v.name));
      expectRows(dictionary, rows, view.rows);
    });
  }

  it('cuts strings longer than their width at a character boundary', () => {
    const file = writeSav('cut.sav', [{ name: 's', type: 'string', width: 5 }, { name: 'l', type: 'string', width: 260 }], [
      ['abcdé', `${'a'.repeat(259)}é`],
      ['✓✓', 'b'.repeat(400)],
    ]);
    expect(psppRead(file).rows).toEqual([['abcd', 'a'.repeat(259)], ['✓', 'b'.repeat(260)]]);
  });

  it('reads numbers back exactly, with system-missing for null, undefined, NaN, infinities and blanks', () => {
    const values: SavValue[] = [0, -0, 1, -99, 151, -100, 152, 0.5, 1 / 3, 0.1 + 0.2, -2.5e15, 1e-300, Number.MAX_SAFE_INTEGER, '42', ' 7.5 ', null, undefined, Number.NaN, Infinity, '', 'abc'];
    const file = writeSav('numbers.sav', [{ name: 'x', type: 'numeric' }], values.map((v) => [v]));
    const cells = psppRead(file).rows.map((r) => r[0]);
    expect(cells).toEqual(['0', '0', '1', '-99', '151', '-100', '152', '0.5', String(1 / 3), String(0.1 + 0.2), '-2.5e+15', '1e-300', String(Number.MAX_SAFE_INTEGER), '42', '7.5', ' ', ' ', ' ', ' ', ' ', ' ']);
  });

  it('writes dates as DATETIME seconds since 1582-10-14, from numbers or Date objects', () => {
    expect(spssDate(Date.UTC(1582, 9, 14))).toBe(0);
    expect(spssDate(Date.UTC(1970, 0, 1, 0, 0, 1))).toBe(12_219_379_201);
    const at = Date.UTC(2023, 11, 31, 12, 30, 15);
    const file = writeSav('dates.sav', [{ name: 'd', type: 'numeric', format: 'DATETIME' }], [[spssDate(at)], [new Date(at)], [null]]);
    expect(psppRead(file).rows.map((r) => r[0])).toEqual(['12/31/2023 12:30:15', '12/31/2023 12:30:15', ' ']);
  });

  it('gives variables sharing their first 8 characters distinct records', () => {
    const names = ['QUESTION', 'Questio1', 'QuestionOne', ...Array.from({ length: 30 }, (_, i) => `QuestionOne_${i}`), 'V', 'V1', 'Ünï', 'Ünï2'];
    const variables = names.map((name): SavVariable => ({ name, type: 'string', width: 300 }));
    const file = writeSav('short-names.sav', variables, [names]);
    const view = psppRead(file);
    expect(view.header).toEqual(names);
    expect(view.rows).toEqual([names]);
  });

  for (const compression of ['bytecode', 'none'] as const) {
    it(`streams 10,000 rows of 200 variables and every value reads back (${compression})`, async () => {
      const { variables, value } = wideTable();
      const rnd = random(compression === 'none' ? 1 : 2);
      const rows: SavValue[][] = [];
      for (let i = 0; i < 10_000; i++) rows.push(variables.map((_, j) => value(rnd, j)));
      const file = join(dir, `wide-${compression}.sav`);
      await pipeline(Readable.from(savStream(variables, rows, { compression })), createWriteStream(file));
      // A seekable file can get its case count after the fact.
      const patch = savCaseCountPatch(rows.length);
      const fd = openSync(file, 'r+');
      writeSync(fd, patch.bytes, 0, patch.bytes.length, patch.position);
      closeSync(fd);

      const view = psppRead(file);
      expect(view.info.Cases).toBe('10000');
      expect(view.info.Variables).toBe('200');
      expect(view.header).toEqual(variables.map((v) => v.name));
      expectRows(variables, rows, view.rows);
      const coded = variables.find((v) => v.valueLabels)!;
      expect(view.variables.get(coded.name)).toMatchObject({ 'Measurement Level': 'Nominal' });
      expect(view.valueLabels.filter((l) => l[0] === coded.name).map((l) => l.slice(1))).toEqual([['1', 'One'], ['2', 'Two']]);
    }, 180_000);
  }

  it('writes a known case count in the header and refuses a different number of rows', () => {
    const v: SavVariable[] = [{ name: 'x', type: 'numeric' }];
    expect(psppRead(writeSav('count.sav', v, [[1], [2], [3]], { cases: 3 })).info.Cases).toBe('3');
    const w = savWriter(v, { cases: 2 });
    w.header();
    w.row([1]);
    expect(w.cases).toBe(1);
    expect(() => w.end()).toThrow(/promised 2 cases but 1/);
  });
});

describe('savWriter chunks', () => {
  it('returns nothing until 64 KiB are ready, and the chunks add up to the whole file', () => {
    const variables: SavVariable[] = [{ name: 'n', type: 'numeric' }, { name: 's', type: 'string', width: 20 }];
    const rows: SavValue[][] = Array.from({ length: 20_000 }, (_, i) => [i * 1.5, `row ${i}`]);
    for (const compression of ['bytecode', 'none'] as const) {
      const w = savWriter(variables, { compression, created: new Date(0) });
      const chunks = [w.header()];
      let empty = 0;
      for (const r of rows) {
        const c = w.row(r);
        if (c.length === 0) empty++;
        else {
          expect(c.length).toBeGreaterThanOrEqual(64 * 1024 - 80);
          chunks.push(c);
        }
      }
      chunks.push(w.end());
      expect(empty).toBeGreaterThan(rows.length / 2);
      expect(chunks.length).toBeGreaterThan(3);
      // Same bytes as a second writer whose rows are concatenated in one go.
      const again = savWriter(variables, { compression, created: new Date(0) });
      const whole = Buffer.concat([again.header(), ...rows.map((r) => again.row(r)), again.end()]);
      expect(Buffer.concat(chunks).equals(whole)).toBe(true);
      // Uncompressed, a case is exactly 8 bytes for the number and 24 for the padded string.
      if (compression === 'none') expect(whole.length - again.header().length).toBe(rows.length * (8 + 24));
    }
  });
});

describe('savWriter validation', () => {
  it('refuses illegal or duplicate names, bad widths and formats', () => {
    expect(() => savWriter([])).toThrow(RangeError);
    expect(() => savWriter([{ name: '1abc', type: 'numeric' }])).toThrow(/not a legal SPSS variable name/);
    expect(() => savWriter([{ name: 'TO', type: 'numeric' }])).toThrow(/not a legal/);
    expect(() => savWriter([{ name: 'a b', type: 'numeric' }])).toThrow(/not a legal/);
    expect(() => savWriter([{ name: 'x'.repeat(65), type: 'numeric' }])).toThrow(/not a legal/);
    expect(() => savWriter([{ name: 'Q1', type: 'numeric' }, { name: 'q1', type: 'string' }])).toThrow(/duplicate/);
    expect(() => savWriter([{ name: 's', type: 'string', width: 0 }])).toThrow(/width/);
    expect(() => savWriter([{ name: 's', type: 'string', width: 32768 }])).toThrow(/width/);
    expect(() => savWriter([{ name: 's', type: 'string', format: 'F' }])).toThrow(/format A/);
    expect(() => savWriter([{ name: 'n', type: 'numeric', format: 'A' }])).toThrow(/format A/);
    expect(() => savWriter([{ name: 's', type: 'string', measure: 'scale' }])).toThrow(/scale/);
    expect(() => savWriter([{ name: 'n', type: 'numeric', valueLabels: [['x', 'X']] }])).toThrow(/not a number/);
    expect(() => savWriter([{ name: 'n', type: 'numeric' }]).row([1, 2])).toThrow(/2 values for 1 variables/);
  });
});

describe('savVariableName', () => {
  it('keeps legal export column names as they are', () => {
    const taken = new Set<string>();
    expect(['Q1_TEXT', 'V1', 'Q3#1_2', 'Q1.1', 'ResponseID', 'Frage_größe', '@x'].map((n) => savVariableName(n, taken)))
      .toEqual(['Q1_TEXT', 'V1', 'Q3#1_2', 'Q1.1', 'ResponseID', 'Frage_größe', '@x']);
  });

  it('makes illegal names legal and duplicates unique, ignoring case', () => {
    const taken = new Set<string>();
    const names = ['1st', 'Q1 (text)', 'Q1', 'q1', 'Q1', 'TO', 'with', 'Q5.', 'Q6_', '', '#scratch', '$sys', '_x', 'é-ü', `${'L'.repeat(70)}`, `${'L'.repeat(70)}`, `${'ü'.repeat(40)}`, 'TO.', '__']
      .map((n) => savVariableName(n, taken));
    expect(names).toEqual(['V1st', 'Q1_text', 'Q1', 'q1_2', 'Q1_3', 'VTO', 'Vwith', 'Q5', 'Q6', 'V', 'V#scratch', 'V$sys', 'V_x', 'é_ü', 'L'.repeat(64), `${'L'.repeat(62)}_2`, 'ü'.repeat(32), 'VTO_2', 'V_2']);
    for (const n of names) expect(isSavName(n), n).toBe(true);
    expect(taken.has('Q1_3')).toBe(true);
  });

  it('gives names pspp reads back unchanged', () => {
    const taken = new Set<string>();
    const raw = ['1st', 'Q1 (text)', 'Q1', 'q1', 'TO', 'é-ü', 'L'.repeat(70), 'L'.repeat(70), 'ü'.repeat(40), 'Q3#1_2', 'Q1.1'];
    const variables = raw.map((n): SavVariable => ({ name: savVariableName(n, taken), type: 'numeric' }));
    const view = psppRead(writeSav('names.sav', variables, [variables.map((_, i) => i)]));
    expect(view.header).toEqual(variables.map((v) => v.name));
  });
});

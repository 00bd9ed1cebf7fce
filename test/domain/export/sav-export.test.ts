/**
 * The SPSS export through exportFile('sav', …), read back by GNU PSPP (see pspp.ts) and checked
 * against the csv export of the same rows: names, labels, value labels, types, widths, measures and
 * every value.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvSafe } from '../../../src/domain/csv-output.ts';
import { SinkClosedError } from '../../../src/domain/export/file-sink.ts';
import { exportFile, FILE_FORMATS, isFileFormat, type ExportRows, type FileExportOptions } from '../../../src/domain/export/files.ts';
import { LegacyExportOptionError, prepareLegacyExport, type StoredResponse } from '../../../src/domain/export/legacy-response-data.ts';
import type { ExportResponse } from '../../../src/domain/export/modern-layout.ts';
import { SavRowsChangedError, savExport } from '../../../src/domain/export/sav-export.ts';
import { isSavName } from '../../../src/domain/export/sav.ts';
import type { QsfSurvey } from '../../../src/domain/survey/qsf.ts';
import { DIALECT } from '../survey/fixtures.ts';
import { psppRead, psppResaved, requirePspp, type PsppView } from './pspp.ts';
import { loadSurvey, recordedRecords, setName, storedResponse, syntheticSurvey } from './recorded-responses.ts';

let dir = '';

beforeAll(() => {
  requirePspp();
  dir = mkdtempSync(join(tmpdir(), 'insight-sav-export-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    done();
  }
}

let files = 0;

/** Exports to a file and has pspp read it. */
async function savView(survey: QsfSurvey, rows: readonly ExportResponse[], options: FileExportOptions = {}): Promise<PsppView & { file: string }> {
  const file = join(dir, `export-${++files}.sav`);
  const result = await exportFile('sav', survey, { responseSetName: setName, ...options }, () => rows, createWriteStream(file));
  expect(result.rows).toBe(rows.length);
  return { ...psppRead(file, dir), file };
}

/** The csv export of the same rows: names, labels, data. */
async function csvOf(survey: QsfSurvey, rows: readonly ExportResponse[], options: FileExportOptions = {}): Promise<{ head: string[]; labels: string[]; data: string[][] }> {
  const sink = new Collector();
  await exportFile('csv', survey, { responseSetName: setName, ...options }, rows, sink);
  const [head, labels, ...data] = parse(Buffer.concat(sink.chunks), { bom: true }) as string[][];
  return { head, labels: labels.map(undefused), data: data.map((r) => r.map(undefused)) };
}

/** The text before csv-output's formula guard added its apostrophe. */
function undefused(cell: string): string {
  return cell.startsWith("'") && csvSafe(cell.slice(1)) === cell ? cell.slice(1) : cell;
}

/** SAVE TRANSLATE's plain date-time from the csv's ISO 8601 wall clock (`2015-03-02T13:50:13-05:00`). */
function plainDate(iso: string): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d:\d\d)/.exec(iso)!;
  return `${m[2]}/${m[3]}/${m[1]} ${m[4]}`;
}

/** The value label SPSS keeps: 255 bytes, cut at a character boundary. */
function spssLabel(text: string): string {
  let b = Buffer.from(text).subarray(0, 255);
  while (b.length && b.toString('utf8').endsWith('\ufffd')) b = b.subarray(0, b.length - 1);
  return b.toString('utf8');
}

/**
 * Every variable against the csv column at the same position: the name is the csv name made
 * legal, the label the csv label, and every value the csv cell, by the variable's type.
 */
function expectSameAsCsv(view: PsppView, csv: { head: string[]; labels: string[]; data: string[][] }, names: ReadonlyMap<string, string>): void {
  expect(view.header).toEqual(csv.head.map((n) => names.get(n)));
  expect(new Set(view.header.map((n) => n.toUpperCase())).size).toBe(view.header.length);
  expect(view.rows).toHaveLength(csv.data.length);
  const misses: string[] = [];
  view.header.forEach((name, j) => {
    expect(isSavName(name), name).toBe(true);
    const v = view.variables.get(name)!;
    expect({ name, label: v.Label }).toEqual({ name, label: spssLabel(csv.labels[j]) });
    const format = v['Print Format'];
    csv.data.forEach((row, i) => {
      const cell = row[j];
      const got = view.rows[i][j];
      let ok: boolean;
      // pspp drops trailing spaces (padding, to SPSS) and writes CRLF as LF in its CSV.
      if (format.startsWith('A')) ok = got === cell.replace(/\r\n/g, '\n').trimEnd();
      else if (format.startsWith('DATETIME')) ok = got === (cell === '' ? ' ' : plainDate(cell));
      else ok = cell === '' ? got === ' ' : Number(got) === Number(cell);
      if (!ok && misses.length < 10) misses.push(`row ${i} ${name} (${format}): csv ${JSON.stringify(cell)}, sav ${JSON.stringify(got)}`);
    });
  });
  expect(misses).toEqual([]);
}

const recorded = (name: string): { survey: QsfSurvey; rows: StoredResponse[] } => {
  const survey = loadSurvey(name);
  return { survey, rows: recordedRecords(name, prepareLegacyExport(survey, { dialect: DIALECT[name], responseSetName: setName })) };
};

// ---- recorded surveys -------------------------------------------------------------------------

describe('sav export of recorded responses', () => {
  it('is a file format', () => {
    expect(isFileFormat('sav')).toBe(true);
    expect(FILE_FORMATS.sav).toEqual({ label: 'SPSS (sav)', contentType: 'application/x-spss-sav', extension: 'sav' });
  });

  it('sample-survey: dictionary, value labels and every value as the csv has them', async () => {
    const { survey, rows } = recorded('sample-survey');
    const view = await savView(survey, rows);
    const csv = await csvOf(survey, rows);
    expect(view.info).toMatchObject({ Label: 'Better Sample Survey', Variables: String(csv.head.length), Cases: String(rows.length), Encoding: 'UTF-8', Compression: 'SAV' });
    const names = savExport(survey, { responseSetName: setName }).names;
    expectSameAsCsv(view, csv, names);
    // Illegal characters become _, legal names stay as they are.
    expect(['Duration (in seconds)', 'Q10#2_1_-1', 'Q11#1_1_-99', 'q6_reservations#1_1', 'q2_favorite'].map((n) => names.get(n)))
      .toEqual(['Duration_in_seconds', 'Q10#2_1__1', 'Q11#1_1__99', 'q6_reservations#1_1', 'q2_favorite']);

    const dict = (name: string) => view.variables.get(name);
    expect(dict('ResponseId')).toMatchObject({ 'Print Format': 'A17', 'Measurement Level': 'Nominal' });
    expect(dict('ResponseSet')).toMatchObject({ 'Print Format': 'A20' });
    for (const d of ['StartDate', 'EndDate', 'RecordedDate']) expect(dict(d)).toMatchObject({ 'Print Format': 'DATETIME20.0' });
    expect(dict('Status')).toMatchObject({ Label: 'Response Type', 'Print Format': 'F8.0', 'Measurement Level': 'Nominal' });
    expect(dict('Finished')).toMatchObject({ 'Print Format': 'F8.0', 'Measurement Level': 'Nominal' });
    expect(dict('Duration_in_seconds')).toMatchObject({ 'Print Format': 'F8.0', 'Measurement Level': 'Scale' });
    // No data: the narrowest string.
    expect(dict('IPAddress')).toMatchObject({ 'Print Format': 'A1' });
    expect(dict('LocationLatitude')).toMatchObject({ 'Print Format': 'F9.6', 'Measurement Level': 'Scale' });
    const longest = Math.max(...rows.map((r) => Buffer.byteLength(String(r.values.QID3 ?? ''))));
    expect(longest).toBeGreaterThan(100);
    expect(dict('q5_position')).toMatchObject({ 'Print Format': `A${longest}`, 'Measurement Level': 'Nominal' });
    expect(dict('q2_favorite')).toMatchObject({ 'Print Format': 'F8.0', 'Measurement Level': 'Nominal' });
    expect(dict('q4_rank_1')).toMatchObject({ 'Measurement Level': 'Ordinal' });
    expect(dict('q6_reservations#1_1')).toMatchObject({ 'Measurement Level': 'Ordinal' });
    // A dropdown column is not a rating scale.
    expect(dict('q6_reservations#2_1')).toMatchObject({ 'Measurement Level': 'Nominal' });
    expect(dict('q1_recent_q1_recent_1_1')).toMatchObject({ 'Measurement Level': 'Nominal' });

    const labels = (name: string) => view.valueLabels.get(name);
    expect(labels('Status')).toEqual([['0', 'IP Address'], ['1', 'Survey Preview'], ['2', 'Survey Test'], ['4', 'Imported'], ['8', 'Spam'], ['16', 'Offline']]);
    expect(labels('Finished')).toEqual([['0', 'False'], ['1', 'True']]);
    expect(labels('q2_favorite')).toEqual([['1', 'Canteloupe'], ['2', 'Kiwi'], ['3', 'Pomagranite']]);
    expect(labels('q3_volunteer_4')).toEqual([['1', 'None of the above']]);
    expect(labels('q1_recent_q1_recent_2_3')).toEqual([['1', 'In the last year']]);
    expect(labels('q4_rank_1')).toEqual([['-1', 'Never Tried It'], ['1', 'Enjoy'], ['2', 'Ambivalent'], ['3', 'Dislike']]);
    expect(labels('q6_reservations#2_3')).toEqual([['1', 'I have no reservations'], ['2', 'Food allergy'], ['3', 'Dislike the taste'], ['4', 'Other']]);
    // Side-by-side cells with one scale point hold, and label, that point's recode.
    expect(labels('Q10#2_1__1')).toEqual([['-1', 'Answer 1']]);
    expect(labels('Q12#1_1_0')).toEqual([['0', 'Answer 1']]);
    // With several points a cell flags its own point with 1.
    expect(labels('Q11#1_1__99')).toEqual([['1', 'Answer 2']]);
    expect(labels('q5_position')).toBeUndefined();
    expect(labels('Duration_in_seconds')).toBeUndefined();
  });

  it('multiple-answer-matrix-questions: one flag variable per row and scale point', async () => {
    const { survey, rows } = recorded('multiple-answer-matrix-questions');
    const view = await savView(survey, rows);
    const csv = await csvOf(survey, rows);
    expect(view.info.Cases).toBe(String(rows.length));
    expectSameAsCsv(view, csv, savExport(survey).names);
    const cells = view.header.filter((n) => /^Q2_\d_\d$/.test(n));
    expect(cells).toHaveLength(12);
    for (const name of cells) {
      expect(view.variables.get(name)).toMatchObject({ 'Print Format': 'F8.0', 'Measurement Level': 'Nominal' });
      expect(view.valueLabels.get(name)).toEqual([['1', `Click to write Scale point ${name.slice(-1)}`]]);
    }
    // Some cells are selected, some are not: both read back.
    const at = view.header.indexOf('Q2_1_1');
    expect(new Set(view.rows.map((r) => r[at]))).toEqual(new Set(['1', ' ']));
  });

  it('many-different-question-types: sliders on a scale, rating matrices ordinal, text as strings', async () => {
    const { survey, rows } = recorded('many-different-question-types');
    const view = await savView(survey, rows);
    expectSameAsCsv(view, await csvOf(survey, rows), savExport(survey).names);
    expect(view.variables.get('Q5_1')).toMatchObject({ 'Measurement Level': 'Scale' });
    expect(view.valueLabels.get('Q5_1')).toBeUndefined();
    expect(view.variables.get('Q3_1')).toMatchObject({ 'Measurement Level': 'Ordinal' });
    expect(view.valueLabels.get('Q3_1')).toEqual([['1', 'Like'], ['2', 'Neither like nor dislike'], ['3', 'Dislike']]);
    // Recodes label their own choice; HTML in choices becomes plain text.
    expect(view.valueLabels.get('Q45')).toEqual([['132', 'Blueberries'], ['142', 'Strawberries'], ['143', 'Oranges']]);
    expect(view.valueLabels.get('Q19')).toEqual([['1', 'Oranges'], ['2', 'Blueberries'], ['3', 'Strawberries']]);
    expect(view.variables.get('Q11#1_1_1_TEXT')?.['Print Format']).toMatch(/^A\d+$/);
    // Export tags with spaces and colons make legal names.
    expect(view.header).toContain('tiny_92');
  });

  it('every recorded survey reads back as its csv', async () => {
    for (const name of Object.keys(DIALECT)) {
      const { survey, rows } = recorded(name);
      const view = await savView(survey, rows);
      expect(view.info.Cases).toBe(String(rows.length));
      expectSameAsCsv(view, await csvOf(survey, rows), savExport(survey).names);
    }
  }, 60_000);

  it('ignores Labels=1: codes stay numbers, the choice text is in the value labels', async () => {
    const { survey, rows } = recorded('sample-survey');
    const plain = await savView(survey, rows);
    const labelled = await savView(survey, rows, { labels: true });
    expect(labelled.rows).toEqual(plain.rows);
    expect(labelled.variables.get('q2_favorite')?.['Print Format']).toBe('F8.0');
  });
});

// ---- a synthetic survey ---------------------------------------------------------------------

const QUESTIONS: Record<string, unknown>[] = [
  {
    QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'MC', Selector: 'SAVR', QuestionText: '<p>Fruit? <b>&amp;</b> "more"</p>',
    Choices: { '1': { Display: 'Apple ✓' }, '2': { Display: 'Pear <b>&amp;</b> "more"' }, '3': { Display: 'Other', TextEntry: 'true' } },
    ChoiceOrder: ['1', '2', '3'], RecodeValues: { '1': '10', '2': '20', '3': '30' },
  },
  {
    QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'MC', Selector: 'SAVR', QuestionText: 'Letters',
    Choices: { '1': { Display: 'Alpha' }, '2': { Display: 'Beta' } }, ChoiceOrder: ['1', '2'], RecodeValues: { '1': 'a', '2': 'b' },
  },
  { QuestionID: 'QID3', DataExportTag: 'Q3', QuestionType: 'Slider', Selector: 'HSLIDER', QuestionText: 'How much?', Choices: { '1': { Display: 'Tea' } }, ChoiceOrder: ['1'] },
  { QuestionID: 'QID4', DataExportTag: 'Q4', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Say something' },
  { QuestionID: 'QID6', DataExportTag: 'Q6', QuestionType: 'TE', Selector: 'ML', QuestionText: 'Say more' },
  {
    QuestionID: 'QID7', DataExportTag: 'Q7', QuestionType: 'Matrix', Selector: 'TE', SubSelector: 'Short', QuestionText: 'Numbers as text',
    Choices: { '1': { Display: 'Row' } }, ChoiceOrder: ['1'], Answers: { '1': { Display: 'Count' } }, AnswerOrder: ['1'],
  },
];

function synthetic(): QsfSurvey {
  return syntheticSurvey(QUESTIONS, ['ZIP', 'note, "quoted"', 'note_quoted', 'zip'], 'Synthetic "survey" ✓');
}

const response = storedResponse;

const HOSTILE = 'He said "hi", then left;\nnew line\r\nCRLF\ttab — Ünïcødé ✓ 中文 😀';
const FORMULA = '=HYPERLINK("http://evil.example","click")';
const LONG = `${'é'.repeat(400)}✓ end`;

describe('sav export of a synthetic survey', () => {
  it('keeps hostile text exactly: quotes, line breaks, tabs, UTF-8, formulas, long text', async () => {
    const rows = [
      response({ values: { QID1: 30, QID1_TEXT: HOSTILE, QID2: 'b', QID3_1: 12.5, QID4: FORMULA, QID6: LONG }, embedded: { ZIP: '00123', 'note, "quoted"': '-2+3' } }),
      response({ responseId: 'R_2', finished: 0, status: 8, values: { QID1: 10, QID3_1: -3 }, embedded: { ZIP: '9' } }),
    ];
    const survey = synthetic();
    const view = await savView(survey, rows);
    const csv = await csvOf(survey, rows);
    const exp = savExport(survey);
    expectSameAsCsv(view, csv, exp.names);
    expect(view.info.Label).toBe('Synthetic "survey" ✓');
    const at = (name: string, row = 0) => view.rows[row][view.header.indexOf(name)];
    expect(at('Q1_TEXT')).toBe(HOSTILE.replace('\r\n', '\n'));
    // The CRLF is in the file: pspp reads it and saves it again.
    expect(psppResaved(view.file, dir).includes(Buffer.from(HOSTILE))).toBe(true);
    expect(at('Q4')).toBe(FORMULA);
    expect(at('Q6')).toBe(LONG);
    expect(at('ZIP')).toBe('00123');
    expect(at('note_quoted_2')).toBe('-2+3');
    // Legal names stay; an illegal one made legal, or a repeat ignoring case, gives way.
    expect(['ZIP', 'note, "quoted"', 'note_quoted', 'zip'].map((n) => exp.names.get(n))).toEqual(['ZIP', 'note_quoted_2', 'note_quoted', 'zip_2']);
    // Widths fit the longest value in bytes.
    expect(view.variables.get('Q1_TEXT')?.['Print Format']).toBe(`A${Buffer.byteLength(HOSTILE)}`);
    expect(view.variables.get('Q6')?.['Print Format']).toBe(`A${Buffer.byteLength(LONG)}`);
    expect(view.variables.get('ZIP')?.['Print Format']).toBe('A5');
    // Labels and value labels are plain text.
    expect(view.variables.get('Q1')?.Label).toBe('Fruit? & "more"');
    expect(view.valueLabels.get('Q1')).toEqual([['10', 'Apple ✓'], ['20', 'Pear & "more"'], ['30', 'Other']]);
    // Non-numeric recodes make a string variable labelled by recode.
    expect(view.variables.get('Q2')).toMatchObject({ 'Print Format': 'A1', 'Measurement Level': 'Nominal' });
    expect(view.valueLabels.get('Q2')).toEqual([['a', 'Alpha'], ['b', 'Beta']]);
    expect([at('Q2'), at('Q2', 1)]).toEqual(['b', '']);
    // A slider: a number on a scale, with the decimals the data have.
    expect(view.variables.get('Q3_1')).toMatchObject({ 'Print Format': 'F8.1', 'Measurement Level': 'Scale' });
    expect([at('Q3_1'), at('Q3_1', 1)]).toEqual(['12.5', '-3']);
    expect([at('Status', 1), at('Finished', 1)]).toEqual(['8', '0']);
  });

  it('writes dates as the wall-clock time of the export zone', async () => {
    const rows = [response()];
    const options = { localTime: true, timeZone: 'America/New_York' };
    const view = await savView(synthetic(), rows, options);
    expect(view.rows[0][view.header.indexOf('StartDate')]).toBe('03/02/2015 13:50:13');
    expect(view.rows[0][view.header.indexOf('EndDate')]).toBe('03/02/2015 13:50:40');
    expectSameAsCsv(view, await csvOf(synthetic(), rows, options), savExport(synthetic(), options).names);
    const utc = await savView(synthetic(), rows);
    expect(utc.rows[0][utc.header.indexOf('StartDate')]).toBe('03/02/2015 18:50:13');
  });

  it('UnansweredRecode: a number keeps numeric variables, text turns them into strings', async () => {
    const rows = [response({ displayed: ['QID1', 'QID3'] })];
    const numeric = await savView(synthetic(), rows, { unansweredRecode: '-99' });
    expect(numeric.rows[0][numeric.header.indexOf('Q1')]).toBe('-99');
    expect(numeric.variables.get('Q1')?.['Print Format']).toBe('F8.0');
    const text = await savView(synthetic(), rows, { unansweredRecode: 'skipped' });
    expect(text.rows[0][text.header.indexOf('Q1')]).toBe('skipped');
    expect(text.variables.get('Q1')?.['Print Format']).toBe('A7');
    expect(text.valueLabels.get('Q1')).toEqual([['10', 'Apple ✓'], ['20', 'Pear & "more"'], ['30', 'Other']]);
    expect(text.rows[0][text.header.indexOf('Q3_1')]).toBe('skipped');
    expectSameAsCsv(text, await csvOf(synthetic(), rows, { unansweredRecode: 'skipped' }), savExport(synthetic()).names);
  });

  it('an export without responses is a valid file with every variable and no cases', async () => {
    const view = await savView(synthetic(), []);
    expect(view.info).toMatchObject({ Cases: '0', Variables: String(savExport(synthetic()).columns.length) });
    expect(view.rows).toEqual([]);
    expect(view.variables.get('Q4')?.['Print Format']).toBe('A1');
    // A text matrix is text even when it holds nothing (or only digits).
    expect(view.variables.get('Q7_1')?.['Print Format']).toBe('A1');
    expect(view.variables.get('Q1')?.['Print Format']).toBe('F8.0');
    expect(view.valueLabels.get('Q1')).toHaveLength(3);
  });
});

// ---- two passes -----------------------------------------------------------------------------

function many(count: number, seen: { n: number; open: number; maxOpen: number; calls: number; bytesAt?: number[]; sink?: Collector }): () => AsyncGenerator<StoredResponse> {
  return () => {
    seen.calls++;
    return (async function* () {
      seen.open++;
      seen.maxOpen = Math.max(seen.maxOpen, seen.open);
      try {
        for (let i = 0; i < count; i++) {
          seen.bytesAt?.push(seen.sink?.bytes ?? 0);
          seen.n++;
          yield response({ responseId: `R_${i}`, values: { QID4: `answer number ${i} `.repeat(3), QID1: 10 }, embedded: { ZIP: `S${i}` } });
        }
      } finally {
        seen.open--;
      }
    })();
  };
}

const counter = () => ({ n: 0, open: 0, maxOpen: 0, calls: 0 });

describe('sav export passes', () => {
  it('needs rows as a function, and says so before writing anything', async () => {
    const sink = new Collector();
    await expect(exportFile('sav', synthetic(), {}, [response()], sink)).rejects.toThrow(/sav export reads the rows twice: pass a function/);
    expect([sink.bytes, sink.destroyed, sink.writableEnded]).toEqual([0, false, false]);
  });

  it('rejects an unknown time zone before writing anything', async () => {
    const sink = new Collector();
    await expect(exportFile('sav', synthetic(), { localTime: true, timeZone: 'Mars/Olympus' }, () => [response()], sink)).rejects.toThrow(LegacyExportOptionError);
    expect([sink.bytes, sink.destroyed]).toEqual([0, false]);
  });

  it('reads the rows twice, one pass after the other; progress and the result count the written rows', async () => {
    const seen = counter();
    const progress: number[] = [];
    const result = await exportFile('sav', synthetic(), {}, many(2500, seen), new Collector(), (n) => progress.push(n));
    expect(result).toEqual({ rows: 2500 });
    expect(progress).toEqual([1000, 2000, 2500]);
    expect([seen.calls, seen.n, seen.maxOpen]).toEqual([2, 5000, 1]);
  });

  it('the other formats call a rows function once', async () => {
    const seen = counter();
    const result = await exportFile('csv', synthetic(), {}, many(10, seen), new Collector());
    expect([result.rows, seen.calls, seen.n]).toEqual([10, 1, 10]);
  });

  it('writes while it reads the second pass', async () => {
    const sink = new Collector();
    const seen = { ...counter(), bytesAt: [] as number[], sink };
    const count = 5_000;
    await exportFile('sav', synthetic(), {}, many(count, seen), sink);
    // Nothing is written while measuring; most of the file is out before the last row is pulled.
    expect(seen.bytesAt[count - 1]).toBe(0);
    expect(seen.bytesAt[2 * count - 1] / sink.bytes).toBeGreaterThan(0.5);
  });

  it('stops pulling rows while the sink is full, and fails when the sink closes', async () => {
    const sink = new Writable({ highWaterMark: 16 * 1024, write: () => undefined });
    const seen = counter();
    const count = 50_000;
    const done = exportFile('sav', synthetic(), {}, many(count, seen), sink);
    let last = -1;
    while (last !== seen.n) {
      last = seen.n;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(seen.n).toBeGreaterThanOrEqual(count);
    expect(seen.n - count).toBeLessThan(count / 10);
    sink.destroy();
    await expect(done).rejects.toThrow(SinkClosedError);
  });

  it('fails, rather than waiting for ever, when the sink closes while the end is being flushed', async () => {
    const sink = new Writable({ highWaterMark: 16 * 1024, write: () => undefined });
    const seen = counter();
    const done = exportFile('sav', synthetic(), {}, many(3, seen), sink);
    while (!sink.writableEnded) await new Promise((r) => setTimeout(r, 10));
    expect(seen.n).toBe(6);
    sink.destroy();
    await expect(done).rejects.toThrow(SinkClosedError);
  });

  it('fails when the rows change between the passes, and breaks the output', async () => {
    const changes: Array<[StoredResponse[], StoredResponse[], RegExp]> = [
      [[response()], [response(), response({ responseId: 'R_2' })], /more than the 1 rows/],
      [[response(), response({ responseId: 'R_2' })], [response()], /1 rows where 2 were counted/],
      [[response({ values: { QID4: 'short' } })], [response({ values: { QID4: 'much longer now' } })], /longer than 5 bytes in Q4/],
      [[response({ values: { QID3_1: 5 } })], [response({ values: { QID3_1: 'five' } })], /text in the numeric variable Q3_1/],
    ];
    for (const [first, second, message] of changes) {
      let calls = 0;
      const sink = new Collector();
      const rows = (): ExportRows => (calls++ === 0 ? first : second);
      const err = await exportFile('sav', synthetic(), {}, rows, sink).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SavRowsChangedError);
      expect((err as Error).message).toMatch(message);
      expect(sink.destroyed).toBe(true);
      expect(sink.writableFinished).toBe(false);
    }
  });

  it('a failing cursor in the first pass destroys the sink', async () => {
    async function* failing(): AsyncGenerator<StoredResponse> {
      yield response();
      throw new Error('cursor lost');
    }
    const sink = new Collector();
    await expect(exportFile('sav', synthetic(), {}, failing, sink)).rejects.toThrow('cursor lost');
    expect([sink.bytes, sink.destroyed]).toEqual([0, true]);
  });
});

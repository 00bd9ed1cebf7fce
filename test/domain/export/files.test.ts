import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { exportFile, FILE_FORMATS, isFileFormat, type FileExportOptions, type FileFormat } from '../../../src/domain/export/files.ts';
import { SinkClosedError } from '../../../src/domain/export/file-sink.ts';
import { LegacyExportOptionError, prepareLegacyExport, type StoredResponse } from '../../../src/domain/export/legacy-response-data.ts';
import { modernLayout, uniqueNames, type ExportResponse } from '../../../src/domain/export/modern-layout.ts';
import { XLSX_MAX_ROWS, XLSX_MAX_TEXT } from '../../../src/domain/export/xlsx.ts';
import { readQsf, type QsfSurvey } from '../../../src/domain/survey/qsf.ts';
import { FIXTURES } from '../survey/fixtures.ts';
import { T0, loadSurvey, recordedRecords, setName, sq, storedResponse, syntheticSurvey } from './recorded-responses.ts';

/** A Writable that keeps what it is given. */
class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  bytes = 0;
  constructor(options: { highWaterMark?: number } = {}) {
    super(options);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    done();
  }
  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

type Rows = Iterable<ExportResponse> | AsyncIterable<ExportResponse>;

async function exported(format: FileFormat, survey: QsfSurvey, rows: Rows, options: FileExportOptions = {}): Promise<Buffer> {
  const sink = new Collector();
  const result = await exportFile(format, survey, { responseSetName: setName, ...options }, rows, sink);
  expect(sink.writableFinished).toBe(true);
  if (Array.isArray(rows)) expect(result.rows).toBe(rows.length);
  return sink.buffer;
}

const csvRows = (buf: Buffer): string[][] => parse(buf, { bom: true, relax_column_count: true }) as string[][];

function utf16(buf: Buffer): string {
  expect([buf[0], buf[1]]).toEqual([0xff, 0xfe]);
  return buf.toString('utf16le').slice(1);
}

const tsvRows = (buf: Buffer): string[][] => parse(utf16(buf), { delimiter: '\t', relax_column_count: true, relax_quotes: true, record_delimiter: '\r\n' }) as string[][];

const ndjson = (buf: Buffer): Record<string, unknown>[] =>
  buf
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

async function workbook(buf: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  // exceljs's load() type asks for its own Buffer interface; a Node Buffer is what it reads.
  await wb.xlsx.load(buf as unknown as ExcelJS.Buffer);
  return wb;
}

/** A sheet's rows as plain arrays (column 1 first), empty cells as null. */
function sheetRows(ws: ExcelJS.Worksheet, width: number): ExcelJS.CellValue[][] {
  const out: ExcelJS.CellValue[][] = [];
  ws.eachRow({ includeEmpty: true }, (row) => {
    out.push(Array.from({ length: width }, (_, i) => row.getCell(i + 1).value ?? null));
  });
  return out;
}

// ---- the recorded sample survey -------------------------------------------------------------

const SAMPLE = 'sample-survey';
const sample = loadSurvey(SAMPLE);
const sampleRows = recordedRecords(SAMPLE, prepareLegacyExport(sample, { dialect: 'named', responseSetName: setName }));
const sampleLayout = modernLayout(sample, { responseSetName: setName });
const names = sampleLayout.columns.map((c) => c.name);

describe('FILE_FORMATS', () => {
  it('gives every format a content type and an extension, and recognises format names', () => {
    for (const [format, info] of Object.entries(FILE_FORMATS)) {
      expect(isFileFormat(format)).toBe(true);
      expect(info.contentType).toMatch(/^[a-z]+\/[a-z0-9.+-]+/);
      expect(info.extension).toMatch(/^[a-z]+$/);
    }
    expect(isFileFormat('toString')).toBe(false);
    expect(isFileFormat('pdf')).toBe(false);
  });
});

describe('legacy layouts', () => {
  it('legacy-csv is the recorded getLegacyResponseData CSV byte for byte', async () => {
    const out = await exported('legacy-csv', sample, sampleRows, { dialect: 'named' });
    expect(out.equals(readFileSync(`${FIXTURES}${SAMPLE}/legacy.csv`))).toBe(true);
  });

  it("legacy-tsv holds the legacy CSV's rows, tab-separated, UTF-16LE with a BOM", async () => {
    for (const [name, dialect] of [[SAMPLE, 'named'], ['many-different-question-types', 'v']] as const) {
      const survey = loadSurvey(name);
      const records = recordedRecords(name, prepareLegacyExport(survey, { dialect, responseSetName: setName }));
      const csv = csvRows(readFileSync(`${FIXTURES}${name}/legacy.csv`));
      const tsv = tsvRows(await exported('legacy-tsv', survey, records, { dialect }));
      // The 'v' dialect's trailing comma is an empty last column the TSV leaves out.
      expect(tsv).toEqual(dialect === 'v' ? csv.map((r) => r.slice(0, -1)) : csv);
      expect(tsv.length).toBe(records.length + (dialect === 'named' ? 3 : 2));
    }
  });
});

describe('modern layout', () => {
  it('csv: UTF-8 BOM, CRLF, names row, plain-text labels row, one row per response', async () => {
    const out = await exported('csv', sample, sampleRows);
    expect(out.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const text = out.toString('utf8');
    expect(text.split('\r\n')).toHaveLength(sampleRows.length + 3);
    const [head, labels, ...data] = csvRows(out);
    expect(head).toEqual(names);
    expect(head.slice(0, 8)).toEqual(['ResponseId', 'ResponseSet', 'StartDate', 'EndDate', 'RecordedDate', 'Status', 'Finished', 'Duration (in seconds)']);
    expect(new Set(head).size).toBe(head.length);
    expect(labels.slice(0, 3)).toEqual(['Response ID', 'Response Set', 'Start Date']);
    for (const label of labels) expect(label).not.toMatch(/<[a-z/!]|&[a-z#0-9]+;|\s{2}/i);
    expect(labels[head.indexOf('q1_recent_q1_recent_1_1')]).toBe(
      "Please indicate how recently you've eaten each of the following fruit - Canteloupe - In the last week",
    );
    expect(data.map((r) => r[0])).toEqual(sampleRows.map((r) => r.responseId));
    data.forEach((row, i) => {
      expect(row[2]).toBe(new Date(sampleRows[i].startDate).toISOString().replace('.000Z', 'Z'));
      expect(row[5]).toBe(String(sampleRows[i].status));
    });
  });

  it('question and embedded cells agree with the legacy CSV, column by column', async () => {
    const legacy = csvRows(readFileSync(`${FIXTURES}${SAMPLE}/legacy.csv`));
    const [head, , ...data] = csvRows(await exported('csv', sample, sampleRows));
    const questionCols = sampleLayout.columns.filter((c) => c.kind === 'question' || c.kind === 'embedded');
    expect(questionCols.length).toBeGreaterThan(40);
    let compared = 0;
    for (const col of questionCols) {
      const at = legacy[0].indexOf(col.name);
      if (at < 0 || legacy[0].lastIndexOf(col.name) !== at) continue;
      data.forEach((row, i) => expect({ col: col.name, v: row[head.indexOf(col.name)] }).toEqual({ col: col.name, v: legacy[i + 3][at] }));
      compared++;
    }
    expect(compared).toBe(questionCols.length);
  });

  it('tsv holds the csv rows, tab-separated, UTF-16LE with a BOM', async () => {
    const csv = csvRows(await exported('csv', sample, sampleRows));
    expect(tsvRows(await exported('tsv', sample, sampleRows))).toEqual(csv);
  });

  it('json and ndjson: objects keyed by column name, in column order, typed values', async () => {
    const doc = JSON.parse((await exported('json', sample, sampleRows)).toString('utf8')) as Record<string, unknown>[];
    const lines = ndjson(await exported('ndjson', sample, sampleRows));
    expect(lines).toEqual(doc);
    expect(doc).toHaveLength(sampleRows.length);
    const [head, , ...data] = csvRows(await exported('csv', sample, sampleRows));
    doc.forEach((obj, i) => {
      expect(Object.keys(obj)).toEqual(names);
      expect(obj.ResponseId).toBe(sampleRows[i].responseId);
      expect(obj.Status).toBe(sampleRows[i].status);
      expect(obj.Finished).toBe(sampleRows[i].finished);
      expect(obj.IPAddress).toBeNull();
      // Same cells as the csv, numbers as JSON numbers, blanks as null.
      head.forEach((name, c) => {
        const v = obj[name];
        const cell = data[i][c];
        if (cell === '') expect(v).toBeNull();
        else if (typeof v === 'number') expect(String(v)).toBe(cell);
        else expect(v).toBe(cell);
      });
    });
    const numbers = doc.flatMap((o) => Object.entries(o).filter(([k, v]) => typeof v === 'number' && !['Status', 'Finished'].includes(k)));
    expect(numbers.length).toBeGreaterThan(20);
  });

  it('xlsx: header and label rows, frozen, typed cells equal to the json values', async () => {
    const buf = await exported('xlsx', sample, sampleRows);
    const doc = ndjson(await exported('ndjson', sample, sampleRows));
    const wb = await workbook(buf);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Responses']);
    const ws = wb.worksheets[0];
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
    const rows = sheetRows(ws, names.length);
    expect(rows[0]).toEqual(names);
    expect(rows[1]).toEqual(sampleLayout.columns.map((c) => c.label));
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(rows).toHaveLength(sampleRows.length + 2);
    rows.slice(2).forEach((row, i) => {
      names.forEach((name, c) => {
        const v = doc[i][name];
        const cell = row[c];
        if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) {
          expect(cell).toBeInstanceOf(Date);
          expect((cell as Date).toISOString().replace('.000Z', 'Z')).toBe(v);
        } else expect({ name, cell }).toEqual({ name, cell: v });
      });
    });
    const start = ws.getRow(3).getCell(names.indexOf('StartDate') + 1);
    expect(start.type).toBe(ExcelJS.ValueType.Date);
    expect(start.numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(ws.getRow(3).getCell(names.indexOf('Status') + 1).type).toBe(ExcelJS.ValueType.Number);
  });

  it('with Labels=1 choice cells hold the choice text; LocalTime writes the zone offset', async () => {
    const survey = synthetic();
    const r = response({ values: { QID1: 20, QID2_1: 1 } });
    const [obj] = ndjson(await exported('ndjson', survey, [r], { labels: true, localTime: true, timeZone: 'America/New_York' }));
    expect(obj.Q1).toBe('Pear & "more"');
    expect(obj.Q2_1).toBe('Red');
    expect(obj.StartDate).toBe('2015-03-02T13:50:13-05:00');
    expect(obj['Duration (in seconds)']).toBe(27);
    const [plainObj] = ndjson(await exported('ndjson', survey, [r]));
    expect([plainObj.Q1, plainObj.Q2_1, plainObj.StartDate]).toEqual([20, 1, '2015-03-02T18:50:13Z']);
    // Excel dates carry no zone: the sheet shows the wall-clock time of the export's zone.
    const ws = (await workbook(await exported('xlsx', survey, [r], { localTime: true, timeZone: 'Asia/Kolkata' }))).worksheets[0];
    expect(ws.getRow(3).getCell(3).value).toEqual(new Date(Date.UTC(2015, 2, 3, 0, 20, 13)));
  });

  it('ExportQuestionIDs, Questions, LocationData and UnansweredRecode shape the modern layout too', async () => {
    const survey = synthetic();
    const r = response({ values: { QID2_2: 1 }, displayed: ['QID1', 'QID2', 'QID4'] });
    const options: FileExportOptions = { exportQuestionIds: true, questions: ['QID1', 'QID2'], locationData: false, unansweredRecode: '-99' };
    const [obj] = ndjson(await exported('ndjson', survey, [r], options));
    expect(Object.keys(obj).slice(13)).toEqual(['SubjectID', '<img src=x onerror=alert(1)>', 'QID1', 'QID1_TEXT', 'QID2_1', 'QID2_2']);
    expect([obj.QID1, obj.QID1_TEXT, obj.QID2_1, obj.QID2_2]).toEqual([-99, null, null, 1]);
  });

  it('RecordedDate is the stored recordedDate when the store gives one, else EndDate', async () => {
    const rows = [response(), response({ responseId: 'R_2', recordedDate: T0 + 60_000 } as Partial<ExportResponse>)];
    const out = ndjson(await exported('ndjson', synthetic(), rows));
    expect(out.map((o) => o.RecordedDate)).toEqual(['2015-03-02T18:50:40Z', '2015-03-02T18:51:13Z']);
  });

  it('an export with no responses', async () => {
    const survey = synthetic();
    expect((await exported('json', survey, [])).toString()).toBe('[]\n');
    expect((await exported('ndjson', survey, [])).toString()).toBe('');
    expect(csvRows(await exported('csv', survey, []))).toHaveLength(2);
    const ws = (await workbook(await exported('xlsx', survey, []))).worksheets[0];
    expect(ws.rowCount).toBe(2);
  });
});

// ---- unique names ---------------------------------------------------------------------------

describe('column names are unique', () => {
  it('later repeats of a name get (2), (3), … skipping names already in use', () => {
    const cols = ['X', 'Y', 'X', 'X (2)', 'X', 'Y'].map((name) => ({ name }));
    uniqueNames(cols);
    expect(cols.map((c) => c.name)).toEqual(['X', 'Y', 'X (3)', 'X (2)', 'X (4)', 'Y (2)']);
  });

  it('a reused export tag is disambiguated in every format, keeping column order', async () => {
    const survey = readQsf({
      SurveyElements: [
        { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_a', BlockElements: [{ Type: 'Question', QuestionID: 'QID1' }, { Type: 'Question', QuestionID: 'QID2' }] }] },
        { Element: 'FL', Payload: { Type: 'Root', Flow: [{ Type: 'Block', ID: 'BL_a' }] } },
        sq({ QuestionID: 'QID1', DataExportTag: '123', QuestionType: 'TE', Selector: 'SL', QuestionText: 'a' }),
        sq({ QuestionID: 'QID2', DataExportTag: '123', QuestionType: 'TE', Selector: 'SL', QuestionText: 'b' }),
      ],
    });
    const r = response({ values: { QID1: 'first', QID2: 'second' } });
    const json = (await exported('json', survey, [r], { locationData: false })).toString();
    expect(json).toMatch(/"ExternalReference":null,"123":"first","123 \(2\)":"second"\}/);
    const [head, , row] = csvRows(await exported('csv', survey, [r], { locationData: false }));
    expect(head.slice(-2)).toEqual(['123', '123 (2)']);
    expect(row.slice(-2)).toEqual(['first', 'second']);
  });
});

// ---- hostile text ---------------------------------------------------------------------------

const FORMULA = '=HYPERLINK("http://evil.example","click")';
const BREAKS = 'a\tb\nc\r\nd\re';
const HTML = '<script>alert(1)</script>';
const QUOTED = '"quoted" start';

function hostile(): StoredResponse {
  return response({
    name: '@SUM(1+1), +cmd',
    values: { QID4: FORMULA, QID1_TEXT: BREAKS, QID6: HTML },
    embedded: { SubjectID: QUOTED, '<img src=x onerror=alert(1)>': '-2+3' },
  });
}

describe('hostile text', () => {
  it('csv: formulas defused, line breaks kept inside quotes', async () => {
    const [head, labels, row] = csvRows(await exported('csv', synthetic(), [hostile()]));
    const at = (name: string): string => row[head.indexOf(name)];
    expect(at('Q4')).toBe(`'${FORMULA}`);
    expect(at('Q1_TEXT')).toBe(BREAKS);
    expect(at('Q6')).toBe(HTML);
    expect(at('RecipientLastName')).toBe("'@SUM(1+1)");
    expect(at('RecipientFirstName')).toBe("'+cmd");
    expect(at('<img src=x onerror=alert(1)>')).toBe("'-2+3");
    expect(at('SubjectID')).toBe(QUOTED);
    // Labels are plain text from the question HTML, and defused like cells.
    expect(labels[head.indexOf('Q6')]).toBe("'=1+1 & <b> is bold");
  });

  it('tsv and legacy-tsv: one line per row, breaks and tabs become spaces, formulas defused', async () => {
    for (const format of ['tsv', 'legacy-tsv'] as const) {
      const buf = await exported(format, synthetic(), [hostile(), hostile()]);
      const text = utf16(buf);
      const headerRows = 2;
      expect(text.split('\r\n')).toHaveLength(headerRows + 2 + 1);
      const lines = text.split('\r\n').slice(0, -1);
      const width = lines[0].split('\t').length;
      for (const line of lines) expect(line.split('\t')).toHaveLength(width);
      const [head, , row] = tsvRows(buf);
      const at = (name: string): string => row[head.indexOf(name)];
      expect(at('Q4')).toBe(`'${FORMULA}`);
      expect(at('Q1_TEXT')).toBe('a b c d e');
      expect(at('Q6')).toBe(HTML);
      expect(at('SubjectID')).toBe(QUOTED);
      expect(at('<img src=x onerror=alert(1)>')).toBe("'-2+3");
    }
  });

  it('json keeps the text exactly (it is data, not a spreadsheet)', async () => {
    const [obj] = ndjson(await exported('ndjson', synthetic(), [hostile()]));
    expect([obj.Q4, obj.Q1_TEXT, obj.Q6, obj.SubjectID]).toEqual([FORMULA, BREAKS, HTML, QUOTED]);
  });

  it('xlsx writes text cells, never formulas; LF line breaks; drops what XML cannot hold; cuts at 32,767 characters', async () => {
    const long = 'x'.repeat(XLSX_MAX_TEXT - 1) + '\u{1F600}tail';
    const r = hostile();
    r.values.QID6 = `${HTML}\u0001\uffff!`;
    r.embedded.SubjectID = long;
    const buf = await exported('xlsx', synthetic(), [r]);
    const ws = (await workbook(buf)).worksheets[0];
    const head = ws.getRow(1).values as ExcelJS.CellValue[];
    const cell = (name: string): ExcelJS.Cell => ws.getRow(3).getCell(head.indexOf(name));
    expect(cell('Q4').value).toBe(FORMULA);
    expect(cell('Q4').type).toBe(ExcelJS.ValueType.String);
    expect(cell('Q4').formula).toBeUndefined();
    expect(cell('Q1_TEXT').value).toBe('a\tb\nc\nd\ne');
    expect(cell('Q6').value).toBe(`${HTML}!`);
    // The emoji (a surrogate pair) would straddle the limit, so it goes whole.
    expect(cell('SubjectID').value).toBe('x'.repeat(XLSX_MAX_TEXT - 1));
    expect(ws.getRow(2).getCell(head.indexOf('Q6')).value).toBe('=1+1 & <b> is bold');
  });
});

// ---- sheets ---------------------------------------------------------------------------------

describe('xlsx sheets', () => {
  it('continues on "Responses (2)", … with the same header rows once a sheet is full', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => response({ responseId: `R_${i}`, values: { QID4: `text ${i}` } }));
    const wb = await workbook(await exported('xlsx', synthetic(), rows, { sheetRowLimit: 5 }));
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Responses', 'Responses (2)', 'Responses (3)']);
    const layout = modernLayout(synthetic());
    const seen: unknown[] = [];
    for (const ws of wb.worksheets) {
      const table = sheetRows(ws, layout.columns.length);
      expect(table.length).toBeLessThanOrEqual(5);
      expect(table[0]).toEqual(layout.columns.map((c) => c.name));
      expect(table[1]).toEqual(layout.columns.map((c) => c.label));
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
      seen.push(...table.slice(2).map((r) => r[0]));
    }
    expect(seen).toEqual(rows.map((r) => r.responseId));
  });

  it("defaults to Excel's limit and rejects a limit outside it before writing anything", async () => {
    expect(XLSX_MAX_ROWS).toBe(1_048_576);
    for (const sheetRowLimit of [2, XLSX_MAX_ROWS + 1, 10.5]) {
      const sink = new Collector();
      await expect(exportFile('xlsx', synthetic(), { sheetRowLimit }, [response()], sink)).rejects.toThrow(RangeError);
      expect([sink.bytes, sink.destroyed, sink.writableEnded]).toEqual([0, false, false]);
    }
  });
});

// ---- streaming ------------------------------------------------------------------------------

// sav reads its rows twice, from a function; sav-export.test.ts streams it the same way.
const FORMATS = (Object.keys(FILE_FORMATS) as FileFormat[]).filter((f) => f !== 'sav');

function many(count: number, pulled: { n: number; bytesAt?: number[]; sink?: Collector }): AsyncGenerator<StoredResponse> {
  return (async function* () {
    for (let i = 0; i < count; i++) {
      pulled.bytesAt?.push(pulled.sink?.bytes ?? 0);
      pulled.n++;
      yield response({ responseId: `R_${i}`, values: { QID4: `answer number ${i} `.repeat(3), QID1: 10 }, embedded: { SubjectID: `S${i}` } });
    }
  })();
}

describe('streaming', () => {
  it('writes while it reads: most of the output is out before the last row is pulled', async () => {
    for (const format of FORMATS) {
      const sink = new Collector();
      const pulled = { n: 0, bytesAt: [] as number[], sink };
      const count = format === 'xlsx' ? 20_000 : 5_000;
      await exportFile(format, synthetic(), {}, many(count, pulled), sink);
      const beforeLast = pulled.bytesAt[count - 1];
      expect({ format, early: beforeLast / sink.bytes > 0.5 }).toEqual({ format, early: true });
    }
  });

  it('stops pulling rows while the sink is full, and fails when the sink closes', async () => {
    for (const format of FORMATS) {
      // A sink that never finishes a write: after its first chunk, everything waits on it.
      const sink = new Writable({ highWaterMark: 16 * 1024, write: () => undefined });
      const pulled = { n: 0 };
      const count = 200_000;
      const done = exportFile(format, synthetic(), {}, many(count, pulled), sink);
      let last = -1;
      while (last !== pulled.n) {
        last = pulled.n;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect({ format, bounded: pulled.n < count / 10 }).toEqual({ format, bounded: true });
      sink.destroy();
      await expect(done).rejects.toThrow(SinkClosedError);
    }
  });

  it('fails, rather than waiting for ever, when the sink closes while the end is being flushed', async () => {
    for (const format of FORMATS) {
      const sink = new Writable({ highWaterMark: 16 * 1024, write: () => undefined });
      const pulled = { n: 0 };
      const done = exportFile(format, synthetic(), {}, many(3, pulled), sink);
      while (!sink.writableEnded) await new Promise((r) => setTimeout(r, 10));
      expect(pulled.n).toBe(3);
      sink.destroy();
      await expect(done).rejects.toThrow(SinkClosedError);
    }
  });

  it('reports progress and the row count; a failing cursor destroys the sink', async () => {
    const progress: number[] = [];
    const sink = new Collector();
    const result = await exportFile('ndjson', synthetic(), {}, many(2500, { n: 0 }), sink, (n) => progress.push(n));
    expect(result).toEqual({ rows: 2500 });
    expect(progress).toEqual([1000, 2000, 2500]);
    const whole: number[] = [];
    await exportFile('csv', synthetic(), {}, many(2000, { n: 0 }), new Collector(), (n) => whole.push(n));
    expect(whole).toEqual([1000, 2000]);
    async function* failing(): AsyncGenerator<StoredResponse> {
      yield response();
      throw new Error('cursor lost');
    }
    for (const format of ['csv', 'xlsx'] as const) {
      const broken = new Collector();
      await expect(exportFile(format, synthetic(), {}, failing(), broken)).rejects.toThrow('cursor lost');
      expect(broken.destroyed).toBe(true);
      expect(broken.writableFinished).toBe(false);
    }
  });

  it('rejects an unknown time zone before writing anything', async () => {
    for (const format of FORMATS) {
      const sink = new Collector();
      await expect(exportFile(format, synthetic(), { localTime: true, timeZone: 'Mars/Olympus' }, [response()], sink)).rejects.toThrow(LegacyExportOptionError);
      expect([sink.bytes, sink.destroyed]).toEqual([0, false]);
    }
  });
});

// ---- a small synthetic survey ----------------------------------------------------------------

const QUESTIONS: Record<string, unknown>[] = [
  {
    QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'MC', Selector: 'SAVR', QuestionText: '<p>Fruit?</p>',
    Choices: { '1': { Display: 'Apple' }, '2': { Display: 'Pear <b>&amp;</b> "more"' }, '3': { Display: 'Other', TextEntry: 'true' } },
    ChoiceOrder: ['1', '2', '3'], RecodeValues: { '1': '10', '2': '20', '3': '30' },
  },
  {
    QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'MC', Selector: 'MAVR', QuestionText: 'Colours?',
    Choices: { '1': { Display: '<span style="color:red">Red</span>' }, '2': { Display: 'Blue' } }, ChoiceOrder: ['1', '2'],
  },
  { QuestionID: 'QID4', DataExportTag: 'Q4', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Say something' },
  { QuestionID: 'QID6', DataExportTag: 'Q6', QuestionType: 'TE', Selector: 'ML', QuestionText: '=1+1 &amp; &lt;b&gt; <i>is</i>\n  bold' },
];

function synthetic(): QsfSurvey {
  return syntheticSurvey(QUESTIONS, ['SubjectID', '<img src=x onerror=alert(1)>']);
}

const response = storedResponse;

import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { modernLayout, type ExportResponse } from '../../../src/domain/export/modern-layout.ts';
import { columnLetters, SHEET_NAME, writeXlsx, XLSX_MAX_TEXT } from '../../../src/domain/export/xlsx.ts';
import { ZipWriter } from '../../../src/domain/export/zip-writer.ts';
import { storedResponse, syntheticSurvey } from './recorded-responses.ts';

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error) => void): void {
    this.chunks.push(chunk);
    done();
  }
  get buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const survey = syntheticSurvey(
  [
    { QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'MC', Selector: 'SAVR', QuestionText: 'Pick', Choices: { '1': { Display: 'A' }, '2': { Display: 'B' } }, ChoiceOrder: ['1', '2'], RecodeValues: { '1': '10', '2': '-20' } },
    { QuestionID: 'QID4', DataExportTag: 'Q4', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Say something' },
    { QuestionID: 'QID5', DataExportTag: 'Q5', QuestionType: 'Slider', Selector: 'HSLIDER', QuestionText: 'How much', Choices: { '1': { Display: 'Amount' } }, ChoiceOrder: ['1'] },
  ],
  ['SubjectID'],
);
const layout = modernLayout(survey, { locationData: false });
const names = layout.columns.map((c) => c.name);

async function xlsx(rows: ExportResponse[], sheetRowLimit?: number): Promise<ExcelJS.Workbook> {
  const sink = new Collector();
  await writeXlsx(
    layout,
    (async function* () {
      yield* rows;
    })(),
    sink,
    { sheetRowLimit },
  );
  const wb = new ExcelJS.Workbook();
  // exceljs's load() type asks for its own Buffer interface; a Node Buffer is what it reads.
  await wb.xlsx.load(sink.buffer as unknown as ExcelJS.Buffer);
  return wb;
}

function cellOf(ws: ExcelJS.Worksheet, row: number, name: string): ExcelJS.Cell {
  return ws.getRow(row).getCell(names.indexOf(name) + 1);
}

/** Hostile text and what a spreadsheet should show for it. */
const TEXTS: Array<[string, string]> = [
  ['<script>alert("x")</script> & \'q\' ]]>', '<script>alert("x")</script> & \'q\' ]]>'],
  ['a\u0000b\u0007c\u000bd\u001fe', 'abcde'],
  ['a\tb\r\nc\rd\ne', 'a\tb\nc\nd\ne'],
  ['  padded  ', '  padded  '],
  ['x\ufffey\uffffz', 'xyz'],
  ['=HYPERLINK("http://x")', '=HYPERLINK("http://x")'],
  ['\u{1F600} héllo 中文', '\u{1F600} héllo 中文'],
  ['lone \ud800 surrogate', 'lone \ufffd surrogate'],
  // Excel reads _xHHHH_ as an escaped character: the underscore is escaped, so Excel shows the
  // text as typed; exceljs reads inline strings without unescaping, hence the escape here.
  ['_x0041_ and _X0041_', '_x005F_x0041_ and _X0041_'],
];

describe('xlsx cells', () => {
  it('hostile text stays text; numbers are numbers; empty cells are left out; dates are dates', async () => {
    const rows = TEXTS.map(([text], i) =>
      storedResponse({
        responseId: `R_${i}`,
        values: i === 0 ? { QID1: -20, QID5_1: 0.1 + 0.2 } : i === 1 ? { QID1: 10, QID5_1: 1e21 } : { QID4: text },
        embedded: { SubjectID: i === 2 ? '007' : text },
      }),
    );
    rows[0].values.QID4 = TEXTS[0][0];
    rows[1].values.QID4 = TEXTS[1][0];
    const ws = (await xlsx(rows)).worksheets[0];
    expect(ws.name).toBe(SHEET_NAME);
    TEXTS.forEach(([, shown], i) => {
      const q4 = cellOf(ws, i + 3, 'Q4');
      expect({ i, value: q4.value, type: q4.type, formula: q4.formula }).toEqual({ i, value: shown, type: ExcelJS.ValueType.String, formula: undefined });
    });
    expect(cellOf(ws, 5, 'SubjectID').value).toBe('007');
    expect([cellOf(ws, 3, 'Q1').value, cellOf(ws, 3, 'Q5_1').value, cellOf(ws, 4, 'Q1').value, cellOf(ws, 4, 'Q5_1').value]).toEqual([-20, 0.1 + 0.2, 10, 1e21]);
    expect(cellOf(ws, 3, 'Q1').type).toBe(ExcelJS.ValueType.Number);
    // A response without answers to Q1 and Q5, and columns nobody fills: no cells at all.
    for (const name of ['Q1', 'Q5_1', 'IPAddress', 'ExternalReference']) expect({ name, type: cellOf(ws, 5, name).type }).toEqual({ name, type: ExcelJS.ValueType.Null });
    const start = cellOf(ws, 3, 'StartDate');
    expect(start.type).toBe(ExcelJS.ValueType.Date);
    expect(start.value).toEqual(new Date(rows[0].startDate));
    expect(start.numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(cellOf(ws, 3, 'Duration (in seconds)').value).toBe(27);
  });

  it('cuts text at 32,767 characters, after dropping what XML cannot hold', async () => {
    const r = storedResponse({ values: { QID4: `\u0001${'y'.repeat(XLSX_MAX_TEXT)}z` }, embedded: { SubjectID: `${'<'.repeat(XLSX_MAX_TEXT - 1)}\u{1F600}` } });
    const ws = (await xlsx([r])).worksheets[0];
    expect(cellOf(ws, 3, 'Q4').value).toBe('y'.repeat(XLSX_MAX_TEXT));
    // Markup escaped after the cut: the limit counts characters, not their XML.
    expect(cellOf(ws, 3, 'SubjectID').value).toBe('<'.repeat(XLSX_MAX_TEXT - 1));
  });

  it('column letters run A…Z, AA…AZ, BA…, ZZ, AAA', () => {
    expect([1, 26, 27, 52, 53, 702, 703, 16_384].map(columnLetters)).toEqual(['A', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA', 'XFD']);
  });
});

describe('xlsx sheets', () => {
  it('splits past the row limit, each sheet with both header rows, frozen, rows in order and typed', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => storedResponse({ responseId: `R_${i}`, values: { QID1: 10, QID4: `text ${i}` }, embedded: { SubjectID: `S${i}` } }));
    const wb = await xlsx(rows, 4);
    expect(wb.worksheets.map((w) => w.name)).toEqual([SHEET_NAME, `${SHEET_NAME} (2)`, `${SHEET_NAME} (3)`]);
    const seen: unknown[] = [];
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 2 });
      expect(ws.getRow(1).values).toEqual([undefined, ...names]);
      expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
      expect(ws.getRow(2).getCell(1).value).toBe('Response ID');
      expect(ws.rowCount).toBeLessThanOrEqual(4);
      for (let n = 3; n <= ws.rowCount; n++) {
        seen.push(cellOf(ws, n, 'ResponseId').value);
        expect(cellOf(ws, n, 'Q1').value).toBe(10);
        expect(cellOf(ws, n, 'StartDate').type).toBe(ExcelJS.ValueType.Date);
      }
    }
    expect(seen).toEqual(rows.map((r) => r.responseId));
  });

  it('an export without rows is one sheet of the two header rows', async () => {
    const wb = await xlsx([]);
    expect(wb.worksheets.map((w) => [w.name, w.rowCount])).toEqual([[SHEET_NAME, 2]]);
  });
});

// ---- the zip writer ---------------------------------------------------------------------------

interface ZipMember {
  name: string;
  data: Buffer;
}

/** Reads a zip through its central directory, checking each member's CRC and sizes. */
function unzip(zip: Buffer): ZipMember[] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const out: ZipMember[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const offset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    expect(zip.readUInt32LE(offset)).toBe(0x04034b50);
    const dataAt = offset + 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    const data = zlib.inflateRawSync(zip.subarray(dataAt, dataAt + compressed));
    expect({ name, size: data.length, crc: zlib.crc32(data) }).toEqual({ name, size, crc });
    // The data descriptor repeats CRC and sizes after the data.
    expect([zip.readUInt32LE(dataAt + compressed), zip.readUInt32LE(dataAt + compressed + 4), zip.readUInt32LE(dataAt + compressed + 12)]).toEqual([0x08074b50, crc, size]);
    out.push({ name, data });
    at += 46 + skip;
  }
  return out;
}

describe('zip writer', () => {
  it('streams entries that read back whole: large ones written in pieces, empty ones, UTF-8 names', async () => {
    const sink = new Collector();
    const zip = new ZipWriter(sink);
    const big = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `<row r="${i}">${(i * 7919) % 10007}</row>`).join(''));
    const entry = zip.entry('xl/worksheets/sheet1.xml');
    for (let at = 0; at < big.length; at += 100_000) await entry.write(big.subarray(at, at + 100_000));
    await entry.end();
    await zip.file('empty.txt', '');
    await zip.file('dossier/été.xml', '<a>é</a>');
    await zip.finish();
    const members = unzip(sink.buffer);
    expect(members.map((m) => m.name)).toEqual(['xl/worksheets/sheet1.xml', 'empty.txt', 'dossier/été.xml']);
    expect(members[0].data.equals(big)).toBe(true);
    expect(members[1].data.length).toBe(0);
    expect(members[2].data.toString()).toBe('<a>é</a>');
    expect(sink.writableEnded).toBe(false);
  });

  it('refuses a second entry while one is open', async () => {
    const zip = new ZipWriter(new Collector());
    const entry = zip.entry('a.xml');
    expect(() => zip.entry('b.xml')).toThrow(/a\.xml/);
    await entry.end();
    await expect(zip.finish()).resolves.toBeUndefined();
  });
});

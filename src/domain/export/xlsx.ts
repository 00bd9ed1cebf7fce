/**
 * The xlsx file export, in the modern layout (modern-layout.ts), written as SpreadsheetML by hand
 * and streamed through zip-writer.ts: each row becomes XML as it is read, so memory stays flat however
 * many rows there are, and rows are pulled only as fast as the sink takes the zip.
 *
 * Why not exceljs (which the issue named, and which the tests still read the files back with): its
 * streaming writer builds a model object per cell and renders it through a generic XML stream, about
 * 9,000 rows/s on the 30-column benchmark (bench/export-xlsx.ts prints its rate next to this writer's),
 * so a million rows took two minutes against a goal of one. A sheet is simple XML; what costs is the
 * per-cell work, which here is a few string concatenations with everything per column decided once.
 *
 * Each sheet starts with a bold header row of column names and a row of labels, frozen above the
 * data. Values keep their types: numbers are numeric cells, dates are Excel dates (the wall-clock
 * time in the export's zone, since Excel dates carry no zone) formatted `yyyy-mm-dd hh:mm:ss`, text
 * is text (an inline string, never a formula, so no formula guard is needed; line breaks as LF),
 * empty cells are left out. Text is cleaned for XML 1.0: the control characters it forbids and the
 * noncharacters U+FFFE/U+FFFF are dropped, CR and CRLF become LF (a parser would turn a raw CR into
 * LF anyway); a lone surrogate is written as U+FFFD by the UTF-8 encoding. Text longer than Excel's
 * cell limit (32,767 characters) is cut to it, not cutting a surrogate pair in two. Excel reads
 * `_xHHHH_` in cell text as an escaped character, so a literal one is written with its underscore
 * escaped (`_x005F_xHHHH_`), which Excel shows as typed.
 *
 * A sheet holds at most `sheetRowLimit` rows (Excel's 1,048,576 by default) including its two header
 * rows; further rows continue on "Responses (2)", "Responses (3)", … with the same header rows.
 * Strings are inline (no shared-string table, which would have to be held until the end).
 */
import type { Writable } from 'node:stream';
import { wallClock, type ExportResponse, type ModernLayout, type ModernValue } from './modern-layout.ts';
import { ZipWriter, type ZipEntry } from './zip-writer.ts';

export const XLSX_MAX_ROWS = 1_048_576;
export const XLSX_MAX_TEXT = 32_767;
export const SHEET_NAME = 'Responses';
const HEADER_ROWS = 2;
/** Characters of sheet XML gathered before they go to the zip. */
const CHUNK = 256 * 1024;
/**
 * Deflate level: sheet XML is repetitive, so the fastest level already shrinks it about sixfold,
 * in less than half level 6's time for a third more bytes (about the size exceljs's files had).
 */
const ZIP_LEVEL = 1;

/** Style indexes in styles.xml's cellXfs. */
const DATE_STYLE = 1;
const HEADER_STYLE = 2;
const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss';
/** Excel's serial day number of 1970-01-01 (the 1900 date system). */
const EPOCH_SERIAL = 25_569;
const DAY = 86_400_000;

export interface XlsxOptions {
  /** Rows per sheet, header rows included; default (and maximum) Excel's 1,048,576. */
  sheetRowLimit?: number;
}

export async function writeXlsx(layout: ModernLayout, rows: AsyncIterable<ExportResponse>, sink: Writable, options: XlsxOptions = {}): Promise<void> {
  const limit = sheetRowLimit(options);
  const zip = new ZipWriter(sink, { level: ZIP_LEVEL });
  const sheet = sheetXml(layout);
  let sheets = 0;
  let entry: ZipEntry | undefined;
  let xml = '';
  let rowNumber = HEADER_ROWS;
  try {
    for await (const r of rows) {
      if (!entry || rowNumber === limit) {
        if (entry) await endSheet(entry, xml);
        entry = zip.entry(`xl/worksheets/sheet${++sheets}.xml`);
        xml = sheet.head;
        rowNumber = HEADER_ROWS;
      }
      xml += sheet.row(layout.row(r), ++rowNumber);
      if (xml.length >= CHUNK) {
        await entry.write(Buffer.from(xml, 'utf8'));
        xml = '';
      }
    }
    if (!entry) {
      entry = zip.entry(`xl/worksheets/sheet${++sheets}.xml`);
      xml = sheet.head;
    }
    await endSheet(entry, xml);
    await writeWorkbookParts(zip, sheets);
    await zip.finish();
  } catch (err) {
    entry?.destroy();
    throw err;
  }
}

async function endSheet(entry: ZipEntry, xml: string): Promise<void> {
  await entry.write(Buffer.from(xml + SHEET_TAIL, 'utf8'));
  await entry.end();
}

/** The rows per sheet, header rows included; a RangeError when out of Excel's range. */
export function sheetRowLimit(options: XlsxOptions): number {
  const limit = options.sheetRowLimit ?? XLSX_MAX_ROWS;
  if (!Number.isInteger(limit) || limit <= HEADER_ROWS || limit > XLSX_MAX_ROWS) {
    throw new RangeError(`sheetRowLimit must be an integer from ${HEADER_ROWS + 1} to ${XLSX_MAX_ROWS}`);
  }
  return limit;
}

// ---- sheet XML ------------------------------------------------------------------------------

const NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const SHEET_TAIL = '</sheetData></worksheet>';

interface SheetXml {
  /** Everything before the first data row: the sheet's settings and its two header rows. */
  head: string;
  row(values: ModernValue[], rowNumber: number): string;
}

function sheetXml(layout: ModernLayout): SheetXml {
  const refs = layout.columns.map((_, i) => columnLetters(i + 1));
  const cols = layout.columns
    .map((c, i) => {
      const width = c.type === 'date' ? 20 : Math.min(40, Math.max(10, c.name.length + 2));
      return `<col min="${i + 1}" max="${i + 1}" width="${width}" customWidth="1"${c.type === 'date' ? ` style="${DATE_STYLE}"` : ''}/>`;
    })
    .join('');
  const headerRow = (n: number, texts: string[], style: string): string =>
    `<row r="${n}">${texts.map((t, i) => (t === '' ? '' : `<c r="${refs[i]}${n}"${style} t="inlineStr"><is>${textElement(t)}</is></c>`)).join('')}</row>`;
  const head =
    `${XML_DECL}<worksheet xmlns="${NS}" xmlns:r="${REL_NS}">` +
    `<sheetViews><sheetView workbookViewId="0"><pane ySplit="${HEADER_ROWS}" topLeftCell="A${HEADER_ROWS + 1}" activePane="bottomLeft" state="frozen"/>` +
    `<selection pane="bottomLeft" activeCell="A${HEADER_ROWS + 1}" sqref="A${HEADER_ROWS + 1}"/></sheetView></sheetViews>` +
    `<sheetFormatPr defaultRowHeight="15"/><cols>${cols}</cols><sheetData>` +
    headerRow(1, layout.columns.map((c) => c.name), ` s="${HEADER_STYLE}"`) +
    headerRow(2, layout.columns.map((c) => c.label), '');
  const zone = layout.timeZone;
  // Cell openings per column: `<c r="B` waits for the row number.
  const open = refs.map((ref) => `<c r="${ref}`);
  return {
    head,
    row(values, n) {
      const at = String(n);
      let xml = `<row r="${at}">`;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v === null) continue;
        if (typeof v === 'string') xml += `${open[i]}${at}" t="inlineStr"><is>${textElement(v)}</is></c>`;
        else if (typeof v === 'number') {
          if (Number.isFinite(v)) xml += `${open[i]}${at}"><v>${v}</v></c>`;
        } else xml += `${open[i]}${at}" s="${DATE_STYLE}"><v>${EPOCH_SERIAL + wallClock(v.getTime(), zone) / DAY}</v></c>`;
      }
      return `${xml}</row>`;
    },
  };
}

/** 1 → A, 26 → Z, 27 → AA. */
export function columnLetters(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

/** What XML 1.0 cannot hold, and CR. */
const UNCLEAN = /[\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
/** Markup, and the underscore of a literal `_xHHHH_`. */
const MARKUP = /[&<>]|_(?=x[0-9a-fA-F]{4}_)/g;
/** Text that Excel would trim unless told to keep its spaces (the rule exceljs uses). */
const NEEDS_PRESERVE = /^\s|\n|\s$/;

/** A cell's `<t>` element (see the module comment for what happens to the text). */
export function textElement(value: string): string {
  let s = value;
  if (UNCLEAN.test(s)) s = s.replace(FORBIDDEN, '').replace(/\r\n?/g, '\n');
  if (s.length > XLSX_MAX_TEXT) s = cut(s);
  // Plain tests first: most cells hold neither markup nor `_x`.
  if (s.includes('&') || s.includes('<') || s.includes('>') || s.includes('_x')) s = s.replace(MARKUP, escapeChar);
  return plainEnds(s) ? `<t>${s}</t>` : `<t xml:space="preserve">${s}</t>`;
}

/** No space at either end and no line break, decided on the characters where that is cheap. */
function plainEnds(s: string): boolean {
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (first > 32 && first < 127 && last > 32 && last < 127) return !s.includes('\n');
  return !NEEDS_PRESERVE.test(s);
}

function escapeChar(c: string): string {
  return c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '_x005F_';
}

/** Excel's cell limit, not cutting a surrogate pair in two. */
function cut(s: string): string {
  const last = s.charCodeAt(XLSX_MAX_TEXT - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? XLSX_MAX_TEXT - 1 : XLSX_MAX_TEXT);
}

// ---- the workbook's other parts -------------------------------------------------------------

async function writeWorkbookParts(zip: ZipWriter, sheets: number): Promise<void> {
  const numbers = Array.from({ length: sheets }, (_, i) => i + 1);
  const name = (n: number): string => (n === 1 ? SHEET_NAME : `${SHEET_NAME} (${n})`);
  await zip.file('xl/styles.xml', STYLES);
  await zip.file(
    'xl/workbook.xml',
    `${XML_DECL}<workbook xmlns="${NS}" xmlns:r="${REL_NS}"><bookViews><workbookView/></bookViews><sheets>` +
      numbers.map((n) => `<sheet name="${name(n)}" sheetId="${n}" r:id="rId${n}"/>`).join('') +
      '</sheets></workbook>',
  );
  await zip.file(
    'xl/_rels/workbook.xml.rels',
    relationships([
      ...numbers.map((n): [string, string] => [`${OFFICE_REL}/worksheet`, `worksheets/sheet${n}.xml`]),
      [`${OFFICE_REL}/styles`, 'styles.xml'],
    ]),
  );
  await zip.file(
    '_rels/.rels',
    relationships([
      [`${OFFICE_REL}/officeDocument`, 'xl/workbook.xml'],
      ['http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties', 'docProps/core.xml'],
      [`${OFFICE_REL}/extended-properties`, 'docProps/app.xml'],
    ]),
  );
  await zip.file('docProps/core.xml', coreProperties(new Date()));
  await zip.file('docProps/app.xml', `${XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Insight</Application></Properties>`);
  await zip.file('[Content_Types].xml', contentTypes(numbers));
}

const OFFICE_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

function relationships(targets: Array<[type: string, target: string]>): string {
  return (
    `${XML_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
    targets.map(([type, target], i) => `<Relationship Id="rId${i + 1}" Type="${type}" Target="${target}"/>`).join('') +
    '</Relationships>'
  );
}

const STYLES =
  `${XML_DECL}<styleSheet xmlns="${NS}">` +
  `<numFmts count="1"><numFmt numFmtId="164" formatCode="${DATE_FORMAT}"/></numFmts>` +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font><font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>' +
  '</styleSheet>';

function coreProperties(now: Date): string {
  const at = `${now.toISOString().slice(0, 19)}Z`;
  return (
    `${XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" ` +
    'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<dc:creator>Insight</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">${at}</dcterms:created>` +
    `<dcterms:modified xsi:type="dcterms:W3CDTF">${at}</dcterms:modified></cp:coreProperties>`
  );
}

function contentTypes(sheets: number[]): string {
  const ml = 'application/vnd.openxmlformats-officedocument.spreadsheetml';
  return (
    `${XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    `<Override PartName="/xl/workbook.xml" ContentType="${ml}.sheet.main+xml"/>` +
    sheets.map((n) => `<Override PartName="/xl/worksheets/sheet${n}.xml" ContentType="${ml}.worksheet+xml"/>`).join('') +
    `<Override PartName="/xl/styles.xml" ContentType="${ml}.styles+xml"/>` +
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>' +
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>' +
    '</Types>'
  );
}

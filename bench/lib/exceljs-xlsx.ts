/**
 * The xlsx writer Insight used before src/domain/export/xlsx.ts, kept for bench/export-xlsx.ts to
 * print exceljs's rate next to the hand-written writer's: exceljs's streaming workbook writer, every
 * row committed as soon as it is added, the same sheets, header rows, cell types and text rules.
 * exceljs 4.4.0 is pinned; its internals are read for the backpressure check below.
 */
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import { drained, whileOpen } from '../../src/domain/export/file-sink.ts';
import { wallClock, type ExportResponse, type ModernLayout, type ModernValue } from '../../src/domain/export/modern-layout.ts';
import { sheetRowLimit, SHEET_NAME, XLSX_MAX_TEXT, type XlsxOptions } from '../../src/domain/export/xlsx.ts';

const HEADER_ROWS = 2;

/**
 * What the pressure check reads from exceljs 4.4.0 (pinned): a worksheet writer's `stream` is the
 * buffer of its zip entry, and `pipes[0]` the stream archiver reads the entry from. exceljs writes
 * to it without waiting, so the writer here waits for it to drain instead; a readable-stream 2
 * Writable, which has no `writableNeedDrain`, hence `_writableState`.
 */
interface SheetInternals {
  stream: { pipes: Array<EventEmitter & { _writableState?: { needDrain: boolean } }> };
}

/**
 * archiver buffers up to its highWaterMark (1 MiB by default) on each side before it pushes back;
 * a smaller one keeps what waits for a slow reader small. exceljs passes `zip` on to archiver, but its
 * type does not list the option.
 */
const ZIP_OPTIONS = { highWaterMark: 64 * 1024 } as Partial<ExcelJS.stream.xlsx.ArchiverZipOptions>;

const DATE_STYLE: Partial<ExcelJS.Style> = { numFmt: 'yyyy-mm-dd hh:mm:ss' };
const HEADER_FONT: Partial<ExcelJS.Font> = { name: 'Calibri', size: 11, bold: true };

export async function writeXlsxWithExceljs(layout: ModernLayout, rows: AsyncIterable<ExportResponse>, sink: Writable, options: XlsxOptions = {}): Promise<void> {
  const limit = sheetRowLimit(options);
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false, zip: ZIP_OPTIONS });
  workbook.creator = 'Insight';
  const toCells = cellMapper(layout);
  const styles = columnStyles(layout);
  let sheet = addSheet(workbook, layout, 1);
  let onSheet = 0;
  let sheets = 1;
  for await (const r of rows) {
    if (onSheet === limit - HEADER_ROWS) {
      // Committing ends the sheet's zip entry, so archiver moves on to the next one.
      sheet.commit();
      sheet = addSheet(workbook, layout, ++sheets);
      onSheet = 0;
    }
    const row = sheet.addRow(toCells(layout.row(r)));
    row.eachCell((cell, col) => (cell.style = styles[col]));
    row.commit();
    onSheet++;
    const entry = (sheet as unknown as SheetInternals).stream.pipes[0];
    if (entry?._writableState?.needDrain) await drained(entry, sink);
  }
  // The workbook resolves on the sink's 'finish' only, so a sink closing early must stop the wait.
  await whileOpen(workbook.commit(), sink);
}

function addSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, layout: ModernLayout, n: number): ExcelJS.Worksheet {
  const sheet = workbook.addWorksheet(n === 1 ? SHEET_NAME : `${SHEET_NAME} (${n})`, {
    views: [{ state: 'frozen', xSplit: 0, ySplit: HEADER_ROWS }],
  });
  sheet.columns = layout.columns.map((c) => ({
    width: c.type === 'date' ? 20 : Math.min(40, Math.max(10, c.name.length + 2)),
    ...(c.type === 'date' ? { style: DATE_STYLE } : {}),
  }));
  const header = sheet.addRow(sparse(layout.columns.map((c) => text(c.name))));
  header.font = HEADER_FONT;
  header.commit();
  sheet.addRow(sparse(layout.columns.map((c) => text(c.label)))).commit();
  return sheet;
}

/**
 * One style object per column, shared by its cells: exceljs caches a style's id by object, while
 * the fresh object each cell starts with costs a style lookup per cell.
 */
function columnStyles(layout: ModernLayout): Partial<ExcelJS.Style>[] {
  const plain: Partial<ExcelJS.Style> = {};
  return [plain, ...layout.columns.map((c) => (c.type === 'date' ? DATE_STYLE : plain))];
}

/** A row's values as exceljs cell values, in a sparse array (index = column number). */
function cellMapper(layout: ModernLayout): (values: ModernValue[]) => ExcelJS.CellValue[] {
  const zone = layout.timeZone;
  return (values) => {
    const out: ExcelJS.CellValue[] = new Array(values.length + 1);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null) continue;
      if (typeof v === 'string') out[i + 1] = text(v);
      else if (typeof v === 'number') {
        if (Number.isFinite(v)) out[i + 1] = v;
      } else out[i + 1] = new Date(wallClock(v.getTime(), zone));
    }
    return out;
  };
}

/**
 * exceljs starts a dense array at column 1 but a sparse one (no index 0) at column 0, so every row is
 * given sparse, index = column number, which also lets empty cells be left out.
 */
function sparse(values: ExcelJS.CellValue[]): ExcelJS.CellValue[] {
  const out: ExcelJS.CellValue[] = new Array(values.length + 1);
  for (let i = 0; i < values.length; i++) out[i + 1] = values[i];
  return out;
}

/** What cell text cannot hold as is: XML noncharacters (exceljs drops control characters itself) and CR. */
const AWKWARD = /[\r\ufffe\uffff]/;

/**
 * Text as a cell can hold it: without the noncharacters XML 1.0 forbids, with CRLF and CR as LF
 * (XML parsers turn a raw CR into LF anyway, and LF is Excel's line break within a cell), and within
 * Excel's cell limit, not cutting a surrogate pair in two.
 */
function text(value: string): string {
  const s = AWKWARD.test(value) ? value.replace(/[\ufffe\uffff]/g, '').replace(/\r\n?/g, '\n') : value;
  if (s.length <= XLSX_MAX_TEXT) return s;
  const cut = s.charCodeAt(XLSX_MAX_TEXT - 1) >= 0xd800 && s.charCodeAt(XLSX_MAX_TEXT - 1) <= 0xdbff ? XLSX_MAX_TEXT - 1 : XLSX_MAX_TEXT;
  return s.slice(0, cut);
}

/**
 * Delimited-text file exports, as streaming writers (head, row per response, tail):
 *
 *  - modern CSV: UTF-8 with a BOM (so Excel reads the text as UTF-8), CRLF line ends, RFC 4180
 *    quoting; a header row of column names, a row of labels, then one row per response in the
 *    modern layout (modern-layout.ts), dates in ISO 8601.
 *  - modern TSV and legacy TSV: the same rows (legacy TSV: the legacy CSV's header rows and cells,
 *    without the 'v' dialect's trailing empty column) separated by tabs, CRLF line ends. The file is
 *    UTF-16LE with a BOM (files.ts encodes it): Excel's own "Unicode Text" format, the one it opens
 *    by double-click with columns split and every character intact (it reads UTF-8 .tsv/.txt as ANSI).
 *    A TSV cell cannot hold a tab or line break, so each tab, CR, LF or CRLF in a cell becomes one
 *    space; a cell starting with `"` is quoted as in CSV, because Excel and most TSV readers treat a
 *    leading quote as the start of a quoted field and would otherwise run it into the next cells.
 *
 * Every cell, header cells included, goes through the formula guard of csv-output.ts: a leading
 * = + - @ (other than a plain number) gets an apostrophe, so a respondent's `=HYPERLINK(…)` stays text.
 */
import { csvCell, csvLine, csvSafe } from '../csv-output.ts';
import { rowCells } from './legacy-cells.ts';
import { pyImportId } from './legacy-csv.ts';
import type { LegacyExport } from './legacy-export.ts';
import type { LegacyWriter } from './legacy-writer.ts';
import { isoDateTime, type ExportResponse, type ModernLayout, type ModernValue } from './modern-layout.ts';

const BOM = '\uFEFF';
const EOL = '\r\n';

export function modernCsvWriter(layout: ModernLayout): LegacyWriter {
  return {
    contentType: 'text/csv; charset=utf-8',
    head: () => BOM + csvLine(layout.columns.map((c) => c.name), EOL) + csvLine(layout.columns.map((c) => c.label), EOL),
    row(r: ExportResponse): string {
      const values = layout.row(r);
      let line = '';
      for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : ',') + csvCell(valueText(values[i], layout.timeZone));
      return line + EOL;
    },
    tail: () => '',
  };
}

export function modernTsvWriter(layout: ModernLayout): LegacyWriter {
  return {
    contentType: 'text/tab-separated-values; charset=utf-16le',
    head: () => BOM + tsvLine(layout.columns.map((c) => c.name)) + tsvLine(layout.columns.map((c) => c.label)),
    row(r: ExportResponse): string {
      const values = layout.row(r);
      let line = '';
      for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : '\t') + tsvCell(valueText(values[i], layout.timeZone));
      return line + EOL;
    },
    tail: () => '',
  };
}

export function legacyTsvWriter(exp: LegacyExport): LegacyWriter {
  return {
    contentType: 'text/tab-separated-values; charset=utf-16le',
    head(): string {
      let head = BOM + tsvLine(exp.columns.map((c) => c.name)) + tsvLine(exp.columns.map((c) => c.label));
      if (exp.dialect === 'named') head += tsvLine(exp.columns.map((c) => pyImportId(c.importId)));
      return head;
    },
    row(r: ExportResponse): string {
      const cells = rowCells(exp.cells, r);
      let line = '';
      for (let i = 0; i < cells.length; i++) {
        const v = cells[i];
        line += (i === 0 ? '' : '\t') + tsvCell(v === null ? '' : typeof v === 'number' ? String(v) : v);
      }
      return line + EOL;
    },
    tail: () => '',
  };
}

/** A value as delimited text: blank for null, ISO 8601 for dates. */
export function valueText(v: ModernValue, timeZone: string): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return isoDateTime(v, timeZone);
}

const TSV_BREAKS = /\r\n|[\t\r\n]/g;
const TSV_SPECIAL = /[\t\r\n]/;

export function tsvCell(value: string): string {
  let v = csvSafe(value);
  if (TSV_SPECIAL.test(v)) v = v.replace(TSV_BREAKS, ' ');
  return v.charCodeAt(0) === 34 ? `"${v.replace(/"/g, '""')}"` : v;
}

function tsvLine(cells: readonly string[]): string {
  return cells.map(tsvCell).join('\t') + EOL;
}

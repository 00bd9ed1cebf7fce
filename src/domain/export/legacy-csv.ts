/**
 * Format=CSV (§3.3), as the recorded exports in shared/fixtures/qsf write it, byte for byte:
 *  - 'v' dialect: UTF-8 BOM, two header rows (names, labels), every line ending in ",\n".
 *  - 'named' dialect: no BOM, three header rows (names, labels, `{'ImportId': '…'}`), lines
 *    ending in "\n".
 * Cells are quoted only when they hold a comma, quote or line break. Data cells go through the
 * project's formula guard (csv-output.ts): no recorded cell starts with = + - @ other than a plain
 * number, which the guard leaves alone, so the recorded bytes are unchanged while a respondent's
 * `=HYPERLINK(…)` reaches a spreadsheet as text.
 */
import { csvCell, csvLine } from '../csv-output.ts';
import { legacyCsvHeader, legacyCsvPreamble, type ExportColumn } from '../survey/export-columns.ts';
import { rowCells } from './legacy-cells.ts';
import type { Cell, LegacyExport, StoredResponse } from './legacy-export.ts';
import type { LegacyWriter } from './legacy-writer.ts';

export function legacyCsvWriter(exp: LegacyExport): LegacyWriter {
  const dialect = exp.dialect;
  const end = dialect === 'v' ? ',\n' : '\n';
  return {
    contentType: 'application/vnd.msexcel',
    head(): string {
      // Header rows are written from the renamed columns (ExportTags=0, ExportQuestionIDs).
      const renamed: ExportColumn[] = exp.columns.map((c) => ({ ...c.source, name: c.name }));
      let head = legacyCsvPreamble({ dialect }) + legacyCsvHeader(renamed, { dialect });
      if (dialect === 'named') head += csvLine(exp.columns.map((c) => pyImportId(c.importId)));
      return head;
    },
    row(r: StoredResponse): string {
      const readers = exp.cells.readers;
      let line = '';
      if (readers) {
        // Each cell read and written straight away: no array of cells per response.
        for (let i = 0; i < readers.length; i++) line += (i === 0 ? '' : ',') + csvText(readers[i](r));
      } else {
        const cells = rowCells(exp.cells, r);
        for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvText(cells[i]);
      }
      return line + end;
    },
    tail(): string {
      return '';
    },
  };
}

/** A cell as CSV text; a number that is not negative cannot need quotes or the formula guard. */
function csvText(v: Cell): string {
  if (typeof v === 'number') return v >= 0 ? String(v) : csvCell(String(v));
  return v === null ? '' : csvCell(v);
}

/** The recorded third header row is a Python dict's repr: `{'ImportId': 'QID1'}`. */
export function pyImportId(id: string): string {
  return `{'ImportId': ${pyRepr(id)}}`;
}

function pyRepr(s: string): string {
  const escaped = s.replace(/\\/g, '\\\\');
  if (s.includes("'") && !s.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/**
 * Format=HTML (§3.4, layout not recorded): one `<table>`, a header row of `<th>` cells holding the
 * column keys (as in JSON and XML), then one `<tr>` per response. Every header and cell is escaped
 * text, so answers, labels and embedded data can never become markup: the page is inert.
 */
import { escapeText } from './fast-text.ts';
import { rowCells } from './legacy-cells.ts';
import type { LegacyExport, StoredResponse } from './legacy-export.ts';
import type { LegacyWriter } from './legacy-writer.ts';

export function legacyHtmlWriter(exp: LegacyExport): LegacyWriter {
  return {
    contentType: 'text/html; charset=UTF-8',
    head: () => `<table><tr>${exp.columns.map((c) => `<th>${escapeText(c.key)}</th>`).join('')}</tr>\n`,
    row(r: StoredResponse): string {
      let out = '<tr>';
      for (const v of rowCells(exp.cells, r)) out += `<td>${v === null ? '' : escapeText(String(v))}</td>`;
      return `${out}</tr>\n`;
    },
    tail: () => '</table>\n',
  };
}

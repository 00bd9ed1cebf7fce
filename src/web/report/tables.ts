/**
 * Data tables: a caption, column headers (th scope="col"), and one row header per row
 * (th scope="row"), so a screen reader announces every figure with what it measures.
 */
import { html, type Html } from '../html.ts';

export interface TableCell {
  text: string;
  /** Extra classes, e.g. the heat-table shade. */
  cls?: string;
  /** A second, smaller line (a heat-table cell's count). */
  sub?: string;
}

export interface TableRow {
  header: string;
  cells: Array<string | TableCell>;
}

export interface TableSpec {
  /** Unique id: the scrolling box is a named, focusable region so keyboard users can scroll it. */
  id: string;
  caption: string;
  /** Header of the row-header column, then one per data column. */
  corner: string;
  head: string[];
  rows: TableRow[];
  cls?: string;
}

export function dataTable(t: TableSpec): Html {
  return html`<div class="rp-table-wrap" role="region" aria-labelledby="${t.id}" tabindex="0"><table class="rp-data${t.cls ? ` ${t.cls}` : ''}"><caption id="${t.id}">${t.caption}</caption>
<thead><tr><th scope="col">${t.corner}</th>${t.head.map((h) => html`<th scope="col" class="rp-num">${h}</th>`)}</tr></thead>
<tbody>${t.rows.map(row)}</tbody></table></div>`;
}

function row(r: TableRow): Html {
  return html`<tr><th scope="row">${r.header}</th>${r.cells.map(td)}</tr>`;
}

function td(c: string | TableCell): Html {
  if (typeof c === 'string') return html`<td class="rp-num">${c}</td>`;
  return html`<td class="rp-num${c.cls ? ` ${c.cls}` : ''}">${c.text}${c.sub === undefined ? '' : html`<span class="rp-sub">${c.sub}</span>`}</td>`;
}

/** Heat-table shade for a share 0–100: heat-0 for none, then one step per 20 points. */
export function heatClass(percent: number): string {
  if (!(percent > 0)) return 'heat-0';
  return `heat-${Math.min(5, Math.ceil(percent / 20))}`;
}

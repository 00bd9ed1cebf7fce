/**
 * Server-rendered SVG charts. Each is an image with a title (role="img", aria-labelledby) whose numbers
 * are repeated in a data table beside it, so nothing depends on seeing the picture. Geometry is set
 * with SVG attributes (x, y, width, height) and colours with classes from report.css: the page's CSP
 * (style-src 'self') refuses inline style attributes but not presentation attributes.
 */
import { html, type Html } from '../html.ts';
import { short } from './format.ts';

export interface Bar {
  label: string;
  value: number;
  /** What the chart writes beside the bar (the same text the data table shows). */
  text: string;
}

/** A narrow drawing, so its text stays legible when a phone scales it down (about 0.8×). */
const WIDTH = 440;
const ROW = 44;
/** Leaves room right of the longest bar for a figure such as "100.0% (12,345)". */
const BAR_MAX = 300;
const LABEL_CHARS = 46;

/** One bar per row, its label above it: legible when the chart is scaled down to a phone's width. */
export function barChart(id: string, title: string, bars: Bar[], desc: string): Html {
  const lo = Math.min(0, ...bars.map((b) => b.value));
  const hi = Math.max(0, ...bars.map((b) => b.value));
  const scale = hi === lo ? 0 : BAR_MAX / (hi - lo);
  const zero = -lo * scale;
  const height = bars.length * ROW + 8;
  const rows = bars.map((b, i) => {
    const top = i * ROW;
    const end = zero + b.value * scale;
    const x = Math.min(zero, end);
    const width = Math.abs(end - zero);
    return html`<g class="rp-row"><text class="rp-label" x="0" y="${top + 16}">${short(b.label, LABEL_CHARS)}</text><rect class="rp-bar" x="${round(x)}" y="${top + 22}" width="${round(width)}" height="16"></rect><text class="rp-value" x="${round(Math.max(zero, end) + 6)}" y="${top + 35}">${b.text}</text></g>`;
  });
  const axis = lo < 0 ? html`<line class="rp-axis-line" x1="${round(zero)}" x2="${round(zero)}" y1="18" y2="${height}"></line>` : html``;
  return svg(id, title, desc, height, html`${rows}${axis}`);
}

export interface Column {
  /** Axis text for the column (a date). */
  label: string;
  /** Stacked parts, bottom first; each part's class colours it. */
  parts: Array<{ value: number; cls: string }>;
  /** Written above the column when there is room; the data table's total. */
  text: string;
}

const PLOT_TOP = 24;
const PLOT_HEIGHT = 180;
const PLOT_LEFT = 8;
const PLOT_WIDTH = WIDTH - 16;
/** Beyond this many columns there is no room to write each one's figure. */
export const LABELLED_COLUMNS = 16;

/** A (stacked) column chart, e.g. responses per day. First and last labels mark the time range. */
export function columnChart(id: string, title: string, columns: Column[], desc: string): Html {
  const totals = columns.map((c) => c.parts.reduce((s, p) => s + p.value, 0));
  const max = Math.max(1, ...totals);
  const slot = columns.length === 0 ? PLOT_WIDTH : PLOT_WIDTH / columns.length;
  const barWidth = Math.max(1, slot * 0.7);
  const base = PLOT_TOP + PLOT_HEIGHT;
  const labelled = columns.length <= LABELLED_COLUMNS;
  const cols = columns.map((c, i) => {
    const x = PLOT_LEFT + i * slot + (slot - barWidth) / 2;
    let y = base;
    const rects = c.parts.map((p) => {
      const h = (p.value / max) * PLOT_HEIGHT;
      y -= h;
      return html`<rect class="${p.cls}" x="${round(x)}" y="${round(y)}" width="${round(barWidth)}" height="${round(h)}"></rect>`;
    });
    const figure = labelled ? html`<text class="rp-value rp-mid" x="${round(x + barWidth / 2)}" y="${round(y - 4)}">${c.text}</text>` : html``;
    return html`<g class="rp-col">${rects}${figure}</g>`;
  });
  const first = columns[0];
  const last = columns[columns.length - 1];
  const axisLabels = first === undefined ? html`` : html`<text class="rp-axis" x="${PLOT_LEFT}" y="${base + 20}">${first.label}</text>${last !== first ? html`<text class="rp-axis rp-end" x="${PLOT_LEFT + PLOT_WIDTH}" y="${base + 20}">${last.label}</text>` : ''}`;
  const body = html`<line class="rp-axis-line" x1="${PLOT_LEFT}" x2="${PLOT_LEFT + PLOT_WIDTH}" y1="${base}" y2="${base}"></line>${cols}${axisLabels}`;
  return svg(id, title, desc, base + 30, body);
}

function svg(id: string, title: string, desc: string, height: number, body: Html): Html {
  return html`<svg class="rp-chart" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="${id}-t ${id}-d" viewBox="0 0 ${WIDTH} ${round(height)}" width="100%" preserveAspectRatio="xMinYMin meet" focusable="false"><title id="${id}-t">${title}</title><desc id="${id}-d">${desc}</desc>${body}</svg>`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

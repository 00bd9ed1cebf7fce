/** What every part of one rendered report shares: number formats, ids and heading levels. */
import { html, raw, type Html } from '../html.ts';
import type { Formats } from './format.ts';
import type { IdMaker } from './ids.ts';

export interface RenderContext {
  fmt: Formats;
  id: IdMaker;
  /** Level of the report's own headings (h2 by default); questions are one below. */
  level: number;
  timeZone: string;
}

/** A heading at `level` (clamped to h2–h6) with a generated id. */
export function heading(level: number, id: string, content: Html | string, cls?: string): Html {
  const n = Math.min(6, Math.max(2, Math.trunc(level)));
  return html`${raw(`<h${n}`)} id="${id}"${cls ? html` class="${cls}"` : ''}>${content}${raw(`</h${n}>`)}`;
}

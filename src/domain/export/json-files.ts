/**
 * JSON file exports in the modern layout (modern-layout.ts):
 *  - json: one array holding an object per response, one object per line (`[\n{…},\n{…}\n]\n`);
 *    an export with no responses is `[]\n`.
 *  - ndjson: one object per line, each line ending in "\n"; no responses, an empty file.
 * Keys are the layout's column names (unique), in column order; values are typed: numbers as JSON
 * numbers, text as strings, dates as ISO 8601 strings in the export's zone, empty cells as null.
 *
 * Objects are written by hand, from precomputed `"key":` prefixes, rather than through
 * JSON.stringify of an object: JavaScript objects move integer-like keys (a numeric export tag) to
 * the front, and the prefixes are computed once instead of once per row.
 */
import type { LegacyWriter } from './legacy-writer.ts';
import { isoDateTime, type ExportResponse, type ModernLayout, type ModernValue } from './modern-layout.ts';

export function jsonWriter(layout: ModernLayout): LegacyWriter {
  const object = objectWriter(layout);
  let rows = 0;
  return {
    contentType: 'application/json; charset=utf-8',
    head: () => '[',
    row: (r: ExportResponse) => `${rows++ === 0 ? '\n' : ',\n'}${object(r)}`,
    tail: () => (rows === 0 ? ']\n' : '\n]\n'),
  };
}

export function ndjsonWriter(layout: ModernLayout): LegacyWriter {
  const object = objectWriter(layout);
  return {
    contentType: 'application/x-ndjson; charset=utf-8',
    head: () => '',
    row: (r: ExportResponse) => `${object(r)}\n`,
    tail: () => '',
  };
}

function objectWriter(layout: ModernLayout): (r: ExportResponse) => string {
  const prefixes = layout.columns.map((c, i) => (i === 0 ? '{' : ',') + JSON.stringify(c.name) + ':');
  return (r) => {
    const values = layout.row(r);
    let out = '';
    for (let i = 0; i < values.length; i++) out += prefixes[i] + jsonValue(values[i], layout.timeZone);
    return `${out}}`;
  };
}

/** Text that JSON.stringify would write unchanged between quotes (the common case, checked cheaply). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function jsonValue(v: ModernValue, timeZone: string): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'string') return PLAIN.test(v) ? `"${v}"` : JSON.stringify(v);
  return `"${isoDateTime(v, timeZone)}"`;
}

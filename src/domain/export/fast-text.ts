/**
 * Fast paths for the per-cell work of a large export. Each returns exactly what the shared helper
 * it wraps returns (dates.ts formatDateTime, xml.ts xmlText, php-json.ts phpJson) and only skips
 * that helper when the answer is known to be trivial: every response has two dates and tens of
 * cells, and the general helpers (Intl, regular-expression replacement) dominate the cost otherwise.
 */
import { phpJson } from '../php-json.ts';
import { formatDateTime, UNSET_DATETIME } from '../dates.ts';
import { xmlText } from '../xml.ts';

/** Zone offsets hold for a whole quarter hour except at a transition, which is checked for. */
const QUARTER_HOUR = 15 * 60 * 1000;
const offsets = new Map<string, number>();

/** `YYYY-MM-DD HH:MM:SS` in `timeZone`, as formatDateTime writes it; a missing stamp reads as unset. */
export function exportDateTime(ms: number, timeZone: string): string {
  if (!Number.isFinite(ms)) return UNSET_DATETIME;
  if (timeZone === 'UTC') return utcText(ms);
  const offset = zoneOffset(ms, timeZone);
  return Number.isNaN(offset) ? formatDateTime(ms, timeZone) : utcText(ms + offset);
}

function utcText(ms: number): string {
  const iso = new Date(ms).toISOString();
  // Years outside 0000–9999 are written ±YYYYYY by toISOString; leave those to Intl.
  return iso.length === 24 ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : formatDateTime(ms, 'UTC');
}

/** The zone's offset for this quarter hour, or NaN when it changes within it. */
function zoneOffset(ms: number, timeZone: string): number {
  const start = Math.floor(ms / QUARTER_HOUR) * QUARTER_HOUR;
  const key = `${timeZone}|${start}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const first = offsetAt(start, timeZone);
    offset = first === offsetAt(start + QUARTER_HOUR - 1000, timeZone) ? first : NaN;
    if (offsets.size >= 10_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

function offsetAt(ms: number, timeZone: string): number {
  const [date, time] = formatDateTime(ms, timeZone).split(' ');
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s) - (ms - (ms % 1000));
}

/** Characters xmlText would change or drop. */
const XML_SPECIAL = /[&<>"'\u0000-\u001f\ud800-\udfff\ufffe\uffff]/;

export function escapeText(value: string): string {
  return XML_SPECIAL.test(value) ? xmlText(value) : value;
}

/** Characters phpJson (or JSON itself) would escape: quotes, backslash, `/`, controls, non-ASCII. */
const JSON_SPECIAL = /[^\x20-\x21\x23-\x2e\x30-\x5b\x5d-\x7e]/;

export function jsonString(value: string): string {
  return JSON_SPECIAL.test(value) ? phpJson(value) : `"${value}"`;
}

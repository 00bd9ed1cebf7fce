/**
 * Fast paths for the per-cell work of a large export. Each returns exactly what the shared helper
 * it wraps returns (dates.ts formatDateTime, xml.ts xmlText, php-json.ts phpJson) and only skips
 * that helper when the answer is known to be trivial: every response has two dates and tens of
 * cells, and the general helpers (Intl, regular-expression replacement) dominate the cost otherwise.
 */
import { phpJson } from '../php-json.ts';
import { formatDateTime, UNSET_DATETIME } from '../dates.ts';
import { xmlText } from '../xml.ts';

/**
 * Zone offsets hold for a whole hour except at a transition, which is checked for (the offsets at
 * both ends of the hour differ); no zone changes its offset and back within an hour.
 */
const WINDOW = 60 * 60 * 1000;
const DAY = 24 * 60 * 60 * 1000;
/** 0000-01-01 and 9999-12-31 23:59:59.999: the stamps toISOString writes with a 4-digit year. */
const FIRST_ISO = -62_167_219_200_000;
const LAST_ISO = 253_402_300_799_999;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/** Hours remembered per zone, direct-mapped: exports read stamps in roughly rising order. */
const SLOTS = 1024;

interface ZoneCache {
  starts: Float64Array;
  offsets: Float64Array;
}

const zones = new Map<string, ZoneCache>();
let lastZone = '';
let lastCache: ZoneCache | undefined;
let cachedDay = NaN;
let cachedDayText = '';

/** `YYYY-MM-DD HH:MM:SS` in `timeZone`, as formatDateTime writes it; a missing stamp reads as unset. */
export function exportDateTime(ms: number, timeZone: string): string {
  if (!Number.isFinite(ms)) return UNSET_DATETIME;
  if (timeZone === 'UTC') return utcText(ms);
  const offset = zoneOffset(ms, timeZone);
  return Number.isNaN(offset) ? formatDateTime(ms, timeZone) : utcText(ms + offset);
}

/**
 * What toISOString writes, without its allocations: the date part is kept for the last day seen
 * (consecutive responses mostly share it), the time is three table lookups.
 */
function utcText(ms: number): string {
  // A Date's time value is the stamp truncated towards zero (TimeClip).
  const t = Math.trunc(ms);
  // Years outside 0000–9999 are written ±YYYYYY by toISOString; leave those to Intl.
  if (t < FIRST_ISO || t > LAST_ISO) return formatDateTime(ms, 'UTC');
  const day = Math.floor(t / DAY) * DAY;
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayText = `${new Date(day).toISOString().slice(0, 10)} `;
  }
  const seconds = Math.floor((t - day) / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds - hours * 3600) / 60);
  return `${cachedDayText}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds - hours * 3600 - minutes * 60]}`;
}

/** The zone's offset for this hour, or NaN when it changes within it. */
function zoneOffset(ms: number, timeZone: string): number {
  if (timeZone !== lastZone || lastCache === undefined) {
    let cache = zones.get(timeZone);
    if (cache === undefined) {
      if (zones.size >= 64) zones.clear();
      cache = { starts: new Float64Array(SLOTS).fill(NaN), offsets: new Float64Array(SLOTS) };
      zones.set(timeZone, cache);
    }
    lastZone = timeZone;
    lastCache = cache;
  }
  const hour = Math.floor(ms / WINDOW);
  const start = hour * WINDOW;
  const slot = hour & (SLOTS - 1);
  if (lastCache.starts[slot] === start) return lastCache.offsets[slot] as number;
  const first = offsetAt(start, timeZone);
  const offset = first === offsetAt(start + WINDOW - 1000, timeZone) ? first : NaN;
  lastCache.starts[slot] = start;
  lastCache.offsets[slot] = offset;
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

/**
 * importResponses' pure part (api-v2.md §2.5): which survey column each CSV column fills, and one
 * CSV record turned into a stored response's fields.
 *
 * Header rows. The file has two: labels (or column names), then import IDs. What real files hold
 * varies, so every header cell is looked up the same way and the row that names the most columns
 * wins, the others filling its gaps:
 *  - import IDs as the 'named' export writes them, `{'ImportId': 'QID1'}` or `{"ImportId":"QID1"}`,
 *    or bare (`QID1`, `QID1-TEXT`, `QID4-1-2`, `startDate`, `responseId`);
 *  - ExportQuestionIDs names (`QID3_2`), export-tag names in either dialect (`Q1`, `Q2_3`), the V
 *    numbers of an ExportTags=0 export (`V1`…), fixed-column labels (`ResponseID`, `StartDate`),
 *    embedded-data and location field names.
 * So an Insight (or Qualtrics legacy) CSV export imports as it is: its row 1 names every column, its
 * row 2 the fixed ones. A third header row of ImportId objects (the 'named' export) is read too.
 * Export-tag names may repeat (a survey can reuse a row tag in several matrices): the n-th column
 * with a name takes the n-th survey column with it. A column no lookup knows becomes embedded data
 * named by its header (Qualtrics' import does the same); the caller reports those names.
 *
 * Values. Choice columns take the recode (or, as a Labels=1 export writes them, the choice text);
 * selection columns take 1 (or the choice text; 0 means not selected); numeric columns (sliders,
 * rank order, constant sum) a number, with DecimalFormat `,` read as the decimal mark; text columns
 * anything. Values are typed as the respondent engine stores them (numbers for numeric recodes and
 * numeric columns), so a round trip exports the same text. A cell the exports' formula guard
 * defused (`'=1+2`) gets its apostrophe back off. Fixed columns: Name / RecipientLastName +
 * RecipientFirstName, e-mail, external reference, IP address, StartDate / EndDate (`YYYY-MM-DD
 * HH:MM:SS` in the brand's zone, or ISO 8601; empty = the import time), Finished (empty = 1).
 * ResponseID, ResponseSet and Status are ignored: imported responses get new IDs and Status 4.
 */
import { csvSafe } from '../csv-output.ts';
import { ED_KEY_MAX, cleanField } from '../recipients.ts';
import { parseSurveyDate } from '../survey/options.ts';
import { hasMatrixCells, plainText } from '../survey/export-columns.ts';
import type { QsfChoice, QsfQuestion, QsfSurvey } from '../survey/qsf.ts';
import { legacyColumns, type LegacyColumn } from './legacy-columns.ts';

type MetaField = 'responseId' | 'responseSet' | 'status' | 'name' | 'lastName' | 'firstName' | 'email' | 'externalRef' | 'ipAddress' | 'startDate' | 'endDate' | 'finished';
type LocationField = 'latitude' | 'longitude' | 'accuracy';

export type ImportTarget =
  | { kind: 'meta'; field: MetaField }
  | { kind: 'question'; column: LegacyColumn }
  | { kind: 'embedded'; name: string }
  | { kind: 'location'; field: LocationField };

export interface ImportPlan {
  /** Per CSV column: what it fills, or undefined (an empty or repeated header). */
  targets: Array<ImportTarget | undefined>;
  /** Headers no lookup knew, imported as embedded data. */
  unmatched: string[];
  converters: Map<LegacyColumn, Converter>;
  survey: QsfSurvey;
}

export interface ImportOptions {
  /** The zone dates without an offset are read in. */
  timeZone: string;
  /** DecimalFormat=`,`. */
  decimalComma: boolean;
  /** IgnoreValidation=1: values outside a question's choices are stored as they are. */
  ignoreValidation: boolean;
  /** Empty StartDate/EndDate cells take this. */
  now: number;
}

export interface ImportedResponse {
  name: string | null;
  email: string | null;
  externalRef: string | null;
  ipAddress: string | null;
  startDate: number;
  endDate: number;
  finished: 0 | 1;
  values: Record<string, string | number>;
  embedded: Record<string, string>;
  displayed: string[];
  location: Record<LocationField, string | null>;
}

export type RowResult = { ok: true; response: ImportedResponse } | { ok: false; errors: string[] };

type Conversion = { value: string | number | undefined } | { error: string };
type Converter = (cell: string, o: ImportOptions) => Conversion;

const META: Record<string, MetaField> = {
  ResponseID: 'responseId', ResponseSet: 'responseSet', Status: 'status', Name: 'name', ExternalDataReference: 'externalRef',
  EmailAddress: 'email', IPAddress: 'ipAddress', StartDate: 'startDate', EndDate: 'endDate', Finished: 'finished',
  RecipientLastName: 'lastName', RecipientFirstName: 'firstName', RecipientEmail: 'email',
  // Import IDs of the fixed columns (legacy-columns.ts META_IMPORT_IDS) and v3-style names.
  responseId: 'responseId', responseSetId: 'responseSet', status: 'status', ipAddress: 'ipAddress', startDate: 'startDate', endDate: 'endDate',
  finished: 'finished', 'panel-RecipientLastName': 'lastName', 'panel-RecipientFirstName': 'firstName', 'panel-RecipientEmail': 'email',
  'panel-ExternalDataReference': 'externalRef', recipientLastName: 'lastName', recipientFirstName: 'firstName', recipientEmail: 'email',
  externalDataReference: 'externalRef',
};
const V_META: MetaField[] = ['responseId', 'responseSet', 'name', 'externalRef', 'email', 'ipAddress', 'status', 'startDate', 'endDate', 'finished'];
const LOCATION: Record<string, LocationField> = {
  LocationLatitude: 'latitude', LocationLongitude: 'longitude', LocationAccuracy: 'accuracy',
  'Location-LocationLatitude': 'latitude', 'Location-LocationLongitude': 'longitude', 'Location-LocationAccuracy': 'accuracy',
};

/** Candidate targets per header text; each target is used by one CSV column at most. */
class Lookup {
  private readonly map = new Map<string, ImportTarget[]>();
  add(text: string, target: ImportTarget): void {
    if (text === '') return;
    const list = this.map.get(text);
    if (!list) this.map.set(text, [target]);
    else if (!list.includes(target)) list.push(target);
  }
  first(text: string, used: Set<ImportTarget>): ImportTarget | undefined {
    return this.map.get(text)?.find((t) => !used.has(t));
  }
}

/** `{'ImportId': 'QID1'}` / `{"ImportId":"QID1", …}` → `QID1`; anything else → undefined. */
export function importIdOf(cell: string): string | undefined {
  const s = cell.trim();
  if (!s.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(s);
    const id = v && typeof v === 'object' ? (v as Record<string, unknown>).ImportId : undefined;
    if (typeof id === 'string') return id;
  } catch {
    // Not JSON: the Python repr the recorded exports hold.
  }
  const m = /^\{\s*(['"])ImportId\1\s*:\s*(['"])((?:\\.|(?!\2).)*)\2/.exec(s);
  return m ? (m[3] as string).replace(/\\(.)/g, '$1') : undefined;
}

/** How many of the first records are header rows: 2, or 3 when the third holds only ImportId objects. */
export function headerRowCount(first: string[][]): number {
  const third = first[2];
  if (!third) return Math.min(first.length, 2);
  const cells = third.filter((c) => c.trim() !== '');
  return cells.length > 0 && cells.every((c) => importIdOf(c) !== undefined) ? 3 : 2;
}

function lookups(survey: QsfSurvey): { byId: Lookup; byName: Lookup } {
  const byId = new Lookup();
  const byName = new Lookup();
  const metaTargets = new Map<MetaField, ImportTarget>();
  const meta = (field: MetaField): ImportTarget => {
    let t = metaTargets.get(field);
    if (!t) metaTargets.set(field, (t = { kind: 'meta', field }));
    return t;
  };
  const location = new Map<LocationField, ImportTarget>();
  for (const field of ['latitude', 'longitude', 'accuracy'] as const) location.set(field, { kind: 'location', field });
  const v = legacyColumns(survey, { dialect: 'v' });
  const byKey = new Map<string, ImportTarget>();
  // One target per survey column, whichever dialect names it (cellKey does not depend on either).
  const targetOf = (col: LegacyColumn): ImportTarget => {
    if (col.kind === 'location') return location.get(LOCATION[col.name] ?? 'accuracy')!;
    const id = `${col.kind}:${col.cellKey}`;
    let t = byKey.get(id);
    if (!t) {
      t = col.kind === 'question' ? { kind: 'question', column: v.find((c) => c.kind === 'question' && c.cellKey === col.cellKey) ?? col } : { kind: 'embedded', name: col.cellKey };
      byKey.set(id, t);
    }
    return t;
  };
  // Import-ID spellings (lower-case first, or with a dash) go with the import IDs.
  for (const [text, field] of Object.entries(META)) (/^[a-z]|-/.test(text) ? byId : byName).add(text, meta(field));
  V_META.forEach((field, i) => byName.add(`V${i + 1}`, meta(field)));
  for (const [text, field] of Object.entries(LOCATION)) (text.includes('-') ? byId : byName).add(text, location.get(field)!);
  const columns = (cols: LegacyColumn[]) => cols.filter((c) => c.kind !== 'meta');
  for (const col of columns(v)) {
    byId.add(col.importId, targetOf(col));
    byName.add(col.cellKey, targetOf(col));
  }
  for (const col of columns(v)) byName.add(col.name, targetOf(col));
  for (const col of columns(legacyColumns(survey, { dialect: 'named' }))) byName.add(col.name, targetOf(col));
  for (const col of columns(legacyColumns(survey, { dialect: 'v', exportTags: false }))) byName.add(col.name, targetOf(col));
  return { byId, byName };
}

function resolve(cell: string, l: { byId: Lookup; byName: Lookup }, used: Set<ImportTarget>): ImportTarget | undefined {
  const id = importIdOf(cell);
  if (id !== undefined) return l.byId.first(id, used) ?? l.byName.first(id, used);
  const text = cell.trim();
  return l.byId.first(text, used) ?? l.byName.first(text, used);
}

/** The column plan from the header rows (see the module comment). */
export function planImport(survey: QsfSurvey, headers: string[][]): ImportPlan {
  const l = lookups(survey);
  const width = Math.max(0, ...headers.map((h) => h.length));
  // The row naming the most columns leads; on a tie the later one (the import-ID row) does.
  let best = headers.length - 1;
  let bestCount = -1;
  headers.forEach((row, r) => {
    const used = new Set<ImportTarget>();
    let count = 0;
    for (const cell of row) {
      const t = resolve(cell, l, used);
      if (t) {
        used.add(t);
        count++;
      }
    }
    if (count >= bestCount) [best, bestCount] = [r, count];
  });
  const order = [best, ...headers.map((_, r) => r).filter((r) => r !== best).reverse()];
  const used = new Set<ImportTarget>();
  const targets: Array<ImportTarget | undefined> = [];
  const unmatched: string[] = [];
  for (let i = 0; i < width; i++) {
    let target: ImportTarget | undefined;
    for (const r of order) {
      target = resolve(headers[r]?.[i] ?? '', l, used);
      if (target) break;
    }
    if (!target) {
      const name = cleanField(importIdOf(headers[best]?.[i] ?? '') ?? headers[best]?.[i] ?? '', ED_KEY_MAX);
      if (name !== null && !unmatched.includes(name)) {
        unmatched.push(name);
        target = { kind: 'embedded', name };
      }
    }
    if (target) used.add(target);
    targets.push(target);
  }
  const converters = new Map<LegacyColumn, Converter>();
  for (const t of targets) if (t?.kind === 'question') converters.set(t.column, converterFor(survey, t.column));
  return { targets, unmatched, converters, survey };
}

/**
 * parseSurveyDate, but refusing dates that do not exist (`2026-13-45` would otherwise roll over
 * into a later month).
 */
export function parseStrictDate(text: string, zone: string): number | null {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  if (m) {
    const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as number[];
    const at = new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s));
    if (at.getUTCMonth() !== (mo as number) - 1 || at.getUTCDate() !== d || (h as number) > 23 || (mi as number) > 59 || (s as number) > 59) return null;
  }
  return parseSurveyDate(text, zone);
}

/** One data record as a response, or the reasons it cannot be one. */
export function importRow(plan: ImportPlan, record: string[], o: ImportOptions): RowResult {
  const errors: string[] = [];
  const r: ImportedResponse = {
    name: null, email: null, externalRef: null, ipAddress: null, startDate: o.now, endDate: o.now, finished: 1,
    values: {}, embedded: {}, displayed: [], location: { latitude: null, longitude: null, accuracy: null },
  };
  let last = '';
  let first = '';
  const displayed = new Set<string>();
  plan.targets.forEach((t, i) => {
    if (!t) return;
    const cell = unguard(record[i] ?? '');
    const fail = (why: string) => errors.push(`column ${i + 1} (${columnTitle(t)}): ${why}`);
    switch (t.kind) {
      case 'embedded':
        if (cell !== '') r.embedded[t.name] = cell;
        return;
      case 'location':
        r.location[t.field] = cell === '' ? null : cell;
        return;
      case 'question': {
        const c = plan.converters.get(t.column)!(cell, o);
        if ('error' in c) return fail(c.error);
        if (c.value === undefined) return;
        r.values[t.column.cellKey] = c.value;
        displayed.add(t.column.source.qid ?? '');
        return;
      }
      case 'meta':
        switch (t.field) {
          // Imported responses get new IDs, the default set and Status 4.
          case 'responseId':
          case 'responseSet':
          case 'status':
            return;
          case 'name':
            r.name = cell === '' || cell === 'Anonymous' ? null : cell;
            return;
          case 'lastName':
            last = cell;
            return;
          case 'firstName':
            first = cell;
            return;
          case 'startDate':
          case 'endDate': {
            if (cell === '') return;
            const ms = parseStrictDate(cell, o.timeZone);
            if (ms === null) return fail(`"${cell}" is not a date (YYYY-MM-DD HH:MM:SS)`);
            r[t.field] = ms;
            return;
          }
          case 'finished':
            if (cell === '' || cell === '1' || cell === 'true' || cell === 'True') r.finished = 1;
            else if (cell === '0' || cell === 'false' || cell === 'False') r.finished = 0;
            else fail(`"${cell}" is not 0 or 1`);
            return;
          default:
            r[t.field] = cell === '' ? null : cell;
        }
    }
  });
  if (r.name === null && (last !== '' || first !== '')) r.name = first === '' ? last : `${last}, ${first}`;
  if (errors.length > 0) return { ok: false, errors };
  r.displayed = [...displayed];
  return { ok: true, response: r };
}

function columnTitle(t: ImportTarget): string {
  switch (t.kind) {
    case 'question':
      return t.column.name;
    case 'embedded':
      return t.name;
    case 'location':
      return `Location ${t.field}`;
    case 'meta':
      return t.field;
  }
}

/** Undoes the exports' formula guard (csv-output.ts): `'=x` back to `=x`, but only where the guard would have added it. */
function unguard(cell: string): string {
  return cell.charCodeAt(0) === 39 && csvSafe(cell.slice(1)) === cell ? cell.slice(1) : cell;
}

// ---- values ------------------------------------------------------------------------------------

const RECODE = /^-?\d+(\.\d+)?$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NUMERIC_TYPES = new Set(['Slider', 'RO', 'CS']);

/** As response-values.ts types recodes: a JSON number when numeric. */
const typedRecode = (v: string): string | number => (RECODE.test(v) ? Number(v) : v);
/** A number only when that writes back as the same text ("127.0" stays text). */
const canonical = (v: string): string | number => (NUMBER.test(v) && String(Number(v)) === v ? Number(v) : v);

const text: Converter = (cell) => ({ value: cell === '' ? undefined : cell });
const loose: Converter = (cell) => ({ value: cell === '' ? undefined : canonical(cell) });

const numeric: Converter = (cell, o) => {
  if (cell === '') return { value: undefined };
  const v = o.decimalComma ? cell.replace(/^([+-]?\d+),(\d+)$/, '$1.$2') : cell;
  if (NUMBER.test(v.trim())) return { value: Number(v.trim()) };
  return o.ignoreValidation ? { value: canonical(cell) } : { error: `"${cell}" is not a number` };
};

/** A cell holding one recode of `items` (or an item's text, as a Labels=1 export writes it). */
function recodeOf(q: QsfQuestion, items: Map<string, QsfChoice>, order: string[]): Converter {
  const byValue = new Map<string, string>();
  const byText = new Map<string, string>();
  for (const id of order.length > 0 ? order : [...items.keys()]) {
    const item = items.get(id);
    if (!item) continue;
    const recode = q.recodeValues.get(id) ?? id;
    byValue.set(recode, recode);
    byText.set(item.display, recode);
    byText.set(safePlain(item.display), recode);
  }
  return (cell, o) => {
    if (cell === '') return { value: undefined };
    const recode = byValue.get(cell) ?? byValue.get(cell.trim()) ?? byText.get(cell) ?? byText.get(cell.trim());
    if (recode !== undefined) return { value: typedRecode(recode) };
    return o.ignoreValidation ? { value: canonical(cell) } : { error: `"${cell}" is not one of the question's choices` };
  };
}

/** A selection flag: 1 (or the item's text) selected, 0 or blank not. */
function flagOf(item: QsfChoice | undefined, selectedValue: string | number = 1): Converter {
  const texts = item ? new Set([item.display, safePlain(item.display)]) : new Set<string>();
  return (cell, o) => {
    const v = cell.trim();
    if (v === String(selectedValue) || (v === '1' && selectedValue === 1) || texts.has(cell) || texts.has(v)) return { value: selectedValue };
    if (v === '' || v === '0') return { value: undefined };
    return o.ignoreValidation ? { value: canonical(cell) } : { error: `"${cell}" is not 1 (selected) or blank` };
  };
}

function converterFor(survey: QsfSurvey, col: LegacyColumn): Converter {
  const s = col.source;
  const q = survey.questions.get(s.qid ?? '');
  if (!q || s.text) return text;
  if (s.sbsColumn !== undefined) {
    const sub = q.additionalQuestions[s.sbsColumn - 1];
    if (!sub || sub.selector === 'TE') return text;
    if (s.answer === undefined) return recodeOf(sub, sub.answers, sub.answerOrder);
    const points = sub.answerOrder.filter((id) => sub.answers.has(id));
    // A multi-answer column with one scale point holds that point's recode (response-values.ts).
    return flagOf(sub.answers.get(s.answer), points.length === 1 ? typedRecode(sub.recodeValues.get(s.answer) ?? s.answer) : 1);
  }
  switch (q.questionType) {
    case 'MC':
      return s.choice === undefined ? recodeOf(q, q.choices, q.choiceOrder) : flagOf(q.choices.get(s.choice));
    case 'Matrix':
      if (q.selector === 'TE' || q.subSelector === 'TE') return text;
      if (s.answer !== undefined && hasMatrixCells(q)) return numeric;
      if (s.answer !== undefined) return flagOf(q.answers.get(s.answer));
      return recodeOf(q, q.answers, q.answerOrder);
    case 'TE':
    case 'Meta':
      return text;
    default:
      return NUMERIC_TYPES.has(q.questionType) ? numeric : loose;
  }
}

/** plainText, which throws on an out-of-range character reference; the raw text then. */
function safePlain(html: string): string {
  try {
    return plainText(html).trim();
  } catch {
    return html;
  }
}

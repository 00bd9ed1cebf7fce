/**
 * The modern labelled layout shared by the file exports (csv, tsv, json, ndjson, xlsx): one column
 * per value, a plain-text label per column, typed values.
 *
 * Columns, in order:
 *  - ResponseId, ResponseSet, StartDate, EndDate, RecordedDate, Status, Finished,
 *    Duration (in seconds), IPAddress, RecipientLastName, RecipientFirstName, RecipientEmail,
 *    ExternalReference, then LocationLatitude, LocationLongitude, LocationAccuracy (unless
 *    locationData is off);
 *  - embedded-data fields, then question columns, as the legacy export orders them. Question columns
 *    are named as the legacy 'named' dialect names them (matrix rows carry their question's tag),
 *    or by QID with exportQuestionIds; their cells come from the legacy cell plan, so Labels,
 *    UnansweredRecode and Questions behave exactly as in getLegacyResponseData.
 *
 * Names are unique: the first column with a name keeps it, each later one becomes `name (2)`,
 * `name (3)`, … in column order (skipping any suffix another column already uses as its name). A
 * survey may reuse an export tag, and keys of JSON objects must differ.
 *
 * Labels are plain text (no HTML, whitespace collapsed): the full question text, then the side-by-side
 * column's text, the row or choice text, the scale point text and `Text` for a text-entry box, joined
 * by " - ". With Labels=1 the choice text written into cells is plain text too.
 *
 * Values: numbers stay numbers (recodes, sliders, Status, Finished 1/0, the duration, coordinates
 * that parse as numbers); text stays text (embedded data is always text, as Qualtrics stores it, so a
 * ZIP code keeps its leading zero); an empty cell is null. Dates are `Date`s (instants); each format
 * writes them in the export's zone (UTC unless LocalTime=1 with a TimeZone): ISO 8601 with the offset
 * in text formats, a wall-clock Excel date in xlsx. RecordedDate is the stored `recordedDate` when the
 * store supplies one, else EndDate (a response is recorded when it ends).
 */
import { plainText, type ExportColumn } from '../survey/export-columns.ts';
import type { QsfQuestion, QsfSurvey } from '../survey/qsf.ts';
import { exportDateTime } from './fast-text.ts';
import { cellPlan, rowCells, type CellPlan } from './legacy-cells.ts';
import { prepareLegacyExport, type LegacyExportOptions, type StoredResponse } from './legacy-export.ts';
import { DEFAULT_RESPONSE_SET_NAME, splitName } from './response-meta.ts';

export type ModernValue = string | number | Date | null;

/** A stored response, optionally with the moment it was recorded (epoch ms). */
export type ExportResponse = StoredResponse & { recordedDate?: number };

export interface ModernColumn {
  kind: 'meta' | 'location' | 'embedded' | 'question';
  name: string;
  label: string;
  /** 'date' columns hold Date values (or null); the others any value. */
  type: 'date' | 'value';
}

export interface ModernLayout {
  columns: ModernColumn[];
  /** The zone dates are written in. */
  timeZone: string;
  row(r: ExportResponse): ModernValue[];
}

type MetaRead = (r: ExportResponse, setName: (id: string) => string) => ModernValue;

interface MetaSpec {
  name: string;
  label: string;
  type: ModernColumn['type'];
  read: MetaRead;
}

const date = (ms: number): Date | null => (Number.isFinite(ms) ? new Date(ms) : null);
const text = (s: string | null): string | null => (s === null || s === '' ? null : s);

const META: MetaSpec[] = [
  { name: 'ResponseId', label: 'Response ID', type: 'value', read: (r) => r.responseId },
  { name: 'ResponseSet', label: 'Response Set', type: 'value', read: (r, setName) => setName(r.responseSetId) },
  { name: 'StartDate', label: 'Start Date', type: 'date', read: (r) => date(r.startDate) },
  { name: 'EndDate', label: 'End Date', type: 'date', read: (r) => date(r.endDate) },
  { name: 'RecordedDate', label: 'Recorded Date', type: 'date', read: (r) => date(r.recordedDate ?? r.endDate) },
  { name: 'Status', label: 'Response Type', type: 'value', read: (r) => r.status },
  { name: 'Finished', label: 'Finished', type: 'value', read: (r) => r.finished },
  { name: 'Duration (in seconds)', label: 'Duration (in seconds)', type: 'value', read: (r) => duration(r) },
  { name: 'IPAddress', label: 'IP Address', type: 'value', read: (r) => text(r.ipAddress) },
  { name: 'RecipientLastName', label: 'Recipient Last Name', type: 'value', read: (r) => text(splitName(r.name)[0]) },
  { name: 'RecipientFirstName', label: 'Recipient First Name', type: 'value', read: (r) => text(splitName(r.name)[1]) },
  { name: 'RecipientEmail', label: 'Recipient Email', type: 'value', read: (r) => text(r.email) },
  { name: 'ExternalReference', label: 'External Data Reference', type: 'value', read: (r) => text(r.externalRef) },
];

const LOCATION: MetaSpec[] = [
  { name: 'LocationLatitude', label: 'Location Latitude', type: 'value', read: (r) => coordinate(r.location?.latitude) },
  { name: 'LocationLongitude', label: 'Location Longitude', type: 'value', read: (r) => coordinate(r.location?.longitude) },
  { name: 'LocationAccuracy', label: 'Location Accuracy', type: 'value', read: (r) => coordinate(r.location?.accuracy) },
];

function duration(r: StoredResponse): number | null {
  const d = r.endDate - r.startDate;
  return Number.isFinite(d) ? Math.round(d / 1000) : null;
}

function coordinate(v: number | string | undefined): number | string | null {
  if (v === undefined || v === '') return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const n = Number(v);
  return String(n) === v ? n : v;
}

/** Throws LegacyExportOptionError for an unknown time zone, before anything is written. */
export function modernLayout(survey: QsfSurvey, options: LegacyExportOptions = {}): ModernLayout {
  // The legacy plan (in the 'named' dialect, whose matrix-row names carry the question tag) decides
  // which question and embedded columns exist, their names and their cells.
  const exp = prepareLegacyExport(survey, { ...options, dialect: 'named' });
  const timeZone = options.localTime ? options.timeZone ?? 'UTC' : 'UTC';
  const body = exp.columns.filter((c) => c.kind === 'embedded' || c.kind === 'question');
  const plan = cellPlan(survey, body, { ...options, timeZone });
  const meta = options.locationData === false ? META : [...META, ...LOCATION];
  const columns: ModernColumn[] = [
    ...meta.map((m): ModernColumn => ({ kind: m.name.startsWith('Location') ? 'location' : 'meta', name: m.name, label: m.label, type: m.type })),
    ...body.map((c): ModernColumn => ({
      kind: c.kind === 'embedded' ? 'embedded' : 'question',
      name: c.name,
      label: c.kind === 'question' ? questionColumnLabel(c.source, survey) : c.label,
      type: 'value',
    })),
  ];
  uniqueNames(columns);
  const setName = options.responseSetName ?? ((): string => DEFAULT_RESPONSE_SET_NAME);
  const plainCells = options.labels ? relabelledCells(plan) : new Set<number>();
  const plainChoice = plainMemo();
  return {
    columns,
    timeZone,
    row(r: ExportResponse): ModernValue[] {
      const out: ModernValue[] = new Array(columns.length);
      for (let i = 0; i < meta.length; i++) out[i] = meta[i].read(r, setName);
      const cells = rowCells(plan, r);
      for (let i = 0; i < cells.length; i++) {
        const v = cells[i];
        out[meta.length + i] = v === '' || v === null ? null : typeof v === 'string' && plainCells.has(i) ? plainChoice(v) : v;
      }
      return out;
    },
  };
}

/** Cells whose value Labels=1 replaces by choice text (which is the definition's HTML). */
function relabelledCells(plan: CellPlan): Set<number> {
  const out = new Set<number>();
  plan.cells.forEach((c, i) => {
    if (c.relabel) out.add(i);
  });
  return out;
}

/** Choice texts come from the survey definition, so a few conversions serve every row. */
function plainMemo(): (html: string) => string {
  const memo = new Map<string, string>();
  return (html) => {
    let s = memo.get(html);
    if (s === undefined) {
      if (memo.size >= 10_000) memo.clear();
      s = plain(html);
      memo.set(html, s);
    }
    return s;
  };
}

function plain(html: string): string {
  return plainText(html).replace(/\s+/g, ' ').trim();
}

/** `name`, then `name (2)`, `name (3)`, … for later columns with the same name. */
export function uniqueNames(columns: { name: string }[]): void {
  const taken = new Set(columns.map((c) => c.name));
  const seen = new Set<string>();
  for (const c of columns) {
    if (!seen.has(c.name)) {
      seen.add(c.name);
      continue;
    }
    let n = 2;
    while (taken.has(`${c.name} (${n})`)) n++;
    c.name = `${c.name} (${n})`;
    taken.add(c.name);
    seen.add(c.name);
  }
}

function questionText(q: QsfQuestion): string {
  return plain(q.questionText) || q.questionDescription || q.dataExportTag;
}

/** Full question text, then the parts naming the cell (see the module comment). */
export function questionColumnLabel(col: ExportColumn, survey: QsfSurvey): string {
  const q = survey.questions.get(col.qid ?? '');
  if (!q) return col.label;
  const parts = [questionText(q)];
  const sub = col.sbsColumn === undefined ? undefined : q.additionalQuestions[col.sbsColumn - 1];
  if (sub) parts.push(questionText(sub));
  if (q.questionType === 'Timing' || q.questionType === 'Meta') {
    // Fixed parts (FIRST_CLICK, BROWSER, …) are named after the tag.
    parts.push(col.name.slice(q.dataExportTag.length + 1));
    return parts.join(' - ');
  }
  const owner = sub ?? q;
  if (col.choice !== undefined) {
    const choice = owner.choices.get(col.choice) ?? q.choices.get(col.choice);
    if (choice) parts.push(plain(choice.display));
  }
  if (col.answer !== undefined) {
    const answer = owner.answers.get(col.answer);
    if (answer) parts.push(plain(answer.display));
  }
  if (col.text && q.questionType !== 'TE' && owner.selector !== 'TE' && col.name.endsWith('_TEXT')) parts.push('Text');
  return parts.filter((p) => p !== '').join(' - ');
}

/** ISO 8601 with seconds and the zone's offset: `2015-03-02T18:50:13Z`, `2015-03-02T13:50:13-05:00`. */
export function isoDateTime(d: Date, timeZone: string): string {
  const ms = d.getTime();
  if (timeZone === 'UTC') {
    const iso = d.toISOString();
    if (iso.length === 24) return `${iso.slice(0, 19)}Z`;
  }
  const wall = wallClock(ms, timeZone);
  const offset = Math.round((wall - (ms - mod(ms, 1000))) / 60_000);
  const abs = Math.abs(offset);
  const zone = offset === 0 && timeZone === 'UTC' ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return `${exportDateTime(ms, timeZone).replace(' ', 'T')}${zone}`;
}

/** The zone's wall-clock time of `ms` as if it were UTC (what a spreadsheet shows). */
export function wallClock(ms: number, timeZone: string): number {
  if (timeZone === 'UTC') return ms - mod(ms, 1000);
  return Date.parse(`${exportDateTime(ms, timeZone).replace(' ', 'T')}Z`);
}

const mod = (a: number, b: number): number => ((a % b) + b) % b;
const pad = (n: number): string => String(n).padStart(2, '0');

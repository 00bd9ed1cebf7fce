/**
 * The SPSS (.sav) response export: the modern layout's columns (modern-layout.ts) as SPSS
 * variables, written by the streaming writer of sav.ts.
 *
 * Variables, one per column, in column order:
 *  - names: the column names, made legal and unique with savVariableName where they are not
 *    (`Duration (in seconds)` → `Duration_in_seconds`, `Q10#2_1_-1` → `Q10#2_1__1`); a legal name
 *    is kept unless an earlier column has it (ignoring case). `names` maps export → SPSS name.
 *  - labels: the columns' plain-text labels (SPSS keeps 255 bytes).
 *  - StartDate, EndDate, RecordedDate: DATETIME, the wall-clock time in the export's zone (UTC
 *    unless LocalTime=1 with a TimeZone), as the xlsx export writes them.
 *  - Status and Finished: numbers with value labels (0 "IP Address", 1 "Survey Preview", …; 0
 *    "False", 1 "True"); Duration and the location columns: numbers on a scale.
 *  - choice cells: numbers with value labels taken from the definition, as plain text. A cell
 *    holding a recode (single-answer MC, matrix rows, side-by-side columns) labels each recode with
 *    its choice or scale point; a cell flagging a selection (multi-answer MC, matrix and
 *    side-by-side cells) labels 1 with its own choice or scale point (or, for a side-by-side
 *    column with one scale point, that point's recode, which is what such a cell holds). Measure
 *    nominal, except ordinal for single-answer Likert and bipolar matrix rows (the rating scales)
 *    and rank order; sliders, constant sum and timing figures are numbers on a scale.
 *  - text (text entry, `_TEXT` boxes, text matrix cells, meta info, embedded data, which Qualtrics
 *    stores as text): strings as wide as the longest value in the data (at least 1 byte, at most
 *    SPSS's 32,767; longer text is cut at a character boundary).
 *
 * Labels=1 is ignored: cells keep their codes and SPSS shows the choice text through the value
 * labels. A column the definition calls numeric becomes a string when the data say otherwise (a
 * non-numeric recode or UnansweredRecode, a text answer in a number column), with its value
 * labels keyed by the recode text, so nothing is lost; questions of other types are numbers when
 * every value is one, else strings.
 *
 * Two passes: the string widths and the case count must be in the header, so the rows are read
 * once to measure them and once more to write. Both passes must see the same responses (a snapshot,
 * e.g. responses recorded before the export started); if the second pass yields a different
 * number of rows, or a value that no longer fits its variable, the export fails with
 * SavRowsChangedError rather than write a file that silently differs from the data.
 */
import type { Writable } from 'node:stream';
import { plainText, type ExportColumn } from '../survey/export-columns.ts';
import type { QsfChoice, QsfQuestion, QsfSurvey } from '../survey/qsf.ts';
import { writeChunk } from './file-sink.ts';
import type { LegacyColumn } from './legacy-columns.ts';
import { prepareLegacyExport, type LegacyExportOptions } from './legacy-export.ts';
import { modernLayout, wallClock, type ExportResponse, type ModernLayout, type ModernValue } from './modern-layout.ts';
import { isSavName, savVariableName, savWriter, spssDate, type SavMeasure, type SavOptions, type SavValue, type SavVariable } from './sav.ts';

export type SavRows = AsyncIterable<ExportResponse> | Iterable<ExportResponse>;

/** What a column holds as far as the survey definition tells; 'auto' is decided by the data. */
export type SavColumnKind = 'string' | 'numeric' | 'date' | 'auto';

export interface SavColumn {
  /** The column's name in the other file exports (csv, json, xlsx). */
  column: string;
  /** Its SPSS variable name. */
  name: string;
  label: string;
  kind: SavColumnKind;
  /** For a numeric variable; strings are nominal, or ordinal when this is. */
  measure: SavMeasure;
  /** Code → plain-text label; codes are numbers unless the definition's recodes are not. */
  valueLabels: ReadonlyArray<readonly [number | string, string]>;
}

export interface SavExport {
  layout: ModernLayout;
  columns: SavColumn[];
  /** Export column name → SPSS variable name. */
  names: ReadonlyMap<string, string>;
  /** The survey's name, as the file label. */
  fileLabel: string;
}

/** What the first pass learnt about the data, per column. */
export interface SavMeasurement {
  cases: number;
  /** The longest value's UTF-8 bytes as text (numbers as JavaScript prints them). */
  bytes: Int32Array;
  /** 1 when a column holds a text value. */
  text: Uint8Array;
  /** The most decimal places of a number, up to MAX_DECIMALS. */
  decimals: Uint8Array;
}

export class SavRowsChangedError extends Error {
  constructor(detail: string) {
    super(`The responses changed while the SPSS file was written (${detail}); export again`);
  }
}

const STATUS_LABELS: Array<[number, string]> = [
  [0, 'IP Address'], [1, 'Survey Preview'], [2, 'Survey Test'], [4, 'Imported'], [8, 'Spam'], [16, 'Offline'],
];
const FINISHED_LABELS: Array<[number, string]> = [[0, 'False'], [1, 'True']];
const MAX_STRING = 32767;
/** Display decimals only (values keep full precision): enough for coordinates, not float noise. */
const MAX_DECIMALS = 6;

/**
 * Plans the variables from the survey definition; throws LegacyExportOptionError for an unknown
 * time zone before anything is written.
 */
export function savExport(survey: QsfSurvey, options: LegacyExportOptions = {}): SavExport {
  const layout = modernLayout(survey, { ...options, labels: false });
  // The layout's embedded and question columns are the legacy plan's, in the same order; their
  // sources tell what each holds.
  const body = prepareLegacyExport(survey, { ...options, labels: false, dialect: 'named' }).columns.filter((c) => c.kind === 'embedded' || c.kind === 'question');
  const inBody = layout.columns.filter((c) => c.kind === 'embedded' || c.kind === 'question');
  if (inBody.length !== body.length) throw new Error('the modern layout and the legacy plan disagree on the question columns');
  const names = variableNames(layout.columns.map((c) => c.name));
  let b = 0;
  const columns = layout.columns.map((c, i): SavColumn => {
    const plan = c.kind === 'meta' ? metaPlan(c.name) : c.kind === 'location' ? NUMBER : bodyPlan(survey, body[b++]);
    return { column: c.name, name: names[i], label: c.label, ...plan };
  });
  return { layout, columns, names: new Map(columns.map((c) => [c.column, c.name])), fileLabel: survey.surveyName };
}

/**
 * Legal names first keep theirs (the first of names equal ignoring case), so a later legal name is
 * never pushed aside by an illegal one made legal; then the rest are made legal and unique.
 */
function variableNames(raw: readonly string[]): string[] {
  const taken = new Set<string>();
  const kept = raw.map((name) => {
    const key = name.toUpperCase();
    if (!isSavName(name) || taken.has(key)) return undefined;
    taken.add(key);
    return name;
  });
  return raw.map((name, i) => kept[i] ?? savVariableName(name, taken));
}

type Plan = Pick<SavColumn, 'kind' | 'measure' | 'valueLabels'>;

const TEXT: Plan = { kind: 'string', measure: 'nominal', valueLabels: [] };
const NUMBER: Plan = { kind: 'numeric', measure: 'scale', valueLabels: [] };

function metaPlan(name: string): Plan {
  switch (name) {
    case 'StartDate':
    case 'EndDate':
    case 'RecordedDate':
      return { kind: 'date', measure: 'scale', valueLabels: [] };
    case 'Status':
      return coded(STATUS_LABELS, 'nominal');
    case 'Finished':
      return coded(FINISHED_LABELS, 'nominal');
    case 'Duration (in seconds)':
      return NUMBER;
    default:
      return TEXT;
  }
}

function bodyPlan(survey: QsfSurvey, col: LegacyColumn): Plan {
  return col.kind === 'embedded' ? TEXT : questionPlan(survey, col.source);
}

function questionPlan(survey: QsfSurvey, col: ExportColumn): Plan {
  const q = survey.questions.get(col.qid ?? '');
  if (!q || col.text) return TEXT;
  if (col.sbsColumn !== undefined) {
    const sub = q.additionalQuestions[col.sbsColumn - 1];
    return sub ? matrixPlan(sub, col, true) : TEXT;
  }
  switch (q.questionType) {
    case 'MC':
      if (col.choice === undefined) return coded(recodeLabels(q, q.choiceOrder, q.choices), 'nominal');
      return coded(selectionLabel(q.choices.get(col.choice)), 'nominal');
    case 'Matrix':
      return matrixPlan(q, col, false);
    case 'TE':
    case 'Meta':
      return TEXT;
    case 'RO':
      return { ...NUMBER, measure: 'ordinal' };
    case 'Slider':
    case 'CS':
    case 'Timing':
      return NUMBER;
    default:
      return { ...NUMBER, kind: 'auto' };
  }
}

/** A matrix row or cell; `sbs` for a side-by-side column, whose one-point cells hold the recode. */
function matrixPlan(q: QsfQuestion, col: ExportColumn, sbs: boolean): Plan {
  if (q.selector === 'TE' || q.subSelector === 'TE') return TEXT;
  if (q.selector === 'CS') return NUMBER;
  if (col.answer === undefined) return coded(recodeLabels(q, q.answerOrder, q.answers), ratingScale(q) ? 'ordinal' : 'nominal');
  const answer = q.answers.get(col.answer);
  if (sbs && q.answerOrder.filter((a) => q.answers.has(a)).length === 1) return coded(recodeLabels(q, [col.answer], q.answers), 'nominal');
  return coded(selectionLabel(answer), 'nominal');
}

/** Single-answer Likert and bipolar matrices are rating scales; dropdowns and the rest need not be. */
function ratingScale(q: QsfQuestion): boolean {
  return (q.selector === 'Likert' && q.subSelector === 'SingleAnswer') || q.selector === 'Bipolar';
}

/** Numeric codes keep a numeric variable; any other recode makes the column text. */
function coded(labels: Array<[number | string, string]>, measure: SavMeasure): Plan {
  const numeric = labels.every(([code]) => typeof code === 'number');
  return { kind: numeric ? 'numeric' : 'string', measure, valueLabels: labels };
}

function recodeLabels(q: QsfQuestion, order: readonly string[], texts: Map<string, QsfChoice>): Array<[number | string, string]> {
  const out: Array<[number | string, string]> = [];
  for (const id of order) {
    const choice = texts.get(id);
    const text = choice ? plain(choice.display) : '';
    if (text !== '') out.push([typedCode(q.recodeValues.get(id) ?? id), text]);
  }
  return out;
}

function selectionLabel(choice: QsfChoice | undefined): Array<[number, string]> {
  const text = choice ? plain(choice.display) : '';
  return text === '' ? [] : [[1, text]];
}

/** Recodes are numbers when they look like one, as the cells hold them (response-values.ts). */
function typedCode(value: string): number | string {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

function plain(html: string): string {
  return plainText(html).replace(/\s+/g, ' ').trim();
}

// ---- first pass: measuring ------------------------------------------------------------------

export async function measureSav(exp: SavExport, rows: SavRows): Promise<SavMeasurement> {
  const n = exp.columns.length;
  const m: SavMeasurement = { cases: 0, bytes: new Int32Array(n), text: new Uint8Array(n), decimals: new Uint8Array(n) };
  for await (const r of rows) {
    const values = exp.layout.row(r);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v === 'string') {
        m.text[i] = 1;
        // UTF-8 takes at most 3 bytes per UTF-16 unit: short text cannot beat the maximum.
        if (v.length * 3 > m.bytes[i]) m.bytes[i] = Math.max(m.bytes[i], Buffer.byteLength(v));
      } else if (typeof v === 'number' && Number.isFinite(v)) {
        const s = String(v);
        if (s.length > m.bytes[i]) m.bytes[i] = s.length;
        if (!Number.isInteger(v) && m.decimals[i] < MAX_DECIMALS) m.decimals[i] = Math.max(m.decimals[i], decimalsOf(s));
      }
    }
    m.cases++;
  }
  return m;
}

function decimalsOf(s: string): number {
  const e = s.indexOf('e-');
  if (e >= 0) return MAX_DECIMALS;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : Math.min(MAX_DECIMALS, s.length - dot - 1);
}

/** The SPSS dictionary for the measured data. */
export function savVariables(exp: SavExport, m: SavMeasurement): SavVariable[] {
  return exp.columns.map((c, i): SavVariable => {
    const base = { name: c.name, label: c.label };
    if (c.kind === 'date') return { ...base, type: 'numeric', format: 'DATETIME' };
    if (c.kind !== 'string' && !m.text[i]) {
      const decimals = c.valueLabels.reduce((d, [code]) => Math.max(d, decimalsOf(String(code))), m.decimals[i]);
      return { ...base, type: 'numeric', decimals, measure: c.measure, valueLabels: c.valueLabels };
    }
    const labels = c.valueLabels.map(([code, text]): [string, string] => [String(code), text]);
    const width = labels.reduce((w, [code]) => Math.max(w, Buffer.byteLength(code)), Math.max(1, m.bytes[i]));
    return { ...base, type: 'string', width: Math.min(width, MAX_STRING), measure: c.measure === 'ordinal' ? 'ordinal' : 'nominal', valueLabels: labels };
  });
}

// ---- second pass: writing -------------------------------------------------------------------

const NUMERIC = 0;
const STRING = 1;
const DATE = 2;

/**
 * Measures `measure`, then writes the file from `write` into `sink` (which it does not end),
 * waiting for the sink to drain. `write` is iterated only once `measure` is done, so two lazy
 * iterables over one cursor query each open their cursor in turn.
 */
export async function writeSavExport(
  exp: SavExport,
  measure: SavRows,
  write: SavRows,
  sink: Writable,
  options: Pick<SavOptions, 'created' | 'compression'> = {},
): Promise<void> {
  const m = await measureSav(exp, measure);
  const variables = savVariables(exp, m);
  const writer = savWriter(variables, { ...options, fileLabel: exp.fileLabel, cases: m.cases });
  const kinds = Uint8Array.from(variables, (v) => (v.format === 'DATETIME' ? DATE : v.type === 'string' ? STRING : NUMERIC));
  const zone = exp.layout.timeZone;
  const values: SavValue[] = new Array(kinds.length);
  await writeChunk(sink, writer.header());
  for await (const r of write) {
    if (writer.cases === m.cases) throw new SavRowsChangedError(`more than the ${m.cases} rows counted`);
    const cells = exp.layout.row(r);
    for (let i = 0; i < cells.length; i++) values[i] = savValue(cells[i], kinds[i], m.bytes[i], zone, exp.columns[i]);
    const chunk = writer.row(values);
    if (chunk.length) await writeChunk(sink, chunk);
  }
  if (writer.cases !== m.cases) throw new SavRowsChangedError(`${writer.cases} rows where ${m.cases} were counted`);
  await writeChunk(sink, writer.end());
}

/** A cell as the writer takes it; checks it fits what the first pass measured. */
function savValue(v: ModernValue, kind: number, bytes: number, zone: string, col: SavColumn): SavValue {
  if (kind === DATE) return v instanceof Date ? spssDate(wallClock(v.getTime(), zone)) : null;
  if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return null;
  if (kind === NUMERIC) {
    if (typeof v !== 'number') throw new SavRowsChangedError(`text in the numeric variable ${col.name}`);
    return v;
  }
  const text = typeof v === 'string' ? v : String(v);
  if (text.length * 3 > bytes && Buffer.byteLength(text) > bytes) throw new SavRowsChangedError(`a value longer than ${bytes} bytes in ${col.name}`);
  return text;
}

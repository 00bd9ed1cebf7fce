/**
 * Reading a posted survey page. The field names are a stable contract between the rendered page,
 * survey.js and this reader (and anyone scripting a post):
 *
 * | field                  | value                                   | answer it becomes                     |
 * | ---------------------- | --------------------------------------- | ------------------------------------- |
 * | `_session`             | the session id (FS_…)                   | sessionId                             |
 * | `_token`               | the page token                          | pageToken                             |
 * | `action`               | `next` (default) or `back`              | action (the clicked submit button)    |
 * | `_confirm`             | `1`                                     | confirmSoft                           |
 * | `_res`                 | `<width>x<height>` (set by survey.js)   | clientMeta.resolution                 |
 * | `<qid>:s`              | choice id, repeated for multi-answer    | answers[qid].selected                 |
 * | `<qid>:t:<key>`        | text                                    | answers[qid].text[key]                |
 * | `<qid>:m:<key>`        | answer id, repeated for multi-answer    | answers[qid].matrix[key]              |
 * | `<qid>:n:<key>`        | a number (rank: 1..n)                   | answers[qid].numeric[key]             |
 * | `<qid>:c:first|last|clicks` | seconds / count (set by survey.js) | clientTiming[qid]                    |
 *
 * Keys are those of QuestionAnswer (see shape.ts): `''` for a text question's own box, a choice id
 * for MC "other" boxes and FORM fields, a row id for matrix rows and row text, `row/answer` for text or
 * number matrix cells when the matrix has several columns, `<n>/<row>` and `<n>/<row>/<answer>` for
 * side-by-side column n.
 *
 * Only fields the page offers are read (by exact name), so unknown ids, `__proto__` and extra fields
 * are ignored. Values may be a string or a string array (repeated fields); anything else, values
 * outside the offered ids, blanks, and texts longer than the engine keeps are dropped. Text numbers
 * that do not parse are kept as text under the same key so validation can say so. Never throws.
 */
import type { QuestionAnswer } from '../../domain/survey/session-state.ts';
import { MAX_TEXT_LENGTH, parseNumber } from '../../domain/survey/validation.ts';
import { answerShape, type AnswerShape } from './shape.ts';
import type { PageQuestionView } from './view.ts';

export type { PageQuestionView, PageView } from './view.ts';

export const SESSION_FIELD = '_session';
export const TOKEN_FIELD = '_token';
export const ACTION_FIELD = 'action';
export const CONFIRM_FIELD = '_confirm';
export const RESOLUTION_FIELD = '_res';
export const TIMING_PARTS = ['first', 'last', 'clicks'] as const;
export type TimingPart = (typeof TIMING_PARTS)[number];

export const selectedField = (qid: string): string => `${qid}:s`;
export const textField = (qid: string, key: string): string => `${qid}:t:${key}`;
export const matrixField = (qid: string, key: string): string => `${qid}:m:${key}`;
export const numericField = (qid: string, key: string): string => `${qid}:n:${key}`;
export const timingField = (qid: string, part: TimingPart): string => `${qid}:c:${part}`;

export interface ClientTiming {
  firstClick?: number;
  lastClick?: number;
  clicks?: number;
}

export interface PageForm {
  sessionId: string;
  pageToken: string;
  action: 'next' | 'back';
  confirmSoft: boolean;
  answers: Record<string, QuestionAnswer>;
  clientTiming: Record<string, ClientTiming>;
  clientMeta: { resolution?: string };
}

/** Ids and tokens are short; a longer value is not one of ours. */
const MAX_TOKEN = 200;
/** A repeated field offers at most this many values to look at (a page has far fewer checkboxes). */
const MAX_REPEATS = 1000;
const MAX_NUMBER_TEXT = 64;
/** Timing figures: seconds on one page and clicks on it; more is not a person. */
const MAX_SECONDS = 10_000_000;
const MAX_CLICKS = 1_000_000;
const RESOLUTION = /^\d{1,5}x\d{1,5}$/;
const CRLF = /\r\n?/g;

type Body = Record<string, unknown>;

function own(body: Body, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(body, name) ? body[name] : undefined;
}

/** All string values of a field, in post order. */
function all(body: Body, name: string): string[] {
  const v = own(body, name);
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (let i = 0; i < v.length && i < MAX_REPEATS; i++) if (typeof v[i] === 'string') out.push(v[i] as string);
  return out;
}

/** The first string value of a field, or ''. */
function one(body: Body, name: string): string {
  const v = own(body, name);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return (v.find((x) => typeof x === 'string') as string | undefined) ?? '';
  return '';
}

function token(body: Body, name: string): string {
  const v = one(body, name);
  return v.length <= MAX_TOKEN ? v : '';
}

/** Browsers post textarea line breaks as CRLF; answers keep LF. Blank and over-long texts are dropped. */
function cleanText(raw: string): string | undefined {
  if (raw.length > MAX_TEXT_LENGTH * 2) return undefined;
  const text = raw.includes('\r') ? raw.replace(CRLF, '\n') : raw;
  return text.length > MAX_TEXT_LENGTH || text.trim() === '' ? undefined : text;
}

function pick(values: string[], allowed: readonly string[], multi: boolean): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (!allowed.includes(v) || out.includes(v)) continue;
    out.push(v);
    if (!multi) break;
  }
  return out;
}

function readAnswer(body: Body, qid: string, shape: AnswerShape): QuestionAnswer {
  const answer: QuestionAnswer = {};
  const text: Record<string, string> = {};
  if (shape.selected) {
    const selected = pick(all(body, selectedField(qid)), shape.selected.options, shape.selected.multi);
    if (selected.length > 0) answer.selected = selected;
  }
  for (const key of shape.text) {
    const t = cleanText(one(body, textField(qid, key)));
    if (t !== undefined) text[key] = t;
  }
  const matrix: Record<string, string[]> = {};
  for (const spec of shape.matrix) {
    const picked = pick(all(body, matrixField(qid, spec.key)), spec.options, spec.multi);
    if (picked.length > 0) matrix[spec.key] = picked;
  }
  const numeric: Record<string, number> = {};
  for (const spec of shape.numeric) {
    const raw = one(body, numericField(qid, spec.key)).trim();
    if (raw === '' || raw.length > MAX_NUMBER_TEXT) continue;
    const n = parseNumber(raw);
    if (spec.kind === 'rank') {
      if (n !== undefined && Number.isInteger(n) && n >= 1 && n <= spec.max) numeric[spec.key] = n;
    } else if (n !== undefined && Number.isFinite(n)) numeric[spec.key] = n;
    else if (!Object.prototype.hasOwnProperty.call(text, spec.key)) text[spec.key] = raw;
  }
  if (Object.keys(text).length > 0) answer.text = text;
  if (Object.keys(matrix).length > 0) answer.matrix = matrix;
  if (Object.keys(numeric).length > 0) answer.numeric = numeric;
  return answer;
}

function figure(body: Body, name: string, max: number, integer: boolean): number | undefined {
  const raw = one(body, name).trim();
  if (raw === '' || raw.length > MAX_NUMBER_TEXT) return undefined;
  const n = parseNumber(raw);
  if (n === undefined || n < 0 || n > max || (integer && !Number.isInteger(n))) return undefined;
  return n;
}

function readTiming(body: Body, qid: string): ClientTiming | undefined {
  const t: ClientTiming = {};
  const first = figure(body, timingField(qid, 'first'), MAX_SECONDS, false);
  const last = figure(body, timingField(qid, 'last'), MAX_SECONDS, false);
  const clicks = figure(body, timingField(qid, 'clicks'), MAX_CLICKS, true);
  if (first !== undefined) t.firstClick = first;
  if (last !== undefined) t.lastClick = last;
  if (clicks !== undefined) t.clicks = clicks;
  return Object.keys(t).length > 0 ? t : undefined;
}

/**
 * The post of one page: its hidden fields, the clicked button, and an answer for every answerable
 * question on it (an empty answer when nothing was given, so clearing an answer is recorded).
 */
export function readPageForm(body: Record<string, unknown>, questions: PageQuestionView[]): PageForm {
  const b: Body = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
  const answers: Record<string, QuestionAnswer> = {};
  const clientTiming: Record<string, ClientTiming> = {};
  for (const v of questions) {
    if (v.qid === '__proto__') continue;
    const shape = answerShape(v);
    if (shape.timing) {
      const t = readTiming(b, v.qid);
      if (t) clientTiming[v.qid] = t;
      continue;
    }
    if (shape.selected || shape.text.length > 0 || shape.matrix.length > 0 || shape.numeric.length > 0) {
      answers[v.qid] = readAnswer(b, v.qid, shape);
    }
  }
  const resolution = one(b, RESOLUTION_FIELD);
  return {
    sessionId: token(b, SESSION_FIELD),
    pageToken: token(b, TOKEN_FIELD),
    action: one(b, ACTION_FIELD) === 'back' ? 'back' : 'next',
    confirmSoft: one(b, CONFIRM_FIELD) === '1',
    answers,
    clientTiming,
    clientMeta: RESOLUTION.test(resolution) ? { resolution } : {},
  };
}

/** What every question renderer shares: its context, DOM ids, accessibility attributes, payload reading. */
import type { QuestionAnswer } from '../../../domain/survey/session-state.ts';
import { html, raw, type Html } from '../../html.ts';
import type { PageQuestionView, PageView } from '../view.ts';

export interface QuestionContext {
  view: PageView;
  q: PageQuestionView;
  /** DOM id of the question's group; other ids of the question start with it. */
  id: string;
  /** Id of the element holding the question text (the legend). */
  textId: string;
  answer: QuestionAnswer;
  /** aria-describedby target when the question shows issues. */
  errId: string | undefined;
  /** Some issue blocks the page: controls are marked aria-invalid. */
  invalid: boolean;
  /** `described(c)` computed once: most controls of a question carry the same attributes. */
  aria: Html;
}

export interface Rendered {
  body: Html;
  /** Id of the first control, where the error summary sends the respondent. */
  focus?: string;
}

export type QuestionRenderer = (c: QuestionContext) => Rendered;

const ID_SAFE = /^[A-Za-z0-9]*$/;
const ID_UNSAFE = /[^A-Za-z0-9]/g;

/**
 * An id part from any string: letters and digits as they are, anything else as `_<hex>_`. It never
 * contains '-', so ids joined with '-' cannot collide, and it is safe in a URL fragment.
 */
export function idPart(s: string): string {
  return ID_SAFE.test(s) ? s : s.replace(ID_UNSAFE, (ch) => `_${(ch.codePointAt(0) as number).toString(16)}_`);
}

/** aria-describedby (issues, then any hint) and aria-invalid, for controls of a question. */
export function ariaAttributes(errId: string | undefined, invalid: boolean, hint?: string): Html {
  const ids = [errId, hint].filter((x): x is string => x !== undefined);
  return html`${ids.length > 0 ? html` aria-describedby="${ids.join(' ')}"` : ''}${invalid ? raw(' aria-invalid="true"') : ''}`;
}

/** The attributes for a control of the question; with a hint id, that is described too. */
export function described(c: QuestionContext, hint?: string): Html {
  return hint === undefined ? c.aria : ariaAttributes(c.errId, c.invalid, hint);
}

export const CHECKED = raw(' checked');
export const SELECTED = raw(' selected');

/** The safe display HTML of a QSF text. */
export function display(c: QuestionContext, text: string): Html {
  return raw(c.view.html(text));
}

const TAGS = /<[^>]*>/g;

/** Safe HTML reduced to its text, for places that take no markup (options); entities stay as they are. */
export function optionText(c: QuestionContext, text: string): Html {
  const safe = c.view.html(text);
  return raw(safe.includes('<') ? safe.replace(TAGS, '') : safe);
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function configuration(c: QuestionContext): Obj {
  const cfg = c.q.payload.Configuration;
  return isObj(cfg) ? cfg : {};
}

export function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1' || v === 'ON';
}

export function numberOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** A flag of one entry of the payload's Choices or Answers (e.g. ExclusiveAnswer), read leniently. */
export function entryFlag(payload: Obj, group: 'Choices' | 'Answers', id: string, flag: string): boolean {
  const entries = payload[group];
  if (!isObj(entries) || !Object.prototype.hasOwnProperty.call(entries, id)) return false;
  const entry = entries[id];
  return isObj(entry) && truthy(entry[flag]);
}

/** A text answer as the value of a control. */
export function textValue(c: QuestionContext, key: string): string {
  const t = c.answer.text;
  return t && Object.prototype.hasOwnProperty.call(t, key) ? t[key] : '';
}

export function numericAnswer(c: QuestionContext, key: string): number | undefined {
  const n = c.answer.numeric;
  return n && Object.prototype.hasOwnProperty.call(n, key) ? n[key] : undefined;
}

/** A number answer (or the unparsable text kept under its key) as the value of a control. */
export function numberValue(c: QuestionContext, key: string): string {
  const n = numericAnswer(c, key);
  return n === undefined ? textValue(c, key) : String(n);
}

export function isSelected(c: QuestionContext, id: string): boolean {
  return c.answer.selected?.includes(id) ?? false;
}

export function matrixHas(c: QuestionContext, key: string, answer: string): boolean {
  const m = c.answer.matrix;
  return m !== undefined && Object.prototype.hasOwnProperty.call(m, key) && m[key].includes(answer);
}

/** A textarea whose first line survives the HTML parser (which drops one leading newline). */
export function textarea(attrs: Html, value: string): Html {
  return html`<textarea${attrs}>\n${value}</textarea>`;
}

/**
 * Answer validation for one question, from its QSF payload (`Validation.Settings`, choice flags such as
 * `ExclusiveAnswer`/`TextEntry`, `Configuration`). Pure: the engine calls it with what the respondent
 * posted and renders the issues it gets back.
 *
 * The payload is read leniently (real QSF files are inconsistent); a setting that cannot be understood is
 * no constraint, never a crash. Settings read (besides ForceResponse/ForceResponseType):
 * - `ContentType`: ValidEmail, ValidNumber (`ValidNumber: {Min, Max, NumDecimals}`), ValidDate
 *   (`ValidDateType`/`ValidDateFormat`/`DateFormat`: "mm/dd/yyyy" | "dd/mm/yyyy" | "yyyy/mm/dd"),
 *   ValidUSPhone, ValidZip, ValidRegex (`Regex` or `ValidRegex`);
 * - `MinChars`/`MaxChars`, `MinChoices`/`MaxChoices`, `ChoicesTotal`/`MustTotal` (constant sum), whenever
 *   present, whatever `Type` says;
 * - `CustomErrorMessage`/`ErrorMessage` (a string, or an object with `Message`/`Text`/`Display`): replaces
 *   the default text of the author's own rules (not of tamper checks such as 'unknown-choice').
 */
import { readQsfQuestion, type QsfQuestion } from './qsf.ts';

/**
 * What the respondent posted for one question (the same shape survey piping reads):
 * - `selected`: chosen choice ids (MC; rank order in rank order);
 * - `text`: typed text by choice id (MC "other" boxes, TE FORM fields, constant sum / slider values,
 *   matrix row text entry); the key `''` holds a plain text-entry question's answer (TE SL/ML/ESTB/PW);
 *   cells of text-entry (Selector TE) and constant-sum (Selector CS) matrices are keyed `<row>/<answer>`,
 *   or by row alone when the matrix shows one scale point (numbers as typed text);
 * - `matrix`: row (choice id) → selected answer (column) ids.
 */
export interface AnswerValue {
  selected?: readonly string[];
  text?: Readonly<Record<string, string>>;
  matrix?: Readonly<Record<string, readonly string[]>>;
}

export interface ValidationIssue {
  code: string;
  message: string;
  /** The respondent may go on anyway (request response). */
  soft?: true;
  /** A defect of the survey itself (e.g. an invalid regex): log it for the author; never blocks. */
  warning?: true;
  /** The choice id (or `''` for the text answer) the issue is about, to link the message to its field. */
  field?: string;
}

export interface ValidateOptions {
  /** BCP 47 tag; languages that write decimal commas (de, fr, …) may type `3,5`. */
  locale?: string;
  /**
   * The rows and scale points the page displayed (the engine's choiceOrder / answerOrder), when
   * display logic may have hidden some. Text-entry and constant-sum matrices key their cells by
   * what was shown; without this, the definition's rows and scale points are assumed shown.
   */
  shown?: { choices?: readonly string[]; answers?: readonly string[] };
}

/** Longest text kept for one field; anything longer is a tampered post. */
export const MAX_TEXT_LENGTH = 20_000;
/** A regex longer than this is ignored (with a warning) rather than compiled. */
export const MAX_REGEX_LENGTH = 500;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
const truthy = (v: unknown): boolean => v === true || v === 1 || v === 'true' || v === '1' || v === 'ON';

function num(v: unknown): number | undefined {
  const s = str(v).trim();
  if (s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

const MESSAGES: Record<string, string> = {
  required: 'Please answer this question.',
  'request-response': 'You have not answered this question. Continue anyway?',
  'invalid-email': 'Please enter a valid email address.',
  'invalid-number': 'Please enter a number.',
  'number-too-small': 'Please enter a number of at least {0}.',
  'number-too-large': 'Please enter a number no greater than {0}.',
  'too-many-decimals': 'Please use at most {0} decimal places.',
  'invalid-date': 'Please enter a valid date ({0}).',
  'invalid-phone': 'Please enter a valid US phone number.',
  'invalid-zip': 'Please enter a valid US ZIP code.',
  'regex-mismatch': 'Please enter a value in the expected format.',
  'invalid-regex': 'The validation pattern of this question is invalid and was ignored.',
  'too-short': 'Please enter at least {0} characters.',
  'too-long': 'Please enter at most {0} characters.',
  'too-few-choices': 'Please select at least {0} choices.',
  'too-many-choices': 'Please select at most {0} choices.',
  'single-answer': 'Please select only one choice.',
  'exclusive-answer': '"{0}" cannot be combined with other choices.',
  'sum-mismatch': 'The values must add up to {0}.',
  'out-of-range': 'Please enter a value between {0} and {1}.',
  'text-entry-required': 'Please fill in the text for "{0}".',
  'unknown-choice': 'This answer is not one of the choices.',
};

/** Codes about what the post itself is, not about the author's rules: a custom message never hides them. */
const FIXED_CODES = new Set(['unknown-choice', 'single-answer', 'invalid-regex']);

const SINGLE_MC = new Set(['SAVR', 'SAHR', 'SACOL', 'DL', 'SB', 'NPS']);
const TEXT_ONLY = new Set(['SL', 'ML', 'ESTB', 'PW']);

interface Rules {
  force: 'none' | 'force' | 'request';
  contentType: string;
  settings: Obj;
  minChars?: number;
  maxChars?: number;
  minChoices?: number;
  maxChoices?: number;
  total?: number;
  customMessage?: string;
}

function customMessage(s: Obj): string | undefined {
  for (const v of [s.CustomErrorMessage, s.ErrorMessage]) {
    if (typeof v === 'string' && v.trim() !== '') return v;
    if (isObj(v)) {
      const text = [v.Message, v.Text, v.Display].find((t): t is string => typeof t === 'string' && t.trim() !== '');
      if (text) return text;
    }
  }
  return undefined;
}

function readRules(payload: Obj): Rules {
  const validation = isObj(payload.Validation) ? payload.Validation : {};
  const s = isObj(validation.Settings) ? validation.Settings : {};
  const forceOn = truthy(s.ForceResponse);
  const request = s.ForceResponse === 'RequestResponse' || (forceOn && s.ForceResponseType === 'RequestResponse');
  return {
    force: request ? 'request' : forceOn ? 'force' : 'none',
    contentType: str(s.Type) === 'None' ? '' : str(s.ContentType),
    settings: s,
    minChars: num(s.MinChars),
    maxChars: num(s.MaxChars),
    minChoices: num(s.MinChoices),
    maxChoices: num(s.MaxChoices),
    total: num(s.ChoicesTotal) ?? num(s.MustTotal),
    customMessage: customMessage(s),
  };
}

class Issues {
  readonly list: ValidationIssue[] = [];
  constructor(private readonly custom: string | undefined) {}

  add(code: string, args: readonly (string | number)[] = [], extra: Partial<ValidationIssue> = {}): void {
    const useCustom = this.custom !== undefined && !FIXED_CODES.has(code) && !extra.warning;
    const message = useCustom ? (this.custom as string) : (MESSAGES[code] ?? code).replace(/\{(\d)\}/g, (_m, i: string) => String(args[Number(i)] ?? ''));
    this.list.push({ code, message, ...extra });
  }
}

const EMAIL = /^[^\s@"<>(),;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
// NANP: area code and exchange do not start with 0 or 1; separators as people type them.
const US_PHONE = /^(?:\+?1[\s.-]?)?(?:\(([2-9]\d\d)\)|([2-9]\d\d))[\s.-]?[2-9]\d\d[\s.-]?\d{4}$/;
const US_ZIP = /^\d{5}(?:-\d{4})?$/;

const COMMA_DECIMAL_LANGS = new Set(['de', 'fr', 'es', 'it', 'pt', 'nl', 'ru', 'pl', 'sv', 'da', 'fi', 'nb', 'no', 'cs', 'tr']);

/** The typed number, or undefined; a decimal comma is accepted for locales that write it. */
export function parseNumber(text: string, locale?: string): number | undefined {
  let s = text.trim();
  const lang = (locale ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
  if (COMMA_DECIMAL_LANGS.has(lang) && /^[+-]?\d*,\d+$/.test(s)) s = s.replace(',', '.');
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(s)) return undefined;
  return Number(s);
}

function decimals(text: string): number {
  const m = /[.,](\d+)$/.exec(text.trim());
  return m ? (m[1] as string).length : 0;
}

export type DateFormat = 'mm/dd/yyyy' | 'dd/mm/yyyy' | 'yyyy/mm/dd';

/** Checks a typed date in one of the Qualtrics formats (`/`, `-` or `.` separators) for a real calendar day. */
export function isValidDate(text: string, format: DateFormat): boolean {
  const parts = text.trim().split(/[/.-]/);
  if (parts.length !== 3 || !parts.every((p) => /^\d+$/.test(p))) return false;
  const [a, b, c] = parts as [string, string, string];
  const [y, m, d] = format === 'yyyy/mm/dd' ? [a, b, c] : format === 'dd/mm/yyyy' ? [c, b, a] : [c, a, b];
  if (y.length !== 4 || m.length > 2 || d.length > 2) return false;
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(m) - 1 && date.getUTCDate() === Number(d);
}

function dateFormat(s: Obj): DateFormat {
  const raw = [s.ValidDateFormat, s.DateFormat, s.ValidDateType].map(str).find((f) => /^(mm.dd.yyyy|dd.mm.yyyy|yyyy.mm.dd)$/i.test(f));
  const f = (raw ?? 'mm/dd/yyyy').toLowerCase().replace(/[^a-z]/g, '/');
  return f as DateFormat;
}

function compileRegex(s: Obj, issues: Issues): RegExp | undefined {
  const source = str(s.Regex) || str(s.ValidRegex);
  if (source === '') return undefined;
  if (source.length > MAX_REGEX_LENGTH) {
    issues.add('invalid-regex', [], { warning: true });
    return undefined;
  }
  try {
    return new RegExp(source, 'u');
  } catch {
    issues.add('invalid-regex', [], { warning: true });
    return undefined;
  }
}

function checkContent(text: string, rules: Rules, issues: Issues, field: string, opts: ValidateOptions): void {
  const s = rules.settings;
  switch (rules.contentType) {
    case 'ValidEmail':
      if (!EMAIL.test(text.trim())) issues.add('invalid-email', [], { field });
      return;
    case 'ValidNumber': {
      const n = parseNumber(text, opts.locale);
      if (n === undefined) return issues.add('invalid-number', [], { field });
      const cfg = isObj(s.ValidNumber) ? s.ValidNumber : {};
      const min = num(cfg.Min);
      const max = num(cfg.Max);
      const places = num(cfg.NumDecimals);
      if (min !== undefined && n < min) issues.add('number-too-small', [min], { field });
      if (max !== undefined && n > max) issues.add('number-too-large', [max], { field });
      if (places !== undefined && decimals(text) > places) issues.add('too-many-decimals', [places], { field });
      return;
    }
    case 'ValidDate': {
      const format = dateFormat(s);
      if (!isValidDate(text, format)) issues.add('invalid-date', [format], { field });
      return;
    }
    case 'ValidUSPhone':
      if (!US_PHONE.test(text.trim())) issues.add('invalid-phone', [], { field });
      return;
    case 'ValidZip':
      if (!US_ZIP.test(text.trim())) issues.add('invalid-zip', [], { field });
      return;
    case 'ValidRegex': {
      const re = compileRegex(s, issues);
      if (re && !re.test(text)) issues.add('regex-mismatch', [], { field });
      return;
    }
    default:
      return;
  }
}

function checkTextField(text: string, rules: Rules, issues: Issues, field: string, opts: ValidateOptions): void {
  if (text.length > MAX_TEXT_LENGTH) return issues.add('too-long', [MAX_TEXT_LENGTH], { field });
  if (text.trim() === '') return;
  const length = [...text].length;
  if (rules.minChars !== undefined && length < rules.minChars) issues.add('too-short', [rules.minChars], { field });
  if (rules.maxChars !== undefined && length > rules.maxChars) issues.add('too-long', [rules.maxChars], { field });
  checkContent(text, rules, issues, field, opts);
}

const filled = (answer: AnswerValue): string[] => Object.entries(answer.text ?? {}).filter(([, v]) => v.trim() !== '').map(([k]) => k);

function isEmpty(answer: AnswerValue): boolean {
  const rows = Object.values(answer.matrix ?? {}).some((cols) => cols.length > 0);
  return (answer.selected ?? []).length === 0 && !rows && filled(answer).length === 0;
}

/** Text keyed by ids the question does not have is a tampered post; the cap applies to every field. */
function checkTextKeys(answer: AnswerValue, allowed: (key: string) => boolean, issues: Issues): void {
  for (const [key, value] of Object.entries(answer.text ?? {})) {
    if (!allowed(key)) issues.add('unknown-choice', [], { field: key });
    else if (value.length > MAX_TEXT_LENGTH) issues.add('too-long', [MAX_TEXT_LENGTH], { field: key });
  }
}

function checkMc(q: QsfQuestion, payload: Obj, answer: AnswerValue, rules: Rules, issues: Issues): void {
  const selected = [...new Set(answer.selected ?? [])];
  const unknown = selected.filter((id) => !q.choices.has(id));
  for (const id of unknown) issues.add('unknown-choice', [], { field: id });
  checkTextKeys(answer, (k) => q.choices.get(k)?.textEntry === true, issues);
  if (unknown.length > 0) return;
  if (SINGLE_MC.has(q.selector) && selected.length > 1) issues.add('single-answer');
  if (selected.length > 0) {
    if (rules.minChoices !== undefined && selected.length < rules.minChoices) issues.add('too-few-choices', [rules.minChoices]);
    if (rules.maxChoices !== undefined && selected.length > rules.maxChoices) issues.add('too-many-choices', [rules.maxChoices]);
  }
  const rawChoices = isObj(payload.Choices) ? payload.Choices : {};
  for (const id of selected) {
    const raw = rawChoices[id];
    if (selected.length > 1 && isObj(raw) && truthy(raw.ExclusiveAnswer)) issues.add('exclusive-answer', [plain(q.choices.get(id)?.display ?? id)], { field: id });
    if (q.choices.get(id)?.textEntry && (answer.text?.[id] ?? '').trim() === '') issues.add('text-entry-required', [plain(q.choices.get(id)?.display ?? id)], { field: id });
  }
}

function checkMatrix(q: QsfQuestion, answer: AnswerValue, rules: Rules, issues: Issues, opts: ValidateOptions): void {
  const cells = q.selector === 'TE' || q.selector === 'CS';
  const single = q.subSelector === 'SingleAnswer' || q.subSelector === 'DL' || q.selector === 'Bipolar';
  for (const [row, cols] of Object.entries(answer.matrix ?? {})) {
    if (!q.choices.has(row)) {
      issues.add('unknown-choice', [], { field: row });
      continue;
    }
    for (const col of cols) if (!q.answers.has(col)) issues.add('unknown-choice', [], { field: `${row}_${col}` });
    if (single && cols.length > 1) issues.add('single-answer', [], { field: row });
  }
  if (cells) return checkCellMatrix(q, answer, rules, issues, opts);
  checkTextKeys(answer, (k) => q.choices.get(k)?.textEntry === true, issues);
  if (rules.force === 'force' && !isEmpty(answer)) {
    // A forced matrix needs every statement answered, not just one.
    for (const row of q.choiceOrder) {
      if ((answer.matrix?.[row] ?? []).length === 0 && (answer.text?.[row] ?? '').trim() === '') issues.add('required', [], { field: row });
    }
  }
}

/** Displayed ids that exist in the question, in display order; the definition's order when not told. */
function shownIds(shown: readonly string[] | undefined, order: readonly string[], known: Map<string, unknown>): string[] {
  return (shown ?? order).filter((id) => known.has(id));
}

/** Cell key → row, as the page keys the cells: `<row>/<answer>`, or the row with one scale point. */
function matrixCells(rows: readonly string[], points: readonly string[]): Map<string, string> {
  const cells = new Map<string, string>();
  for (const row of rows) {
    if (points.length < 2) cells.set(row, row);
    else for (const a of points) cells.set(`${row}/${a}`, row);
  }
  return cells;
}

/**
 * Text-entry and constant-sum matrices: one typed value per shown row and scale point. Constant-sum
 * cells must be numbers (see checkRowTotals). A forced matrix needs some value in every row.
 */
function checkCellMatrix(q: QsfQuestion, answer: AnswerValue, rules: Rules, issues: Issues, opts: ValidateOptions): void {
  const rows = shownIds(opts.shown?.choices, q.choiceOrder, q.choices);
  const cells = matrixCells(rows, shownIds(opts.shown?.answers, q.answerOrder, q.answers));
  const rowText = (k: string): boolean => rows.includes(k) && q.choices.get(k)?.textEntry === true;
  checkTextKeys(answer, (k) => cells.has(k) || rowText(k), issues);
  const filled = Object.entries(answer.text ?? {}).filter(([k, v]) => cells.has(k) && v.trim() !== '' && v.length <= MAX_TEXT_LENGTH);
  if (q.selector === 'CS') checkRowTotals(filled, cells, rules, issues, opts);
  if (rules.force === 'force') {
    const answered = new Set(filled.map(([k]) => cells.get(k)));
    for (const row of rows) if (!answered.has(row) && (answer.matrix?.[row] ?? []).length === 0) issues.add('required', [], { field: row });
  }
}

/** Every filled constant-sum cell is a number; with a required total, each row that has values adds up to it. */
function checkRowTotals(filled: [string, string][], cells: Map<string, string>, rules: Rules, issues: Issues, opts: ValidateOptions): void {
  const sums = new Map<string, number>();
  const notNumbers = new Set<string>();
  for (const [key, text] of filled) {
    const row = cells.get(key) as string;
    const n = parseNumber(text, opts.locale);
    if (n === undefined) {
      notNumbers.add(row);
      issues.add('invalid-number', [], { field: key });
    } else sums.set(row, (sums.get(row) ?? 0) + n);
  }
  if (rules.total === undefined) return;
  for (const [row, sum] of sums) {
    // Tolerance because 0.1 + 0.2 style sums must still meet a total of 0.3.
    if (!notNumbers.has(row) && Math.abs(sum - rules.total) > 1e-9) issues.add('sum-mismatch', [rules.total], { field: row });
  }
}

/** Constant sum and slider: one number per choice, within range, adding up to the required total. */
function checkNumbers(q: QsfQuestion, payload: Obj, answer: AnswerValue, rules: Rules, issues: Issues, opts: ValidateOptions): void {
  checkTextKeys(answer, (k) => q.choices.has(k), issues);
  const cfg = isObj(payload.Configuration) ? payload.Configuration : {};
  const min = num(cfg.CSSliderMin);
  const max = num(cfg.CSSliderMax);
  let sum = 0;
  let allNumbers = true;
  for (const [key, text] of Object.entries(answer.text ?? {})) {
    if (!q.choices.has(key) || text.trim() === '' || text.length > MAX_TEXT_LENGTH) continue;
    const n = parseNumber(text, opts.locale);
    if (n === undefined) {
      allNumbers = false;
      issues.add('invalid-number', [], { field: key });
      continue;
    }
    sum += n;
    if (min !== undefined && max !== undefined && (n < min || n > max)) issues.add('out-of-range', [min, max], { field: key });
  }
  // Rounded because 0.1 + 0.2 style sums must still meet a total of 0.3.
  if (q.questionType === 'CS' && rules.total !== undefined && allNumbers && !isEmpty(answer) && Math.abs(sum - rules.total) > 1e-9) {
    issues.add('sum-mismatch', [rules.total]);
  }
}

function checkTextEntry(q: QsfQuestion, answer: AnswerValue, rules: Rules, issues: Issues, opts: ValidateOptions): void {
  const form = q.selector === 'FORM';
  for (const [key, text] of Object.entries(answer.text ?? {})) {
    const known = form ? q.choices.has(key) : key === '';
    if (!known) issues.add('unknown-choice', [], { field: key });
    else checkTextField(text, rules, issues, key, opts);
  }
  if (form && rules.force === 'force' && !isEmpty(answer)) {
    for (const id of q.choiceOrder) if ((answer.text?.[id] ?? '').trim() === '') issues.add('required', [], { field: id });
  }
}

const plain = (html: string): string => html.replace(/<[^>]*>/g, '').trim();

/**
 * The issues with one answer; empty means valid. Blocking issues are those without `soft`/`warning`
 * (see `blocksSubmit`). `question` is the question's QSF payload (the `Payload` of its SQ element).
 */
export function validateAnswer(question: unknown, answer: AnswerValue, opts: ValidateOptions = {}): ValidationIssue[] {
  const payload = isObj(question) ? question : {};
  const q = readQsfQuestion(payload);
  const rules = readRules(payload);
  const issues = new Issues(rules.customMessage);
  if (isEmpty(answer)) {
    // Over-long blanks are still tampering; otherwise an empty answer is only about force/request.
    checkTextKeys(answer, () => true, issues);
    if (rules.force === 'force') issues.add('required');
    else if (rules.force === 'request') issues.add('request-response', [], { soft: true });
    return issues.list;
  }
  switch (q.questionType) {
    case 'MC':
      checkMc(q, payload, answer, rules, issues);
      break;
    case 'Matrix':
      checkMatrix(q, answer, rules, issues, opts);
      break;
    case 'CS':
    case 'Slider':
      checkNumbers(q, payload, answer, rules, issues, opts);
      break;
    case 'TE':
      if (TEXT_ONLY.has(q.selector) || q.selector === 'FORM') checkTextEntry(q, answer, rules, issues, opts);
      else checkTextKeys(answer, () => true, issues);
      break;
    default:
      // Types without answer rules here (SBS, RO, DB, Timing, Meta, unknown): only the length cap.
      checkTextKeys(answer, () => true, issues);
  }
  return issues.list;
}

/** True when the respondent may not go on: some issue is neither soft nor an author warning. */
export function blocksSubmit(issues: readonly ValidationIssue[]): boolean {
  return issues.some((i) => !i.soft && !i.warning);
}

/**
 * Piped text inside survey texts (question, choice, end-of-survey messages). Token finding, escaping
 * and the `${e://…}`, `${m://…}`, `${l://…}` schemes come from `../piping.ts`; this adds what only a
 * survey session knows: answers (`${q://…}`), seeded random numbers (`${rand://…}`) and dates
 * (`${date://…}`). Unknown tokens (including `${gr://…}` scoring) become the empty string.
 *
 * Supported `${q://QIDn/…}` paths (lists are joined with ", " in the question's choice order):
 * - `ChoiceGroup/SelectedChoices`: labels of the selected choices (tags stripped);
 * - `ChoiceGroup/SelectedChoicesTextEntry`: the text typed into the selected choices' boxes;
 * - `ChoiceTextEntryValue`: a text-entry question's answer; `ChoiceTextEntryValue/<choice>`: the text of
 *   one choice (MC "other" box, FORM field); `ChoiceNumericEntryValue/<choice>`: same, for numbers;
 * - `SelectedChoicesRecode`: the recode values of the selected choices (the choice id when none);
 * - `ChoiceGroup/SelectedAnswers/<row>`: labels of the columns selected in a matrix row.
 *
 * `${rand://int/<min>:<max>}`: an integer in [min, max] drawn from `ctx.random` (pass `seededRandom(sessionId)`
 * so the values are stable for the session; the draws follow token order).
 *
 * `${date://CurrentDate/<format>}` and `${date://CurrentTime/<format>}`: `ctx.now` in `ctx.timeZone` (UTC by
 * default). Format letters as PHP date(): d j m n Y y M F D l H G h g i s A a; other characters are
 * copied. Named formats: SL = m/d/Y, DS = Y-m-d, FL = l, F j, Y, PT = g:i A (12-hour time),
 * ISO = Y-m-d\TH:i:s. No format: CurrentDate → SL, CurrentTime → PT.
 */
import { escapeHtmlText, fillPipedText, findPipedText, type PipingContext, type PipingRecipient } from '../piping.ts';
import type { QsfQuestion } from './qsf.ts';

/** What the engine fills for each answered question, keyed by QuestionID (see AnswerValue in validation.ts). */
export interface PipedAnswer {
  /** Selected choice ids. */
  selected: string[];
  /** Typed text by choice id; `''` is a plain text-entry question's answer. */
  text: Record<string, string>;
  /** Matrix row (choice id) → selected answer (column) ids. */
  matrix: Record<string, string[]>;
}

export interface SurveyPipingContext {
  /** The survey's questions (from `readQsf`), for choice labels, order and recodes. */
  questions?: ReadonlyMap<string, QsfQuestion>;
  /** QuestionID → the respondent's answer so far. */
  answers?: Readonly<Record<string, PipedAnswer>>;
  embeddedData?: Readonly<Record<string, string>>;
  /** The panel member the personal link belongs to (`${m://FirstName}` …). */
  panelMember?: PipingRecipient;
  surveyUrl?: string;
  /** Numbers in [0, 1); defaults to Math.random (not stable: pass `seededRandom`). */
  random?: () => number;
  /** Epoch ms or a Date; defaults to the current time. */
  now?: number | Date;
  /** IANA zone for `${date://…}`; UTC by default. */
  timeZone?: string;
}

export interface SurveyPipingOptions {
  html: boolean;
}

export { seededRandom } from './seeded-random.ts';

/** Choice labels are author HTML; piped values are plain text, escaped later for the mode. */
function label(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|apos);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" })[e] as string)
    .trim();
}

function inOrder(ids: readonly string[], order: readonly string[] | undefined): string[] {
  if (!order) return [...ids];
  const set = new Set(ids);
  return [...order.filter((id) => set.has(id)), ...ids.filter((id) => !order.includes(id))];
}

function questionValue(path: string, ctx: SurveyPipingContext): string {
  const [qid = '', ...rest] = path.split('/');
  const what = rest.join('/');
  const answer = ctx.answers?.[qid];
  if (!answer) return '';
  const q = ctx.questions?.get(qid);
  const selected = inOrder(answer.selected, q?.choiceOrder);
  const choiceLabel = (id: string): string => label(q?.choices.get(id)?.display ?? id);
  if (what === 'ChoiceGroup/SelectedChoices') return selected.map(choiceLabel).join(', ');
  if (what === 'ChoiceGroup/SelectedChoicesTextEntry') return selected.map((id) => answer.text[id] ?? '').filter((t) => t !== '').join(', ');
  if (what === 'SelectedChoicesRecode') return selected.map((id) => q?.recodeValues.get(id) || id).join(', ');
  if (what === 'ChoiceTextEntryValue') return answer.text[''] ?? '';
  const one = /^Choice(?:TextEntry|NumericEntry)Value\/(.+)$/.exec(what);
  if (one) return answer.text[one[1] as string] ?? '';
  const row = /^ChoiceGroup\/SelectedAnswers\/(.+)$/.exec(what);
  if (row) {
    const cols = inOrder(answer.matrix[row[1] as string] ?? [], q?.answerOrder);
    return cols.map((id) => label(q?.answers.get(id)?.display ?? id)).join(', ');
  }
  return '';
}

function randomValue(path: string, ctx: SurveyPipingContext): string {
  const m = /^int\/(-?\d+):(-?\d+)$/.exec(path);
  if (!m) return '';
  const lo = Math.min(Number(m[1]), Number(m[2]));
  const hi = Math.max(Number(m[1]), Number(m[2]));
  const r = (ctx.random ?? Math.random)();
  return String(lo + Math.floor(r * (hi - lo + 1)));
}

const NAMED_FORMATS: Record<string, string> = { SL: 'm/d/Y', DS: 'Y-m-d', FL: 'l, F j, Y', PT: 'g:i A', ISO: 'Y-m-d\\TH:i:s' };

interface Parts { year: number; month: number; day: number; weekday: string; hour: number; minute: number; second: number }

function dateParts(date: Date, timeZone: string): Parts | undefined {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'long', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    return undefined; // an unknown zone pipes nothing rather than a wrong time
  }
  const parts = fmt.formatToParts(date);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return { year: +get('year'), month: +get('month'), day: +get('day'), weekday: get('weekday'), hour: +get('hour') % 24, minute: +get('minute'), second: +get('second') };
}

const pad = (n: number): string => String(n).padStart(2, '0');
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** Formats a date with PHP date() letters (the subset documented above); `\x` copies x. */
export function formatDate(date: Date, format: string, timeZone = 'UTC'): string {
  const p = dateParts(date, timeZone);
  if (!p) return '';
  const h12 = p.hour % 12 === 0 ? 12 : p.hour % 12;
  const letters: Record<string, string> = {
    d: pad(p.day), j: String(p.day), m: pad(p.month), n: String(p.month), Y: String(p.year), y: pad(p.year % 100),
    M: (MONTHS[p.month - 1] ?? '').slice(0, 3), F: MONTHS[p.month - 1] ?? '', D: p.weekday.slice(0, 3), l: p.weekday,
    H: pad(p.hour), G: String(p.hour), h: pad(h12), g: String(h12), i: pad(p.minute), s: pad(p.second),
    A: p.hour < 12 ? 'AM' : 'PM', a: p.hour < 12 ? 'am' : 'pm',
  };
  return format.replace(/\\(.)|(.)/gs, (_m, escaped: string | undefined, ch: string) => escaped ?? letters[ch] ?? ch);
}

function dateValue(path: string, ctx: SurveyPipingContext): string {
  const [kind = '', ...rest] = path.split('/');
  if (kind !== 'CurrentDate' && kind !== 'CurrentTime') return '';
  const requested = rest.join('/') || (kind === 'CurrentDate' ? 'SL' : 'PT');
  const format = NAMED_FORMATS[requested] ?? requested;
  const now = ctx.now === undefined ? new Date() : new Date(ctx.now);
  if (Number.isNaN(now.getTime())) return '';
  return formatDate(now, format, ctx.timeZone ?? 'UTC');
}

/** The text with every piped token filled from the survey session; values escaped when `html`. */
export function pipeSurveyText(text: string, ctx: SurveyPipingContext, opts: SurveyPipingOptions): string {
  const tokens = findPipedText(text);
  if (tokens.length === 0) return text;
  const mode = opts.html ? 'html' : 'text';
  const base: PipingContext = { embeddedData: ctx.embeddedData, recipient: ctx.panelMember, surveyUrl: ctx.surveyUrl };
  const escape = (v: string): string => (opts.html ? escapeHtmlText(v) : v);
  let out = '';
  let at = 0;
  for (const token of tokens) {
    out += text.slice(at, token.index);
    at = token.index + token.raw.length;
    switch (token.scheme) {
      case 'q': out += escape(questionValue(token.path, ctx)); break;
      case 'rand': out += escape(randomValue(token.path, ctx)); break;
      case 'date': out += escape(dateValue(token.path, ctx)); break;
      case 'e': case 'm': case 'l': out += fillPipedText(token.raw, base, mode); break;
      default: break; // gr:// (scoring) and anything unknown pipe nothing
    }
  }
  return out + text.slice(at);
}

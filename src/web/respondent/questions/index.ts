/**
 * One question on the page: its renderer by QuestionType, wrapped in a fieldset whose legend is the
 * question text, with the question's issues linked to its controls. Descriptive text is a plain block;
 * Timing and Meta are hidden fields only; unknown types render nothing.
 */
import { html, raw, type Html } from '../../html.ts';
import type { PageQuestionView, PageView } from '../view.ts';
import { ariaAttributes, idPart, type QuestionContext, type QuestionRenderer, type Rendered } from './common.ts';
import { renderConstantSum } from './constant-sum.ts';
import { renderDescriptive } from './descriptive.ts';
import { renderMatrix } from './matrix.ts';
import { renderMc } from './mc.ts';
import { renderMeta } from './meta.ts';
import { renderRank } from './rank.ts';
import { renderSideBySide } from './side-by-side.ts';
import { renderSlider } from './slider.ts';
import { renderTextEntry } from './text-entry.ts';
import { renderTiming } from './timing.ts';

const RENDERERS: Record<string, QuestionRenderer> = {
  MC: renderMc,
  TE: renderTextEntry,
  Matrix: renderMatrix,
  Slider: renderSlider,
  RO: renderRank,
  CS: renderConstantSum,
  SBS: renderSideBySide,
  DB: renderDescriptive,
  Timing: renderTiming,
  Meta: renderMeta,
};

const HIDDEN = new Set(['Timing', 'Meta']);

export interface RenderedQuestion {
  html: Html;
  /** Where the error summary links for this question's issues. */
  focus: string;
}

/** DOM id of a question's group. */
export function questionId(qid: string): string {
  return `q-${idPart(qid)}`;
}

function issueList(c: QuestionContext): Html {
  const shown = c.q.issues.filter((i) => !i.warning);
  if (shown.length === 0 || c.errId === undefined) return html``;
  return html`<div class="sv-issues" id="${c.errId}">${shown.map((i) => html`<p class="${i.soft ? 'sv-issue sv-soft' : 'sv-issue'}"><span class="sv-vh">${i.soft ? 'Note: ' : 'Error: '}</span>${i.message}</p>`)}</div>`;
}

/**
 * A question shown fresh (no answer yet, no issues) looks the same to every respondent unless one
 * of its texts is piped: such renderings are kept per question object (a changed survey brings new
 * ones, and the old entries go with them) and shown order of choices and answers.
 */
const freshRenderings = new WeakMap<object, Map<string, RenderedQuestion>>();
const MAX_ORDERS_PER_QUESTION = 64;

export function renderQuestion(view: PageView, q: PageQuestionView): RenderedQuestion | undefined {
  if (q.answer !== undefined || q.issues.length > 0 || !view.needsPiping) return renderAnew(view, q);
  const order = `${q.choiceOrder.join('\u0001')}\u0002${q.answerOrder.join('\u0001')}`;
  let byOrder = freshRenderings.get(q.question);
  const kept = byOrder?.get(order);
  if (kept) return kept;
  let piped = false;
  const needsPiping = view.needsPiping;
  const watched: PageView = {
    ...view,
    html: (raw) => {
      if (needsPiping(raw)) piped = true;
      return view.html(raw);
    },
  };
  const rendered = renderAnew(watched, q);
  if (!piped && rendered) {
    if (!byOrder) freshRenderings.set(q.question, (byOrder = new Map()));
    if (byOrder.size >= MAX_ORDERS_PER_QUESTION) byOrder.clear();
    byOrder.set(order, rendered);
  }
  return rendered;
}

function renderAnew(view: PageView, q: PageQuestionView): RenderedQuestion | undefined {
  const type = q.question.questionType;
  const renderer = Object.prototype.hasOwnProperty.call(RENDERERS, type) ? RENDERERS[type] : undefined;
  if (!renderer) return undefined;
  const id = questionId(q.qid);
  const shown = q.issues.some((i) => !i.warning);
  const errId = shown ? `${id}-err` : undefined;
  const invalid = q.issues.some((i) => !i.soft && !i.warning);
  const c: QuestionContext = {
    view, q, id, errId, invalid,
    textId: `${id}-q`,
    answer: q.answer ?? {},
    aria: ariaAttributes(errId, invalid),
  };
  const r: Rendered = renderer(c);
  if (HIDDEN.has(type)) return { html: r.body, focus: id };
  const text = raw(view.html(q.question.questionText));
  if (type === 'DB') return { html: html`<div class="sv-q sv-q-db" id="${id}"><div class="sv-qtext" id="${c.textId}">${text}</div></div>`, focus: id };
  const cls = `sv-q sv-q-${type.toLowerCase()}${c.invalid ? ' sv-invalid' : ''}`;
  return {
    html: html`<fieldset class="${cls}" id="${id}"${r.focus === undefined ? raw(' tabindex="-1"') : ''}><legend class="sv-qtext" id="${c.textId}">${text}</legend>${issueList(c)}${r.body}</fieldset>`,
    focus: r.focus ?? id,
  };
}

/**
 * Constant sum: a number box per choice and the running total (an <output> survey.js keeps current;
 * without script it shows the total of the posted values). The required total, when the survey sets
 * one (Validation ChoicesTotal/MustTotal), is said next to it.
 */
import { html } from '../../html.ts';
import { numericField } from '../form.ts';
import { shownChoices } from '../shape.ts';
import { described, display, idPart, numberOf, numberValue, numericAnswer, type QuestionContext, type Rendered } from './common.ts';

function requiredTotal(c: QuestionContext): number | undefined {
  const v = c.q.payload.Validation;
  const s = typeof v === 'object' && v !== null ? (v as Record<string, unknown>).Settings : undefined;
  if (typeof s !== 'object' || s === null) return undefined;
  const settings = s as Record<string, unknown>;
  return numberOf(settings.ChoicesTotal) ?? numberOf(settings.MustTotal);
}

function currentTotal(c: QuestionContext, items: string[]): number {
  let sum = 0;
  for (const item of items) sum += numericAnswer(c, item) ?? 0;
  // Rounded so 0.1 + 0.2 shows as 0.3.
  return Math.round(sum * 1e6) / 1e6;
}

export function renderConstantSum(c: QuestionContext): Rendered {
  const items = shownChoices(c.q);
  const ids = items.map((item) => `${c.id}-n-${idPart(item)}`);
  const total = requiredTotal(c);
  const totalId = `${c.id}-total`;
  const body = html`<div class="sv-cs" data-total="${total ?? ''}">${items.map((item, i) => html`<div class="sv-form-row"><label for="${ids[i]}">${display(c, c.q.question.choices.get(item)?.display ?? '')}</label><input type="text" class="sv-num" inputmode="decimal" id="${ids[i]}" name="${numericField(c.q.qid, item)}" value="${numberValue(c, item)}"${described(c, totalId)}></div>`)}<p class="sv-cs-total" id="${totalId}">Total: <output for="${ids.join(' ')}" aria-live="polite">${currentTotal(c, items)}</output>${total === undefined ? '' : html` of ${total}`}</p></div>`;
  return { body, focus: ids[0] };
}

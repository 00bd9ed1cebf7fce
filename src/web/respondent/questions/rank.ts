/**
 * Rank order. DND (and any selector other than RB/TB): an ordered list where each item has a rank
 * dropdown, so ranking works without script; survey.js adds drag and drop and move up/down buttons that
 * reorder the list and keep the dropdowns in step. RB: a table of radios (item × rank). TB: a number
 * box per item. Every control posts the item's rank (1..n).
 */
import { html, type Html } from '../../html.ts';
import { numericField } from '../form.ts';
import { shownChoices } from '../shape.ts';
import { CHECKED, SELECTED, described, display, idPart, numberValue, numericAnswer, type QuestionContext, type Rendered } from './common.ts';

const rankOf = numericAnswer;

/** Ranked items first, in rank order; the rest keep the display order. */
function ordered(c: QuestionContext, items: string[]): string[] {
  const pos = new Map(items.map((id, i) => [id, i]));
  const key = (id: string): number => rankOf(c, id) ?? items.length + 1;
  return [...items].sort((a, b) => key(a) - key(b) || (pos.get(a) as number) - (pos.get(b) as number));
}

const itemId = (c: QuestionContext, item: string): string => `${c.id}-i-${idPart(item)}`;

function itemText(c: QuestionContext, item: string): Html {
  return display(c, c.q.question.choices.get(item)?.display ?? '');
}

function dragList(c: QuestionContext, items: string[]): Rendered {
  const ranks = items.map((_, i) => i + 1);
  const list = ordered(c, items);
  const hint = `${c.id}-hint`;
  const body = html`<p class="sv-hint" id="${hint}">Give each item a rank from 1 (first) to ${items.length}.</p><ol class="sv-rank">${list.map((item) => {
    const id = itemId(c, item);
    const rank = rankOf(c, item);
    return html`<li class="sv-rank-item"><label for="${id}" id="${id}-l">${itemText(c, item)}</label> <select id="${id}" name="${numericField(c.q.qid, item)}"${described(c, hint)}><option value="">Rank</option>${ranks.map((r) => html`<option value="${r}"${rank === r ? SELECTED : ''}>${r}</option>`)}</select></li>`;
  })}</ol>`;
  return { body, focus: list[0] === undefined ? undefined : itemId(c, list[0]) };
}

function radios(c: QuestionContext, items: string[]): Rendered {
  const ranks = items.map((_, i) => i + 1);
  const rankId = (r: number): string => `${c.id}-k-${r}`;
  const body = html`<div class="sv-matrix-wrap"><table class="sv-matrix sv-single sv-rank-table"><thead><tr><td class="sv-corner"></td>${ranks.map((r) => html`<th scope="col" id="${rankId(r)}">${r}</th>`)}</tr></thead><tbody>${items.map((item) => {
    const id = itemId(c, item);
    return html`<tr><th scope="row" class="sv-row"><span id="${id}-l">${itemText(c, item)}</span></th>${ranks.map((r) => html`<td><label class="sv-cell"><input type="radio" id="${id}-${r}" name="${numericField(c.q.qid, item)}" value="${r}" aria-labelledby="${id}-l ${rankId(r)}"${rankOf(c, item) === r ? CHECKED : ''}${described(c)}><span class="sv-cl" aria-hidden="true">${r}</span></label></td>`)}</tr>`;
  })}</tbody></table></div>`;
  return { body, focus: items[0] === undefined ? undefined : `${itemId(c, items[0])}-1` };
}

function boxes(c: QuestionContext, items: string[]): Rendered {
  const hint = `${c.id}-hint`;
  const body = html`<p class="sv-hint" id="${hint}">Give each item a rank from 1 (first) to ${items.length}.</p><div class="sv-form-fields">${items.map((item) => {
    const id = itemId(c, item);
    return html`<div class="sv-form-row"><label for="${id}">${itemText(c, item)}</label><input type="text" class="sv-num" inputmode="numeric" id="${id}" name="${numericField(c.q.qid, item)}" value="${numberValue(c, item)}"${described(c, hint)}></div>`;
  })}</div>`;
  return { body, focus: items[0] === undefined ? undefined : itemId(c, items[0]) };
}

export function renderRank(c: QuestionContext): Rendered {
  const items = shownChoices(c.q);
  switch (c.q.question.selector) {
    case 'RB':
      return radios(c, items);
    case 'TB':
      return boxes(c, items);
    default:
      return dragList(c, items);
  }
}

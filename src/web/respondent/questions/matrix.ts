/**
 * Matrix tables: Likert single (radios) and multiple answer (checkboxes), bipolar (left:right
 * statements), dropdowns per row (DL), text entry and constant sum cells; statements with TextEntry get
 * a text box; ExclusiveAnswer columns (N/A) are marked for survey.js. A real table with th scope: each
 * control is labelled by its row and column headers (aria-labelledby); on narrow screens the CSS stacks
 * rows and shows the column text each cell carries (.sv-cl), so no JS is involved.
 */
import { html, raw, type Html } from '../../html.ts';
import { matrixField, numericField, textField } from '../form.ts';
import { cellColumns, cellKey, shownAnswers, shownChoices } from '../shape.ts';
import {
  CHECKED, SELECTED, described, display, entryFlag, idPart, matrixHas, numberValue, optionText, textValue,
  type QuestionContext, type Rendered,
} from './common.ts';

const rowId = (c: QuestionContext, row: string): string => `${c.id}-r-${idPart(row)}`;
const colId = (c: QuestionContext, answer: string): string => `${c.id}-a-${idPart(answer)}`;
const cellId = (c: QuestionContext, row: string, answer: string | undefined): string => `${rowId(c, row)}-${answer === undefined ? 'v' : `a-${idPart(answer)}`}`;

function answerText(c: QuestionContext, answer: string): string {
  return c.q.question.answers.get(answer)?.display ?? '';
}

function isExclusive(c: QuestionContext, answer: string): boolean {
  return entryFlag(c.q.payload, 'Answers', answer, 'ExclusiveAnswer');
}

/** A statement's own text box (a row with TextEntry). */
function rowText(c: QuestionContext, row: string): Html {
  if (!c.q.question.choices.get(row)?.textEntry) return html``;
  return html` <input type="text" class="sv-rowtext" id="${rowId(c, row)}-t" name="${textField(c.q.qid, row)}" value="${textValue(c, row)}" maxlength="20000" aria-labelledby="${rowId(c, row)}"${described(c)}>`;
}

function rowHeader(c: QuestionContext, row: string, text: Html): Html {
  return html`<th scope="row" class="sv-row"><span id="${rowId(c, row)}">${text}</span>${rowText(c, row)}</th>`;
}

/** A scale point as every cell of its column needs it, computed once per question. */
interface Point {
  id: string;
  domId: string;
  html: Html;
  exclusive: boolean;
}

function points(c: QuestionContext, answers: string[]): Point[] {
  return answers.map((a) => ({ id: a, domId: colId(c, a), html: display(c, answerText(c, a)), exclusive: isExclusive(c, a) }));
}

function head(points: Array<Point | undefined>, trailing = false): Html {
  return html`<thead><tr><td class="sv-corner"></td>${points.map((p) => (p === undefined ? html`<td></td>` : html`<th scope="col" id="${p.domId}"${p.exclusive ? raw(' class="sv-na"') : ''}>${p.html}</th>`))}${trailing ? html`<td></td>` : ''}</tr></thead>`;
}

function table(c: QuestionContext, kind: string, headRow: Html, rows: Html[]): Html {
  return html`<div class="sv-matrix-wrap"><table class="sv-matrix ${kind}">${headRow}<tbody>${rows}</tbody></table></div>`;
}

/** A radio or checkbox cell, labelled by its row (and the right-hand statement of a bipolar row). */
function buttonCell(c: QuestionContext, row: string, p: Point, multi: boolean, labelledBy: string): Html {
  return html`<td><label class="sv-cell"><input type="${multi ? 'checkbox' : 'radio'}" id="${cellId(c, row, p.id)}" name="${matrixField(c.q.qid, row)}" value="${p.id}" aria-labelledby="${labelledBy}"${p.exclusive ? raw(' class="sv-excl"') : ''}${matrixHas(c, row, p.id) ? CHECKED : ''}${c.aria}><span class="sv-cl" aria-hidden="true">${p.html}</span></label></td>`;
}

function likert(c: QuestionContext, rows: string[], answers: string[]): Html {
  const multi = c.q.question.subSelector === 'MultipleAnswer';
  const q = c.q.question;
  const ps = points(c, answers);
  return table(c, multi ? 'sv-multi' : 'sv-single', head(ps), rows.map((row) => {
    const rid = rowId(c, row);
    return html`<tr>${rowHeader(c, row, display(c, q.choices.get(row)?.display ?? ''))}${ps.map((p) => buttonCell(c, row, p, multi, `${rid} ${p.domId}`))}</tr>`;
  }));
}

/** Bipolar statements are written "left:right"; the scale points run between them. */
function bipolar(c: QuestionContext, rows: string[], answers: string[]): Html {
  const q = c.q.question;
  const ps = points(c, answers);
  return table(c, 'sv-single sv-bipolar', head(ps, true), rows.map((row) => {
    const text = q.choices.get(row)?.display ?? '';
    const cut = text.indexOf(':');
    const left = cut < 0 ? text : text.slice(0, cut);
    const right = cut < 0 ? '' : text.slice(cut + 1);
    const rightId = `${rowId(c, row)}-right`;
    return html`<tr>${rowHeader(c, row, display(c, left))}${ps.map((p) => buttonCell(c, row, p, false, `${rowId(c, row)} ${p.domId} ${rightId}`))}<td class="sv-right"><span id="${rightId}">${display(c, right)}</span></td></tr>`;
  }));
}

/** One labelled dropdown per statement: no table is needed. */
function dropdowns(c: QuestionContext, rows: string[], answers: string[]): Html {
  const q = c.q.question;
  return html`<div class="sv-dl-rows">${rows.map((row) => {
    const id = cellId(c, row, undefined);
    const options = answers.map((a) => html`<option value="${a}"${matrixHas(c, row, a) ? SELECTED : ''}>${optionText(c, answerText(c, a))}</option>`);
    return html`<div class="sv-dl-row"><label for="${id}" id="${rowId(c, row)}">${display(c, q.choices.get(row)?.display ?? '')}</label>${rowText(c, row)} <select id="${id}" name="${matrixField(c.q.qid, row)}"${described(c)}><option value="">Select…</option>${options}</select></div>`;
  })}</div>`;
}

/** Text or number cells: one per row, or one per row and column when there are several columns. */
function cells(c: QuestionContext, rows: string[], numbers: boolean): Html {
  const q = c.q.question;
  const columns = cellColumns(c.q);
  const single = shownAnswers(c.q);
  const headers = (columns[0] === undefined && single.length === 1 ? single : columns).map((a) => (a === undefined ? undefined : points(c, [a])[0]));
  return table(c, numbers ? 'sv-cells sv-numbers' : 'sv-cells', head(headers), rows.map((row) => html`<tr>${rowHeader(c, row, display(c, q.choices.get(row)?.display ?? ''))}${columns.map((a, i) => {
    const key = cellKey(row, a);
    const header = headers[i];
    const labelledBy = header === undefined ? rowId(c, row) : `${rowId(c, row)} ${header.domId}`;
    const common = html` id="${cellId(c, row, a)}" aria-labelledby="${labelledBy}"${c.aria}`;
    const label = header === undefined ? '' : html`<span class="sv-cl" aria-hidden="true">${header.html}</span>`;
    const control = numbers
      ? html`<input type="text" class="sv-num" inputmode="decimal" name="${numericField(c.q.qid, key)}" value="${numberValue(c, key)}"${common}>`
      : html`<input type="text" class="sv-text" name="${textField(c.q.qid, key)}" value="${textValue(c, key)}" maxlength="20000"${common}>`;
    return html`<td>${label}${control}</td>`;
  })}</tr>`));
}

export function renderMatrix(c: QuestionContext): Rendered {
  const q = c.q.question;
  const rows = shownChoices(c.q);
  const answers = shownAnswers(c.q);
  const first = rows[0];
  if (q.selector === 'TE' || q.selector === 'CS') {
    return { body: cells(c, rows, q.selector === 'CS'), focus: first === undefined ? undefined : cellId(c, first, cellColumns(c.q)[0]) };
  }
  if (q.subSelector === 'DL' || q.selector === 'DL') return { body: dropdowns(c, rows, answers), focus: first === undefined ? undefined : cellId(c, first, undefined) };
  const body = q.selector === 'Bipolar' ? bipolar(c, rows, answers) : likert(c, rows, answers);
  return { body, focus: first === undefined || answers[0] === undefined ? undefined : cellId(c, first, answers[0]) };
}

/**
 * Side by side: several matrix columns (payload.AdditionalQuestions) sharing the parent's statements.
 * Each column is a colgroup headed by its question text; a column is radios (SingleAnswer), checkboxes
 * (MultipleAnswer), one dropdown per row (DL) or text boxes per scale point (TE). Controls are labelled
 * by row, column and scale point. On narrow screens rows stack and each column's first cell shows the
 * column's name (.sv-gl), so the context survives without the header.
 */
import type { QsfQuestion } from '../../../domain/survey/qsf.ts';
import { html, raw, type Html } from '../../html.ts';
import { matrixField, textField } from '../form.ts';
import { columnAnswers, sbsRows } from '../shape.ts';
import {
  CHECKED, SELECTED, display, entryFlag, idPart, matrixHas, optionText, textValue, textarea,
  type QuestionContext, type Rendered,
} from './common.ts';

interface Column {
  n: number;
  q: QsfQuestion;
  payload: Record<string, unknown>;
  answers: string[];
  kind: 'single' | 'multi' | 'dl' | 'text';
  groupId: string;
  /** Column name and scale point texts, made safe once for all rows. */
  nameHtml: Html;
  pointHtml: Map<string, Html>;
  exclusive: Set<string>;
}

function columnsOf(c: QuestionContext): Column[] {
  const raw = c.q.payload.AdditionalQuestions;
  const payloads = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  // additionalQuestions is in column-number order, which is how the payload keys sort numerically.
  const keys = Object.keys(payloads).sort((a, b) => Number(a) - Number(b));
  return c.q.question.additionalQuestions.map((q, i) => {
    const p = payloads[keys[i] ?? ''];
    const kind = q.selector === 'TE' ? 'text' : q.subSelector === 'DL' || q.selector === 'DL' ? 'dl' : q.subSelector === 'MultipleAnswer' ? 'multi' : 'single';
    const payload = typeof p === 'object' && p !== null ? (p as Record<string, unknown>) : {};
    const answers = columnAnswers(q);
    return {
      n: i + 1, q, payload, answers, kind,
      groupId: `${c.id}-g${i + 1}`,
      nameHtml: display(c, q.questionText),
      pointHtml: new Map(answers.map((a) => [a, display(c, q.answers.get(a)?.display ?? '')])),
      exclusive: new Set(answers.filter((a) => entryFlag(payload, 'Answers', a, 'ExclusiveAnswer'))),
    };
  });
}

const rowId = (c: QuestionContext, row: string): string => `${c.id}-r-${idPart(row)}`;
const answerId = (col: Column, a: string): string => `${col.groupId}-a-${idPart(a)}`;
const cellId = (c: QuestionContext, col: Column, row: string, a?: string): string => `${col.groupId}-r-${idPart(row)}${a === undefined ? '' : `-a-${idPart(a)}`}`;
const span = (col: Column): number => (col.kind === 'dl' || col.answers.length === 0 ? 1 : col.answers.length);

function head(c: QuestionContext, cols: Column[]): Html {
  const groups = cols.map((col) => html`<th scope="colgroup" colspan="${span(col)}" id="${col.groupId}">${col.nameHtml}</th>`);
  const points = cols.map((col) => (col.kind === 'dl' || col.answers.length === 0 ? html`<td></td>` : col.answers.map((a) => html`<th scope="col" id="${answerId(col, a)}">${col.pointHtml.get(a)}</th>`)));
  return html`<colgroup><col></colgroup>${cols.map((col) => html`<colgroup span="${span(col)}"></colgroup>`)}<thead><tr><td class="sv-corner" rowspan="2"></td>${groups}</tr><tr>${points}</tr></thead>`;
}

/** The column's name, shown only when rows are stacked. */
function groupLabel(col: Column): Html {
  return html`<span class="sv-gl" aria-hidden="true">${col.nameHtml}</span>`;
}

function cells(c: QuestionContext, col: Column, row: string): Html {
  const key = `${col.n}/${row}`;
  const rid = rowId(c, row);
  if (col.kind === 'dl') {
    const options = col.answers.map((a) => html`<option value="${a}"${matrixHas(c, key, a) ? SELECTED : ''}>${optionText(c, col.q.answers.get(a)?.display ?? '')}</option>`);
    return html`<td class="sv-gstart">${groupLabel(col)}<select id="${cellId(c, col, row)}" name="${matrixField(c.q.qid, key)}" aria-labelledby="${rid} ${col.groupId}"${c.aria}><option value="">Select…</option>${options}</select></td>`;
  }
  if (col.answers.length === 0) return html`<td></td>`;
  return html`${col.answers.map((a, i) => {
    const start = i === 0;
    const labelledBy = `${rid} ${col.groupId} ${answerId(col, a)}`;
    const pointText = html`<span class="sv-cl" aria-hidden="true">${col.pointHtml.get(a)}</span>`;
    let control: Html;
    if (col.kind === 'text') {
      const attrs = html` id="${cellId(c, col, row, a)}" name="${textField(c.q.qid, `${key}/${a}`)}" aria-labelledby="${labelledBy}" maxlength="20000"${c.aria}`;
      const value = textValue(c, `${key}/${a}`);
      control = html`${pointText}${col.q.subSelector === 'Long' ? textarea(html` class="sv-textarea" rows="2"${attrs}`, value) : html`<input type="text" class="sv-text"${attrs} value="${value}">`}`;
    } else {
      const excl = col.exclusive.has(a);
      control = html`<label class="sv-cell"><input type="${col.kind === 'multi' ? 'checkbox' : 'radio'}" id="${cellId(c, col, row, a)}" name="${matrixField(c.q.qid, key)}" value="${a}" aria-labelledby="${labelledBy}"${excl ? raw(' class="sv-excl"') : ''}${matrixHas(c, key, a) ? CHECKED : ''}${c.aria}>${pointText}</label>`;
    }
    return html`<td${start ? raw(' class="sv-gstart"') : ''}>${start ? groupLabel(col) : ''}${control}</td>`;
  })}`;
}

export function renderSideBySide(c: QuestionContext): Rendered {
  const cols = columnsOf(c);
  const rows = sbsRows(c.q);
  const q = c.q.question;
  const rowText = (row: string): string => q.choices.get(row)?.display ?? cols.find((col) => col.q.choices.has(row))?.q.choices.get(row)?.display ?? '';
  const body = html`<div class="sv-matrix-wrap"><table class="sv-matrix sv-sbs">${head(c, cols)}<tbody>${rows.map((row) => html`<tr><th scope="row" class="sv-row"><span id="${rowId(c, row)}">${display(c, rowText(row))}</span></th>${cols.map((col) => cells(c, col, row))}</tr>`)}</tbody></table></div>`;
  const first = rows[0];
  const col = cols[0];
  const focus = first === undefined || col === undefined ? undefined : col.kind === 'dl' ? cellId(c, col, first) : col.answers[0] === undefined ? undefined : cellId(c, col, first, col.answers[0]);
  return { body, focus };
}

/**
 * One respondent's answers as the cells of the legacy export (getLegacyResponseData), keyed by
 * the column names `exportColumns` computes. Spec: api-v2.md §3.2 (value types), §3.5 (columns);
 * the recorded exports in shared/fixtures/qsf win where they disagree.
 *
 * Value rules taken from the fixtures' data rows:
 *  - MC single: the selected choice's recode (RecodeValues, else the choice id) as a JSON number
 *    when numeric; `_TEXT` holds the text typed into a text-entry choice.
 *  - MC multi and multi-answer matrices: 1 when selected, empty otherwise.
 *  - Single-answer matrix rows and SBS columns: the recode of the chosen scale point.
 *  - Multi-answer SBS columns with exactly one scale point hold that point's recode, not 1
 *    (sample-survey Q10#2, Q12: `-1`, `0`); with several points they hold 1 (Q11).
 *  - Text, text-entry cells: the text as a string. Sliders, rank order, constant sum: the number.
 *  - Text-entry matrices with 2+ scale points and constant-sum matrices: one cell per row and scale
 *    point, read from `text` / `numeric` under `<row>/<answer>` (the row alone with one scale point,
 *    see `matrixCellKey`); a constant-sum cell kept as text holding a number exports that number.
 *  - Anything without an answer: "" (§3.2 "unanswered is ''"). The fixtures show no difference
 *    between a question never displayed and one displayed but skipped: both are empty. The only
 *    difference is `unansweredRecode` (§3.1 UnansweredRecode), which fills the choice cells of
 *    displayed questions left unanswered and never touches questions that were not displayed.
 *
 * Answer shape: the engine's QuestionAnswer. Side-by-side questions keep each column's answers
 * under `<column number>/<row>` in `matrix`, and text cells under `<column number>/<row>/<answer>`.
 */
import { hasMatrixCells, matrixCellKey, type ExportColumn } from './export-columns.ts';
import type { QsfQuestion, QsfSurvey } from './qsf.ts';
import type { QuestionAnswer } from './session-state.ts';

export type ResponseValue = string | number;

export interface ResponseValuesOptions {
  /** Question IDs shown to the respondent; only these can receive `unansweredRecode`. */
  displayed?: Iterable<string>;
  /** Value for cells of displayed questions left unanswered (§3.1 UnansweredRecode, e.g. "-99"). */
  unansweredRecode?: string;
  /** Embedded-data values by field name; embedded columns missing here are empty. */
  embeddedData?: Record<string, string>;
}

/** Cells for the question and embedded-data columns; meta and location columns are left out. */
export function responseValues(
  survey: QsfSurvey,
  columns: ExportColumn[],
  answers: Record<string, QuestionAnswer>,
  options: ResponseValuesOptions = {},
): Record<string, ResponseValue> {
  const displayed = new Set(options.displayed ?? []);
  const out: Record<string, ResponseValue> = {};
  for (const col of columns) {
    if (col.kind === 'embedded') {
      out[col.name] = options.embeddedData?.[col.name] ?? '';
      continue;
    }
    if (col.kind !== 'question' || col.qid === undefined) continue;
    const q = survey.questions.get(col.qid);
    const answer = Object.prototype.hasOwnProperty.call(answers, col.qid) ? answers[col.qid] : undefined;
    const value = q && answer ? cellValue(q, col, answer) : undefined;
    out[col.name] = value ?? emptyCell(col, q, answer, displayed, options.unansweredRecode);
  }
  return out;
}

/** The cell's value, or undefined when its part of the question has no answer. */
function cellValue(q: QsfQuestion, col: ExportColumn, a: QuestionAnswer): ResponseValue | undefined {
  if (col.sbsColumn !== undefined) return sbsValue(q, col, a);
  switch (q.questionType) {
    case 'MC':
      return mcValue(q, col, a);
    case 'Matrix':
      return matrixValue(q, col, a);
    case 'TE':
      return nonEmpty(a.text?.[col.choice ?? '']);
    default:
      return itemValue(col, a);
  }
}

function mcValue(q: QsfQuestion, col: ExportColumn, a: QuestionAnswer): ResponseValue | undefined {
  const selected = a.selected ?? [];
  if (col.choice === undefined) {
    if (col.text) {
      // One text column per question: the text of whichever text-entry choice was picked.
      const picked = selected.find((id) => a.text?.[id] !== undefined && q.choices.get(id)?.textEntry);
      return nonEmpty(picked === undefined ? undefined : a.text?.[picked]);
    }
    return selected.length === 0 ? undefined : recodeOf(q, selected[0]);
  }
  if (col.text) return selected.includes(col.choice) ? nonEmpty(a.text?.[col.choice]) : undefined;
  return selected.includes(col.choice) ? 1 : undefined;
}

function matrixValue(q: QsfQuestion, col: ExportColumn, a: QuestionAnswer): ResponseValue | undefined {
  const row = col.choice;
  if (row === undefined) return undefined;
  if (col.answer !== undefined && hasMatrixCells(q)) return matrixCell(q, row, col.answer, a);
  if (col.text) return nonEmpty(a.text?.[row]);
  const picked = a.matrix?.[row] ?? [];
  if (col.answer !== undefined) return picked.includes(col.answer) ? 1 : undefined;
  if (q.selector === 'TE' || q.subSelector === 'TE') return nonEmpty(a.text?.[row]);
  return picked.length === 0 ? undefined : recodeOf(q, picked[0]);
}

/** One cell of a text-entry or constant-sum matrix. */
function matrixCell(q: QsfQuestion, row: string, answer: string, a: QuestionAnswer): ResponseValue | undefined {
  const key = matrixCellKey(q, row, answer);
  if (q.selector === 'TE') return nonEmpty(a.text?.[key]);
  const n = a.numeric?.[key];
  if (n !== undefined) return n;
  const text = nonEmpty(a.text?.[key]);
  return text !== undefined && NUMBER.test(text.trim()) ? Number(text.trim()) : text;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function sbsValue(parent: QsfQuestion, col: ExportColumn, a: QuestionAnswer): ResponseValue | undefined {
  const n = col.sbsColumn!;
  const sub = parent.additionalQuestions[n - 1];
  const row = col.choice;
  if (!sub || row === undefined) return undefined;
  if (col.text) return nonEmpty(a.text?.[`${n}/${row}/${col.answer ?? ''}`]);
  const picked = a.matrix?.[`${n}/${row}`] ?? [];
  if (col.answer === undefined) return picked.length === 0 ? undefined : recodeOf(sub, picked[0]);
  if (!picked.includes(col.answer)) return undefined;
  return sub.answerOrder.filter((id) => sub.answers.has(id)).length === 1 ? recodeOf(sub, col.answer) : 1;
}

/** Slider, rank order, constant sum and other per-item questions. */
function itemValue(col: ExportColumn, a: QuestionAnswer): ResponseValue | undefined {
  const key = col.choice ?? '';
  const n = a.numeric?.[key];
  if (n !== undefined) return n;
  return nonEmpty(a.text?.[key]);
}

function emptyCell(
  col: ExportColumn,
  q: QsfQuestion | undefined,
  answer: QuestionAnswer | undefined,
  displayed: Set<string>,
  recode: string | undefined,
): ResponseValue {
  if (recode === undefined || recode === '' || col.text || !q || !displayed.has(q.questionId)) return '';
  // Unselected choices of an answered multi-answer question are plain blanks, not "unanswered".
  if (col.answer !== undefined || (q.questionType === 'MC' && col.choice !== undefined)) {
    if (unitAnswered(q, col, answer)) return '';
  }
  return typed(recode);
}

/** Whether the question (MC) or the row (matrix, SBS column) the cell belongs to has any answer. */
function unitAnswered(q: QsfQuestion, col: ExportColumn, a: QuestionAnswer | undefined): boolean {
  if (!a) return false;
  if (q.questionType === 'MC') return (a.selected ?? []).length > 0;
  if (col.sbsColumn === undefined && col.choice !== undefined && hasMatrixCells(q)) {
    const row = col.choice;
    return q.answerOrder.some((ans) => q.answers.has(ans) && matrixCell(q, row, ans, a) !== undefined);
  }
  const key = col.sbsColumn === undefined ? col.choice ?? '' : `${col.sbsColumn}/${col.choice ?? ''}`;
  return (a.matrix?.[key] ?? []).length > 0;
}

function recodeOf(q: QsfQuestion, id: string): ResponseValue {
  return typed(q.recodeValues.get(id) ?? id);
}

/** Recodes are JSON numbers when numeric (§3.2); anything else stays a string. */
function typed(value: string): ResponseValue {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

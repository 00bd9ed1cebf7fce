/**
 * Which summary each question gets and which stored cells feed it. The cells come from the export
 * column model (exportColumns + columnKey), the same keys StoredResponse.values uses, so the report
 * never re-derives column names.
 */
import { columnKey } from '../export/legacy-columns.ts';
import { exportColumns, type ExportColumn } from '../survey/export-columns.ts';
import type { QsfQuestion, QsfSurvey } from '../survey/qsf.ts';
import type { NumericKind } from './types.ts';

export interface Cell {
  col: ExportColumn;
  /** Key in StoredResponse.values. */
  key: string;
}

export type Family =
  | { family: 'choice' }
  | { family: 'matrix' }
  | { family: 'numeric'; kind: NumericKind }
  | { family: 'text'; withheld: boolean }
  | { family: 'side-by-side' }
  | { family: 'none' };

export interface QuestionPlan {
  q: QsfQuestion;
  cells: Cell[];
  how: Family;
}

export interface PlanOptions {
  /** Text-entry questions that take numbers (see numericTextQuestions). */
  numericText?: ReadonlySet<string>;
}

/** Question plans in survey-flow order; descriptive text (no columns) is left out. */
export function planQuestions(survey: QsfSurvey, options: PlanOptions = {}): QuestionPlan[] {
  const byQid = new Map<string, Cell[]>();
  for (const col of exportColumns(survey)) {
    if (col.kind !== 'question' || col.qid === undefined) continue;
    let cells = byQid.get(col.qid);
    if (!cells) byQid.set(col.qid, (cells = []));
    cells.push({ col, key: columnKey(col, survey) });
  }
  const plans: QuestionPlan[] = [];
  for (const [qid, cells] of byQid) {
    const q = survey.questions.get(qid);
    if (q) plans.push({ q, cells, how: familyOf(q, options) });
  }
  return plans;
}

function familyOf(q: QsfQuestion, options: PlanOptions): Family {
  switch (q.questionType) {
    case 'MC':
      return { family: 'choice' };
    case 'Matrix':
      if (q.selector === 'TE' || q.subSelector === 'TE') return { family: 'text', withheld: false };
      if (q.selector === 'CS') return { family: 'numeric', kind: 'matrix' };
      return { family: 'matrix' };
    case 'TE':
      if (q.selector === 'PW') return { family: 'text', withheld: true };
      if (q.selector !== 'FORM' && options.numericText?.has(q.questionId)) return { family: 'numeric', kind: 'number' };
      return { family: 'text', withheld: false };
    case 'Slider':
      return { family: 'numeric', kind: 'slider' };
    case 'CS':
      return { family: 'numeric', kind: 'constant-sum' };
    case 'RO':
      return { family: 'numeric', kind: 'rank' };
    case 'SBS':
      return { family: 'side-by-side' };
    default:
      return { family: 'none' };
  }
}

/** Ids in display order: the definition's order, then any the order leaves out. */
export function ordered(order: readonly string[], items: Map<string, unknown>): string[] {
  const out = order.filter((id, i) => items.has(id) && order.indexOf(id) === i);
  for (const id of items.keys()) if (!out.includes(id)) out.push(id);
  return out;
}

/**
 * Stored recodes are JSON numbers when numeric ("01" is stored as 1), so recodes are compared in
 * this normal form.
 */
export function recodeKey(v: string | number): string {
  if (typeof v === 'number') return String(v);
  return /^-?\d+(\.\d+)?$/.test(v) ? String(Number(v)) : v;
}

/** Recode → the first id (in display order) carrying it. */
export function recodeIndex(ids: readonly string[], recodes: Map<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  ids.forEach((id, i) => {
    const key = recodeKey(recodes.get(id) ?? id);
    if (!out.has(key)) out.set(key, i);
  });
  return out;
}

/** The row's label, and for a cell of a text or constant-sum matrix the row and the column: "Work – Weekdays". */
export function cellLabel(q: QsfQuestion, col: { choice?: string; answer?: string }): string {
  if (col.choice === undefined) return '';
  const row = q.choices.get(col.choice)?.display ?? col.choice;
  return col.answer === undefined ? row : `${row} – ${q.answers.get(col.answer)?.display ?? col.answer}`;
}

/** An item's id: the row, or `row/column` for a matrix cell. */
export function cellId(col: { choice?: string; answer?: string }): string {
  return col.answer === undefined ? col.choice ?? '' : `${col.choice ?? ''}/${col.answer}`;
}

/**
 * Matrix tables (Likert, bipolar, dropdown rows) and the matrix columns of side-by-side questions:
 * per row, how many respondents chose each scale point. Single-answer rows store the scale point's
 * recode under the row's key; multiple-answer rows store a mark under one key per scale point
 * (response-values.ts).
 */
import type { StoredResponse } from '../export/legacy-export.ts';
import type { QsfQuestion } from '../survey/qsf.ts';
import { cell, header, percent, type QuestionAggregator } from './cells.ts';
import { ordered, recodeIndex, recodeKey, type Cell, type QuestionPlan } from './plan.ts';
import type { Labelled, MatrixReport, MatrixSummary } from './types.ts';

/** A matrix's shape: `scale` holds the scale points and recodes; `rowLabel` names a row (side-by-side columns fall back to the parent's rows). */
export interface MatrixShape {
  scale: QsfQuestion;
  rowLabel: (id: string) => string;
  cells: Cell[];
}

export interface MatrixCounter {
  /** Counts one response; true when it answered any row. */
  add(r: StoredResponse): boolean;
  result(): MatrixSummary;
}

export function matrixCounter(shape: MatrixShape): MatrixCounter {
  const { scale } = shape;
  const pointIds = ordered(scale.answerOrder, scale.answers);
  const points: Labelled[] = pointIds.map((id) => ({ id, label: scale.answers.get(id)?.display ?? id }));
  const byRecode = recodeIndex(pointIds, scale.recodeValues);
  const choiceCells = shape.cells.filter((c) => !c.col.text && c.col.choice !== undefined);
  const multi = choiceCells.some((c) => c.col.answer !== undefined);
  const rowIds: string[] = [];
  for (const c of choiceCells) if (!rowIds.includes(c.col.choice as string)) rowIds.push(c.col.choice as string);
  const rowCells = rowIds.map((row) =>
    choiceCells.filter((c) => c.col.choice === row).map((c) => ({ key: c.key, point: c.col.answer === undefined ? -1 : pointIds.indexOf(c.col.answer) })),
  );

  const counts = rowIds.map(() => points.map(() => 0));
  const answered = rowIds.map(() => 0);
  let unrecognised = 0;

  const addRow = (r: StoredResponse, row: number): boolean => {
    let any = false;
    for (const c of rowCells[row]) {
      const v = cell(r.values, c.key);
      if (v === undefined) continue;
      any = true;
      const point = c.point >= 0 ? c.point : byRecode.get(recodeKey(v));
      if (point === undefined) unrecognised++;
      else counts[row][point]++;
    }
    if (any) answered[row]++;
    return any;
  };

  return {
    add(r) {
      let any = false;
      for (let row = 0; row < rowIds.length; row++) any = addRow(r, row) || any;
      return any;
    },
    result() {
      return {
        multi,
        points,
        unrecognised,
        rows: rowIds.map((id, i) => ({
          id,
          label: shape.rowLabel(id),
          answered: answered[i],
          counts: [...counts[i]],
          percents: counts[i].map((n) => percent(n, answered[i])),
        })),
      };
    },
  };
}

export function matrixAggregator(plan: QuestionPlan): QuestionAggregator {
  const { q } = plan;
  const counter = matrixCounter({ scale: q, rowLabel: (id) => q.choices.get(id)?.display ?? id, cells: plan.cells });
  let displayed = 0;
  let answered = 0;
  return {
    add(r) {
      displayed++;
      if (counter.add(r)) answered++;
    },
    result(): MatrixReport {
      return { ...header(q), family: 'matrix', displayed, answered, ...counter.result() };
    },
  };
}

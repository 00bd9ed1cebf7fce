/**
 * Numbers: sliders, constant sum, rank order (the rank each item got), numeric text entry and
 * constant-sum matrices. One item per stored column; each keeps running statistics only.
 */
import { cell, header, type QuestionAggregator } from './cells.ts';
import { NumericAccumulator, numericValue } from './numeric-stats.ts';
import type { NumericKind, NumericReport } from './types.ts';
import { cellId, cellLabel, type QuestionPlan } from './plan.ts';

export interface NumericLimits {
  medianDistinct?: number;
}

export function numericAggregator(plan: QuestionPlan, kind: NumericKind, limits: NumericLimits = {}): QuestionAggregator {
  const { q } = plan;
  const items = plan.cells
    .filter((c) => !c.col.text || kind === 'number')
    .map((c) => ({
      id: cellId(c.col),
      label: cellLabel(q, c.col),
      key: c.key,
      acc: new NumericAccumulator(limits.medianDistinct),
      notNumeric: 0,
    }));
  let displayed = 0;
  let answered = 0;
  return {
    add(r) {
      displayed++;
      let any = false;
      for (const item of items) {
        const v = cell(r.values, item.key);
        if (v === undefined) continue;
        any = true;
        const n = numericValue(v);
        if (n === undefined) item.notNumeric++;
        else item.acc.add(n);
      }
      if (any) answered++;
    },
    result(): NumericReport {
      return {
        ...header(q),
        family: 'numeric',
        kind,
        displayed,
        answered,
        items: items.map((i) => ({ id: i.id, label: i.label, stats: i.acc.result(), notNumeric: i.notNumeric })),
      };
    },
  };
}

/**
 * Side-by-side questions: each column is a nested question over the parent's rows, summarised like a
 * matrix (scale points) or, for text-entry columns, like free text.
 */
import { header, type QuestionAggregator } from './cells.ts';
import { matrixCounter, type MatrixCounter } from './matrix.ts';
import type { QuestionPlan } from './plan.ts';
import { textCounter, type TextCounter, type TextLimits } from './text.ts';
import type { SideBySideColumn, SideBySideReport } from './types.ts';

interface ColumnCounter {
  n: number;
  label: string;
  answered: number;
  counter: { kind: 'matrix'; c: MatrixCounter } | { kind: 'text'; c: TextCounter };
}

export function sideBySideAggregator(plan: QuestionPlan, limits: TextLimits = {}): QuestionAggregator {
  const { q } = plan;
  const columns: ColumnCounter[] = [];
  q.additionalQuestions.forEach((sub, i) => {
    const n = i + 1;
    const cells = plan.cells.filter((c) => c.col.sbsColumn === n);
    if (cells.length === 0) return;
    const rowLabel = (id: string): string => sub.choices.get(id)?.display ?? q.choices.get(id)?.display ?? id;
    const label = sub.questionText;
    if (sub.selector === 'TE') {
      const specs = cells.map((c) => ({
        id: `${c.col.choice ?? ''}/${c.col.answer ?? ''}`,
        label: `${rowLabel(c.col.choice ?? '')} – ${sub.answers.get(c.col.answer ?? '')?.display ?? c.col.answer ?? ''}`,
        key: c.key,
      }));
      columns.push({ n, label, answered: 0, counter: { kind: 'text', c: textCounter(specs, false, limits) } });
    } else {
      columns.push({ n, label, answered: 0, counter: { kind: 'matrix', c: matrixCounter({ scale: sub, rowLabel, cells }) } });
    }
  });
  let displayed = 0;
  let answered = 0;
  return {
    add(r) {
      displayed++;
      let any = false;
      for (const col of columns) {
        if (!col.counter.c.add(r)) continue;
        col.answered++;
        any = true;
      }
      if (any) answered++;
    },
    result(): SideBySideReport {
      return {
        ...header(q),
        family: 'side-by-side',
        displayed,
        answered,
        columns: columns.map((col): SideBySideColumn => {
          const base = { n: col.n, label: col.label, answered: col.answered };
          return col.counter.kind === 'matrix' ? { kind: 'matrix', ...base, ...col.counter.c.result() } : { kind: 'text', ...base, ...col.counter.c.result() };
        }),
      };
    },
  };
}

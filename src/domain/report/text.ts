/**
 * Free text: text entry (single line, essay, form fields), text-entry matrices and the text columns
 * of side-by-side questions. One item per stored column, each with its answer count, the frequent
 * words (words.ts) and the latest answers (latest.ts); nothing else of the text is kept. Password
 * fields are only counted.
 */
import type { StoredResponse } from '../export/legacy-export.ts';
import { cell, header, type QuestionAggregator } from './cells.ts';
import { LatestAnswers } from './latest.ts';
import { cellId, cellLabel, type Cell, type QuestionPlan } from './plan.ts';
import type { TextReport, TextSummary } from './types.ts';
import { WordCounter } from './words.ts';

export const TOP_WORDS = 20;

export interface TextLimits {
  words?: number;
}

export interface TextItemSpec {
  id: string;
  label: string;
  key: string;
}

export interface TextCounter {
  add(r: StoredResponse): boolean;
  result(): TextSummary;
}

export function textCounter(specs: TextItemSpec[], withheld: boolean, limits: TextLimits = {}): TextCounter {
  const items = specs.map((s) => ({ ...s, count: 0, words: new WordCounter(limits.words), latest: new LatestAnswers() }));
  return {
    add(r) {
      let any = false;
      for (const item of items) {
        const v = cell(r.values, item.key);
        if (v === undefined) continue;
        const text = String(v);
        if (text.trim() === '') continue;
        any = true;
        item.count++;
        if (withheld) continue;
        item.words.addText(text);
        item.latest.add(text, r.endDate, r.responseId);
      }
      return any;
    },
    result() {
      return {
        withheld,
        items: items.map((i) => ({
          id: i.id,
          label: i.label,
          count: i.count,
          words: i.words.top(TOP_WORDS),
          wordsApproximate: i.words.approximate,
          latest: i.latest.result(),
        })),
      };
    },
  };
}

/** The text cells of a text question, labelled by form field or matrix row. */
export function textItems(plan: QuestionPlan): TextItemSpec[] {
  const { q } = plan;
  // A text-entry matrix row's own "other" box (`…_TEXT`) is not one of its answers.
  const cells: Cell[] = q.questionType === 'Matrix' ? plan.cells.filter((c) => !(c.col.text && c.key.endsWith('_TEXT'))) : plan.cells;
  return cells.map((c) => ({
    id: cellId(c.col),
    label: cellLabel(q, c.col),
    key: c.key,
  }));
}

export function textAggregator(plan: QuestionPlan, withheld: boolean, limits: TextLimits = {}): QuestionAggregator {
  const counter = textCounter(textItems(plan), withheld, limits);
  let displayed = 0;
  let answered = 0;
  return {
    add(r) {
      displayed++;
      if (counter.add(r)) answered++;
    },
    result(): TextReport {
      return { ...header(plan.q), family: 'text', displayed, answered, ...counter.result() };
    },
  };
}

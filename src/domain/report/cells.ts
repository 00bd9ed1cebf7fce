/** Reading stored cells and the pieces every question summary shares. */
import type { StoredResponse } from '../export/legacy-export.ts';
import type { QsfQuestion } from '../survey/qsf.ts';
import type { QuestionHeader, QuestionReport } from './types.ts';

export type Values = StoredResponse['values'];

/**
 * A stored cell, or undefined when it is empty (stored values never hold UnansweredRecode). Only
 * strings and numbers are cells, which also keeps inherited members (a question id "constructor")
 * out without the cost of an own-property check on every cell.
 */
export function cell(values: Values, key: string): string | number | undefined {
  const v: unknown = values[key];
  if (typeof v === 'number') return v;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** One question's running summary. `add` is called only for responses the question was shown to. */
export interface QuestionAggregator {
  add(r: StoredResponse): void;
  result(): QuestionReport;
}

export function header(q: QsfQuestion): QuestionHeader {
  return { qid: q.questionId, tag: q.dataExportTag, text: q.questionText, type: q.questionType, selector: q.selector };
}

/** count / of as a percentage; 0 when nobody is in the denominator. */
export function percent(count: number, of: number): number {
  return of === 0 ? 0 : (count / of) * 100;
}

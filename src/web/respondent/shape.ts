/**
 * What one question on a page can be answered with, in the engine's QuestionAnswer terms: which choice
 * ids may be selected, which text / matrix / numeric keys exist and which values each may take. The
 * renderers draw exactly these controls and readPageForm reads exactly these fields, so what a page
 * offers and what a post may change cannot drift apart. Keys follow domain/survey/response-values.ts.
 */
import type { QsfQuestion } from '../../domain/survey/qsf.ts';
import type { PageQuestionView } from './view.ts';

export interface SelectSpec {
  options: string[];
  multi: boolean;
}

export interface MatrixSpec {
  key: string;
  options: string[];
  multi: boolean;
}

export interface NumericSpec {
  key: string;
  /** 'rank' values are whole numbers 1..max; anything else posted for them is dropped. */
  kind: 'number' | 'rank';
  max: number;
}

export interface AnswerShape {
  selected?: SelectSpec;
  text: string[];
  matrix: MatrixSpec[];
  numeric: NumericSpec[];
  /** A Timing question: the page's click figures come back for it. */
  timing: boolean;
}

const SINGLE_MC = new Set(['SAVR', 'SAHR', 'SACOL', 'DL', 'SB', 'NPS']);

export function isMultiMc(q: QsfQuestion): boolean {
  return !SINGLE_MC.has(q.selector);
}

/** `__proto__` as a key of a plain answer object would reach its prototype: such an id is never offered. */
const usable = (id: string): boolean => id !== '__proto__';

/** The displayed ids that exist in the question (the engine's order may name removed ones). */
export function shownChoices(v: PageQuestionView): string[] {
  return v.choiceOrder.filter((id) => v.question.choices.has(id) && usable(id));
}

export function shownAnswers(v: PageQuestionView): string[] {
  return v.answerOrder.filter((id) => v.question.answers.has(id) && usable(id));
}

/** A side-by-side column's scale points, in its own order. */
export function columnAnswers(col: QsfQuestion): string[] {
  return col.answerOrder.filter((id) => col.answers.has(id) && usable(id));
}

/** Matrix cells of text or number matrices: one per row when there is at most one column. */
export function cellKey(row: string, answer: string | undefined): string {
  return answer === undefined ? row : `${row}/${answer}`;
}

export function cellColumns(v: PageQuestionView): Array<string | undefined> {
  const answers = shownAnswers(v);
  return answers.length <= 1 ? [undefined] : answers;
}

/** Rows of a side-by-side question: the parent's displayed rows that some column or the parent knows. */
export function sbsRows(v: PageQuestionView): string[] {
  const q = v.question;
  return v.choiceOrder.filter((id) => usable(id) && (q.choices.has(id) || q.additionalQuestions.some((c) => c.choices.has(id))));
}

const EMPTY: AnswerShape = { text: [], matrix: [], numeric: [], timing: false };

export function answerShape(v: PageQuestionView): AnswerShape {
  const q = v.question;
  switch (q.questionType) {
    case 'MC': {
      const choices = shownChoices(v);
      return { ...EMPTY, selected: { options: choices, multi: isMultiMc(q) }, text: choices.filter((id) => q.choices.get(id)?.textEntry) };
    }
    case 'TE':
      return { ...EMPTY, text: q.selector === 'FORM' ? shownChoices(v) : [''] };
    case 'Matrix':
      return matrixShape(v);
    case 'Slider':
    case 'CS':
      return { ...EMPTY, numeric: shownChoices(v).map((key) => ({ key, kind: 'number', max: 0 })) };
    case 'RO': {
      const items = shownChoices(v);
      return { ...EMPTY, numeric: items.map((key) => ({ key, kind: 'rank', max: items.length })) };
    }
    case 'SBS':
      return sbsShape(v);
    case 'Timing':
      return { ...EMPTY, timing: true };
    default:
      return EMPTY;
  }
}

function matrixShape(v: PageQuestionView): AnswerShape {
  const q = v.question;
  const rows = shownChoices(v);
  if (q.selector === 'TE' || q.selector === 'CS') {
    const keys = rows.flatMap((row) => cellColumns(v).map((a) => cellKey(row, a)));
    return q.selector === 'TE' ? { ...EMPTY, text: keys } : { ...EMPTY, numeric: keys.map((key) => ({ key, kind: 'number', max: 0 })), text: rows.filter((r) => q.choices.get(r)?.textEntry) };
  }
  const options = shownAnswers(v);
  const multi = q.subSelector === 'MultipleAnswer';
  return {
    ...EMPTY,
    matrix: rows.map((key) => ({ key, options, multi })),
    text: rows.filter((r) => q.choices.get(r)?.textEntry),
  };
}

function sbsShape(v: PageQuestionView): AnswerShape {
  const rows = sbsRows(v);
  const text: string[] = [];
  const matrix: MatrixSpec[] = [];
  v.question.additionalQuestions.forEach((col, i) => {
    const n = i + 1;
    const answers = columnAnswers(col);
    for (const row of rows) {
      if (col.selector === 'TE') for (const a of answers) text.push(`${n}/${row}/${a}`);
      else matrix.push({ key: `${n}/${row}`, options: answers, multi: col.subSelector === 'MultipleAnswer' });
    }
  });
  return { ...EMPTY, text, matrix };
}

/**
 * Answers a respondent could give, written from the answer contract (docs/engine contract and
 * domain/survey/response-values.ts), not from the renderer's own shape code, so a renderer or reader
 * that drifts from the contract fails the round trip.
 */
import type { QsfQuestion } from '../../../src/domain/survey/qsf.ts';
import type { QuestionAnswer } from '../../../src/domain/survey/session-state.ts';
import type { PageQuestionView } from '../../../src/web/respondent/view.ts';

export const TRICKY_TEXT = 'Ünïcødé & <b>bold</b> "double" \'single\' `tick` ${e://Field/x} 😀';
export const TRICKY_LINES = '\nFirst line starts with a newline\n\n  indented & <escaped>\nlast';

const SINGLE_MC = new Set(['SAVR', 'SAHR', 'SACOL', 'DL', 'SB', 'NPS']);
const TEXT_BOXES = new Set(['ML', 'ESTB']);

function flag(payload: Record<string, unknown>, group: string, id: string, name: string): boolean {
  const entries = payload[group] as Record<string, Record<string, unknown>> | undefined;
  const v = entries?.[id]?.[name];
  return v === true || v === 'true' || v === 1 || v === '1';
}

function answersOf(q: QsfQuestion, order: string[]): string[] {
  return order.filter((a) => q.answers.has(a));
}

/**
 * The fullest answer: every choice, row and cell that can hold something does (multi-answer questions
 * select everything), so every export column of the question has a value.
 */
export function fullAnswer(v: PageQuestionView): QuestionAnswer | undefined {
  const q = v.question;
  const choices = v.choiceOrder.filter((c) => q.choices.has(c));
  const textChoices = choices.filter((c) => q.choices.get(c)?.textEntry);
  switch (q.questionType) {
    case 'MC': {
      if (SINGLE_MC.has(q.selector)) {
        const pick = textChoices[0] ?? choices[Math.min(1, choices.length - 1)];
        return pick === undefined ? {} : { selected: [pick], ...(q.choices.get(pick)?.textEntry ? { text: { [pick]: `${TRICKY_TEXT} (${pick})` } } : {}) };
      }
      const text = Object.fromEntries(textChoices.map((c) => [c, `other ${c}: ${TRICKY_TEXT}`]));
      return { selected: choices, ...(textChoices.length > 0 ? { text } : {}) };
    }
    case 'TE':
      if (q.selector === 'FORM') return { text: Object.fromEntries(choices.map((c) => [c, `${TRICKY_TEXT} field ${c}`])) };
      return { text: { '': TEXT_BOXES.has(q.selector) ? TRICKY_LINES : TRICKY_TEXT } };
    case 'Matrix':
      return matrixAnswer(v, choices);
    case 'Slider':
      return { numeric: Object.fromEntries(choices.map((c, i) => [c, i + 3])) };
    case 'CS':
      return { numeric: Object.fromEntries(choices.map((c, i) => [c, i === 0 ? 100 - (choices.length - 1) * 10 : 10])) };
    case 'RO':
      // Reverse order: the last shown item ranked first.
      return { numeric: Object.fromEntries(choices.map((c, i) => [c, choices.length - i])) };
    case 'SBS':
      return sbsAnswer(v);
    default:
      return undefined;
  }
}

function matrixAnswer(v: PageQuestionView, rows: string[]): QuestionAnswer {
  const q = v.question;
  const answers = answersOf(q, v.answerOrder);
  if (q.selector === 'TE' || q.selector === 'CS') {
    // Several columns: a cell per row and column ('row/answer'); one column: the row.
    const keys = rows.flatMap((r) => (answers.length > 1 ? answers.map((a) => `${r}/${a}`) : [r]));
    return q.selector === 'TE'
      ? { text: Object.fromEntries(keys.map((k) => [k, `cell ${k}`])) }
      : { numeric: Object.fromEntries(keys.map((k, i) => [k, i * 5 + 0.5])) };
  }
  const multi = q.subSelector === 'MultipleAnswer';
  const matrix = Object.fromEntries(rows.map((r, i) => [r, multi ? answers : answers.length === 0 ? [] : [answers[i % answers.length]]]).filter(([, a]) => a.length > 0));
  const textRows = rows.filter((r) => q.choices.get(r)?.textEntry);
  return { matrix, ...(textRows.length > 0 ? { text: Object.fromEntries(textRows.map((r) => [r, `row ${r}: ${TRICKY_TEXT}`])) } : {}) };
}

function sbsAnswer(v: PageQuestionView): QuestionAnswer {
  const q = v.question;
  const rows = v.choiceOrder.filter((r) => q.choices.has(r));
  const matrix: Record<string, string[]> = {};
  const text: Record<string, string> = {};
  q.additionalQuestions.forEach((col, i) => {
    const n = i + 1;
    const answers = answersOf(col, col.answerOrder);
    rows.forEach((r, k) => {
      if (col.selector === 'TE') for (const a of answers) text[`${n}/${r}/${a}`] = `col ${n} row ${r} ${a}\nsecond line`;
      else if (col.subSelector === 'MultipleAnswer') matrix[`${n}/${r}`] = answers;
      else if (answers.length > 0) matrix[`${n}/${r}`] = [answers[k % answers.length]];
    });
  });
  return { ...(Object.keys(matrix).length > 0 ? { matrix } : {}), ...(Object.keys(text).length > 0 ? { text } : {}) };
}

/** A smaller answer: one choice or one row / item, to check that unanswered parts stay unposted. */
export function partialAnswer(v: PageQuestionView): QuestionAnswer | undefined {
  const full = fullAnswer(v);
  if (!full) return undefined;
  const firstOf = <T>(r: Record<string, T> | undefined): Record<string, T> | undefined => {
    if (!r) return undefined;
    const k = Object.keys(r)[0];
    return k === undefined ? undefined : { [k]: r[k] };
  };
  const q = v.question;
  const out: QuestionAnswer = {};
  if (full.selected) {
    const exclusive = full.selected.find((c) => flag(v.payload, 'Choices', c, 'ExclusiveAnswer'));
    out.selected = exclusive ? [exclusive] : full.selected.slice(-1);
    if (q.choices.get(out.selected[0])?.textEntry && full.text) out.text = { [out.selected[0]]: full.text[out.selected[0]] };
  }
  if (!full.selected && full.text) out.text = firstOf(full.text);
  const m = firstOf(full.matrix);
  if (m) out.matrix = Object.fromEntries(Object.entries(m).map(([k, a]) => [k, a.slice(-1)]));
  if (full.numeric) out.numeric = q.questionType === 'RO' ? { [Object.keys(full.numeric)[0]]: 1 } : firstOf(full.numeric);
  return out;
}

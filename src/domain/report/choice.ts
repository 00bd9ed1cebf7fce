/**
 * Multiple choice (single and multiple answer, dropdowns, select boxes) and Net Promoter questions:
 * how many respondents picked each choice, as a share of those who answered and of those who saw it.
 * Single answer stores the choice's recode under the question's key; multiple answer stores 1 under
 * one key per choice (response-values.ts).
 */
import type { StoredResponse } from '../export/legacy-export.ts';
import { plainText } from '../survey/export-columns.ts';
import { cell, header, percent, type QuestionAggregator } from './cells.ts';
import { ordered, recodeIndex, recodeKey, type QuestionPlan } from './plan.ts';
import type { ChoiceReport, NpsSummary } from './types.ts';

export function choiceAggregator(plan: QuestionPlan): QuestionAggregator {
  const { q } = plan;
  const ids = ordered(q.choiceOrder, q.choices);
  const flagCells = plan.cells.filter((c) => c.col.choice !== undefined && !c.col.text);
  const multi = flagCells.length > 0;
  const perChoice = flagCells.map((c) => ({ key: c.key, index: ids.indexOf(c.col.choice as string) })).filter((c) => c.index >= 0);
  const mainKey = plan.cells.find((c) => c.col.choice === undefined && !c.col.text)?.key;
  const byRecode = recodeIndex(ids, q.recodeValues);
  const scores = q.selector === 'NPS' ? ids.map((id) => npsScore(q.choices.get(id)?.display ?? '', q.recodeValues.get(id) ?? id)) : undefined;

  const counts = ids.map(() => 0);
  let displayed = 0;
  let answered = 0;
  let unrecognised = 0;

  const addSingle = (r: StoredResponse): boolean => {
    const v = mainKey === undefined ? undefined : cell(r.values, mainKey);
    if (v === undefined) return false;
    const i = byRecode.get(recodeKey(v));
    if (i === undefined) unrecognised++;
    else counts[i]++;
    return true;
  };
  const addMulti = (r: StoredResponse): boolean => {
    let any = false;
    for (const c of perChoice) {
      if (cell(r.values, c.key) === undefined) continue;
      counts[c.index]++;
      any = true;
    }
    return any;
  };

  return {
    add(r) {
      displayed++;
      if (multi ? addMulti(r) : addSingle(r)) answered++;
    },
    result(): ChoiceReport {
      return {
        ...header(q),
        family: 'choice',
        multi,
        displayed,
        answered,
        unrecognised,
        choices: ids.map((id, i) => ({
          id,
          label: q.choices.get(id)?.display ?? id,
          count: counts[i],
          percentOfAnswered: percent(counts[i], answered),
          percentOfDisplayed: percent(counts[i], displayed),
        })),
        ...(scores ? { nps: nps(counts, scores) } : {}),
      };
    },
  };
}

/**
 * The 0–10 score a Net Promoter choice stands for: the number its label shows ("0", "10 – Extremely
 * likely"), else its recode. Choices are keyed 0–10 in some exports and 1–11 with recodes in others,
 * so the label, which the respondent saw, is the more reliable of the two.
 */
export function npsScore(display: string, recode: string): number | undefined {
  for (const text of [plainText(display).trim(), recode.trim()]) {
    const m = /^(\d{1,2})(?!\d|\.\d)/.exec(text);
    if (m && Number(m[1]) <= 10) return Number(m[1]);
  }
  return undefined;
}

function nps(counts: number[], scores: Array<number | undefined>): NpsSummary {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  counts.forEach((count, i) => {
    const s = scores[i];
    if (s === undefined) return;
    if (s >= 9) promoters += count;
    else if (s >= 7) passives += count;
    else detractors += count;
  });
  const scored = promoters + passives + detractors;
  return { promoters, passives, detractors, score: scored === 0 ? null : ((promoters - detractors) / scored) * 100 };
}

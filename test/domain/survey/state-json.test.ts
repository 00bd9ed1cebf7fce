import { describe, expect, it } from 'vitest';
import { stateJson, type SessionState, type ShownPage } from '../../../src/domain/survey/session-state.ts';

const page = (n: number, choices: string[] = ['1', '2']): ShownPage => ({
  cursor: { path: [0], page: n },
  pageId: `PG_0_${n}`,
  blockId: 'BL_1',
  questions: [{ qid: `QID${n + 1}`, choiceOrder: choices, answerOrder: [] }],
  displayedBefore: n,
});

function state(history: ShownPage[]): SessionState {
  return {
    version: 1, seed: 'FS_seed', startedAt: 1795881520156, embeddedData: { Source: 'mail "quoted"' },
    answers: { QID1: { selected: ['2'] }, QID2: { text: { '': 'line\nbreak é' } } },
    displayedQuestions: ['QID1', 'QID2'], displayedChoices: { QID1: ['1', '2'] }, displayedAnswers: { QID1: [] },
    randomizers: {}, blockLayouts: { 0: [['QID1'], ['QID2']] }, choiceOrders: {}, cursor: { path: [0], page: 1 },
    current: page(2), history, ended: null, presentationCounts: {}, warnings: [],
  };
}

describe('stateJson', () => {
  it('stores the same value JSON.stringify would, with or without a history', () => {
    for (const s of [state([]), state([page(0), page(1)])]) expect(JSON.parse(stateJson(s))).toEqual(JSON.parse(JSON.stringify(s)));
  });

  it('reuses a shown page’s text only for that very page object', () => {
    const first = page(0);
    expect(JSON.parse(stateJson(state([first]))).history[0].questions[0].choiceOrder).toEqual(['1', '2']);
    // A later state with another page object for the same position (as after going back and on).
    const again = page(0, ['2', '1']);
    const parsed = JSON.parse(stateJson(state([again, page(1)])));
    expect(parsed.history.map((p: ShownPage) => p.questions[0]?.choiceOrder)).toEqual([['2', '1'], ['1', '2']]);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures.ts';
import {
  nextPage, previousPage, readFlowSurvey, startSession, submitPage,
  type FlowSurvey, type NextPage, type QuestionAnswer, type SessionState,
} from '../../../src/domain/survey/flow.ts';


type Answerer = (survey: FlowSurvey, q: { qid: string; choiceOrder: string[]; answerOrder: string[] }) => QuestionAnswer | undefined;

/** The scripted respondent: first choice / first answer everywhere, "x" in every text box. */
const firstEverywhere: Answerer = (survey, q) => {
  const type = survey.questions.get(q.qid)?.type;
  const first = q.choiceOrder[0];
  if (type === 'MC') return first === undefined ? {} : { selected: [first], text: { [first]: 'x' } };
  if (type === 'Matrix' || type === 'SBS') {
    return { matrix: Object.fromEntries(q.choiceOrder.map((r) => [r, q.answerOrder.slice(0, 1)])) };
  }
  if (type === 'Slider' || type === 'CS') return { numeric: Object.fromEntries(q.choiceOrder.map((c) => [c, 1])) };
  if (type === 'TE') return { text: { '': 'x' } };
  return undefined;
};

interface Walk {
  pages: NextPage[];
  end: NextPage & { kind: 'end' };
  state: SessionState;
}

/**
 * Freezes a state all the way down. The engine copies states only one level deep and shares the
 * rest, which is safe only while it never changes a state it was given: in strict mode a write to a
 * frozen object throws, so every walk below proves that.
 */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

/** Takes the survey from start to end; every step also continues from a JSON copy of the state. */
function walk(survey: FlowSurvey, seed: string | number, answer: Answerer = firstEverywhere, embeddedData = {}): Walk {
  let state = deepFreeze(startSession(survey, { seed, embeddedData, now: 1_700_000_000_000 }));
  const pages: NextPage[] = [];
  for (let i = 0; i < 500; i++) {
    const next = nextPage(survey, state);
    deepFreeze(next.state);
    previousPage(state); // must not change the frozen state either
    const copy = nextPage(survey, JSON.parse(JSON.stringify(state)) as SessionState);
    expect(JSON.parse(JSON.stringify(copy))).toEqual(JSON.parse(JSON.stringify(next)));
    if (next.kind === 'end') return { pages, end: next, state: next.state };
    pages.push(next);
    const answers: Record<string, QuestionAnswer> = {};
    for (const q of next.questions) {
      const a = answer(survey, q);
      if (a) answers[q.qid] = a;
    }
    state = deepFreeze(submitPage(survey, next.state, answers));
  }
  throw new Error('walk did not end');
}

/** Question IDs shown walking on from `state`, answering nothing. */
function walk2(survey: FlowSurvey, state: SessionState): string[] {
  const out: string[] = [];
  for (let next = nextPage(survey, state); next.kind === 'page'; next = nextPage(survey, submitPage(survey, next.state, {}))) {
    out.push(...next.questions.map((q) => q.qid));
  }
  return out;
}

const qids = (p: NextPage): string[] => (p.kind === 'page' ? p.questions.map((q) => q.qid) : []);

describe('fixture surveys', () => {
  for (const name of readdirSync(FIXTURES).sort()) {
    it(`${name}: a scripted respondent walks from start to end`, () => {
      const doc: unknown = JSON.parse(readFileSync(`${FIXTURES}${name}/survey.qsf`, 'utf8'));
      const survey = readFlowSurvey(doc);
      const w = walk(survey, name);
      const flowBlocks = new Set(survey.flow.map((n) => n.blockId));
      const shown = w.pages.flatMap(qids);
      expect(shown.length).toBeGreaterThan(0);
      for (const p of w.pages) {
        if (p.kind !== 'page') continue;
        expect(flowBlocks.has(p.blockId)).toBe(true);
        const inBlock = new Set(survey.blocks.get(p.blockId)?.pages.flat());
        for (const q of p.questions) {
          expect(survey.questions.has(q.qid)).toBe(true);
          expect(inBlock.has(q.qid)).toBe(true);
        }
      }
      expect(new Set(shown).size).toBe(shown.length);
      expect(w.state.displayedQuestions).toEqual(shown);
      expect(w.end.endSurvey).toEqual({});
    });
  }

  it('many-different-question-types: display logic hides questions whose condition fails', () => {
    const doc: unknown = JSON.parse(readFileSync(`${FIXTURES}many-different-question-types/survey.qsf`, 'utf8'));
    const survey = readFlowSurvey(doc);
    const shown = walk(survey, 1).pages.flatMap(qids);
    // QID36 is shown only when QID1 choice 1 is selected; QID41 only when choice 2 is.
    expect(shown).toContain('QID1');
    expect(shown).toContain('QID36');
    expect(shown).not.toContain('QID41');
  });
});

// --- hand-built surveys --------------------------------------------------------------------

type Obj = Record<string, unknown>;

function mc(qid: string, choices: string[], extra: Obj = {}): Obj {
  return {
    QuestionID: qid, DataExportTag: qid, QuestionType: 'MC', Selector: 'SAVR', SubSelector: 'TX', QuestionText: qid,
    Choices: Object.fromEntries(choices.map((c) => [c, { Display: `choice ${c}` }])), ChoiceOrder: choices, ...extra,
  };
}

function selected(qid: string, choice: string, operator = 'Selected'): Obj {
  return {
    '0': { '0': { LogicType: 'Question', Operator: operator, LeftOperand: `q://${qid}/SelectableChoice/${choice}`, Type: 'Expression' }, Type: 'If' },
    Type: 'BooleanExpression',
  };
}

function qsf(blocks: Record<string, (string | '|')[]>, flow: Obj[], questions: Obj[], extra: Obj[] = []): FlowSurvey {
  const bl = Object.entries(blocks).map(([id, els]) => ({
    Type: 'Standard', ID: id, Description: id,
    BlockElements: els.map((e) => (e === '|' ? { Type: 'Page Break' } : { Type: 'Question', QuestionID: e })),
  }));
  return readFlowSurvey({
    SurveyEntry: { SurveyID: 'SV_test', SurveyName: 'test' },
    SurveyElements: [
      { Element: 'BL', Payload: bl },
      { Element: 'FL', Payload: { Type: 'Root', FlowID: 'FL_1', Flow: flow } },
      ...questions.map((p) => ({ Element: 'SQ', PrimaryAttribute: p.QuestionID, Payload: p })),
      ...extra,
    ],
  });
}

const block = (id: string): Obj => ({ Type: 'Block', ID: id, FlowID: `FL_${id}` });
const pick = (choice: string): Answerer => (_s, q) => ({ selected: q.choiceOrder.includes(choice) ? [choice] : [q.choiceOrder[0]] });

describe('branches', () => {
  const survey = qsf(
    { A: ['Q1'], B: ['Q2'], C: ['Q3'] },
    [block('A'), { Type: 'Branch', FlowID: 'FL_9', BranchLogic: selected('Q1', '1'), Flow: [block('B')] }, block('C')],
    [mc('Q1', ['1', '2']), mc('Q2', ['1']), mc('Q3', ['1'])],
  );

  it('runs the branch children when the condition holds', () => {
    expect(walk(survey, 1, pick('1')).pages.map(qids)).toEqual([['Q1'], ['Q2'], ['Q3']]);
  });

  it('passes over them when it does not', () => {
    expect(walk(survey, 1, pick('2')).pages.map(qids)).toEqual([['Q1'], ['Q3']]);
  });

  it('branches on embedded data from the start options and static EmbeddedData elements', () => {
    const onField = (field: string, value: string): Obj => ({
      '0': { '0': { LogicType: 'EmbeddedField', LeftOperand: field, Operator: 'EqualTo', RightOperand: value, Type: 'Expression' }, Type: 'If' },
      Type: 'BooleanExpression',
    });
    const s = qsf(
      { A: ['Q1'], B: ['Q2'] },
      [
        { Type: 'EmbeddedData', FlowID: 'FL_3', EmbeddedData: [{ Field: 'group', Type: 'Custom', Value: 'b' }, { Field: 'source', Type: 'Recipient' }] },
        { Type: 'Branch', FlowID: 'FL_4', BranchLogic: onField('source', 'panel'), Flow: [block('A')] },
        { Type: 'Branch', FlowID: 'FL_5', BranchLogic: onField('group', 'b'), Flow: [block('B')] },
      ],
      [mc('Q1', ['1']), mc('Q2', ['1'])],
    );
    expect(walk(s, 1, pick('1'), { source: 'panel' }).pages.map(qids)).toEqual([['Q1'], ['Q2']]);
    const anon = walk(s, 1, pick('1'));
    expect(anon.pages.map(qids)).toEqual([['Q2']]);
    expect(anon.state.embeddedData).toEqual({ group: 'b', source: '' });
  });

  it('ends at an EndSurvey element with its redirect, never reaching what follows', () => {
    const s = qsf(
      { A: ['Q1'], B: ['Q2'] },
      [block('A'), { Type: 'EndSurvey', FlowID: 'FL_7', Options: { Advanced: 'true', SurveyTermination: 'Redirect', EOSRedirectURL: 'https://example.org/done' } }, block('B')],
      [mc('Q1', ['1']), mc('Q2', ['1'])],
    );
    const w = walk(s, 1);
    expect(w.pages.map(qids)).toEqual([['Q1']]);
    expect(w.end.endSurvey).toEqual({ redirectUrl: 'https://example.org/done' });
  });

  it('uses the survey options ending when the flow runs out', () => {
    const s = qsf({ A: ['Q1'] }, [block('A')], [mc('Q1', ['1'])], [
      { Element: 'SO', Payload: { SurveyTermination: 'DisplayMessage', EOSMessage: 'MS_1', EOSMessageLibrary: 'UR_1' } },
    ]);
    expect(walk(s, 1).end.endSurvey).toEqual({ message: 'MS_1', messageLibrary: 'UR_1' });
  });
});

describe('pages, display logic and skip logic', () => {
  it('splits blocks at page breaks and hides questions and choices by display logic', () => {
    const s = qsf(
      { A: ['Q1', '|', 'Q2', 'Q3', '|', 'Q4'] },
      [block('A')],
      [
        mc('Q1', ['1', '2']),
        mc('Q2', ['1'], { DisplayLogic: selected('Q1', '2') }),
        mc('Q3', ['1', '2', '3'], { Choices: { 1: { Display: 'a' }, 2: { Display: 'b', DisplayLogic: selected('Q1', '1') }, 3: { Display: 'c' } } }),
        mc('Q4', ['1'], { DisplayLogic: selected('Q2', '1', 'NotSelected') }),
      ],
    );
    const one = walk(s, 1, pick('1'));
    expect(one.pages.map(qids)).toEqual([['Q1'], ['Q3'], ['Q4']]);
    expect(one.pages[1].kind === 'page' && one.pages[1].questions[0].choiceOrder).toEqual(['1', '2', '3']);
    const two = walk(s, 1, pick('2'));
    expect(two.pages.map(qids)).toEqual([['Q1'], ['Q2', 'Q3']]);
    expect(two.pages[1].kind === 'page' && two.pages[1].questions[1].choiceOrder).toEqual(['1', '3']);
  });

  it('skips a page whose questions are all hidden', () => {
    const s = qsf({ A: ['Q1', '|', 'Q2', '|', 'Q3'] }, [block('A')], [
      mc('Q1', ['1', '2']), mc('Q2', ['1'], { DisplayLogic: selected('Q1', '2') }), mc('Q3', ['1']),
    ]);
    expect(walk(s, 1, pick('1')).pages.map(qids)).toEqual([['Q1'], ['Q3']]);
  });

  const skip = (dest: string): Obj => ({ SkipLogic: [{ ChoiceLocator: 'q://Q1/SelectableChoice/1', Condition: 'Selected', SkipToDestination: dest, QuestionID: 'Q1' }] });
  const skipSurvey = (dest: string): FlowSurvey => qsf(
    { A: ['Q1', '|', 'Q2', '|', 'Q3', 'Q4', '|', 'Q5'], B: ['Q6'] },
    [block('A'), block('B')],
    [mc('Q1', ['1', '2'], skip(dest)), ...['Q2', 'Q3', 'Q4', 'Q5', 'Q6'].map((q) => mc(q, ['1']))],
  );

  it('skips to the end of the block', () => {
    expect(walk(skipSurvey('ENDOFBLOCK'), 1, pick('1')).pages.map(qids)).toEqual([['Q1'], ['Q6']]);
    expect(walk(skipSurvey('ENDOFBLOCK'), 1, pick('2')).pages.map(qids)).toEqual([['Q1'], ['Q2'], ['Q3', 'Q4'], ['Q5'], ['Q6']]);
  });

  it('skips to the end of the survey', () => {
    const w = walk(skipSurvey('ENDOFSURVEY'), 1, pick('1'));
    expect(w.pages.map(qids)).toEqual([['Q1']]);
    expect(w.end.kind).toBe('end');
  });

  it('skips to a later question, starting its page from that question', () => {
    expect(walk(skipSurvey('Q4'), 1, pick('1')).pages.map(qids)).toEqual([['Q1'], ['Q4'], ['Q5'], ['Q6']]);
  });
});

describe('randomization', () => {
  const randomizer = (subSet: unknown, even = true): FlowSurvey => qsf(
    { A: ['Q1'], B: ['Q2'], C: ['Q3'] },
    [{ Type: 'BlockRandomizer', FlowID: 'FL_2', SubSet: subSet, EvenPresentation: even, Flow: [block('A'), block('B'), block('C')] }],
    [mc('Q1', ['1']), mc('Q2', ['1']), mc('Q3', ['1'])],
  );

  it('the same seed gives the same choice; different seeds give different ones', () => {
    const s = randomizer(2);
    const order = (seed: number): string => walk(s, seed).pages.map(qids).flat().join(',');
    expect(order(42)).toBe(order(42));
    expect(walk(s, 42).pages).toHaveLength(2);
    const seen = new Set(Array.from({ length: 40 }, (_, i) => order(i)));
    expect(seen.size).toBeGreaterThan(3);
  });

  it('presents each block about equally often over many seeds', () => {
    const s = randomizer('1');
    const counts: Record<string, number> = {};
    const n = 3000;
    for (let seed = 0; seed < n; seed++) {
      const first = qids(walk(s, `seed-${seed}`).pages[0])[0];
      counts[first] = (counts[first] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['Q1', 'Q2', 'Q3']);
    for (const c of Object.values(counts)) expect(Math.abs(c - n / 3)).toBeLessThan(n * 0.05);
  });

  it('EvenPresentation with presentation counts picks the least presented blocks', () => {
    const s = randomizer(2);
    for (let seed = 0; seed < 20; seed++) {
      const state = startSession(s, { seed, now: 0, presentationCounts: { FL_A: 10, FL_B: 3, C: 4 } });
      expect(walk2(s, state).sort()).toEqual(['Q2', 'Q3']);
    }
    const uneven = randomizer(1, false);
    const firsts = new Set(Array.from({ length: 20 }, (_, seed) =>
      walk2(uneven, startSession(uneven, { seed, now: 0, presentationCounts: { FL_A: 10, FL_B: 3, FL_C: 4 } }))[0]));
    expect(firsts.size).toBeGreaterThan(1);
  });

  it('a SubSet beyond the children, or none, presents them all', () => {
    expect(walk(randomizer('999999999'), 3).pages).toHaveLength(3);
    expect(walk(randomizer(undefined), 3).pages).toHaveLength(3);
  });

  it('shuffles choices where the question asks, records the order, and keeps it on refresh', () => {
    const choices = ['1', '2', '3', '4', '5', '6'];
    const s = qsf({ A: ['Q1', 'Q2'] }, [block('A')], [
      mc('Q1', choices, { Randomization: { Type: 'All', Advanced: null } }),
      mc('Q2', choices, { Randomization: { Type: 'RandomSubset', TotalRandSubset: '2' } }),
    ]);
    const first = (seed: number): NextPage => nextPage(s, startSession(s, { seed, now: 0 }));
    const p = first(7);
    if (p.kind !== 'page') throw new Error('expected a page');
    expect([...p.questions[0].choiceOrder].sort()).toEqual(choices);
    expect(p.questions[1].choiceOrder).toHaveLength(2);
    expect(p.state.choiceOrders.Q1.choices).toEqual(p.questions[0].choiceOrder);
    expect(nextPage(s, p.state)).toEqual(p);
    expect(first(7)).toEqual(p);
    const orders = new Set(Array.from({ length: 20 }, (_, i) => {
      const r = first(i);
      return r.kind === 'page' ? r.questions[0].choiceOrder.join() : '';
    }));
    expect(orders.size).toBeGreaterThan(10);
  });

  it('keeps unrandomized questions in QSF order', () => {
    const s = qsf({ A: ['Q1'] }, [block('A')], [mc('Q1', ['3', '1', '2'])]);
    const p = nextPage(s, startSession(s, { seed: 1, now: 0 }));
    expect(p.kind === 'page' && p.questions[0].choiceOrder).toEqual(['3', '1', '2']);
  });

  it('presents a random subset of a block\'s questions when the block asks', () => {
    const s = readFlowSurvey({
      SurveyElements: [
        { Element: 'BL', Payload: [{ Type: 'Standard', ID: 'A', BlockElements: ['Q1', 'Q2', 'Q3', 'Q4'].map((q) => ({ Type: 'Question', QuestionID: q })),
          Options: { RandomizeQuestions: 'RandomWithOnlyX', Randomization: { TotalRandSubset: 2, QuestionsPerPage: 1 } } }] },
        { Element: 'FL', Payload: { Type: 'Root', Flow: [block('A')] } },
        ...['Q1', 'Q2', 'Q3', 'Q4'].map((q) => ({ Element: 'SQ', Payload: mc(q, ['1']) })),
      ],
    });
    const w = walk(s, 5);
    expect(w.pages).toHaveLength(2);
    expect(w.pages.map(qids)).toEqual(walk(s, 5).pages.map(qids));
    const layouts = new Set(Array.from({ length: 30 }, (_, i) => walk(s, i).pages.map(qids).join('|')));
    expect(layouts.size).toBeGreaterThan(4);
  });
});

describe('sessions', () => {
  const s = qsf({ A: ['Q1', '|', 'Q2', '|', 'Q3'] }, [block('A')], [
    mc('Q1', ['1', '2']), mc('Q2', ['1', '2'], { DisplayLogic: selected('Q1', '1') }), mc('Q3', ['1']),
  ]);

  it('goes back to the previous page with the answers kept', () => {
    let state = startSession(s, { seed: 1, now: 0 });
    state = submitPage(s, state, { Q1: { selected: ['1'] } });
    const p2 = nextPage(s, state);
    expect(qids(p2)).toEqual(['Q2']);
    state = submitPage(s, p2.state, { Q2: { selected: ['2'] } });
    expect(qids(nextPage(s, state))).toEqual(['Q3']);
    state = previousPage(nextPage(s, state).state);
    const back = nextPage(s, state);
    expect(qids(back)).toEqual(['Q2']);
    expect(back.state.answers.Q2).toEqual({ selected: ['2'] });
    state = previousPage(back.state);
    expect(qids(nextPage(s, state))).toEqual(['Q1']);
    expect(state.answers.Q1).toEqual({ selected: ['1'] });
    expect(previousPage(state)).toEqual(state);
    // A changed answer on the way forward again takes the other path.
    state = submitPage(s, state, { Q1: { selected: ['2'] } });
    expect(qids(nextPage(s, state))).toEqual(['Q3']);
    expect(nextPage(s, state).state.displayedQuestions).toEqual(['Q1', 'Q3']);
  });

  it('drops answers to questions not on the page and choices not shown', () => {
    const p1 = nextPage(s, startSession(s, { seed: 1, now: 0 }));
    const state = submitPage(s, p1.state, {
      Q1: { selected: ['1', '9'], text: { '': 'y'.repeat(30000) }, numeric: { a: Number.NaN } },
      Q3: { selected: ['1'] },
    });
    expect(state.answers.Q3).toBeUndefined();
    expect(state.answers.Q1.selected).toEqual(['1']);
    expect(state.answers.Q1.text?.['']).toHaveLength(20000);
    expect(state.answers.Q1.numeric).toEqual({});
  });

  it('a state continues identically after a JSON round trip at every step', () => {
    let a = startSession(s, { seed: 'x', now: 5 });
    let b: SessionState = JSON.parse(JSON.stringify(a)) as SessionState;
    for (let i = 0; i < 5; i++) {
      const na = nextPage(s, a);
      const nb = nextPage(s, b);
      expect(nb).toEqual(na);
      if (na.kind === 'end') return;
      const answers = { [na.questions[0].qid]: { selected: ['1'] } };
      a = submitPage(s, na.state, answers);
      b = JSON.parse(JSON.stringify(submitPage(s, JSON.parse(JSON.stringify(nb.state)) as SessionState, answers))) as SessionState;
    }
    throw new Error('did not end');
  });
});

describe('malformed surveys', () => {
  it('skips unknown flow elements and question types with a warning', () => {
    const s = qsf({ A: ['Q1', 'Q2', 'Q9'] }, [{ Type: 'WebService', FlowID: 'FL_3', URL: 'http://x' }, block('A'), block('NOPE')], [
      mc('Q1', ['1']), { ...mc('Q2', ['1']), QuestionType: 'Hologram' },
    ]);
    const w = walk(s, 1);
    expect(w.pages.map(qids)).toEqual([['Q1']]);
    expect(w.state.warnings.join('\n')).toMatch(/WebService/);
    expect(w.state.warnings.join('\n')).toMatch(/Hologram/);
    expect(w.state.warnings.join('\n')).toMatch(/Q9/);
    expect(w.state.warnings.join('\n')).toMatch(/NOPE/);
  });

  it('caps deep nesting without crashing', () => {
    let flow: Obj = block('A');
    for (let i = 0; i < 5000; i++) flow = { Type: 'Group', FlowID: `FL_${i}`, Flow: [flow] };
    const s = qsf({ A: ['Q1'], B: ['Q2'] }, [flow, block('B')], [mc('Q1', ['1']), mc('Q2', ['1'])]);
    expect(s.warnings.join()).toMatch(/nested deeper/);
    expect(walk(s, 1).pages.map(qids)).toEqual([['Q2']]);
  });

  it('reads odd shapes leniently: object lists and a missing flow; refuses a document without elements', () => {
    const s = readFlowSurvey({ SurveyElements: [{ Element: 'BL', Payload: { 0: { ID: 'A', BlockElements: { 0: { Type: 'Question', QuestionID: 'Q1' } } } } }, { Element: 'SQ', Payload: mc('Q1', ['1']) }] });
    expect(walk(s, 1).pages).toHaveLength(0);
    expect(() => readFlowSurvey({})).toThrow();
  });

  it('ignores a __proto__ embedded-data field', () => {
    const s = qsf({ A: ['Q1'] }, [{ Type: 'EmbeddedData', EmbeddedData: [{ Field: '__proto__', Value: 'x' }] }, block('A')], [mc('Q1', ['1'])]);
    const w = walk(s, 1);
    expect(Object.getPrototypeOf(w.state.embeddedData)).toBe(Object.prototype);
  });
});

describe('side-by-side answers', () => {
  it('keeps <column>/<row> keys with that column’s answers and drops anything else', () => {
    const survey = readFlowSurvey(JSON.parse(readFileSync(`${FIXTURES}sample-survey/survey.qsf`, 'utf8')));
    const shown = new Set(walk(survey, 7).pages.flatMap((p) => (p.kind === 'page' ? p.questions.map((q) => q.qid) : [])));
    const sbs = [...survey.questions.values()].find((q) => q.type === 'SBS' && shown.has(q.qid) && q.sbsColumns[0]?.length);
    expect(sbs).toBeDefined();
    const row = sbs!.choiceOrder[0]!;
    const good = sbs!.sbsColumns[0]![0]!;
    const answerer: Answerer = (s, q) => {
      if (q.qid !== sbs!.qid) return firstEverywhere(s, q);
      return { matrix: { [`1/${row}`]: [good, 'not-an-answer'], [`99/${row}`]: [good], [row]: [good], [`1/not-a-row`]: [good] } };
    };
    const result = walk(survey, 7, answerer);
    expect(result.state.answers[sbs!.qid]?.matrix).toEqual({ [`1/${row}`]: [good] });
  });
});

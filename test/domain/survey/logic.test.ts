import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MAX_LOGIC_DEPTH, evaluateLogic, evaluateSkipLogic, logicDependencies, parseLocator, readLogic,
  readSkipLogic, safeRegex, stateFromSnapshot, type LogicSnapshot,
} from '../../../src/domain/survey/logic.ts';

type Expr = Record<string, unknown>;

const q = (locator: string, operator: string, right?: string, extra: Expr = {}): Expr => ({
  LogicType: 'Question', QuestionID: locator.split('/')[2], QuestionIsInLoop: 'no', ChoiceLocator: locator,
  Operator: operator, LeftOperand: locator, ...(right === undefined ? {} : { RightOperand: right }),
  Type: 'Expression', Description: '', ...extra,
});
const ed = (field: string, operator: string, right = '', extra: Expr = {}): Expr => ({
  LogicType: 'EmbeddedField', LeftOperand: field, Operator: operator, RightOperand: right, Type: 'Expression', ...extra,
});
const or = (e: Expr): Expr => ({ ...e, Conjuction: 'Or' });
const and = (e: Expr): Expr => ({ ...e, Conjuction: 'And' });

/** One "If" group per argument list, as Qualtrics writes a DisplayLogic object. */
function logic(...groups: Expr[][]): unknown {
  const out: Record<string, unknown> = { Type: 'BooleanExpression', inPage: false };
  groups.forEach((g, gi) => {
    const group: Record<string, unknown> = { Type: 'If' };
    g.forEach((e, i) => { group[String(i)] = e; });
    out[String(gi)] = group;
  });
  return out;
}

function holds(raw: unknown, snap: LogicSnapshot, pipe?: (t: string) => string): boolean {
  const tree = readLogic(raw);
  expect(tree.warnings).toEqual([]);
  return evaluateLogic(tree, stateFromSnapshot(snap, pipe));
}

const answers: LogicSnapshot = {
  displayedQuestions: ['QID1', 'QID2', 'QID4#1'],
  displayedChoices: { QID1: ['1', '2'], QID2: ['3'] },
  displayedAnswers: { QID2: ['1'], 'QID4#1': ['3'] },
  selected: { QID1: ['2'], QID5: ['1', '3'] },
  matrix: { QID3: { '1': ['3'], '2': ['1'] }, 'QID22#1': { '3': ['2'] } },
  text: { QID6: { '': 'Hello World' }, QID5: { '4': 'other text' }, QID9: { '1/2': 'cell' } },
  numeric: { QID7: { '2': 40, '3': '7.5' } },
  recodes: { 'QID22#1': { '2': '1' }, QID5: { '1': '10' } },
  embedded: { Gender: 'F', Age: '42', Empty: '  ' },
  device: 'Mobile',
};

describe('operators over each locator kind', () => {
  it('Selected / NotSelected on choices, matrix cells and matrix answers', () => {
    expect(holds(logic([q('q://QID1/SelectableChoice/2', 'Selected')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID1/SelectableChoice/1', 'Selected')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID1/SelectableChoice/1', 'NotSelected')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID5/SelectableChoice/3', 'Selected')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID3/SelectableChoice/1/3', 'Selected')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID3/SelectableChoice/2/3', 'Selected')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID3/SelectableChoice/2/3', 'NotSelected')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID3/SelectableAnswer/2/1', 'Selected')]), answers)).toBe(true);
    // An answer (scale point) without a row: selected in any row.
    expect(holds(logic([q('q://QID3/SelectableAnswer/1', 'Selected')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID3/SelectableAnswer/2', 'Selected')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID3/SelectableAnswer/2', 'NotSelected')]), answers)).toBe(true);
    // Unanswered question: nothing selected.
    expect(holds(logic([q('q://QID99/SelectableChoice/1', 'NotSelected')]), answers)).toBe(true);
  });

  it('Displayed / NotDisplayed on questions, choices and answers, incl. side-by-side columns', () => {
    expect(holds(logic([q('q://QID1/QuestionDisplayed', 'Displayed')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID8/QuestionDisplayed', 'Displayed')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID8/QuestionDisplayed', 'NotDisplayed')]), answers)).toBe(true);
    const choiceShown = { ...q('q://QID2/SelectableChoice/3', 'Displayed'), LeftOperand: 'q://QID2/ChoiceDisplayed/3' };
    expect(holds(logic([choiceShown]), answers)).toBe(true);
    const answerShown = { ...q('q://QID2/SelectableAnswer/1', 'Displayed'), LeftOperand: 'q://QID2/AnswerDisplayed/1' };
    expect(holds(logic([answerShown]), answers)).toBe(true);
    const sbs = { ...q('q://QID4%231/SelectableAnswer/3', 'Displayed'), LeftOperand: 'q://QID4%231/AnswerDisplayed/3' };
    expect(holds(logic([sbs]), answers)).toBe(true);
    expect(holds(logic([{ ...sbs, Operator: 'NotDisplayed' }]), answers)).toBe(false);
    // A selectable locator alone (no LeftOperand) with Displayed means "that choice is shown".
    const bare = { ...q('q://QID1/SelectableChoice/3', 'Displayed'), LeftOperand: undefined };
    expect(holds(logic([bare]), answers)).toBe(false);
    expect(holds(logic([{ ...bare, ChoiceLocator: 'q://QID1/SelectableChoice/2' }]), answers)).toBe(true);
  });

  it('comparisons compare numerically when both sides are numbers, as text otherwise', () => {
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/2', 'EqualTo', '40.0')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/2', 'NotEqualTo', '40')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/2', 'GreaterThan', '9')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/2', 'GreaterThan', '40')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/2', 'GreaterThanOrEqual', '40')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/3', 'LessThan', '10')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/3', 'LessThan', '7.5')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/3', 'LessThanOrEqual', '7.5')]), answers)).toBe(true);
    // Not a number on either side: ordering comparisons are false, never string order.
    expect(holds(logic([ed('Gender', 'GreaterThan', 'A')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID7/ChoiceNumericEntryValue/9', 'LessThan', '10')]), answers)).toBe(false);
    expect(holds(logic([ed('Gender', 'EqualTo', 'F')]), answers)).toBe(true);
    expect(holds(logic([ed('Gender', 'EqualTo', 'f')]), answers)).toBe(false);
    expect(holds(logic([ed('Gender', 'EqualTo', 'f', { IgnoreCase: 1 })]), answers)).toBe(true);
    expect(holds(logic([ed('Gender', 'NotEqualTo', 'M')]), answers)).toBe(true);
    expect(holds(logic([ed('e://Field/Age', 'GreaterThan', '18')]), answers)).toBe(true);
  });

  it('text operators: Contains, DoesNotContain, MatchesRegex, Empty, NotEmpty', () => {
    expect(holds(logic([q('q://QID6/ChoiceTextEntryValue', 'Contains', 'World')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID6/ChoiceTextEntryValue', 'Contains', 'world')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID6/ChoiceTextEntryValue', 'Contains', 'world', { IgnoreCase: 1 })]), answers)).toBe(true);
    expect(holds(logic([q('q://QID6/ChoiceTextEntryValue', 'DoesNotContain', 'xyz')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID5/ChoiceTextEntryValue/4', 'EqualTo', 'other text')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID9/ChoiceTextEntryValue/1/2', 'EqualTo', 'cell')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID6/ChoiceTextEntryValue', 'MatchesRegex', '^Hello\\s\\w+$')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID6/ChoiceTextEntryValue', 'MatchesRegex', '^\\d+$')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID6/ChoiceTextEntryValue', 'NotEmpty')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID6/ChoiceTextEntryValue', 'Empty')]), answers)).toBe(false);
    expect(holds(logic([q('q://QID10/ChoiceTextEntryValue', 'Empty')]), answers)).toBe(true);
    expect(holds(logic([ed('Empty', 'Empty')]), answers)).toBe(true);
    expect(holds(logic([ed('Missing', 'NotEmpty')]), answers)).toBe(false);
  });

  it('recodes and selected-choice counts', () => {
    const sbsRecode = q('q://QID22%231/SelectedAnswerRecode/3', 'EqualTo', '1', { IgnoreCase: 1 });
    expect(holds(logic([sbsRecode]), answers)).toBe(true);
    expect(holds(logic([{ ...sbsRecode, RightOperand: '2' }]), answers)).toBe(false);
    expect(holds(logic([q('q://QID5/SelectedChoicesRecode', 'EqualTo', '10')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID5/SelectedChoicesCount', 'GreaterThanOrEqual', '2')]), answers)).toBe(true);
    expect(holds(logic([q('q://QID1/SelectedChoicesCount', 'GreaterThan', '1')]), answers)).toBe(false);
  });

  it('device type conditions and piped right operands', () => {
    const device = { LogicType: 'DeviceType', LeftOperand: 'mobile', Operator: 'Is', Type: 'Expression' };
    expect(holds(logic([device]), answers)).toBe(true);
    expect(holds(logic([{ ...device, Operator: 'IsNot' }]), answers)).toBe(false);
    expect(holds(logic([device]), { ...answers, device: 'Desktop' })).toBe(false);
    const piped = ed('Age', 'GreaterThan', '${e://Field/Limit}');
    const pipe = (t: string): string => t.replace('${e://Field/Limit}', '40');
    expect(holds(logic([piped]), answers, pipe)).toBe(true);
    expect(holds(logic([piped]), answers, (t) => t.replace('${e://Field/Limit}', '50'))).toBe(false);
  });
});

describe('conjunctions', () => {
  const T = ed('t', 'EqualTo', '1');
  const F = ed('f', 'EqualTo', '1');
  const snap: LogicSnapshot = { embedded: { t: '1', f: '0' } };

  it('And binds tighter than Or inside a group', () => {
    // T or F and F  ==  T or (F and F)  ==  true   (left-to-right would give false)
    expect(holds(logic([T, or(F), and(F)]), snap)).toBe(true);
    // F and T or T  ==  (F and T) or T  ==  true
    expect(holds(logic([F, and(T), or(T)]), snap)).toBe(true);
    // F or T and F  ==  F or (T and F)  ==  false  (left-to-right would also give false)
    expect(holds(logic([F, or(T), and(F)]), snap)).toBe(false);
    expect(holds(logic([T, and(T)]), snap)).toBe(true);
    expect(holds(logic([T, and(F)]), snap)).toBe(false);
    expect(holds(logic([F, or(F)]), snap)).toBe(false);
    // A missing Conjuction on a later expression means And, Qualtrics' default.
    expect(holds(logic([T, F]), snap)).toBe(false);
  });

  it('joins logic sets with the conjunction on the first expression of the later set', () => {
    expect(holds(logic([T], [and(F), or(T)]), snap)).toBe(true);
    expect(holds(logic([F], [or(T)]), snap)).toBe(true);
    expect(holds(logic([F], [and(T)]), snap)).toBe(false);
    expect(holds(logic([T], [F]), snap)).toBe(false);
    // A set's own Conjuction key wins.
    const raw = logic([F], [T]) as Record<string, Record<string, unknown>>;
    raw['1'].Conjuction = 'Or';
    expect(holds(raw, snap)).toBe(true);
    // And between sets binds tighter than Or: T or (F and F); left to right would give false.
    expect(holds(logic([T], [or(F)], [and(F)]), snap)).toBe(true);
  });
});

describe('lenient reading', () => {
  it('treats absent logic as always true and arrays like numbered objects', () => {
    for (const none of [undefined, null, false, '', {}, { Type: 'BooleanExpression' }]) {
      const tree = readLogic(none);
      expect(tree).toEqual({ root: null, warnings: [] });
      expect(evaluateLogic(tree, stateFromSnapshot({}))).toBe(true);
    }
    const arr = [{ Type: 'If', 0: ed('a', 'EqualTo', '1') }];
    expect(holds(arr, { embedded: { a: '1' } })).toBe(true);
    // Keys sort numerically, not as text: "10" comes after "2".
    const many: Record<string, unknown> = { Type: 'If' };
    for (let i = 0; i < 11; i++) many[String(i)] = i === 10 ? or(ed('x', 'EqualTo', '1')) : ed('y', 'EqualTo', '1');
    expect(holds({ 0: many }, { embedded: { x: '1' } })).toBe(true);
  });

  it('turns what it does not understand into false plus a warning, never an exception', () => {
    const cases: unknown[] = [
      'not logic',
      42,
      logic([q('q://QID1/SelectableChoice/1', 'Frobnicates')]),
      logic([{ LogicType: 'GeoIP', LeftOperand: 'US', Operator: 'EqualTo', Type: 'Expression' }]),
      logic([{ ...q('q://QID1/Bogus/1', 'Selected') }]),
      logic([{ ...q('q://QID1/SelectableChoice/1', 'Selected'), LeftOperand: 'nonsense', ChoiceLocator: 5 }]),
      logic([q('q://QID1/SelectableChoice/1', 'GreaterThan', '3')]),
      logic([q('q://QID6/ChoiceTextEntryValue', 'Selected')]),
      logic([q('q://QID6/ChoiceTextEntryValue', 'MatchesRegex', '([a-z')]),
      logic([q('q://QID6/ChoiceTextEntryValue', 'MatchesRegex', '(a+)+$')]),
      logic([q('q://QID6/ChoiceTextEntryValue', 'MatchesRegex', 'a'.repeat(201))]),
      logic([ed('', 'EqualTo', '1')]),
      { 0: 'string group' },
      { 0: { Type: 'Loop', 0: ed('a', 'Empty') } },
      { 0: { Type: 'If' } },
      { 0: { Type: 'If', 0: null } },
    ];
    for (const raw of cases) {
      const tree = readLogic(raw);
      expect(tree.warnings.length, JSON.stringify(raw)).toBeGreaterThan(0);
      expect(evaluateLogic(tree, stateFromSnapshot(answers))).toBe(false);
    }
  });

  it('an invalid condition Or-ed with a true one still lets the true one decide', () => {
    const tree = readLogic(logic([q('q://QID1/SelectableChoice/1', 'Frobnicates'), or(ed('Gender', 'EqualTo', 'F'))]));
    expect(tree.warnings).toEqual(['unknown operator "Frobnicates"']);
    expect(evaluateLogic(tree, stateFromSnapshot(answers))).toBe(true);
  });

  it('caps nesting depth', () => {
    let deep: unknown = ed('a', 'EqualTo', '1');
    for (let i = 0; i < 10_000; i++) deep = { 0: deep, Type: 'If' };
    const tree = readLogic(deep);
    expect(tree.warnings).toEqual([`logic nested deeper than ${MAX_LOGIC_DEPTH} levels`]);
    expect(evaluateLogic(tree, stateFromSnapshot({ embedded: { a: '1' } }))).toBe(false);
    let shallow: unknown = ed('a', 'EqualTo', '1');
    for (let i = 0; i < 3; i++) shallow = { 0: shallow, Type: 'If' };
    expect(holds(shallow, { embedded: { a: '1' } })).toBe(true);
  });

  it('caps the number of conditions', () => {
    const group: Record<string, unknown> = { Type: 'If' };
    for (let i = 0; i < 600; i++) group[String(i)] = or(ed('a', 'EqualTo', '1'));
    const tree = readLogic({ 0: group });
    expect(tree.warnings).toHaveLength(100);
  });

  it('does not match regexes against over-long answers', () => {
    const re = q('q://QID6/ChoiceTextEntryValue', 'MatchesRegex', '^a+$');
    expect(holds(logic([re]), { text: { QID6: { '': 'a'.repeat(2000) } } })).toBe(true);
    expect(holds(logic([re]), { text: { QID6: { '': 'a'.repeat(2001) } } })).toBe(false);
    expect(safeRegex('(\\w*)*x')).toBeNull();
    expect(safeRegex('')).toBeNull();
    expect(safeRegex('^[0-9]{5}$')).not.toBeNull();
  });

  it('does not read inherited properties of the snapshot', () => {
    expect(holds(logic([ed('constructor', 'NotEmpty')]), { embedded: {} })).toBe(false);
    expect(holds(logic([q('q://toString/SelectableChoice/1', 'NotSelected')]), {})).toBe(true);
  });
});

describe('parseLocator', () => {
  it('decodes each locator kind', () => {
    expect(parseLocator('q://QID5/SelectableChoice/1')).toEqual({ kind: 'choice', questionId: 'QID5', choiceId: '1' });
    expect(parseLocator('q://QID9/SelectableAnswer/1/2')).toEqual({ kind: 'cell', questionId: 'QID9', rowId: '1', answerId: '2' });
    expect(parseLocator('q://QID4%231/AnswerDisplayed/3')).toEqual({ kind: 'answerDisplayed', questionId: 'QID4#1', answerId: '3' });
    expect(parseLocator('q://QID3/ChoiceTextEntryValue/4')).toEqual({ kind: 'text', questionId: 'QID3', key: '4' });
    expect(parseLocator('q://QID7/ChoiceNumericEntryValue/2')).toEqual({ kind: 'numeric', questionId: 'QID7', key: '2' });
    expect(parseLocator('e://Field/My%20Field')).toEqual({ kind: 'embedded', field: 'My Field' });
    expect(parseLocator('q://QID7/ChoiceNumericEntryValue')).toBeNull();
    expect(parseLocator('q://QID7/SelectableChoice/1/2/3')).toBeNull();
    expect(parseLocator('http://x/y')).toBeNull();
    expect(parseLocator('q://QID%E0/SelectableChoice/1')).toEqual({ kind: 'choice', questionId: 'QID%E0', choiceId: '1' });
  });
});

describe('logicDependencies', () => {
  it('lists the questions and embedded fields read, including piped operands', () => {
    const tree = readLogic(logic(
      [q('q://QID4%231/SelectableAnswer/3', 'Selected'), or(ed('Gender', 'EqualTo', '${e://Field/Wanted}'))],
      [and(q('q://QID12/ChoiceTextEntryValue', 'EqualTo', '${q://QID2/ChoiceTextEntryValue}'))],
    ));
    expect(tree.warnings).toEqual([]);
    expect(logicDependencies(tree)).toEqual({ questions: ['QID12', 'QID2', 'QID4'], embeddedFields: ['Gender', 'Wanted'] });
    expect(logicDependencies([tree, readLogic(logic([ed('Other', 'Empty')]))]).embeddedFields).toEqual(['Gender', 'Other', 'Wanted']);
    expect(logicDependencies(readLogic(undefined))).toEqual({ questions: [], embeddedFields: [] });
  });
});

describe('skip logic', () => {
  it('reads the array form and returns the first destination whose condition holds', () => {
    const { rules, warnings } = readSkipLogic([
      { SkipLogicID: 1, ChoiceLocator: 'q://QID1/SelectableChoice/1', Condition: 'Selected', SkipToDestination: 'ENDOFBLOCK', Locator: 'q://QID1/SelectableChoice/1', QuestionID: 'QID1' },
      { SkipLogicID: 2, Locator: 'q://QID1/SelectableChoice/2', Condition: 'Selected', SkipToDestination: 'ENDOFSURVEY', QuestionID: 'QID1' },
    ]);
    expect(warnings).toEqual([]);
    expect(evaluateSkipLogic(rules, stateFromSnapshot({ selected: { QID1: ['1'] } }))).toBe('ENDOFBLOCK');
    expect(evaluateSkipLogic(rules, stateFromSnapshot({ selected: { QID1: ['2'] } }))).toBe('ENDOFSURVEY');
    expect(evaluateSkipLogic(rules, stateFromSnapshot({ selected: { QID1: ['3'] } }))).toBeNull();
  });

  it('warns about broken rules instead of throwing', () => {
    const { rules, warnings } = readSkipLogic({ 0: 'x', 1: { Condition: 'Selected', Locator: 'q://QID1/SelectableChoice/1' }, 2: { Condition: 'Nope', SkipToDestination: 'QID3' } });
    expect(warnings).toHaveLength(3);
    expect(rules).toHaveLength(1);
    expect(evaluateSkipLogic(rules, stateFromSnapshot({}))).toBeNull();
    expect(readSkipLogic(undefined)).toEqual({ rules: [], warnings: [] });
  });
});

describe('fixture surveys', () => {
  const root = join(process.cwd(), '..', 'shared', 'fixtures', 'qsf');
  const found: { where: string; key: string; value: unknown }[] = [];
  const walk = (v: unknown, where: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${where}/${i}`));
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (/Logic$/.test(k)) found.push({ where: `${where}/${k}`, key: k, value: x });
        walk(x, `${where}/${k}`);
      }
    }
  };
  for (const dir of readdirSync(root)) walk(JSON.parse(readFileSync(join(root, dir, 'survey.qsf'), 'utf8')), dir);

  it('has logic to check', () => {
    expect(found.filter((f) => f.key === 'DisplayLogic').length).toBeGreaterThan(20);
    expect(found.filter((f) => f.key === 'SkipLogic').length).toBeGreaterThan(0);
  });

  it('reads every logic object without warnings', () => {
    for (const f of found) {
      const warnings = f.key === 'SkipLogic' ? readSkipLogic(f.value).warnings : readLogic(f.value).warnings;
      expect(warnings, f.where).toEqual([]);
      if (f.key !== 'SkipLogic') expect(readLogic(f.value).root, f.where).not.toBeNull();
    }
  });

  it('evaluates the sample survey rank-order display logic as Qualtrics would', () => {
    const raw = found.find((f) => f.where.startsWith('sample-survey') && f.where.endsWith('Choices/1/DisplayLogic'));
    const tree = readLogic(raw!.value);
    expect(logicDependencies(tree).questions).toEqual(['QID2']);
    // "Cantaloupe - No Opinion Is Not Selected": shown unless row 1 got answer 4.
    expect(evaluateLogic(tree, stateFromSnapshot({ matrix: { QID2: { '1': ['2'] } } }))).toBe(true);
    expect(evaluateLogic(tree, stateFromSnapshot({ matrix: { QID2: { '1': ['4'] } } }))).toBe(false);
  });
});

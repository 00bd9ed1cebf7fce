import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { DIALECT, FIXTURES } from './fixtures.ts';
import { exportColumns, type ExportColumn } from '../../../src/domain/survey/export-columns.ts';
import { readQsf, type QsfQuestion, type QsfSurvey } from '../../../src/domain/survey/qsf.ts';
import { responseValues } from '../../../src/domain/survey/response-values.ts';
import type { QuestionAnswer } from '../../../src/domain/survey/session-state.ts';



interface Fixture {
  survey: QsfSurvey;
  columns: ExportColumn[];
  /** Data rows only (header rows, including the named dialect's ImportId row, dropped). */
  rows: string[][];
}

function load(name: string): Fixture {
  const survey = readQsf(JSON.parse(readFileSync(`${FIXTURES}${name}/survey.qsf`, 'utf8')));
  const columns = exportColumns(survey, { dialect: DIALECT[name] });
  const all = parse(readFileSync(`${FIXTURES}${name}/legacy.csv`, 'utf8'), { bom: true, relax_column_count: true }) as string[][];
  return { survey, columns, rows: all.slice(2).filter((r) => !r[0].startsWith('{')) };
}

/** The id (choice for MC, scale point for matrices) whose recode is `value`. */
function idWithRecode(q: QsfQuestion, ids: Iterable<string>, value: string): string {
  for (const id of ids) if ((q.recodeValues.get(id) ?? id) === value) return id;
  throw new Error(`${q.questionId}: no id with recode ${value}`);
}

/** The answers one recorded row implies, in the engine's neutral shape. */
function answersFromRow(f: Fixture, row: string[]): Record<string, QuestionAnswer> {
  const out: Record<string, QuestionAnswer> = {};
  f.columns.forEach((col, i) => {
    const cell = row[i] ?? '';
    if (col.kind !== 'question' || cell === '') return;
    const q = f.survey.questions.get(col.qid!)!;
    const a = (out[q.questionId] ??= {});
    const text = (a.text ??= {});
    const matrix = (a.matrix ??= {});
    if (col.sbsColumn !== undefined) {
      const sub = q.additionalQuestions[col.sbsColumn - 1];
      const key = `${col.sbsColumn}/${col.choice}`;
      if (col.text) text[`${key}/${col.answer}`] = cell;
      else if (col.answer !== undefined) (matrix[key] ??= []).push(col.answer);
      else matrix[key] = [idWithRecode(sub, sub.answers.keys(), cell)];
    } else if (q.questionType === 'MC') {
      const selected = (a.selected ??= []);
      if (col.choice === undefined && col.text) text[selected[0]] = cell;
      else if (col.choice === undefined) selected.push(idWithRecode(q, q.choices.keys(), cell));
      else if (col.text) text[col.choice] = cell;
      else selected.push(col.choice);
    } else if (q.questionType === 'Matrix') {
      if (col.text) text[col.choice!] = cell;
      else if (col.answer !== undefined) (matrix[col.choice!] ??= []).push(col.answer);
      else matrix[col.choice!] = [idWithRecode(q, q.answers.keys(), cell)];
    } else if (q.questionType === 'TE') text[col.choice ?? ''] = cell;
    else (a.numeric ??= {})[col.choice ?? ''] = Number(cell);
  });
  return out;
}

describe('responseValues reproduces the recorded data rows', () => {
  it('covers every fixture pair', () => {
    const pairs = readdirSync(FIXTURES).filter((n) => readdirSync(FIXTURES + n).includes('legacy.csv'));
    expect(pairs.sort()).toEqual(Object.keys(DIALECT).sort());
  });

  for (const name of Object.keys(DIALECT)) {
    it(name, () => {
      const f = load(name);
      expect(f.rows.length).toBeGreaterThan(0);
      const counts = new Map<string, number>();
      for (const c of f.columns) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
      const questionNames = new Set(f.columns.filter((c) => c.kind === 'question' || c.kind === 'embedded').map((c) => c.name));
      for (const row of f.rows) {
        const values = responseValues(f.survey, f.columns, answersFromRow(f, row));
        for (const key of Object.keys(values)) expect(questionNames.has(key)).toBe(true);
        f.columns.forEach((col, i) => {
          // Names repeated within one export (single-answer-matrix-questions) cannot be told apart by key.
          if (col.kind !== 'question' || counts.get(col.name) !== 1) return;
          expect({ column: col.name, value: String(values[col.name]) }).toEqual({ column: col.name, value: row[i] ?? '' });
        });
      }
    });
  }
});

describe('value types and hand-built answers', () => {
  it('MC single recodes are numbers, its text column a string', () => {
    const f = load('single-answer-multiple-choice-questions');
    const q = [...f.survey.questions.values()].find((x) => x.dataExportTag === 'mc_question_five')!;
    const withText = [...q.choices].find(([, c]) => c.textEntry)![0];
    const values = responseValues(f.survey, f.columns, { [q.questionId]: { selected: [withText], text: { [withText]: 'hello' } } });
    expect(values.mc_question_five).toBe(Number(q.recodeValues.get(withText) ?? withText));
    expect(values.mc_question_five_TEXT).toBe('hello');
    expect(values.Q2).toBe('');
  });

  it('MC multi gives 1 for selected choices and "" for the rest', () => {
    const f = load('many-different-question-types');
    const q = [...f.survey.questions.values()].find((x) => x.dataExportTag === 'Q2')!;
    const values = responseValues(f.survey, f.columns, { [q.questionId]: { selected: ['1', '3'] } });
    expect([values.Q2_1, values.Q2_2, values.Q2_3]).toEqual([1, '', 1]);
  });

  it('multi-answer SBS columns with one scale point hold its recode', () => {
    const f = load('sample-survey');
    const q = [...f.survey.questions.values()].find((x) => x.dataExportTag === 'Q12')!;
    const values = responseValues(f.survey, f.columns, { [q.questionId]: { matrix: { '1/1': ['1'], '2/2': ['1'] } } });
    expect(values['Q12#1_1_0']).toBe(0);
    expect(values['Q12#2_2_-1']).toBe(-1);
    expect(values['Q12#1_2_0']).toBe('');
  });

  it('every question column of an answered question gets a value', () => {
    const f = load('many-different-question-types');
    const answers = answersFromRow(f, f.rows[0]);
    const values = responseValues(f.survey, f.columns, answers);
    for (const col of f.columns) {
      if (col.kind === 'question') expect(Object.prototype.hasOwnProperty.call(values, col.name)).toBe(true);
      else if (col.kind !== 'embedded') expect(Object.prototype.hasOwnProperty.call(values, col.name)).toBe(false);
    }
  });

  it('timing and meta-info parts each read their own key (1..4)', () => {
    const doc = {
      SurveyEntry: { SurveyID: 'SV_1', SurveyName: 'T' },
      SurveyElements: [
        { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_1', BlockElements: [{ Type: 'Question', QuestionID: 'QID1' }, { Type: 'Question', QuestionID: 'QID2' }] }] },
        { Element: 'FL', Payload: { Type: 'Root', Flow: [{ Type: 'Block', ID: 'BL_1' }] } },
        { Element: 'SQ', Payload: { QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'Timing', Selector: 'PageTimer', QuestionText: 'Timing' } },
        { Element: 'SQ', Payload: { QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'Meta', Selector: 'Browser', QuestionText: 'Browser' } },
      ],
    };
    const survey = readQsf(doc);
    const columns = exportColumns(survey);
    const values = responseValues(survey, columns, {
      QID1: { numeric: { '1': 1.5, '2': 7.25, '3': 9, '4': 3 } },
      QID2: { text: { '1': 'Firefox', '2': '128.0', '3': 'Linux', '4': '1280x800' } },
    });
    expect([values.Q1_FIRST_CLICK, values.Q1_LAST_CLICK, values.Q1_PAGE_SUBMIT, values.Q1_CLICK_COUNT]).toEqual([1.5, 7.25, 9, 3]);
    expect([values.Q2_BROWSER, values.Q2_VERSION, values.Q2_OS, values.Q2_RESOLUTION]).toEqual(['Firefox', '128.0', 'Linux', '1280x800']);
  });

  it('fills embedded-data columns from the given map', () => {
    const f = load('many-different-question-types');
    const embedded = f.columns.filter((c) => c.kind === 'embedded');
    const data = Object.fromEntries(embedded.map((c, i) => [c.name, `v${i}`]));
    const values = responseValues(f.survey, f.columns, {}, { embeddedData: data });
    for (const c of embedded) expect(values[c.name]).toBe(data[c.name]);
  });
});

describe('unansweredRecode', () => {
  const f = load('no-basis-for-evaluation');
  const qid = (tag: string): string => [...f.survey.questions.values()].find((x) => x.dataExportTag === tag)!.questionId;

  it('applies only to displayed questions left unanswered', () => {
    const displayed = [qid('Q1'), qid('Q2'), qid('Q3')];
    const answers = { [qid('Q3')]: { matrix: { '1': [[...f.survey.questions.get(qid('Q3'))!.answers.keys()][0]] } } };
    const values = responseValues(f.survey, f.columns, answers, { displayed, unansweredRecode: '-99' });
    expect(values.Q1).toBe(-99);
    expect([values.Q2_1, values.Q2_5]).toEqual([-99, -99]);
    expect(values.Q3_2).toBe(-99);
    expect(values.Q3_1).not.toBe(-99);
    expect(values.Q4_1).toBe('');
  });

  it('leaves unselected choices of an answered multi-answer question blank', () => {
    const values = responseValues(f.survey, f.columns, { [qid('Q2')]: { selected: ['2'] } }, { displayed: [qid('Q2')], unansweredRecode: '-99' });
    expect([values.Q2_1, values.Q2_2]).toEqual(['', 1]);
  });

  it('without the option, displayed-but-unanswered and not displayed are both ""', () => {
    const values = responseValues(f.survey, f.columns, {}, { displayed: [qid('Q1')] });
    expect([values.Q1, values.Q2_1]).toEqual(['', '']);
  });
});

describe('text-entry and constant-sum matrix cells', () => {
  const rows = { '1': { Display: 'Work' }, '2': { Display: 'Sleep' } };
  const points = { '1': { Display: 'Weekdays' }, '2': { Display: 'Weekends' } };
  const matrix = (id: string, selector: string, extra: Record<string, unknown> = {}) => ({
    Element: 'SQ',
    Payload: { QuestionID: `QID${id}`, DataExportTag: `Q${id}`, QuestionType: 'Matrix', Selector: selector, QuestionText: 'Hours', Choices: rows, Answers: points, ...extra },
  });
  const one = { Answers: { '1': { Display: 'Points' } } };
  const survey = readQsf({
    SurveyEntry: { SurveyID: 'SV_1', SurveyName: 'Cells' },
    SurveyElements: [
      { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_1', BlockElements: ['QID1', 'QID2', 'QID3', 'QID4'].map((id) => ({ Type: 'Question', QuestionID: id })) }] },
      { Element: 'FL', Payload: { Type: 'Root', Flow: [{ Type: 'Block', ID: 'BL_1' }] } },
      matrix('1', 'TE'), matrix('2', 'CS'), matrix('3', 'TE', one), matrix('4', 'CS', one),
    ],
  });
  const columns = exportColumns(survey);
  const values = (answers: Record<string, QuestionAnswer>, options = {}) => responseValues(survey, columns, answers, options);

  it('text matrices read text["row/answer"], as strings', () => {
    const v = values({ QID1: { text: { '1/2': 'nine', '2/1': '8', '2': 'not a cell' } } });
    expect([v.Q1_1_1, v.Q1_1_2, v.Q1_2_1, v.Q1_2_2]).toEqual(['', 'nine', '8', '']);
  });

  it('constant-sum matrices read numeric["row/answer"], or a number kept as text', () => {
    const v = values({ QID2: { numeric: { '1/1': 70, '1/2': 30, '2/2': 0 }, text: { '2/1': ' 12.5 ', '1/1': '1' } } });
    expect([v.Q2_1_1, v.Q2_1_2, v.Q2_2_1, v.Q2_2_2]).toEqual([70, 30, 12.5, 0]);
    expect(values({ QID2: { text: { '1/1': 'lots', '1/2': '' } } })).toMatchObject({ Q2_1_1: 'lots', Q2_1_2: '' });
  });

  it('with one scale point, text matrices keep a column per row and constant-sum cells read the row', () => {
    expect(columns.filter((c) => c.qid === 'QID3' || c.qid === 'QID4').map((c) => c.name)).toEqual(['Q3_1', 'Q3_2', 'Q4_1_1', 'Q4_2_1']);
    const v = values({ QID3: { text: { '1': 'eight' } }, QID4: { numeric: { '1': 40 }, text: { '2': '60' } } });
    expect([v.Q3_1, v.Q3_2, v.Q4_1_1, v.Q4_2_1]).toEqual(['eight', '', 40, 60]);
  });

  it('unansweredRecode fills constant-sum rows left empty, never text cells or blanks of an answered row', () => {
    const v = values({ QID2: { numeric: { '1/1': 100 } } }, { displayed: ['QID1', 'QID2'], unansweredRecode: '-99' });
    expect([v.Q2_1_1, v.Q2_1_2, v.Q2_2_1, v.Q2_2_2]).toEqual([100, '', -99, -99]);
    expect([v.Q1_1_1, v.Q1_2_2]).toEqual(['', '']);
  });
});

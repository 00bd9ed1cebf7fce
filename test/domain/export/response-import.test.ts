import { describe, expect, it } from 'vitest';
import { headerRowCount, importIdOf, importRow, parseStrictDate, planImport, type ImportOptions } from '../../../src/domain/export/response-import.ts';
import { readQsf, type QsfSurvey } from '../../../src/domain/survey/qsf.ts';

function sq(payload: Record<string, unknown>): Record<string, unknown> {
  return { Element: 'SQ', PrimaryAttribute: payload.QuestionID, Payload: payload };
}

/** MC single with recodes, a slider, and two matrices that reuse the row tag `same`. */
function survey(): QsfSurvey {
  const matrix = (id: string, tag: string) => ({
    QuestionID: id, DataExportTag: tag, QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'SingleAnswer', QuestionText: tag,
    Choices: { '1': { Display: 'Row' } }, ChoiceOrder: ['1'], ChoiceDataExportTags: { '1': 'same' },
    Answers: { '1': { Display: 'No' }, '2': { Display: 'Yes' } }, AnswerOrder: ['1', '2'],
  });
  const questions = [
    { QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'MC', Selector: 'SAVR', QuestionText: 'Fruit', Choices: { '1': { Display: '<b>Apple</b>' }, '2': { Display: 'Pear' } }, ChoiceOrder: ['1', '2'], RecodeValues: { '1': '0', '2': '7' } },
    { QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'Slider', Selector: 'HSLIDER', QuestionText: 'How much', Choices: { '1': { Display: 'A' } }, ChoiceOrder: ['1'] },
    matrix('QID3', 'M1'),
    matrix('QID4', 'M2'),
    { QuestionID: 'QID5', DataExportTag: 'Q5', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Say' },
  ];
  return readQsf({
    SurveyElements: [
      { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_a', BlockElements: questions.map((q) => ({ Type: 'Question', QuestionID: q.QuestionID })) }] },
      { Element: 'FL', Payload: { Type: 'Root', Flow: [{ Type: 'EmbeddedData', EmbeddedData: [{ Field: 'Cohort' }] }, { Type: 'Block', ID: 'BL_a' }] } },
      ...questions.map(sq),
    ],
  });
}

const options: ImportOptions = { timeZone: 'UTC', decimalComma: false, ignoreValidation: false, now: Date.UTC(2026, 0, 1) };

describe('response import', () => {
  it('reads ImportId objects in JSON and in the recorded Python form', () => {
    expect(importIdOf('{"ImportId":"QID1"}')).toBe('QID1');
    expect(importIdOf("{'ImportId': 'QID4-1-2'}")).toBe('QID4-1-2');
    expect(importIdOf('{"ImportId":"startDate","timeZone":"America/Denver"}')).toBe('startDate');
    expect(importIdOf('{"ImportId":"it\'s"}')).toBe("it's");
    expect(importIdOf('QID1')).toBeUndefined();
    expect(headerRowCount([['a'], ['b'], ["{'ImportId': 'QID1'}"]])).toBe(3);
    expect(headerRowCount([['a'], ['b'], ['1']])).toBe(2);
  });

  it('maps repeated export tags in order, and the best-named header row wins', () => {
    const s = survey();
    const plan = planImport(s, [
      ['Favourite', 'Slider', 'first', 'second', 'Text', 'Cohort', 'Mystery'],
      ['Q1', 'Q2_1', 'same', 'same', 'Q5', 'Cohort', 'Mystery'],
    ]);
    expect(plan.targets.map((t) => (t?.kind === 'question' ? t.column.cellKey : t?.kind === 'embedded' ? `ED:${t.name}` : t?.kind))).toEqual([
      'QID1', 'QID2_1', 'QID3_1', 'QID4_1', 'QID5', 'ED:Cohort', 'ED:Mystery',
    ]);
    expect(plan.unmatched).toEqual(['Mystery']);
    const r = importRow(plan, ['<b>Apple</b>', '3', '2', 'Yes', "'=1+2", 'C1', 'm'], options);
    expect(r).toMatchObject({ ok: true, response: { values: { QID1: 0, QID2_1: 3, QID3_1: 2, QID4_1: 2, QID5: '=1+2' }, embedded: { Cohort: 'C1', Mystery: 'm' } } });
  });

  it('validates choices, numbers and dates unless told not to; DecimalFormat reads commas', () => {
    const plan = planImport(survey(), [['StartDate', 'Q1', 'Q2_1'], ['startDate', 'QID1', 'QID2-1']]);
    const bad = importRow(plan, ['2026-02-30 10:00:00', '3', 'lots'], options);
    expect(bad).toEqual({
      ok: false,
      errors: ['column 1 (startDate): "2026-02-30 10:00:00" is not a date (YYYY-MM-DD HH:MM:SS)', 'column 2 (Q1): "3" is not one of the question\'s choices', 'column 3 (Q2_1): "lots" is not a number'],
    });
    expect(importRow(plan, ['', '3', '2,5'], { ...options, ignoreValidation: true, decimalComma: true })).toMatchObject({ ok: true, response: { values: { QID1: 3, QID2_1: 2.5 }, startDate: options.now } });
    expect(parseStrictDate('2026-02-28 23:59:59', 'UTC')).toBe(Date.UTC(2026, 1, 28, 23, 59, 59));
    expect(parseStrictDate('2026-02-28 24:00:00', 'UTC')).toBeNull();
  });
});

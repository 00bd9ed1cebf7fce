import { describe, expect, it } from 'vitest';
import { MAX_FLOW_DEPTH, QsfFormatError, readQsf } from '../../../src/domain/survey/qsf.ts';

describe('readQsf', () => {
  it('normalises ids, orders, recodes and tags written in the loose ways real files use', () => {
    const survey = readQsf({
      SurveyEntry: { SurveyID: 'SV_x', SurveyName: 'Loose' },
      SurveyElements: [
        {
          Element: 'SQ',
          PrimaryAttribute: 'QID9',
          Payload: {
            QuestionText: 'Q', DataExportTag: 'Q9', QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'SingleAnswer',
            Choices: { '1': { Display: 'Row 1', TextEntry: 'true' }, '2': { Display: 'Row 2' } },
            ChoiceOrder: [2, 1],
            Answers: { '1': { Display: 'Yes' }, '2': { Display: 'No' } },
            RecodeValues: { '1': 5, '2': '-1' },
            ChoiceDataExportTags: false,
          },
        },
        { Element: 'SQ', Payload: 'not an object' },
      ],
    });
    expect(survey.surveyId).toBe('SV_x');
    const q = survey.questions.get('QID9')!;
    expect(q.choiceOrder).toEqual(['2', '1']);
    expect(q.answerOrder).toEqual(['1', '2']);
    expect(q.choices.get('1')).toEqual({ display: 'Row 1', textEntry: true });
    expect([...q.recodeValues]).toEqual([['1', '5'], ['2', '-1']]);
    expect(q.choiceDataExportTags.size).toBe(0);
    expect(survey.questions.size).toBe(1);
  });

  it('rejects documents without SurveyElements', () => {
    expect(() => readQsf({ SurveyEntry: {} })).toThrow(QsfFormatError);
    expect(() => readQsf(null)).toThrow(QsfFormatError);
  });
});

describe('readQsf on a hostile flow', () => {
  it('reads a flow nested 100,000 levels deep without exhausting the stack, keeping the first levels', () => {
    let flow: Record<string, unknown> = { Type: 'Block', ID: 'BL_deep' };
    for (let i = 0; i < 100_000; i++) flow = { Type: 'Group', FlowID: `FL_${i}`, Flow: [flow] };
    const survey = readQsf({ SurveyEntry: {}, SurveyElements: [{ Element: 'FL', Payload: { Type: 'Root', Flow: [flow] } }] });
    let depth = 0;
    for (let item = survey.flow[0]; item; item = item.flow[0]) depth++;
    expect(depth).toBe(MAX_FLOW_DEPTH);
  });
});

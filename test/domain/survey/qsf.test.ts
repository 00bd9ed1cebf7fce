import { describe, expect, it } from 'vitest';
import { QsfFormatError, readQsf } from '../../../src/domain/survey/qsf.ts';

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

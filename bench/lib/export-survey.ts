/**
 * The survey the export benchmarks share: six questions (single and multiple choice, a 5×7 Likert
 * matrix, short and long text, a 3-item slider) and two embedded fields — 15 question columns, which
 * with the fixed ones make about 30 columns in every layout.
 */
const scale = (n: number): Record<string, { Display: string }> => Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i + 1), { Display: `Point ${i + 1}` }]));
const order = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i + 1));

export function exportBenchSurvey(): Record<string, unknown> {
  const questions = [
    { QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'MC', Selector: 'SAVR', QuestionText: 'Pick one', Choices: scale(5), ChoiceOrder: order(5) },
    { QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'MC', Selector: 'MAVR', QuestionText: 'Pick any', Choices: scale(4), ChoiceOrder: order(4) },
    {
      QuestionID: 'QID3', DataExportTag: 'Q3', QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'SingleAnswer', QuestionText: 'Rate',
      Choices: scale(5), ChoiceOrder: order(5), Answers: scale(7), AnswerOrder: order(7),
    },
    { QuestionID: 'QID4', DataExportTag: 'Q4', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Name a fruit' },
    { QuestionID: 'QID5', DataExportTag: 'Q5', QuestionType: 'Slider', Selector: 'HSLIDER', QuestionText: 'How much', Choices: scale(3), ChoiceOrder: order(3) },
    { QuestionID: 'QID6', DataExportTag: 'Q6', QuestionType: 'TE', Selector: 'ML', QuestionText: 'Comments' },
  ];
  return {
    SurveyEntry: { SurveyID: 'SV_0000000000bench', SurveyName: 'Bench survey' },
    SurveyElements: [
      { Element: 'BL', PrimaryAttribute: 'Survey Blocks', Payload: [{ Type: 'Default', ID: 'BL_a', BlockElements: questions.map((q) => ({ Type: 'Question', QuestionID: q.QuestionID })) }] },
      { Element: 'FL', PrimaryAttribute: 'Survey Flow', Payload: { Type: 'Root', Flow: [{ Type: 'EmbeddedData', EmbeddedData: [{ Field: 'Cohort' }, { Field: 'Region' }] }, { Type: 'Block', ID: 'BL_a' }] } },
      ...questions.map((q) => ({ Element: 'SQ', PrimaryAttribute: q.QuestionID, Payload: q })),
    ],
  };
}

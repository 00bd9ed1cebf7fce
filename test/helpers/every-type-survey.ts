/**
 * A QSF survey holding every question type and selector the respondent engine renders, built in
 * code so each payload is visible in one place. Shapes follow the real fixtures in
 * shared/fixtures/qsf (Choices keyed by id, ChoiceOrder, Validation.Settings, AdditionalQuestions).
 */
type Obj = Record<string, unknown>;

const SURVEY_ID = 'SV_everyType000001';

function choices(labels: string[], extra: Record<number, Obj> = {}): { Choices: Obj; ChoiceOrder: string[] } {
  const out: Obj = {};
  labels.forEach((l, i) => { out[String(i + 1)] = { Display: l, ...(extra[i + 1] ?? {}) }; });
  return { Choices: out, ChoiceOrder: labels.map((_, i) => String(i + 1)) };
}

function answers(labels: string[], extra: Record<number, Obj> = {}): { Answers: Obj; AnswerOrder: string[] } {
  const c = choices(labels, extra);
  return { Answers: c.Choices, AnswerOrder: c.ChoiceOrder };
}

function validation(force = false, extra: Obj = {}): Obj {
  return { Settings: { ForceResponse: force ? 'ON' : 'OFF', ForceResponseType: 'ON', Type: 'None', ...extra } };
}

interface Q { qid: string; tag: string; text: string; type: string; selector: string; sub?: string; body?: Obj }

const QUESTIONS: Q[] = [
  { qid: 'QID1', tag: 'mc_savr', text: 'Which fruit do you like best?', type: 'MC', selector: 'SAVR', sub: 'TX',
    body: { ...choices(['Apple', 'Banana', 'Other'], { 3: { TextEntry: 'true' } }), Validation: validation(true) } },
  { qid: 'QID2', tag: 'mc_sahr', text: 'How often do you eat fruit?', type: 'MC', selector: 'SAHR', sub: 'TX', body: choices(['Daily', 'Weekly', 'Rarely']) },
  { qid: 'QID3', tag: 'mc_sacol', text: 'Pick a colour', type: 'MC', selector: 'SACOL', sub: 'TX', body: { ...choices(['Red', 'Green', 'Blue', 'Yellow']), Configuration: { NumColumns: 2 } } },
  { qid: 'QID4', tag: 'mc_dl', text: 'Your country', type: 'MC', selector: 'DL', body: choices(['Chile', 'Denmark', 'Japan']) },
  { qid: 'QID5', tag: 'mc_sb', text: 'Your region', type: 'MC', selector: 'SB', body: choices(['North', 'South', 'East', 'West']) },
  { qid: 'QID6', tag: 'nps', text: 'How likely are you to recommend us to a friend?', type: 'MC', selector: 'NPS',
    body: { ...choices(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']), RecodeValues: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i + 1), String(i)])) } },
  { qid: 'QID7', tag: 'mc_mavr', text: 'Which of these do you own?', type: 'MC', selector: 'MAVR', sub: 'TX',
    body: { ...choices(['Bicycle', 'Car', 'Something else', 'None of these'], { 3: { TextEntry: 'true' }, 4: { ExclusiveAnswer: true } }), Validation: validation(false, { MinChoices: '1' }) } },
  { qid: 'QID8', tag: 'mc_mahr', text: 'Which days do you work?', type: 'MC', selector: 'MAHR', sub: 'TX', body: choices(['Mon', 'Tue', 'Wed']) },
  { qid: 'QID9', tag: 'mc_macol', text: 'Which sports do you follow?', type: 'MC', selector: 'MACOL', sub: 'TX', body: { ...choices(['Football', 'Tennis', 'Golf', 'Chess']), Configuration: { NumColumns: 2 } } },
  { qid: 'QID10', tag: 'mc_msb', text: 'Languages you speak', type: 'MC', selector: 'MSB', body: choices(['English', 'Spanish', 'Hindi']) },
  { qid: 'QID11', tag: 'te_sl', text: 'Your email address', type: 'TE', selector: 'SL', body: { Validation: validation(true, { Type: 'ContentValidation', ContentType: 'ValidEmail' }) } },
  { qid: 'QID12', tag: 'te_ml', text: 'Tell us about your day', type: 'TE', selector: 'ML' },
  { qid: 'QID13', tag: 'te_estb', text: 'Any other comments?', type: 'TE', selector: 'ESTB' },
  { qid: 'QID14', tag: 'te_pw', text: 'Choose a passphrase', type: 'TE', selector: 'PW' },
  { qid: 'QID15', tag: 'te_form', text: 'Your name', type: 'TE', selector: 'FORM', body: choices(['First name', 'Last name']) },
  { qid: 'QID16', tag: 'likert', text: 'How much do you agree?', type: 'Matrix', selector: 'Likert', sub: 'SingleAnswer',
    body: { ...choices(['The site is fast', 'The site is clear', 'Other aspect'], { 3: { TextEntry: 'true' } }), ...answers(['Disagree', 'Neutral', 'Agree', 'Not applicable'], { 4: { ExclusiveAnswer: true } }) } },
  { qid: 'QID17', tag: 'likert_multi', text: 'When did you use each?', type: 'Matrix', selector: 'Likert', sub: 'MultipleAnswer',
    body: { ...choices(['Email', 'Phone']), ...answers(['Today', 'This week', 'This month']) } },
  { qid: 'QID18', tag: 'matrix_dl', text: 'Rate each service', type: 'Matrix', selector: 'Likert', sub: 'DL',
    body: { ...choices(['Support', 'Billing']), ...answers(['Poor', 'Fair', 'Good']) } },
  { qid: 'QID19', tag: 'bipolar', text: 'Describe the product', type: 'Matrix', selector: 'Bipolar',
    body: { ...choices(['Cheap:Expensive', 'Slow:Fast']), ...answers(['1', '2', '3', '4', '5']) } },
  { qid: 'QID20', tag: 'matrix_te', text: 'Hours per day on each', type: 'Matrix', selector: 'TE', sub: 'Short',
    body: { ...choices(['Work', 'Sleep']), ...answers(['Weekdays', 'Weekends']) } },
  { qid: 'QID21', tag: 'matrix_cs', text: 'Split 100 points per row', type: 'Matrix', selector: 'CS', sub: 'WTB',
    body: { ...choices(['Budget A', 'Budget B']), ...answers(['Rent', 'Food']) } },
  { qid: 'QID22', tag: 'slider', text: 'How satisfied are you?', type: 'Slider', selector: 'HSLIDER',
    body: { ...choices(['Overall', 'Value for money']), Configuration: { CSSliderMin: 0, CSSliderMax: 10, GridLines: 10, SnapToGrid: true, NumDecimals: '0' } } },
  { qid: 'QID23', tag: 'rank_dnd', text: 'Rank these by importance', type: 'RO', selector: 'DND', sub: 'TX', body: choices(['Price', 'Quality', 'Service']) },
  { qid: 'QID24', tag: 'rank_rb', text: 'Rank these cities', type: 'RO', selector: 'RB', body: choices(['Paris', 'Rome', 'Oslo']) },
  { qid: 'QID25', tag: 'rank_tb', text: 'Rank these seasons', type: 'RO', selector: 'TB', body: choices(['Spring', 'Summer', 'Winter']) },
  { qid: 'QID26', tag: 'cs', text: 'Divide 100 points', type: 'CS', selector: 'VRTL',
    body: { ...choices(['Savings', 'Spending']), Configuration: { CSSliderMin: 0, CSSliderMax: 100 }, Validation: validation(false, { Type: 'ChoicesTotal', ChoicesTotal: '100' }) } },
  { qid: 'QID27', tag: 'sbs', text: 'Side by side: each brand', type: 'SBS', selector: 'SBSMatrix',
    body: {
      ...choices(['Brand A', 'Brand B']),
      NumberOfQuestions: 2,
      AdditionalQuestions: {
        1: { QuestionText: 'Awareness', QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'SingleAnswer', DataExportTag: 'sbs#1', ...choices(['Brand A', 'Brand B']), ...answers(['Aware', 'Not aware']), Validation: validation() },
        2: { QuestionText: 'Used', QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'MultipleAnswer', DataExportTag: 'sbs#2', ...choices(['Brand A', 'Brand B']), ...answers(['Last year', 'Ever']), Validation: validation() },
      },
    } },
  { qid: 'QID28', tag: 'db', text: '<p>Thank you. <strong>Almost done</strong>: a few last questions.</p>', type: 'DB', selector: 'TB' },
  { qid: 'QID29', tag: 'timing', text: 'Timing', type: 'Timing', selector: 'PageTimer', body: { Choices: { 1: { Display: 'First Click' }, 2: { Display: 'Last Click' }, 3: { Display: 'Page Submit' }, 4: { Display: 'Click Count' } } } },
  { qid: 'QID30', tag: 'meta', text: 'Browser Meta Info', type: 'Meta', selector: 'Browser', body: { Choices: { 1: { Display: 'Browser', TextEntry: 1 }, 2: { Display: 'Version', TextEntry: 1 }, 3: { Display: 'Operating System', TextEntry: 1 }, 4: { Display: 'Screen Resolution', TextEntry: 1 } } } },
];

/** Questions per page: page breaks split the block so every page stays a realistic size. */
const PAGES: string[][] = [
  ['QID1', 'QID2', 'QID3', 'QID4', 'QID5', 'QID6', 'QID29'],
  ['QID7', 'QID8', 'QID9', 'QID10', 'QID11', 'QID12', 'QID13', 'QID14', 'QID15'],
  ['QID16', 'QID17', 'QID18', 'QID19', 'QID20', 'QID21'],
  ['QID22', 'QID23', 'QID24', 'QID25', 'QID26', 'QID27', 'QID28', 'QID30'],
];

function question(q: Q): Obj {
  return {
    SurveyID: SURVEY_ID, Element: 'SQ', PrimaryAttribute: q.qid, SecondaryAttribute: q.text, TertiaryAttribute: null,
    Payload: {
      QuestionText: q.text, DataExportTag: q.tag, QuestionType: q.type, Selector: q.selector,
      ...(q.sub ? { SubSelector: q.sub } : {}),
      Configuration: { QuestionDescriptionOption: 'UseText' }, QuestionDescription: q.text,
      Validation: validation(), Language: [], QuestionID: q.qid, ...(q.body ?? {}),
    },
  };
}

export const EVERY_TYPE_QUESTIONS = QUESTIONS.map((q) => ({ qid: q.qid, type: q.type, selector: q.selector, tag: q.tag }));

export function everyTypeQsf(): Obj {
  const blockElements: Obj[] = [];
  PAGES.forEach((page, i) => {
    if (i > 0) blockElements.push({ Type: 'Page Break' });
    for (const qid of page) blockElements.push({ Type: 'Question', QuestionID: qid });
  });
  return {
    SurveyEntry: { SurveyID: SURVEY_ID, SurveyName: 'Every question type', SurveyLanguage: 'EN', SurveyStatus: 'Inactive' },
    SurveyElements: [
      { SurveyID: SURVEY_ID, Element: 'BL', PrimaryAttribute: 'Survey Blocks', Payload: [{ Type: 'Default', Description: 'Everything', ID: 'BL_everything00001', BlockElements: blockElements }] },
      { SurveyID: SURVEY_ID, Element: 'FL', PrimaryAttribute: 'Survey Flow', Payload: { Type: 'Root', FlowID: 'FL_1', Flow: [{ Type: 'Block', ID: 'BL_everything00001', FlowID: 'FL_2' }], Properties: { Count: 2 } } },
      { SurveyID: SURVEY_ID, Element: 'SO', PrimaryAttribute: 'Survey Options', Payload: { BackButton: 'true', SaveAndContinue: 'true', ProgressBarDisplay: 'Text', PartialData: '+1 week', NextButton: 'Next', PreviousButton: 'Back', SurveyTermination: 'DefaultMessage', BallotBoxStuffingPrevention: 'false' } },
      ...QUESTIONS.map(question),
    ],
  };
}

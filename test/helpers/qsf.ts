/**
 * Small QSF documents for tests: one block whose pages are split by page breaks, an optional
 * embedded-data element first in the flow, survey options, and question payloads built by the
 * helpers below (the shapes real exports have; see shared/fixtures/qsf).
 */

type Obj = Record<string, unknown>;

export interface QsfSpec {
  name?: string;
  /** Question IDs per page, in order. */
  pages: string[][];
  questions: Obj[];
  /** SO payload fields (merged over the defaults every fixture has). */
  options?: Obj;
  /** Fields of an EmbeddedData flow element placed before the block. */
  embedded?: Array<{ Field: string; Type: string; Value?: string }>;
  /** SurveyEntry fields (e.g. SurveyStartDate / SurveyExpirationDate). */
  entry?: Obj;
}

export const DEFAULT_OPTIONS: Obj = {
  BackButton: 'false', SaveAndContinue: 'true', SurveyProtection: 'PublicSurvey', BallotBoxStuffingPrevention: 'false', NoIndex: 'Yes',
  SecureResponseFiles: 'true', SurveyExpiration: 'None', SurveyTermination: 'DefaultMessage', Header: '', Footer: '', ProgressBarDisplay: 'None',
  PartialData: '+1 week', ValidationMessage: '', PreviousButton: '  <<  ', NextButton: '  >>  ',
};

export function buildQsf(spec: QsfSpec): string {
  const elements: Obj[] = [];
  spec.pages.forEach((page, i) => {
    if (i > 0) elements.push({ Type: 'Page Break' });
    for (const qid of page) elements.push({ Type: 'Question', QuestionID: qid });
  });
  const flow: Obj[] = [];
  if (spec.embedded) flow.push({ Type: 'EmbeddedData', FlowID: 'FL_3', EmbeddedData: spec.embedded });
  flow.push({ Type: 'Block', ID: 'BL_test', FlowID: 'FL_2' });
  return JSON.stringify({
    SurveyEntry: { SurveyID: 'SV_0000000000test', SurveyName: spec.name ?? 'Test survey', SurveyDescription: null, SurveyStatus: 'Inactive', ...spec.entry },
    SurveyElements: [
      { SurveyID: 'SV_0000000000test', Element: 'BL', PrimaryAttribute: 'Survey Blocks', Payload: [{ Type: 'Default', Description: 'Block', ID: 'BL_test', BlockElements: elements }] },
      { SurveyID: 'SV_0000000000test', Element: 'FL', PrimaryAttribute: 'Survey Flow', Payload: { Type: 'Root', FlowID: 'FL_1', Flow: flow } },
      { SurveyID: 'SV_0000000000test', Element: 'SO', PrimaryAttribute: 'Survey Options', Payload: { ...DEFAULT_OPTIONS, ...spec.options } },
      ...spec.questions.map((p) => ({ SurveyID: 'SV_0000000000test', Element: 'SQ', PrimaryAttribute: p.QuestionID, Payload: p })),
    ],
  });
}

function validation(force?: 'ON' | 'RequestResponse'): Obj {
  if (force === 'RequestResponse') return { Settings: { ForceResponse: 'RequestResponse', ForceResponseType: 'RequestResponse', Type: 'None' } };
  return { Settings: { ForceResponse: force ?? 'OFF', ForceResponseType: 'ON', Type: 'None' } };
}

/** Single-answer multiple choice; choice n is "Choice n". */
export function mc(id: string, tag: string, choices: number, opts: { force?: 'ON' | 'RequestResponse'; text?: string; multi?: boolean } = {}): Obj {
  const ids = Array.from({ length: choices }, (_, i) => String(i + 1));
  return {
    QuestionID: id, DataExportTag: tag, QuestionType: 'MC', Selector: opts.multi ? 'MAVR' : 'SAVR', SubSelector: 'TX',
    QuestionText: opts.text ?? `Question ${tag}`, QuestionDescription: `Question ${tag}`,
    Choices: Object.fromEntries(ids.map((c) => [c, { Display: `Choice ${c}` }])), ChoiceOrder: ids, Validation: validation(opts.force),
  };
}

export function te(id: string, tag: string, opts: { force?: 'ON' | 'RequestResponse'; text?: string } = {}): Obj {
  return {
    QuestionID: id, DataExportTag: tag, QuestionType: 'TE', Selector: 'SL', QuestionText: opts.text ?? `Question ${tag}`,
    QuestionDescription: `Question ${tag}`, Validation: validation(opts.force),
  };
}

export function timing(id: string, tag: string): Obj {
  return {
    QuestionID: id, DataExportTag: tag, QuestionType: 'Timing', Selector: 'PageTimer', QuestionText: 'Timing',
    Choices: { '1': { Display: 'First Click' }, '2': { Display: 'Last Click' }, '3': { Display: 'Page Submit' }, '4': { Display: 'Click Count' } },
  };
}

export function meta(id: string, tag: string): Obj {
  return {
    QuestionID: id, DataExportTag: tag, QuestionType: 'Meta', Selector: 'Browser', QuestionText: 'Browser Meta Info',
    Choices: { '1': { Display: 'Browser' }, '2': { Display: 'Version' }, '3': { Display: 'Operating System' }, '4': { Display: 'Screen Resolution' } },
  };
}

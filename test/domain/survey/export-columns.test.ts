import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIALECT, FIXTURES } from './fixtures.ts';
import { exportColumns, legacyCsvHeader, legacyCsvPreamble, type LegacyDialect } from '../../../src/domain/survey/export-columns.ts';
import { readQsf } from '../../../src/domain/survey/qsf.ts';



const pairs = readdirSync(FIXTURES).filter((name) => {
  const files = readdirSync(FIXTURES + name);
  return files.includes('survey.qsf') && files.includes('legacy.csv');
});

describe('legacy CSV header rows reproduce the recorded exports', () => {
  it('covers every fixture pair', () => {
    expect(pairs.sort()).toEqual(Object.keys(DIALECT).sort());
  });

  for (const name of pairs) {
    it(name, () => {
      const dialect = DIALECT[name];
      const survey = readQsf(JSON.parse(readFileSync(`${FIXTURES}${name}/survey.qsf`, 'utf8')));
      const recorded = readFileSync(`${FIXTURES}${name}/legacy.csv`);
      const produced = Buffer.from(legacyCsvPreamble({ dialect }) + legacyCsvHeader(exportColumns(survey, { dialect }), { dialect }), 'utf8');
      // Byte for byte: the first two records of the recorded file, BOM included when it has one.
      expect(recorded.subarray(0, produced.length).toString('utf8')).toBe(produced.toString('utf8'));
      expect(recorded.subarray(0, produced.length).equals(produced)).toBe(true);
    });
  }
});

function sq(payload: Record<string, unknown>): Record<string, unknown> {
  return { SurveyID: 'SV_1', Element: 'SQ', PrimaryAttribute: payload.QuestionID, Payload: payload };
}

function survey(questions: Record<string, unknown>[], flowExtra: unknown[] = [], trash: string[] = []): unknown {
  return {
    SurveyEntry: { SurveyID: 'SV_1', SurveyName: 'Synthetic' },
    SurveyElements: [
      {
        Element: 'BL',
        // Some exports serialise the block list as an object keyed "0", "1", …
        Payload: {
          '0': { Type: 'Default', ID: 'BL_a', BlockElements: questions.map((q) => ({ Type: 'Question', QuestionID: q.QuestionID })).filter((e) => !trash.includes(e.QuestionID as string)) },
          '1': { Type: 'Trash', ID: 'BL_t', BlockElements: trash.map((id) => ({ Type: 'Question', QuestionID: id })) },
        },
      },
      { Element: 'FL', Payload: { Type: 'Root', FlowID: 'FL_1', Flow: [...flowExtra, { Type: 'Block', ID: 'BL_a', FlowID: 'FL_2' }] } },
      ...questions.map(sq),
    ],
  };
}

const names = (doc: unknown, dialect: LegacyDialect = 'v'): string[] => exportColumns(readQsf(doc), { dialect }).map((c) => c.name);

describe('exportColumns on synthetic surveys', () => {
  it('adds embedded-data fields from anywhere in the flow, once each, after the fixed columns', () => {
    const flow = [
      { Type: 'EmbeddedData', FlowID: 'FL_3', EmbeddedData: [{ Field: 'SubjectID', Type: 'Custom' }, { Field: 'Group', Type: 'Recipient' }] },
      { Type: 'Branch', FlowID: 'FL_4', Flow: [{ Type: 'EmbeddedData', EmbeddedData: [{ Field: 'Group' }, { Field: 'Arm' }] }] },
    ];
    const cols = exportColumns(readQsf(survey([{ QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Name?' }], flow)));
    expect(cols.map((c) => c.name)).toEqual([
      'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9', 'V10',
      'SubjectID', 'Group', 'Arm', 'Q1', 'LocationLatitude', 'LocationLongitude', 'LocationAccuracy',
    ]);
    expect(cols.find((c) => c.name === 'Arm')).toMatchObject({ kind: 'embedded', label: 'Arm' });
    expect(cols[0]).toMatchObject({ kind: 'meta', label: 'ResponseID' });
  });

  it('leaves out descriptive text and questions in the trash', () => {
    const doc = survey(
      [
        { QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'DB', Selector: 'TB', QuestionText: 'Welcome' },
        { QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Kept' },
        { QuestionID: 'QID3', DataExportTag: 'Q3', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Trashed' },
      ],
      [],
      ['QID3'],
    );
    expect(names(doc).filter((n) => n.startsWith('Q'))).toEqual(['Q2']);
  });

  it('names form fields, rank order, constant sum, timing and meta columns', () => {
    const choices = { '1': { Display: 'A' }, '2': { Display: 'B' } };
    const doc = survey([
      { QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'TE', Selector: 'FORM', QuestionText: 'Form', Choices: choices, ChoiceOrder: [2, 1] },
      { QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'RO', Selector: 'DND', QuestionText: 'Rank', Choices: choices, ChoiceOrder: ['1', '2'] },
      { QuestionID: 'QID3', DataExportTag: 'Q3', QuestionType: 'CS', Selector: 'VRTL', QuestionText: 'Sum', Choices: choices },
      { QuestionID: 'QID4', DataExportTag: 'Q4', QuestionType: 'Timing', Selector: 'PageTimer', QuestionText: 'Timing' },
      { QuestionID: 'QID5', DataExportTag: 'Q5', QuestionType: 'Meta', Selector: 'Browser', QuestionText: 'Browser' },
    ]);
    expect(names(doc).slice(10, -3)).toEqual([
      'Q1_2', 'Q1_1', 'Q2_1', 'Q2_2', 'Q3_1', 'Q3_2',
      'Q4_FIRST_CLICK', 'Q4_LAST_CLICK', 'Q4_PAGE_SUBMIT', 'Q4_CLICK_COUNT',
      'Q5_BROWSER', 'Q5_VERSION', 'Q5_OS', 'Q5_RESOLUTION',
    ]);
  });

  it('labels fall back to the question text without HTML, cut to 100 characters', () => {
    const long = `<p>Start&nbsp;<b>bold</b>, "quoted"</p> ${'x'.repeat(120)}`;
    const doc = survey([{ QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'TE', Selector: 'SL', QuestionText: long }]);
    const cols = exportColumns(readQsf(doc));
    const label = cols.find((c) => c.name === 'Q1')!.label;
    expect(label).toBe(`Start bold, "quoted" ${'x'.repeat(76)}...`);
    expect(label).toHaveLength(100);
    const rows = legacyCsvHeader(cols).split('\n');
    expect(rows[1]).toContain(`,"Start bold, ""quoted"" ${'x'.repeat(76)}...",LocationLatitude`);
    expect(rows[1].endsWith(',LocationAccuracy,')).toBe(true);
  });

  it('renders the named dialect without BOM or trailing comma', () => {
    const doc = survey([{ QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Hi' }]);
    const cols = exportColumns(readQsf(doc), { dialect: 'named' });
    expect(legacyCsvPreamble({ dialect: 'named' })).toBe('');
    expect(legacyCsvPreamble()).toBe('\uFEFF');
    expect(legacyCsvHeader(cols, { dialect: 'named' })).toBe(
      'ResponseID,ResponseSet,IPAddress,StartDate,EndDate,RecipientLastName,RecipientFirstName,RecipientEmail,ExternalDataReference,Finished,Status,Q1,LocationLatitude,LocationLongitude,LocationAccuracy\n' +
        'ResponseID,ResponseSet,IPAddress,StartDate,EndDate,RecipientLastName,RecipientFirstName,RecipientEmail,ExternalDataReference,Finished,Status,Hi,LocationLatitude,LocationLongitude,LocationAccuracy\n',
    );
  });
});

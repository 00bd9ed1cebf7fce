import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIALECT, FIXTURES } from './fixtures.ts';
import { columnKey, legacyColumns } from '../../../src/domain/export/legacy-columns.ts';
import { exportColumns, hasMatrixCells, legacyCsvHeader, legacyCsvPreamble, matrixCellKey, plainText, type LegacyDialect } from '../../../src/domain/survey/export-columns.ts';
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

describe('text-entry and constant-sum matrices', () => {
  const rows = { '1': { Display: 'Work' }, '2': { Display: 'Sleep' } };
  const points = { '1': { Display: 'Weekdays' }, '2': { Display: 'Weekends' } };
  const matrix = (id: string, selector: string, extra: Record<string, unknown> = {}) => ({
    QuestionID: `QID${id}`, DataExportTag: `Q${id}`, QuestionType: 'Matrix', Selector: selector, SubSelector: selector === 'TE' ? 'Short' : '',
    QuestionText: 'Hours', Choices: rows, ChoiceOrder: ['2', '1'], Answers: points, AnswerOrder: ['2', '1'], ...extra,
  });
  const own = (doc: unknown, qid: string, dialect: LegacyDialect = 'v') => exportColumns(readQsf(doc), { dialect }).filter((c) => c.qid === qid);

  it('give a text matrix with two or more scale points one text column per row and scale point, in display order', () => {
    const cols = own(survey([matrix('4', 'TE')]), 'QID4');
    expect(cols.map((c) => c.name)).toEqual(['Q4_2_2', 'Q4_2_1', 'Q4_1_2', 'Q4_1_1']);
    expect(cols[0]).toEqual({ kind: 'question', qid: 'QID4', name: 'Q4_2_2', label: 'Hours-Sleep-Weekends', choice: '2', answer: '2', text: true });
  });

  it('keep one column per row for a text matrix with one scale point', () => {
    const cols = own(survey([matrix('4', 'TE', { Answers: { '1': { Display: 'Hours' } }, AnswerOrder: ['1'] })]), 'QID4');
    expect(cols.map((c) => [c.name, c.choice, c.answer])).toEqual([['Q4_2', '2', undefined], ['Q4_1', '1', undefined]]);
  });

  it('give a constant-sum matrix a number column per row and scale point, even with one scale point', () => {
    const cols = own(survey([matrix('5', 'CS')]), 'QID5');
    expect(cols.map((c) => c.name)).toEqual(['Q5_2_2', 'Q5_2_1', 'Q5_1_2', 'Q5_1_1']);
    expect(cols.every((c) => c.text === undefined)).toBe(true);
    const one = own(survey([matrix('5', 'CS', { Answers: { '3': { Display: 'Points' } }, AnswerOrder: ['3'] })]), 'QID5');
    expect(one.map((c) => [c.name, c.label])).toEqual([['Q5_2_3', 'Hours-Sleep-Points'], ['Q5_1_3', 'Hours-Work-Points']]);
  });

  it('name cells like multi-answer matrix cells: row export tags, dashes made underscores, prefixed in the named dialect', () => {
    const tagged = { ChoiceDataExportTags: { '1': 'at-work', '2': 'asleep' }, RecodeValues: { '1': '10', '2': '20' } };
    const doc = survey([matrix('4', 'TE', tagged), matrix('5', 'CS', tagged), { ...matrix('6', 'Likert', tagged), SubSelector: 'MultipleAnswer' }]);
    for (const dialect of ['v', 'named'] as const) {
      const multi = own(doc, 'QID6', dialect).map((c) => c.name);
      expect(own(doc, 'QID4', dialect).map((c) => c.name)).toEqual(multi.map((n) => n.replace(/^Q6_/, 'Q4_')));
      expect(own(doc, 'QID5', dialect).map((c) => c.name)).toEqual(multi.map((n) => n.replace(/^Q6_/, 'Q5_')));
    }
    expect(own(doc, 'QID4').map((c) => c.name)).toEqual(['asleep_2', 'asleep_1', 'at_work_2', 'at_work_1']);
    expect(own(doc, 'QID5', 'named').map((c) => c.name)).toEqual(['Q5_asleep_2', 'Q5_asleep_1', 'Q5_at_work_2', 'Q5_at_work_1']);
  });

  it('have QID-keyed stored keys and import ids', () => {
    const s = readQsf(survey([matrix('4', 'TE'), matrix('5', 'CS')]));
    const cols = legacyColumns(s, { dialect: 'named' }).filter((c) => c.kind === 'question');
    expect(cols.map((c) => c.cellKey)).toEqual(['QID4_2_2', 'QID4_2_1', 'QID4_1_2', 'QID4_1_1', 'QID5_2_2', 'QID5_2_1', 'QID5_1_2', 'QID5_1_1']);
    expect(cols.map((c) => columnKey(c.source, s))).toEqual(cols.map((c) => c.cellKey));
    expect(cols.map((c) => c.importId)).toEqual([
      'QID4-2-2-TEXT', 'QID4-2-1-TEXT', 'QID4-1-2-TEXT', 'QID4-1-1-TEXT', 'QID5-2-2', 'QID5-2-1', 'QID5-1-2', 'QID5-1-1',
    ]);
    expect(legacyColumns(s, { exportQuestionIds: true }).filter((c) => c.kind === 'question').map((c) => c.name)).toEqual(cols.map((c) => c.cellKey));
  });

  it('are what hasMatrixCells and matrixCellKey describe', () => {
    const s = readQsf(survey([matrix('4', 'TE'), matrix('5', 'CS', { Answers: { '1': { Display: 'Points' } }, AnswerOrder: ['1'] }), matrix('6', 'TE', { Answers: { '1': { Display: 'Hours' } } })]));
    const q = (id: string) => s.questions.get(id)!;
    expect([q('QID4'), q('QID5'), q('QID6')].map(hasMatrixCells)).toEqual([true, true, false]);
    expect(matrixCellKey(q('QID4'), '1', '2')).toBe('1/2');
    expect(matrixCellKey(q('QID5'), '1', '1')).toBe('1');
  });
});

describe('plainText', () => {
  it('decodes character references and leaves impossible ones as written', () => {
    expect(plainText('<b>caf&#233;</b> &amp; &#99999999; &#0;')).toBe('café & &#99999999; &#0;');
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { DIALECT, FIXTURES } from '../survey/fixtures.ts';
import { loadSurvey, recordedRecords, setName, sq, storedResponse, syntheticSurvey } from './recorded-responses.ts';
import {
  columnKey,
  legacyChunks,
  legacyDocument,
  legacyWriter,
  LegacyExportOptionError,
  prepareLegacyExport,
  storedValues,
  xmlName,
  type LegacyExportOptions,
  type LegacyFormat,
  type StoredResponse,
} from '../../../src/domain/export/legacy-response-data.ts';
import { exportDateTime } from '../../../src/domain/export/fast-text.ts';
import { formatDateTime } from '../../../src/domain/dates.ts';
import { exportColumns } from '../../../src/domain/survey/export-columns.ts';
import { readQsf, type QsfQuestion, type QsfSurvey } from '../../../src/domain/survey/qsf.ts';
import { responseValues } from '../../../src/domain/survey/response-values.ts';
import type { QuestionAnswer } from '../../../src/domain/survey/session-state.ts';

const pairs = readdirSync(FIXTURES).filter((n) => readdirSync(FIXTURES + n).includes('legacy.csv')).sort();

const byTag = (s: QsfSurvey, tag: string): QsfQuestion => [...s.questions.values()].find((q) => q.dataExportTag === tag)!;

describe('Format=CSV reproduces every recorded export byte for byte', () => {
  it('covers every fixture pair', () => {
    expect(pairs).toEqual(Object.keys(DIALECT).sort());
  });

  for (const name of pairs) {
    it(name, () => {
      const exp = prepareLegacyExport(loadSurvey(name), { dialect: DIALECT[name], responseSetName: setName });
      const records = recordedRecords(name, exp);
      expect(records.length).toBeGreaterThan(0);
      const recorded = readFileSync(`${FIXTURES}${name}/legacy.csv`);
      const produced = legacyDocument(legacyWriter('CSV', exp), records);
      expect(produced).toBe(recorded.toString('utf8'));
      expect(Buffer.from(produced, 'utf8').equals(recorded)).toBe(true);
    });
  }
});

// A small synthetic survey: embedded data, MC single with recodes and a text choice, MC multi,
// a Likert matrix, a text question, and a side-by-side question with a `#` in its column names.
const SYNTHETIC_QUESTIONS: Record<string, unknown>[] = [
  {
    QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'MC', Selector: 'SAVR', QuestionText: 'Fruit?',
    Choices: { '1': { Display: 'Apple' }, '2': { Display: 'Pear <b>&</b> "more"' }, '3': { Display: 'Other', TextEntry: 'true' } },
    ChoiceOrder: ['1', '2', '3'], RecodeValues: { '1': '10', '2': '20', '3': '30' },
  },
  {
    QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'MC', Selector: 'MAVR', QuestionText: 'Colours?',
    Choices: { '1': { Display: 'Red' }, '2': { Display: 'Blue' } }, ChoiceOrder: ['1', '2'],
  },
  {
    QuestionID: 'QID3', DataExportTag: 'Q3', QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'SingleAnswer', QuestionText: 'Rate',
    Choices: { '1': { Display: 'Taste' }, '2': { Display: 'Price' } }, ChoiceOrder: ['1', '2'],
    Answers: { '1': { Display: 'Bad' }, '2': { Display: 'Good' } }, AnswerOrder: ['1', '2'],
  },
  { QuestionID: 'QID4', DataExportTag: 'Q4', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Say something' },
  {
    QuestionID: 'QID5', DataExportTag: 'Q5', QuestionType: 'SBS', Selector: 'SBSMatrix', QuestionText: 'Side',
    Choices: { '1': { Display: 'Row' } }, ChoiceOrder: ['1'],
    AdditionalQuestions: {
      '1': {
        QuestionID: 'QID5#1', QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'SingleAnswer', QuestionText: 'Col',
        Choices: { '1': { Display: 'Row' } }, ChoiceOrder: ['1'], Answers: { '1': { Display: 'No' }, '2': { Display: 'Yes' } }, AnswerOrder: ['1', '2'],
      },
    },
  },
];

function synthetic(): QsfSurvey {
  return syntheticSurvey(SYNTHETIC_QUESTIONS, ['SubjectID', '<img src=x onerror=alert(1)>']);
}

const response = storedResponse;

const write = (format: LegacyFormat, survey: QsfSurvey, rows: StoredResponse[], options: LegacyExportOptions = {}): string =>
  legacyDocument(legacyWriter(format, prepareLegacyExport(survey, { responseSetName: setName, ...options })), rows);

describe('Format=JSON', () => {
  it('reproduces the recorded getLegacyResponseData answer (wire-examples §4.17) byte for byte', () => {
    const survey = readQsf({
      SurveyElements: [
        { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_a', BlockElements: [{ Type: 'Question', QuestionID: 'QID1' }] }] },
        {
          Element: 'FL',
          Payload: { Type: 'Root', Flow: [{ Type: 'EmbeddedData', EmbeddedData: [{ Field: 'seller_company' }, { Field: 'role' }, { Field: 'redirect_host' }] }, { Type: 'Block', ID: 'BL_a' }] },
        },
        sq({ QuestionID: 'QID1', DataExportTag: 'q1_mx', QuestionType: 'TE', Selector: 'ML', QuestionText: 'Comments' }),
      ],
    });
    const r = response({
      responseId: 'R_0xxxxxxxxx00001', name: 'fn, kln', externalRef: '7', email: '<REDACTED>', ipAddress: '<REDACTED>',
      embedded: { seller_company: '', role: '', redirect_host: '' },
    });
    // The recording shows Eastern time for a 19:32 GMT request (13:50 local).
    const body = write('JSON', survey, [r], { localTime: true, timeZone: 'America/New_York', locationData: false });
    expect(body).toBe(
      '{"R_0xxxxxxxxx00001":{"ResponseSet":"Default Response Set","Name":"fn, kln","ExternalDataReference":"7",' +
        '"EmailAddress":"<REDACTED>","IPAddress":"<REDACTED>","Status":"0","StartDate":"2015-03-02 13:50:13",' +
        '"EndDate":"2015-03-02 13:50:40","Finished":"1","seller_company":"","role":"","redirect_host":"","q1_mx":""}}',
    );
  });

  it('keys responses by ResponseID in order, with §3.2 value types', () => {
    const survey = synthetic();
    const rows = [
      response({ values: { QID1: 20, QID2_1: 1, QID3_2: 2, QID4: 'tall/short \u00e9' }, embedded: { SubjectID: 'PY0001' }, location: { latitude: 41.64, longitude: -86.07, accuracy: -1 } }),
      response({ responseId: 'R_2', name: null, finished: 0, status: 2 }),
    ];
    const body = write('JSON', survey, rows);
    expect(body).toContain('"Q4":"tall\\/short \\u00e9"');
    const doc = JSON.parse(body) as Record<string, Record<string, unknown>>;
    expect(Object.keys(doc)).toEqual(['R_1', 'R_2']);
    expect(Object.keys(doc.R_1)).toEqual([
      'ResponseSet', 'Name', 'ExternalDataReference', 'EmailAddress', 'IPAddress', 'Status', 'StartDate', 'EndDate', 'Finished',
      'SubjectID', '<img src=x onerror=alert(1)>', 'Q1', 'Q1_TEXT', 'Q2_1', 'Q2_2', 'Q3_1', 'Q3_2', 'Q4', 'Q5#1_1',
      'LocationLatitude', 'LocationLongitude', 'LocationAccuracy',
    ]);
    expect(doc.R_1).toMatchObject({
      ResponseSet: 'Default Response Set', Name: 'Freeborni, Anopheles', ExternalDataReference: '', EmailAddress: 'a/b@example.com',
      IPAddress: null, Status: '0', StartDate: '2015-03-02 18:50:13', EndDate: '2015-03-02 18:50:40', Finished: '1',
      SubjectID: 'PY0001', Q1: 20, Q1_TEXT: '', Q2_1: 1, Q2_2: '', Q3_1: '', Q3_2: 2, Q4: 'tall/short \u00e9',
      LocationLatitude: '41.64', LocationLongitude: '-86.07', LocationAccuracy: '-1',
    });
    expect(doc.R_2).toMatchObject({ Name: 'Anonymous', Status: '2', Finished: 0, LocationLatitude: '' });
  });

  it('an export with no responses is {} (or PHP\'s [] when asked)', () => {
    expect(write('JSON', synthetic(), [])).toBe('{}');
    expect(write('JSON', synthetic(), [], { emptyJson: '[]' })).toBe('[]');
  });

  it('keeps column order for integer-like keys and lets a repeated key keep its first place', () => {
    const survey = readQsf({
      SurveyElements: [
        { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_a', BlockElements: [{ Type: 'Question', QuestionID: 'QID1' }, { Type: 'Question', QuestionID: 'QID2' }] }] },
        { Element: 'FL', Payload: { Type: 'Root', Flow: [{ Type: 'Block', ID: 'BL_a' }] } },
        sq({ QuestionID: 'QID1', DataExportTag: '123', QuestionType: 'TE', Selector: 'SL', QuestionText: 'a' }),
        sq({ QuestionID: 'QID2', DataExportTag: '123', QuestionType: 'TE', Selector: 'SL', QuestionText: 'b' }),
      ],
    });
    const body = write('JSON', survey, [response({ values: { QID1: 'first', QID2: 'second' } })], { locationData: false });
    expect(body).toMatch(/"Finished":"1","123":"second"\}\}$/);
  });
});

describe('Format=XML', () => {
  it('one <Response> per response, one element per column, escaped and well-formed', () => {
    const survey = synthetic();
    const rows = [response({ values: { QID4: '<b>bold</b> & "q"', 'QID5#1_1': 2 }, embedded: { SubjectID: 'x' } }), response({ responseId: 'R_2' })];
    const body = write('XML', survey, rows);
    expect(XMLValidator.validate(body)).toBe(true);
    expect(body.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Responses><Response><ResponseID>R_1</ResponseID><ResponseSet>Default Response Set</ResponseSet>')).toBe(true);
    expect(body).toContain('<Q4>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;q&quot;</Q4>');
    // Side-by-side `#` dropped (§3.4); a field name that is no XML name keeps only its name characters.
    expect(body).toContain('<Q51_1>2</Q51_1>');
    expect(body).toContain('<imgsrcxonerroralert1/>');
    expect(body).toContain('<IPAddress/>');
    const doc = new XMLParser().parse(body) as { Responses: { Response: Record<string, unknown>[] } };
    expect(doc.Responses.Response.map((r) => r.ResponseID)).toEqual(['R_1', 'R_2']);
    expect(doc.Responses.Response[0].Q4).toBe('<b>bold</b> & "q"');
  });

  it('sanitizes column names that are not XML names', () => {
    expect(xmlName('Q6#1_2')).toBe('Q61_2');
    expect(xmlName('peeling: 92')).toBe('peeling92');
    expect(xmlName('1abc')).toBe('_1abc');
    expect(xmlName('xmlThing')).toBe('_xmlThing');
    expect(xmlName('')).toBe('_');
    expect(xmlName('été')).toBe('été');
  });

  it('element names of a recorded survey with spaces, colons and # are all valid', () => {
    const survey = loadSurvey('many-different-question-types');
    const body = write('XML', survey, [response()]);
    expect(XMLValidator.validate(body)).toBe(true);
    expect(body).toContain('<peeling92/>');
    expect(body).toContain('<ohshittheexporttagscanhavespaces23234_1_TEXT/>');
  });
});

describe('Format=HTML', () => {
  it('is a table whose every header and cell is inert text', () => {
    const survey = synthetic();
    const evil = '<script>alert(1)</script><img src=x onerror="alert(2)">';
    const body = write('HTML', survey, [response({ name: evil, values: { QID4: evil, QID1_TEXT: evil }, embedded: { SubjectID: evil } })]);
    const tags = new Set([...body.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1].toLowerCase()));
    expect([...tags].sort()).toEqual(['table', 'td', 'th', 'tr']);
    expect(body).not.toMatch(/<(script|img)/i);
    expect(body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(body).toContain('<th>&lt;img src=x onerror=alert(1)&gt;</th>');
    expect(body.split('<tr>')).toHaveLength(3);
    expect(body.startsWith('<table><tr><th>ResponseID</th><th>ResponseSet</th>')).toBe(true);
  });
});

describe('CSV cells', () => {
  it('quotes when needed and defuses formulas, leaving numbers alone', () => {
    const survey = synthetic();
    const body = write('CSV', survey, [response({ values: { QID4: '=HYPERLINK("http://x","y")', QID1_TEXT: 'a,b\nc', 'QID5#1_1': -1 }, embedded: { SubjectID: '-5 apples' } })]);
    const line = body.split('\n').slice(2).join('\n');
    expect(line).toContain(`,"'=HYPERLINK(""http://x"",""y"")",`);
    expect(line).toContain(',"a,b\nc",');
    expect(line).toContain(",'-5 apples,");
    const cells = (parse(body, { bom: true, relax_column_count: true }) as string[][])[2];
    expect(cells[cells.length - 5]).toBe('-1');
    expect(cells[cells.length - 1]).toBe('');
  });

  it('numbers: a negative one in exponent form still meets the formula guard, as it always did', () => {
    const body = write('CSV', synthetic(), [response({ values: { 'QID5#1_1': -1e-7 } })]);
    const cells = (parse(body, { bom: true, relax_column_count: true }) as string[][])[2];
    expect(cells[cells.length - 5]).toBe("'-1e-7");
  });

  it('reads only a response\'s own fields, whatever the field is called', () => {
    const survey = syntheticSurvey([], ['constructor', 'toString', '__proto__', 'plain']);
    const empty = response({ embedded: JSON.parse('{}') as Record<string, string> });
    const full = response({ responseId: 'R_2', embedded: JSON.parse('{"constructor":"c","toString":"t","__proto__":"p","plain":"x"}') as Record<string, string> });
    const rows = (parse(write('CSV', survey, [empty, full]), { bom: true, relax_column_count: true }) as string[][]).slice(2);
    expect(rows.map((r) => r.slice(10, 14))).toEqual([['', '', '', ''], ['c', 't', 'p', 'x']]);
    const json = JSON.parse(write('JSON', survey, [empty, full])) as Record<string, Record<string, unknown>>;
    expect([json.R_1.constructor, json.R_1.toString, json.R_2.plain]).toEqual(['', '', 'x']);
  });

  it("'named' dialect splits Name into RecipientLastName and RecipientFirstName", () => {
    const body = write('CSV', synthetic(), [response({ name: 'Doe, Jane Q', email: 'j@x.org' })], { dialect: 'named' });
    const [names, , ids, row] = parse(body, { relax_column_count: true }) as string[][];
    const at = (col: string): string => row[names.indexOf(col)];
    expect([at('RecipientLastName'), at('RecipientFirstName'), at('RecipientEmail')]).toEqual(['Doe', 'Jane Q', 'j@x.org']);
    expect(ids.slice(11)).toEqual([
      "{'ImportId': 'SubjectID'}", "{'ImportId': '<img src=x onerror=alert(1)>'}", "{'ImportId': 'QID1'}", "{'ImportId': 'QID1-TEXT'}",
      "{'ImportId': 'QID2-1'}", "{'ImportId': 'QID2-2'}", "{'ImportId': 'QID3-1'}", "{'ImportId': 'QID3-2'}", "{'ImportId': 'QID4-TEXT'}",
      "{'ImportId': 'QID5#1-1'}", "{'ImportId': 'Location-LocationLatitude'}", "{'ImportId': 'Location-LocationLongitude'}",
      "{'ImportId': 'Location-LocationAccuracy'}",
    ]);
  });
});

describe('column options', () => {
  const survey = synthetic();
  const header = (options: LegacyExportOptions): string[] => (parse(write('CSV', survey, [], options), { bom: true, relax_column_count: true }) as string[][])[0];

  it('ExportTags=0 numbers question and embedded columns on from V11; location keeps its names', () => {
    expect(header({ exportTags: false })).toEqual([
      'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9', 'V10', 'V11', 'V12', 'V13', 'V14', 'V15', 'V16', 'V17', 'V18', 'V19', 'V20',
      'LocationLatitude', 'LocationLongitude', 'LocationAccuracy', '',
    ]);
  });

  it('ExportQuestionIDs=1 names question columns by QID, also in JSON keys', () => {
    expect(header({ exportQuestionIds: true }).slice(10, 21)).toEqual([
      'SubjectID', '<img src=x onerror=alert(1)>', 'QID1', 'QID1_TEXT', 'QID2_1', 'QID2_2', 'QID3_1', 'QID3_2', 'QID4', 'QID5#1_1', 'LocationLatitude',
    ]);
    const doc = JSON.parse(write('JSON', survey, [response({ values: { QID3_2: 1 } })], { exportQuestionIds: true })) as Record<string, Record<string, unknown>>;
    expect(doc.R_1.QID3_2).toBe(1);
  });

  it('Questions keeps only the listed questions; LocationData=0 drops location', () => {
    expect(header({ questions: ['QID4', 'QID2'], locationData: false })).toEqual([
      'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'V8', 'V9', 'V10', 'SubjectID', '<img src=x onerror=alert(1)>', 'Q2_1', 'Q2_2', 'Q4', '',
    ]);
  });

  it('column keys follow the ExportQuestionIDs names for every recorded survey, and are unique', () => {
    for (const name of pairs) {
      const s = loadSurvey(name);
      const keys = exportColumns(s, { dialect: DIALECT[name] }).filter((c) => c.kind === 'question').map((c) => columnKey(c, s));
      expect(new Set(keys).size).toBe(keys.length);
      for (const k of keys) expect(k).toMatch(/^QID\d+(#\d+)?(_[0-9A-Za-z]+)*$/);
    }
  });
});

describe('Labels=1', () => {
  const survey = loadSurvey('many-different-question-types');
  const exp = prepareLegacyExport(survey, { labels: true });
  const colKey = (name: string): string => exp.columns.find((c) => c.name === name)!.cellKey;
  const json = (values: Record<string, string | number>): Record<string, unknown> =>
    (JSON.parse(legacyDocument(legacyWriter('JSON', exp), [response({ values })])) as Record<string, Record<string, unknown>>).R_1;

  it('MC single: the text of the choice with that recode (custom recodes included)', () => {
    const q = byTag(survey, 'Q45');
    const [id, recode] = [...q.recodeValues][0];
    expect(json({ [colKey('Q45')]: Number(recode) }).Q45).toBe(q.choices.get(id)!.display);
  });

  it('MC multi and multi-answer matrix cells: their own choice or scale point text', () => {
    const q2 = byTag(survey, 'Q2');
    const q44 = byTag(survey, 'Q44');
    const out = json({ [colKey('Q2_1')]: 1, [colKey('Q44_1_2')]: 1 });
    expect(out.Q2_1).toBe(q2.choices.get('1')!.display);
    expect(out.Q2_2).toBe('');
    expect(out.Q44_1_2).toBe(q44.answers.get('2')!.display);
  });

  it('matrix and side-by-side single answers: the scale point text; sliders and text stay as they are', () => {
    const q3 = byTag(survey, 'Q3');
    const sub = byTag(survey, 'Q4').additionalQuestions[0];
    const out = json({ [colKey('Q3_1')]: 2, [colKey('Q4#1_1')]: 3, [colKey('Q5_1')]: 21, [colKey('Q18')]: '2', [colKey('Q3_2')]: 99 });
    expect(out.Q3_1).toBe(q3.answers.get('2')!.display);
    expect(out['Q4#1_1']).toBe(sub.answers.get('3')!.display);
    expect(out.Q5_1).toBe(21);
    expect(out.Q18).toBe('2');
    expect(out.Q3_2).toBe(99);
  });
});

describe('UnansweredRecode', () => {
  const survey = loadSurvey('no-basis-for-evaluation');
  const qid = (tag: string): string => byTag(survey, tag).questionId;
  const cells = (r: StoredResponse, options: LegacyExportOptions, s = survey): Record<string, unknown> =>
    (JSON.parse(write('JSON', s, [r], options)) as Record<string, Record<string, unknown>>)[r.responseId];

  it('fills displayed, unanswered choice cells only', () => {
    const firstAnswer = [...byTag(survey, 'Q3').answers.keys()][0];
    const values = storedValues(survey, { [qid('Q3')]: { matrix: { '1': [firstAnswer] } }, [qid('Q2')]: { selected: ['2'] } });
    const out = cells(response({ values, displayed: [qid('Q1'), qid('Q2'), qid('Q3')] }), { unansweredRecode: '-99' });
    expect(out.Q1).toBe(-99);
    expect([out.Q2_1, out.Q2_2, out.Q2_5]).toEqual(['', 1, '']);
    expect(out.Q3_1).not.toBe(-99);
    expect(out.Q3_2).toBe(-99);
    expect(out.Q4_1).toBe('');
    const csv = write('CSV', survey, [response({ values, displayed: [qid('Q1')] })], { unansweredRecode: '-99' });
    expect((parse(csv, { bom: true, relax_column_count: true }) as string[][])[2].slice(10, 12)).toEqual(['-99', '']);
  });

  it('never fills text cells; without the option everything unanswered is blank', () => {
    const s = loadSurvey('many-different-question-types');
    const shown = [byTag(s, 'Q18').questionId, byTag(s, 'fruits').questionId];
    const r = response({ displayed: shown });
    const withRecode = JSON.parse(write('JSON', s, [r], { unansweredRecode: '-99' })) as Record<string, Record<string, unknown>>;
    expect([withRecode.R_1.Q18, withRecode.R_1.fruits]).toEqual(['', -99]);
    const without = JSON.parse(write('JSON', s, [r])) as Record<string, Record<string, unknown>>;
    expect(without.R_1.fruits).toBe('');
  });

  it('agrees with response-values.ts on every uniquely named column of the sample survey', () => {
    const s = loadSurvey('sample-survey');
    const q = (tag: string): QsfQuestion => byTag(s, tag);
    const answers: Record<string, QuestionAnswer> = {
      [q('q1_recent').questionId]: { matrix: { '1': ['2'] } },
      [q('q3_volunteer').questionId]: { selected: ['3'] },
      [q('Q11').questionId]: { matrix: { '1/2': ['1'], '3/1': ['2'] } },
      [q('q5_position').questionId]: {},
      [q('Q8').questionId]: { matrix: { '2': ['1'] } },
    };
    const displayed = [...s.questions.keys()].filter((id) => id !== q('Q12').questionId);
    const columns = exportColumns(s, { dialect: 'named' });
    const expected = responseValues(s, columns, answers, { displayed, unansweredRecode: '-99' });
    const got = cells(response({ values: storedValues(s, answers, columns), displayed }), { dialect: 'named', unansweredRecode: '-99' }, s);
    let compared = 0;
    for (const col of columns) {
      if (col.kind !== 'question' || columns.filter((c) => c.name === col.name).length !== 1) continue;
      expect({ column: col.name, value: got[col.name] }).toEqual({ column: col.name, value: expected[col.name] });
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
    expect(Object.values(got)).toContain(-99);
  });
});

describe('dates', () => {
  const survey = synthetic();
  const start = (options: LegacyExportOptions): unknown =>
    (JSON.parse(write('JSON', survey, [response()], options)) as Record<string, Record<string, unknown>>).R_1.StartDate;

  it('UTC by default and with LocalTime=0; the given zone with LocalTime=1', () => {
    expect(start({})).toBe('2015-03-02 18:50:13');
    expect(start({ localTime: false, timeZone: 'America/Denver' })).toBe('2015-03-02 18:50:13');
    expect(start({ localTime: true, timeZone: 'America/Denver' })).toBe('2015-03-02 11:50:13');
    expect(start({ localTime: true, timeZone: 'Asia/Kolkata' })).toBe('2015-03-03 00:20:13');
  });

  it('rejects an unknown zone', () => {
    expect(() => prepareLegacyExport(survey, { localTime: true, timeZone: 'Mars/Olympus' })).toThrow(LegacyExportOptionError);
  });
});

describe('streaming', () => {
  it('legacyChunks over an async cursor yields the same document as writing it at once', async () => {
    const survey = loadSurvey('many-different-question-types');
    const rows = Array.from({ length: 300 }, (_, i) => response({ responseId: `R_${i}`, values: { QID18: `text ${i} `.repeat(40) } }));
    async function* cursor(): AsyncGenerator<StoredResponse> {
      for (const r of rows) yield r;
    }
    for (const format of ['CSV', 'JSON', 'XML', 'HTML'] as const) {
      const exp = prepareLegacyExport(survey, { responseSetName: setName });
      const chunks: string[] = [];
      for await (const c of legacyChunks(legacyWriter(format, exp), cursor())) chunks.push(c);
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.join('')).toBe(legacyDocument(legacyWriter(format, prepareLegacyExport(survey, { responseSetName: setName })), rows));
    }
  });
});

describe('exportDateTime', () => {
  it('matches formatDateTime in every zone, across DST changes and odd offsets', () => {
    const zones = ['UTC', 'America/New_York', 'America/Denver', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham'];
    const stamps: number[] = [];
    // Through 2016 in steps that drift against the hour, plus every 61 s around that year's changes
    // in these zones (US, EU, Lord Howe's half-hour shift, Chatham).
    for (let ms = Date.UTC(2016, 0, 1); ms < Date.UTC(2017, 0, 1); ms += 9_013_000) stamps.push(ms + 999);
    const changes = [Date.UTC(2016, 2, 13, 7), Date.UTC(2016, 10, 6, 6), Date.UTC(2016, 2, 27, 1), Date.UTC(2016, 3, 2, 15), Date.UTC(2016, 3, 2, 14)];
    for (const at of changes) for (let ms = at - 3_600_000; ms < at + 3_600_000; ms += 61_000) stamps.push(ms);
    const wrong = zones.flatMap((zone) => stamps.filter((ms) => exportDateTime(ms, zone) !== formatDateTime(ms, zone)).map((ms) => `${zone} ${ms}`));
    expect(wrong).toEqual([]);
    expect(exportDateTime(Number.NaN, 'UTC')).toBe('0000-00-00 00:00:00');
  });

  it('writes UTC as toISOString does, before 1970, with fractions of a millisecond, and at the ends of its 4-digit years', () => {
    const stamps = [0, -1, -1.5, 1.5, 999.9, -1000.5, -86_400_000.5, -86_400_000, -86_400_001, Date.UTC(1969, 11, 31, 23, 59, 59, 999), Date.UTC(2024, 1, 29, 23, 59, 59, 500), new Date('0000-01-01T00:00:00Z').getTime(), new Date('9999-12-31T23:59:59.999Z').getTime()];
    for (let ms = Date.UTC(1890, 0, 1); ms < Date.UTC(2100, 0, 1); ms += 86_400_000 * 37 + 3_599_999) stamps.push(ms, -ms);
    const iso = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
    const wrong = stamps.filter((ms) => exportDateTime(ms, 'UTC') !== iso(ms));
    expect(wrong).toEqual([]);
    // Outside 0000–9999 toISOString writes six-digit years; those go to Intl as before.
    for (const ms of [new Date('+010000-01-01T00:00:00Z').getTime(), new Date('-000001-12-31T23:59:59Z').getTime()]) expect(exportDateTime(ms, 'UTC')).toBe(formatDateTime(ms, 'UTC'));
  });
});

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readQsf } from '../../src/domain/survey/qsf.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { API, apiGet, creds, type Call } from '../helpers/wrapi.ts';
import { call, expectJsonError, expectSuccess } from './support.ts';

const INVALID = 'Error parsing file: The file does not appear to be a valid survey';

const TXT = [
  '[[AdvancedFormat]]',
  '',
  '[[Block:Intro]]',
  '[[Question:DB]]',
  'Welcome to our <b>survey</b>.',
  '',
  '[[Question:MC:SingleAnswer:Vertical]]',
  '[[ID:colour]]',
  'Favourite colour?',
  '',
  '[[Choices]]',
  'Red',
  'Green',
  '',
  '[[PageBreak]]',
  '[[Block:Ratings]]',
  '[[Question:Matrix]]',
  'Rate our service',
  '[[AdvancedChoices]]',
  '[[Choice]]',
  'Food',
  '[[Choice]]',
  'Staff',
  '[[AdvancedAnswers]]',
  '[[Answer:1]]',
  'Poor',
  '[[Answer:5]]',
  'Great',
  '',
  '[[Question:TE:Essay]]',
  'Anything else?',
  '',
].join('\n');

let t: TestApp;
let ann: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
});
afterAll(async () => t?.close());

function multipart(fields: Record<string, string>, content: Buffer) {
  const boundary = '----insight-txt-boundary';
  const chunks: Buffer[] = Object.entries({ Request: 'importSurvey', ...creds(ann), ...fields }).map(([k, v]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="FileContents"; filename="survey.txt"\r\nContent-Type: text/plain\r\n\r\n`), content, Buffer.from(`\r\n--${boundary}--\r\n`));
  return call(t.app, { method: 'POST', url: API, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(chunks) });
}

function rawImport(params: Record<string, string>, body: Buffer | string) {
  const qs = new URLSearchParams({ Request: 'importSurvey', ...creds(ann), ImportFormat: 'TXT', ...params });
  return call(t.app, { method: 'POST', url: `${API}?${qs}`, headers: { 'content-type': 'text/plain' }, payload: body });
}

const listed = async () => (await apiGet(t.app, { Request: 'getSurveys', ...creds(ann) })).json.Result.Surveys as { SurveyID: string; SurveyName: string }[];

function imported(r: Call): string {
  expectSuccess(r);
  return r.json.Result.SurveyID as string;
}

/** Checks the stored survey through exportSurvey and getSurvey: the blocks, questions and texts of TXT. */
async function checkStored(surveyId: string) {
  const back = await apiGet(t.app, { Request: 'exportSurvey', SurveyID: surveyId, ...creds(ann) });
  expectSuccess(back);
  const s = readQsf(JSON.parse(back.body));
  expect(s.blocks.map((b) => [b.type, b.description])).toEqual([
    ['Default', 'Intro'],
    ['Standard', 'Ratings'],
    ['Trash', 'Trash / Unused Questions'],
  ]);
  expect(s.blocks[0]!.elements.map((e) => e.questionId ?? e.type)).toEqual(['QID1', 'QID2', 'Page Break']);
  expect(s.blocks[1]!.elements.map((e) => e.questionId)).toEqual(['QID3', 'QID4']);
  expect(s.flow.map((f) => f.id)).toEqual([s.blocks[0]!.id, s.blocks[1]!.id]);
  const qs = [...s.questions.values()];
  expect(qs.map((q) => [q.questionId, q.dataExportTag, q.questionType, q.selector])).toEqual([
    ['QID1', 'Q1', 'DB', 'TB'],
    ['QID2', 'colour', 'MC', 'SAVR'],
    ['QID3', 'Q2', 'Matrix', 'Likert'],
    ['QID4', 'Q3', 'TE', 'ESTB'],
  ]);
  const matrix = s.questions.get('QID3')!;
  expect(matrix.answerOrder.map((id) => matrix.answers.get(id)!.display)).toEqual(['Poor', 'Great']);
  expect(Object.fromEntries(matrix.recodeValues)).toEqual({ '1': '1', '2': '5' });

  const xml = await apiGet(t.app, { Request: 'getSurvey', SurveyID: surveyId, ...creds(ann) });
  expect(xml.status).toBe(200);
  expect(XMLValidator.validate(xml.body)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml.body) as { SurveyDefinition: { Questions: { Question: Record<string, unknown>[] }; Blocks: { Block: Record<string, unknown>[] } } };
  const questions = doc.SurveyDefinition.Questions.Question;
  expect(questions.map((q) => [q['@QuestionID'], q.Type, q.Selector, q.ExportTag])).toEqual([
    ['QID1', 'DB', 'TB', 'Q1'],
    ['QID2', 'MC', 'SAVR', 'colour'],
    ['QID3', 'Matrix', 'Likert', 'Q2'],
    ['QID4', 'TE', 'ESTB', 'Q3'],
  ]);
  expect(questions[1]!.QuestionText).toBe('Favourite colour?');
  expect(doc.SurveyDefinition.Blocks.Block.map((b) => b['@Description'])).toEqual(['Intro', 'Ratings', 'Trash / Unused Questions']);
}

describe('importSurvey ImportFormat=TXT (Advanced Format)', () => {
  it('imports a multipart FileContents upload; getSurveys lists it, exportSurvey and getSurvey show its blocks and questions', async () => {
    const id = imported(await multipart({ ImportFormat: 'TXT', Name: 'Customer pulse' }, Buffer.from(TXT)));
    expect((await listed()).find((s) => s.SurveyID === id)?.SurveyName).toBe('Customer pulse');
    const info = await t.services.surveys.getSurvey(ann.actor, id);
    expect(info).toMatchObject({ ownerId: ann.id, status: 'Inactive' });
    await checkStored(id);
  });

  it('imports the raw body (lower-case format, CRLF lines); without Name it gets the default name; Activate=1 activates', async () => {
    const id = imported(await rawImport({ ImportFormat: 'txt', Activate: '1' }, TXT.replaceAll('\n', '\r\n')));
    expect((await listed()).find((s) => s.SurveyID === id)?.SurveyName).toBe('Imported survey');
    expect((await t.services.surveys.getSurvey(ann.actor, id)).status).toBe('Active');
    await checkStored(id);
  });

  it.each([
    ['an unknown tag', '[[AdvancedFormat]]\n[[Question:TE]]\nHi\n[[Bogus]]\n', ' (line 4: unknown tag [[Bogus]]).'],
    ['a question without text', '[[AdvancedFormat]]\n[[Question:TE]]\n[[Question:TE]]\nHi\n', ' (line 2: a question without text).'],
    ['a matrix without answers', '[[AdvancedFormat]]\n[[Question:Matrix]]\nRate\n[[Choices]]\nFood\n', ' (line 2: a matrix without answers).'],
    ['a NUL byte', '[[AdvancedFormat]]\n[[Question:TE]]\nH\u0000i\n', ' (line 3: control character).'],
    ['a QSF file', '{"SurveyEntry":{},"SurveyElements":[]}', ' (line 1: the file must start with [[AdvancedFormat]]).'],
    ['a 10 MB single line', `[[AdvancedFormat]]\n${'x'.repeat(10 * 1024 * 1024)}`, ' (line 2: longer than 100000 characters).'],
  ])('%s is ESRV37 with the reason and stores nothing', async (_, body, detail) => {
    const before = (await listed()).length;
    expectJsonError(await rawImport({}, body), 'importSurvey', 500, 'ESRV37', `${INVALID}${detail}`);
    expectJsonError(await multipart({ ImportFormat: 'TXT' }, Buffer.from(body)), 'importSurvey', 500, 'ESRV37', `${INVALID}${detail}`);
    expect((await listed()).length).toBe(before);
  });

  it('DOC and MSQ stay refused', async () => {
    for (const format of ['DOC', 'MSQ']) {
      expectJsonError(await rawImport({ ImportFormat: format }, TXT), 'importSurvey', 500, 'ESRV37', `ImportFormat ${format} is not supported by this server yet.`);
    }
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { API, apiGet, creds, type Call } from '../helpers/wrapi.ts';
import { call, expectSuccess } from './support.ts';

type Obj = Record<string, unknown>;
type Qsf = { SurveyEntry: Obj; SurveyElements: { Element: string; PrimaryAttribute: string; Payload: Obj }[] };

const FIXTURES = '/work/shared/fixtures/qsf';
const fixtures = readdirSync(FIXTURES).map((dir) => {
  const text = readFileSync(`${FIXTURES}/${dir}/survey.qsf`, 'utf8');
  return { dir, text, qsf: JSON.parse(text) as Qsf };
});
const SAMPLE_XML = readFileSync('/work/shared/fixtures/xml/sample_survey.xml', 'utf8');

let t: TestApp;
let ann: SeededUser;
let bob: SeededUser;
let foreign: SeededUser;
const imported = new Map<string, string>();

function importQsf(user: SeededUser, qsf: string, name = ''): Promise<Call> {
  const qs = new URLSearchParams({ Request: 'importSurvey', ...creds(user), ImportFormat: 'QSF', Name: name });
  return call(t.app, { method: 'POST', url: `${API}?${qs}`, headers: { 'content-type': 'application/json' }, payload: qsf });
}

async function importOk(user: SeededUser, qsf: string, name = ''): Promise<string> {
  const r = await importQsf(user, qsf, name);
  expectSuccess(r);
  return r.json.Result.SurveyID as string;
}

/** getSurvey asking for JSON: the answer must be XML all the same. */
const getSurvey = (user: SeededUser, surveyId: string, extra: Record<string, string> = {}) =>
  apiGet(t.app, { Request: 'getSurvey', SurveyID: surveyId, ...creds(user, 'JSON'), ...extra });

// ---- XML helpers: structure as element names, nesting and attribute names ----

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, parseAttributeValue: false, trimValues: false, cdataPropName: '#cdata' });

function toNodes(raw: Obj[]): Node[] {
  const nodes: Node[] = [];
  for (const item of raw) {
    const name = Object.keys(item).find((k) => k !== ':@');
    if (!name || name === '#text' || name === '#cdata' || name === '?xml') continue;
    const kids = item[name] as Obj[];
    const text = kids.map((k) => (k['#text'] !== undefined ? String(k['#text']) : Array.isArray(k['#cdata']) ? (k['#cdata'] as Obj[]).map((c) => String(c['#text'])).join('') : '')).join('');
    nodes.push({ name, attrs: (item[':@'] as Record<string, string> | undefined) ?? {}, children: toNodes(kids), text });
  }
  return nodes;
}

/** The document element of a well-formed body (the test fails if it is not well formed). */
function parseDoc(body: string): Node {
  expect(XMLValidator.validate(body)).toBe(true);
  const roots = toNodes(ordered.parse(body) as Obj[]);
  expect(roots).toHaveLength(1);
  return roots[0]!;
}

const child = (n: Node, name: string): Node | undefined => n.children.find((c) => c.name === name);
const kids = (n: Node | undefined, name: string): Node[] => (n ? n.children.filter((c) => c.name === name) : []);
const names = (n: Node | undefined): string[] => (n ? n.children.map((c) => c.name) : []);

function all(n: Node, name: string, out: Node[] = []): Node[] {
  for (const c of n.children) {
    if (c.name === name) out.push(c);
    all(c, name, out);
  }
  return out;
}

/** Every path of element names with its attribute names, e.g. `SurveyDefinition/Blocks/Block[Description,ID]`. */
function paths(n: Node, prefix = '', out = new Set<string>()): Set<string> {
  const here = `${prefix}${n.name}[${Object.keys(n.attrs).sort().join(',')}]`;
  out.add(here);
  for (const c of n.children) paths(c, `${here}/`, out);
  return out;
}

function flowIds(items: unknown[], out: string[] = []): string[] {
  for (const item of items as Obj[]) {
    if (typeof item.FlowID === 'string') out.push(item.FlowID);
    if (Array.isArray(item.Flow)) flowIds(item.Flow, out);
  }
  return out;
}

const element = (qsf: Qsf, kind: string) => qsf.SurveyElements.filter((e) => e.Element === kind);
const blocksOf = (qsf: Qsf) => Object.values(element(qsf, 'BL')[0]!.Payload) as Obj[];

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
  foreign = await seedBrand(t, 'globex');
  for (const f of fixtures) imported.set(f.dir, await importOk(ann, f.text));
});
afterAll(async () => t?.close());

describe('getSurvey: the <SurveyDefinition> document', () => {
  it('answers a bare text/xml attachment even when Format=JSON, with no envelope', async () => {
    const id = imported.get('sample-survey')!;
    const r = await getSurvey(ann, id);
    expectSuccess(r);
    expect(r.headers['content-type']).toMatch(/^text\/xml/);
    expect(r.headers['content-disposition']).toBe('attachment; filename="Better_Sample_Survey.xml"');
    expect(r.body.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<SurveyDefinition>')).toBe(true);
    expect(r.json).toBeUndefined();
    const doc = parseDoc(r.body);
    expect(doc.name).toBe('SurveyDefinition');
    expect(child(doc, 'SurveyName')?.text).toBe('Better Sample Survey');
    expect(child(doc, 'OwnerID')?.text).toBe(ann.id);
    expect(child(doc, 'isActive')?.text).toBe('0');
    expect(child(doc, 'CreationDate')?.text).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(child(doc, 'StartDate')?.text).toBe('0000-00-00 00:00:00');
    expect(child(child(doc, 'Languages')!, 'Language')).toMatchObject({ attrs: { Default: '1' }, text: 'EN' });
  });

  it('reflects the stored status: isActive turns 1 after activateSurvey', async () => {
    const id = await importOk(ann, fixtures[0]!.text, 'Activated');
    expectSuccess(await apiGet(t.app, { Request: 'activateSurvey', SurveyID: id, ...creds(ann) }));
    const doc = parseDoc((await getSurvey(ann, id)).body);
    expect(child(doc, 'isActive')?.text).toBe('1');
    expect(child(doc, 'SurveyName')?.text).toBe('Activated');
  });

  it('lists every question, block and flow element of every fixture QSF, well formed', async () => {
    for (const f of fixtures) {
      const r = await getSurvey(ann, imported.get(f.dir)!);
      expectSuccess(r);
      expect(r.headers['content-type'], f.dir).toMatch(/^text\/xml/);
      const doc = parseDoc(r.body);
      const questionIds = kids(child(doc, 'Questions'), 'Question').map((q) => q.attrs.QuestionID);
      expect(questionIds, f.dir).toEqual(element(f.qsf, 'SQ').map((e) => e.PrimaryAttribute));
      const blocks = kids(child(doc, 'Blocks'), 'Block');
      expect(blocks.map((b) => b.attrs.ID), f.dir).toEqual(blocksOf(f.qsf).map((b) => b.ID));
      for (const [i, b] of blocksOf(f.qsf).entries()) {
        const wanted = ((b.BlockElements as Obj[] | undefined) ?? []).filter((e) => e.Type === 'Question').map((e) => e.QuestionID);
        expect(kids(child(blocks[i]!, 'BlockElements'), 'Question').map((q) => q.attrs.QuestionID), `${f.dir} ${String(b.ID)}`).toEqual(wanted);
      }
      const flow = element(f.qsf, 'FL')[0]!.Payload.Flow as Obj[];
      const flowNode = child(doc, 'SurveyFlow')!;
      expect([...all(flowNode, 'Block'), ...flowNode.children.filter((c) => c.name !== 'Block')].map((n) => n.attrs.FlowID).sort(), f.dir).toEqual(flowIds(flow).sort());
      expect(kids(flowNode, 'Block').map((b) => b.attrs.ID), f.dir).toEqual(flow.map((i) => i.ID));
    }
  });

  it('has the recorded structure of sample_survey.xml wherever the fixtures overlap with it', async () => {
    const sample = parseDoc(SAMPLE_XML);
    const sampleQuestion = kids(child(sample, 'Questions'), 'Question')[0]!;
    const samplePaths = paths(sample);
    let compared = 0;
    for (const f of fixtures) {
      const doc = parseDoc((await getSurvey(ann, imported.get(f.dir)!)).body);
      expect(names(doc), f.dir).toEqual(names(sample));
      const mc = kids(child(doc, 'Questions'), 'Question').filter((q) => child(q, 'Type')?.text === 'MC' && child(q, 'Selector')?.text === 'SAVR');
      for (const q of mc) {
        expect(names(q), `${f.dir} ${q.attrs.QuestionID}`).toEqual(names(sampleQuestion));
        expect(names(child(q, 'Validation')), f.dir).toEqual(['ForceResponse']);
        for (const c of kids(child(q, 'Choices'), 'Choice')) expect(names(c)).toEqual(['Description']);
      }
      if (mc.length === 0) continue;
      compared++;
      const own = paths(doc);
      for (const p of samplePaths) expect(own.has(p), `${f.dir}: ${p}`).toBe(true);
    }
    expect(compared).toBeGreaterThanOrEqual(3);
  });

  it('writes matrix columns as Answers with the recodes, and nothing of the kind for plain MC questions', async () => {
    const f = fixtures.find((x) => x.dir === 'sample-survey')!;
    const doc = parseDoc((await getSurvey(ann, imported.get(f.dir)!)).body);
    const questions = kids(child(doc, 'Questions'), 'Question');
    for (const e of element(f.qsf, 'SQ')) {
      const q = questions.find((n) => n.attrs.QuestionID === e.PrimaryAttribute)!;
      const p = e.Payload;
      expect(child(q, 'Type')?.text).toBe(p.QuestionType);
      expect(child(q, 'ExportTag')?.text).toBe(p.DataExportTag);
      const choiceIds = Object.keys((p.Choices as Obj | undefined) ?? {});
      expect(kids(child(q, 'Choices'), 'Choice').map((c) => c.attrs.ID).sort()).toEqual(choiceIds.sort());
      if (p.QuestionType === 'Matrix') {
        const answers = kids(child(q, 'Answers'), 'Answer');
        expect(answers.map((a) => a.attrs.ID).sort()).toEqual(Object.keys(p.Answers as Obj).sort());
        const recodes = (p.RecodeValues as Record<string, string> | undefined) ?? {};
        for (const a of answers) expect(a.attrs.Recode).toBe(String(recodes[a.attrs.ID!] ?? a.attrs.ID));
      } else {
        expect(child(q, 'Answers'), String(e.PrimaryAttribute)).toBeUndefined();
      }
      if (p.QuestionType === 'SBS') expect(kids(child(q, 'AdditionalQuestions'), 'Question')).toHaveLength(Number(p.NumberOfQuestions));
    }
  });

  it('adds display and skip logic only with ExportLogic=1', async () => {
    for (const dir of ['many-different-question-types', 'sample-survey']) {
      const f = fixtures.find((x) => x.dir === dir)!;
      const plain = parseDoc((await getSurvey(ann, imported.get(dir)!)).body);
      expect(all(plain, 'DisplayLogic')).toHaveLength(0);
      expect(all(plain, 'SkipLogic')).toHaveLength(0);
      const doc = parseDoc((await getSurvey(ann, imported.get(dir)!, { ExportLogic: '1' })).body);
      const questions = kids(child(doc, 'Questions'), 'Question');
      for (const e of element(f.qsf, 'SQ')) {
        const q = questions.find((n) => n.attrs.QuestionID === e.PrimaryAttribute)!;
        const logic = e.Payload.DisplayLogic as Obj | undefined;
        if (!logic) {
          expect(child(q, 'DisplayLogic')).toBeUndefined();
          continue;
        }
        const first = (logic['0'] as Obj)['0'] as Obj;
        const expression = child(child(child(q, 'DisplayLogic')!, 'ExpressionSet')!, 'Expression')!;
        expect(child(expression, 'Operator')?.text).toBe(first.Operator);
        expect(child(expression, 'QuestionID')?.text).toBe(first.QuestionID);
        expect(child(expression, 'Description')?.text).toBe(first.Description);
      }
    }
    const sample = parseDoc((await getSurvey(ann, imported.get('sample-survey')!, { ExportLogic: '1' })).body);
    // The sample keeps its skip logic on QID1's block element; it is shown on the question.
    const qid1 = kids(child(sample, 'Questions'), 'Question').find((q) => q.attrs.QuestionID === 'QID1')!;
    const skip = kids(child(qid1, 'SkipLogic'), 'Skip');
    expect(skip).toHaveLength(1);
    expect(child(skip[0]!, 'SkipToDestination')?.text).toBe('ENDOFBLOCK');
    expect(child(skip[0]!, 'Condition')?.text).toBe('Selected');
    // Choice-level display logic (the sample's matrix rows) sits inside the Choice.
    expect(all(sample, 'Choice').some((c) => child(c, 'DisplayLogic') !== undefined)).toBe(true);
  });

  it('renders flow items other than blocks, and collects embedded data fields', async () => {
    const base = fixtures.find((x) => x.dir === 'single-answer-multiple-choice-questions')!;
    const qsf = structuredClone(base.qsf);
    const fl = element(qsf, 'FL')[0]!.Payload;
    const branchLogic = { '0': { '0': { LogicType: 'EmbeddedField', LeftOperand: 'group', Operator: 'EqualTo', RightOperand: 'a', Type: 'Expression' }, Type: 'If' }, Type: 'BooleanExpression' };
    (fl.Flow as Obj[]).push(
      { Type: 'EmbeddedData', FlowID: 'FL_3', EmbeddedData: [{ Description: 'group', Type: 'Custom', Field: 'group', VariableType: 'String', Value: 'a' }, { Type: 'Recipient', Field: 'FirstName' }] },
      { Type: 'Branch', FlowID: 'FL_4', Description: 'New Branch', BranchLogic: branchLogic, Flow: [{ Type: 'EndSurvey', FlowID: 'FL_5' }] },
      { Type: 'Authenticator', FlowID: 'FL_6', Flow: [] },
    );
    const id = await importOk(ann, JSON.stringify(qsf), 'Flow survey');
    const doc = parseDoc((await getSurvey(ann, id)).body);
    const flow = child(doc, 'SurveyFlow')!;
    expect(names(flow)).toEqual(['Block', 'EmbeddedData', 'Branch', 'FlowElement']);
    expect(kids(flow, 'FlowElement')[0]!.attrs).toEqual({ FlowID: 'FL_6', Type: 'Authenticator' });
    const branch = child(flow, 'Branch')!;
    expect(branch.attrs).toEqual({ FlowID: 'FL_4', Description: 'New Branch' });
    expect(names(branch)).toEqual(['EndSurvey']);
    const fields = kids(child(doc, 'EmbeddedData'), 'Field');
    expect(fields.map((f) => [f.attrs.Type, child(f, 'Name')?.text, child(f, 'Value')?.text ?? ''])).toEqual([
      ['Custom', 'group', 'a'],
      ['Recipient', 'FirstName', ''],
    ]);
    const withLogic = parseDoc((await getSurvey(ann, id, { ExportLogic: '1' })).body);
    const logic = child(child(withLogic, 'SurveyFlow')!, 'Branch')!;
    expect(names(logic)).toEqual(['BranchLogic', 'EndSurvey']);
    expect(child(all(logic, 'Expression')[0]!, 'RightOperand')?.text).toBe('a');
  });

  it('keeps hostile text well formed and inert', async () => {
    const base = fixtures.find((x) => x.dir === 'single-answer-multiple-choice-questions')!;
    const qsf = structuredClone(base.qsf);
    const hostile = '<script>alert(1)</script> ]]> <![CDATA[ x ]]]]> & "q" \u0001\u0008\u000b\ufffe end';
    const clean = '<script>alert(1)</script> ]]> <![CDATA[ x ]]]]> & "q"  end';
    const q = element(qsf, 'SQ')[0]!.Payload;
    q.QuestionText = hostile;
    q.DataExportTag = ']]>';
    const firstChoice = Object.keys(q.Choices as Obj)[0]!;
    (q.Choices as Record<string, Obj>)[firstChoice]!.Display = hostile;
    (blocksOf(qsf)[0] as Obj).Description = '"><script>x</script>';
    const fl = element(qsf, 'FL')[0]!.Payload;
    (fl.Flow as Obj[]).push({ Type: 'EmbeddedData', FlowID: 'FL_9', EmbeddedData: [{ Type: '"/><x y="', Field: '</Name><script/>', Value: ']]>\u0002<b>' }] });
    const id = await importOk(ann, JSON.stringify(qsf), '<b>Evil & "survey"</b>');
    const r = await getSurvey(ann, id, { ExportLogic: '1' });
    expectSuccess(r);
    const doc = parseDoc(r.body);
    expect(all(doc, 'script')).toHaveLength(0);
    expect(all(doc, 'b')).toHaveLength(0);
    expect(all(doc, 'x')).toHaveLength(0);
    expect(child(doc, 'SurveyName')?.text).toBe('<b>Evil & "survey"</b>');
    const question = kids(child(doc, 'Questions'), 'Question')[0]!;
    expect(child(question, 'QuestionText')?.text).toBe(clean);
    expect(child(question, 'ExportTag')?.text).toBe(']]>');
    expect(child(kids(child(question, 'Choices'), 'Choice').find((c) => c.attrs.ID === firstChoice)!, 'Description')?.text).toBe(clean);
    expect(kids(child(doc, 'Blocks'), 'Block')[0]!.attrs.Description).toBe('"><script>x</script>');
    const field = kids(child(doc, 'EmbeddedData'), 'Field')[0]!;
    expect([field.attrs.Type, child(field, 'Name')?.text, child(field, 'Value')?.text]).toEqual(['"/><x y="', '</Name><script/>', ']]><b>']);
    expect(r.headers['content-disposition']).toBe('attachment; filename="bEvil__surveyb.xml"');
  });
});

describe('getSurvey errors come as XML envelopes', () => {
  function expectXmlError(r: Call, http: number, code: string): void {
    expect(r.status).toBe(http);
    expect(r.headers['content-type']).toMatch(/^text\/xml/);
    expect(r.headers['requeststatus']).toBe('Failure');
    const doc = parseDoc(r.body);
    expect(doc.name).toBe('XML');
    const meta = child(doc, 'Meta')!;
    expect(child(meta, 'Status')?.text).toBe('Error');
    expect(child(meta, 'RequestType')?.text).toBe('getSurvey');
    expect(child(meta, 'QualtricsErrorCode')?.text).toBe(code);
    expect(child(meta, 'ErrorCode')?.text).toBe(String(http));
  }

  it('ESRV18 (500) for an unknown SurveyID, even with Format=JSON', async () => {
    expectXmlError(await getSurvey(ann, 'SV_000000000000000'), 500, 'ESRV18');
    expectXmlError(await getSurvey(ann, 'not-a-survey'), 500, 'ESRV18');
  });

  it('ESRV18 for another user’s survey and another brand’s', async () => {
    const id = imported.get('sample-survey')!;
    expectXmlError(await getSurvey(bob, id), 500, 'ESRV18');
    expectXmlError(await getSurvey(foreign, id), 500, 'ESRV18');
  });

  it('ESRV18 once the survey is deleted', async () => {
    const id = await importOk(ann, fixtures[0]!.text, 'Doomed');
    expectSuccess(await getSurvey(ann, id));
    expectSuccess(await apiGet(t.app, { Request: 'deleteSurvey', SurveyID: id, ...creds(ann) }));
    expectXmlError(await getSurvey(ann, id), 500, 'ESRV18');
  });

  it('a missing SurveyID or a bad token is an XML error too', async () => {
    const missing = await apiGet(t.app, { Request: 'getSurvey', ...creds(ann, 'JSON') });
    expectXmlError(missing, 400, 'ESRV35|SurveyID');
    const bad = await apiGet(t.app, { Request: 'getSurvey', SurveyID: imported.get('sample-survey')!, ...creds({ username: ann.username, token: 'wrong' }, 'JSON') });
    expect(bad.status).toBe(401);
    expect(bad.headers['content-type']).toMatch(/^text\/xml/);
  });
});

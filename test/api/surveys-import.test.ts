import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { API, apiGet, apiPost, creds } from '../helpers/wrapi.ts';
import { call, expectInvalidParam, expectJsonError, expectSuccess } from './support.ts';

const FIXTURES = '/work/shared/fixtures/qsf';
const fixtures = readdirSync(FIXTURES).map((dir) => {
  const bytes = readFileSync(`${FIXTURES}/${dir}/survey.qsf`);
  const entry = (JSON.parse(bytes.toString('utf8')) as { SurveyEntry: { SurveyName: string } }).SurveyEntry;
  return { dir, bytes, name: entry.SurveyName };
});
const sample = fixtures.find((f) => f.dir === 'sample-survey') ?? fixtures[0]!;

const INVALID = 'Error parsing file: The file does not appear to be a valid survey';

let t: TestApp;
let ann: SeededUser;
let admin: SeededUser;
let bob: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
});
afterAll(async () => t?.close());

function multipart(app: TestApp, user: SeededUser, fields: Record<string, string>, file?: { field: string; content: Buffer }) {
  const boundary = '----insight-survey-boundary';
  const chunks: Buffer[] = Object.entries({ Request: 'importSurvey', ...creds(user), ...fields }).map((([k, v]) =>
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)));
  if (file) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="survey.qsf"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    chunks.push(file.content, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return call(app.app, { method: 'POST', url: API, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(chunks) });
}

function rawImport(user: SeededUser, params: Record<string, string>, body: Buffer | string, contentType = 'application/json') {
  const qs = new URLSearchParams({ Request: 'importSurvey', ...creds(user), ...params });
  return call(t.app, { method: 'POST', url: `${API}?${qs}`, headers: { 'content-type': contentType }, payload: body });
}

const surveysOf = async (user: SeededUser) => t.services.surveys.listSurveys(user.actor);
const exported = async (user: SeededUser, surveyId: string) => apiGet(t.app, { Request: 'exportSurvey', SurveyID: surveyId, ...creds(user) });

describe('importSurvey: every fixture, every way of sending it', () => {
  it('imports every fixture QSF from a multipart FileContents part; the name defaults to SurveyEntry.SurveyName; export gives the bytes back', async () => {
    for (const f of fixtures) {
      const r = await multipart(t, ann, { ImportFormat: 'QSF', Name: '' }, { field: 'FileContents', content: f.bytes });
      expectSuccess(r);
      const id = r.json.Result.SurveyID as string;
      expect(r.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"SurveyID":"${id}"}}`);
      expect(id).toMatch(/^SV_[0-9A-Za-z]{15}$/);
      const info = await t.services.surveys.getSurvey(ann.actor, id);
      expect(info.name, f.dir).toBe(f.name);
      expect(info.status).toBe('Inactive');
      const back = await exported(ann, id);
      expectSuccess(back);
      expect(back.headers['content-type']).toMatch(/^application\/json/);
      expect(back.headers['content-disposition']).toMatch(/^attachment; filename="[A-Za-z0-9._-]+\.qsf"$/);
      expect(Buffer.from(back.body, 'utf8').equals(f.bytes), f.dir).toBe(true);
    }
  });

  it('reads a multipart part named Data, with Name and Activate=1', async () => {
    const r = await multipart(t, ann, { ImportFormat: 'QSF', Name: 'Spring pulse', Activate: '1' }, { field: 'Data', content: sample.bytes });
    expectSuccess(r);
    const info = await t.services.surveys.getSurvey(ann.actor, r.json.Result.SurveyID);
    expect(info).toMatchObject({ name: 'Spring pulse', status: 'Active', lastActivatedAt: t.clock.now(), ownerId: ann.id });
  });

  it('reads the raw body (parameters in the query string), JSON or any other content type', async () => {
    for (const type of ['application/json', 'application/octet-stream', 'text/plain']) {
      const r = await rawImport(ann, { ImportFormat: 'qsf', Name: `Raw ${type}` }, sample.bytes, type);
      expectSuccess(r);
      const back = await exported(ann, r.json.Result.SurveyID);
      expect(Buffer.from(back.body, 'utf8').equals(sample.bytes)).toBe(true);
    }
  });

  it('reads a FileContents form field', async () => {
    const r = await apiPost(t.app, { Request: 'importSurvey', ImportFormat: 'QSF', FileContents: sample.bytes.toString('utf8'), ...creds(ann) });
    expectSuccess(r);
    expect((await t.services.surveys.getSurvey(ann.actor, r.json.Result.SurveyID)).name).toBe(sample.name);
  });

  it('keeps unknown elements verbatim', async () => {
    const qsf = JSON.stringify({ SurveyEntry: { SurveyName: 'Odd' }, SurveyElements: [{ Element: 'ZZZ', PrimaryAttribute: 'x', Payload: { Weird: [1, { a: null }] }, Extra: true }], Trailer: 1 });
    const r = await rawImport(ann, { ImportFormat: 'QSF' }, qsf);
    expectSuccess(r);
    expect((await exported(ann, r.json.Result.SurveyID)).body).toBe(qsf);
  });
});

describe('importSurvey from a URL', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(sample.bytes));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/survey.qsf`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses a loopback URL by default and stores nothing', async () => {
    const before = (await surveysOf(bob)).length;
    const r = await apiPost(t.app, { Request: 'importSurvey', ImportFormat: 'QSF', URL: url, ...creds(bob) });
    expectInvalidParam(r, 'importSurvey', 'URL');
    expect((await surveysOf(bob)).length).toBe(before);
  });

  it('fetches it when the operator allows private URLs', async () => {
    const local = await createTestApp({ ALLOW_PRIVATE_URLS: '1' });
    try {
      await seedBrand(local, 'acme');
      const carl = await seedUser(local, 'acme', 'carl');
      const r = await call(local.app, { method: 'POST', url: API, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ Request: 'importSurvey', ImportFormat: 'QSF', URL: url, Activate: '1', ...creds(carl) }).toString() });
      expectSuccess(r);
      const info = await local.services.surveys.getSurvey(carl.actor, r.json.Result.SurveyID);
      expect(info).toMatchObject({ name: sample.name, status: 'Active' });
      expect((await local.services.surveys.exportQsf(carl.actor, info.id)).qsf).toBe(sample.bytes.toString('utf8'));
    } finally {
      await local.close();
    }
  });
});

describe('importSurvey: bad files store nothing', () => {
  const bad: Array<[string, Buffer]> = [
    ['not JSON', Buffer.from('<SurveyDefinition></SurveyDefinition>')],
    ['JSON without SurveyEntry', Buffer.from(JSON.stringify({ SurveyElements: [] }))],
    ['SurveyElements not an array', Buffer.from(JSON.stringify({ SurveyEntry: {}, SurveyElements: {} }))],
    ['an element without Element', Buffer.from(JSON.stringify({ SurveyEntry: {}, SurveyElements: [{ Payload: null }] }))],
    ['a JSON array', Buffer.from('[]')],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
    ['empty', Buffer.alloc(0)],
  ];

  it.each(bad)('%s (multipart) → ESRV37 with the recorded message', async (_label, content) => {
    const before = (await surveysOf(bob)).length;
    const r = await multipart(t, bob, { ImportFormat: 'QSF', Name: 'x' }, { field: 'FileContents', content });
    expectJsonError(r, 'importSurvey', 500, 'ESRV37', INVALID);
    expect((await surveysOf(bob)).length).toBe(before);
  });

  it('the Ruby gem’s inspect string in place of the file → the same error, no empty survey', async () => {
    const r = await apiPost(t.app, { Data: '#<UploadIO:0x007f86aaa8f510>', Format: 'JSON', Name: 'Complex survey', Request: 'importSurvey', ImportFormat: 'QSF', User: bob.username, Token: bob.token, Version: '2.3' });
    expectJsonError(r, 'importSurvey', 500, 'ESRV37', INVALID);
    expect(await surveysOf(bob)).toEqual([]);
  });

  it('a file over 50 MB → the error (with the reason), nothing stored', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024 + 1, 0x20);
    const r = await rawImport(bob, { ImportFormat: 'QSF' }, big, 'application/octet-stream');
    expectJsonError(r, 'importSurvey', 500, 'ESRV37', `${INVALID} (it is larger than 50 MB).`);
    expect(await surveysOf(bob)).toEqual([]);
  });

  it('no file at all → ESRV35|FileContents; a form body without a file is read as the file', async () => {
    expectInvalidParam(await apiGet(t.app, { Request: 'importSurvey', ImportFormat: 'QSF', ...creds(bob) }), 'importSurvey', 'FileContents');
    expectJsonError(await apiPost(t.app, { Request: 'importSurvey', ImportFormat: 'QSF', ...creds(bob) }), 'importSurvey', 500, 'ESRV37', INVALID);
    expect(await surveysOf(bob)).toEqual([]);
  });
});

describe('importSurvey: format, owner and permission', () => {
  it('an unknown or missing ImportFormat → ESRV35|ImportFormat', async () => {
    expectInvalidParam(await rawImport(bob, { ImportFormat: 'XLS' }, sample.bytes), 'importSurvey', 'ImportFormat');
    expectInvalidParam(await rawImport(bob, {}, sample.bytes), 'importSurvey', 'ImportFormat');
  });

  it.each(['DOC', 'MSQ'])('%s is refused clearly (not supported yet)', async (format) => {
    const r = await rawImport(bob, { ImportFormat: format }, '[[AdvancedFormat]]\n', 'text/plain');
    expectJsonError(r, 'importSurvey', 500, 'ESRV37', `ImportFormat ${format} is not supported by this server yet.`);
    expect(await surveysOf(bob)).toEqual([]);
  });

  it('a brand administrator imports for another user of the brand; a standard user may not', async () => {
    const r = await rawImport(admin, { ImportFormat: 'QSF', OwnerID: bob.id, Name: 'For Bob' }, sample.bytes);
    expectSuccess(r);
    const listed = await surveysOf(bob);
    expect(listed.map((s) => s.id)).toEqual([r.json.Result.SurveyID]);
    expect(listed[0]?.ownerId).toBe(bob.id);
    expect(await surveysOf(admin)).toEqual([]);

    expectJsonError(await rawImport(ann, { ImportFormat: 'QSF', OwnerID: bob.id }, sample.bytes), 'importSurvey', 500, 'ESEC06', 'Only a Brand Administrator may make this request.');
    expectInvalidParam(await rawImport(admin, { ImportFormat: 'QSF', OwnerID: 'UR_0000000000nobody' }, sample.bytes), 'importSurvey', 'OwnerID');
  });

  it('a user without the createSurveys permission is refused', async () => {
    const dan = await seedUser(t, 'acme', 'dan');
    await t.services.accounts.updateUser(admin.actor, dan.id, { permissions: { createSurveys: false } });
    const r = await rawImport(dan, { ImportFormat: 'QSF' }, sample.bytes);
    expectJsonError(r, 'importSurvey', 500, 'ESEC07', 'You do not have permission to perform this action.');
    expect(await surveysOf(dan)).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRequest, optional, required, RawDocument } from '../../src/api/wrapi/registry.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, type SeededUser } from '../helpers/seed.ts';
import { API, apiGet, apiJson, apiPost, creds } from '../helpers/wrapi.ts';
import { call, errorBody, expectInvalidParam, expectJsonError, expectSuccess, parseXml, rawGet } from './support.ts';

// Test-only Requests: they answer with what the envelope handed them, so each parameter rule can be
// checked through HTTP exactly. Registered in this test process only.
defineRequest({
  name: 'zzEcho',
  product: 'ControlPanel',
  area: 'Administration',
  summary: 'test echo',
  params: { A: optional('a'), B: optional('b'), C: optional('c'), Need: optional('n') },
  result: 'echo',
  example: {},
  errors: [],
  async handler({ params, embeddedData, files, rawBody }) {
    return {
      Params: { A: params.A ?? null, B: params.B ?? null, C: params.C ?? null },
      ED: Object.fromEntries(embeddedData),
      Files: files.map((f) => ({ Field: f.field, Name: f.filename, Text: f.data.toString('utf8') })),
      RawBytes: rawBody?.length ?? 0,
    };
  },
});
defineRequest({
  name: 'zzRaw',
  product: 'ControlPanel',
  area: 'Administration',
  summary: 'test raw body',
  rawBody: true,
  params: { Name: required('n') },
  result: 'raw',
  example: {},
  errors: [],
  async handler({ params, rawBody }) {
    return { Name: params.Name, Body: rawBody?.toString('utf8') ?? null };
  },
});
defineRequest({
  name: 'zzNeeds',
  product: 'ControlPanel',
  area: 'Administration',
  summary: 'test required param',
  params: { LibraryID: required('l') },
  result: 'x',
  example: {},
  errors: [],
  async handler({ params }) {
    return { LibraryID: params.LibraryID };
  },
});
defineRequest({
  name: 'zzText',
  product: 'ControlPanel',
  area: 'Administration',
  summary: 'test payload escaping',
  params: {},
  result: 'x',
  example: {},
  errors: [],
  async handler() {
    return { Name: 'HE/FE June 2012 ® é 😀 "q" \\ <b>&amp;</b>', Empty: [], EmptyObject: {}, Nothing: null, Yes: true, No: false, Count: 3, List: ['x', { K: 'v' }] };
  },
});
defineRequest({
  name: 'zzDoc',
  product: 'ControlPanel',
  area: 'Administration',
  summary: 'test raw document',
  formats: ['XML'],
  params: {},
  result: 'x',
  example: {},
  errors: [],
  async handler() {
    return new RawDocument('text/xml', '<SurveyDefinition/>');
  },
});

let t: TestApp;
let admin: SeededUser;
let auth: Record<string, string>;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  auth = { User: admin.username, Token: admin.token };
});
afterAll(async () => t?.close());

const echo = (r: { json: { Result: Record<string, unknown> } }) => r.json.Result;

describe('parameter sources', () => {
  it('reads the query string of a GET', async () => {
    const r = await apiGet(t.app, { Request: 'zzEcho', A: 'from query', ...creds(admin) });
    expectSuccess(r);
    expect(echo(r).Params).toEqual({ A: 'from query', B: null, C: null });
  });

  it('reads an application/x-www-form-urlencoded body', async () => {
    const r = await apiPost(t.app, { Request: 'zzEcho', A: 'a b+c&d', ...creds(admin) });
    expectSuccess(r);
    expect(echo(r).Params).toEqual({ A: 'a b+c&d', B: null, C: null });
  });

  it('reads a urlencoded body with a charset in its Content-Type', async () => {
    const r = await call(t.app, {
      method: 'POST',
      url: API,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      payload: new URLSearchParams({ Request: 'zzEcho', A: 'x', ...creds(admin) }).toString(),
    });
    expectSuccess(r);
    expect(echo(r).Params).toMatchObject({ A: 'x' });
  });

  for (const type of ['application/json', 'text/json', 'application/json; charset=utf-8']) {
    it(`reads a JSON body sent as ${type}`, async () => {
      const r = await apiJson(t.app, { Request: 'zzEcho', A: 'json', B: 12, C: true, ...creds(admin) }, {}, type);
      expectSuccess(r);
      expect(echo(r).Params).toEqual({ A: 'json', B: '12', C: '1' });
    });
  }

  it('reads multipart form fields and keeps file parts whole', async () => {
    const boundary = '----insightboundary';
    const fields = { Request: 'zzEcho', A: 'multi', 'ED[Zip]': '74534', ...creds(admin) };
    const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="FileContents"; filename="s.qsf"\r\nContent-Type: application/json\r\n\r\n{"x":1}\r\n`);
    const r = await call(t.app, {
      method: 'POST',
      url: API,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `${parts.join('')}--${boundary}--\r\n`,
    });
    expectSuccess(r);
    expect(echo(r)).toMatchObject({
      Params: { A: 'multi', B: null, C: null },
      ED: { Zip: '74534' },
      Files: [{ Field: 'FileContents', Name: 's.qsf', Text: '{"x":1}' }],
    });
  });

  it('combines sources: Request+Format in the URL, User/Token in a JSON body (the seed example)', async () => {
    const r = await apiJson(t.app, { ...auth, A: 'body' }, { Request: 'zzEcho', Format: 'JSON' });
    expectSuccess(r);
    expect(echo(r).Params).toMatchObject({ A: 'body' });
  });

  it('combines the query string with a form body', async () => {
    const r = await apiPost(t.app, { ...auth, B: 'form' }, { Request: 'zzEcho', Format: 'JSON', A: 'query' });
    expectSuccess(r);
    expect(echo(r).Params).toEqual({ A: 'query', B: 'form', C: null });
  });

  it('lets the body override the query string, name by name', async () => {
    const form = await apiPost(t.app, { ...auth, A: 'body', Format: 'JSON' }, { Request: 'zzEcho', Format: 'XML', A: 'query', B: 'query' });
    expectSuccess(form);
    expect(echo(form).Params).toEqual({ A: 'body', B: 'query', C: null });
    const json = await apiJson(t.app, { ...auth, A: 'body' }, { Request: 'zzEcho', Format: 'JSON', A: 'query', User: 'nobody', Token: 'x' });
    expectSuccess(json);
    expect(echo(json).Params).toMatchObject({ A: 'body' });
  });

  it('keeps the last value of a repeated name', async () => {
    const q = `Request=zzEcho&Format=XML&Format=JSON&A=first&A=second&User=${encodeURIComponent(admin.username)}&Token=${admin.token}`;
    const r = await rawGet(t.app, q);
    expectSuccess(r);
    expect(echo(r).Params).toMatchObject({ A: 'second' });
  });

  it('collects ED[Field]=value keys into embedded data (query and body)', async () => {
    const r = await apiPost(t.app, { ...auth, 'ED[Zip]': '74534', 'ED[Sub ject]': 'x/y' }, { Request: 'zzEcho', Format: 'JSON', 'ED[SubjectID]': 'CLE10235', 'ED[Zip]': 'old' });
    expectSuccess(r);
    expect(echo(r).ED).toEqual({ SubjectID: 'CLE10235', Zip: '74534', 'Sub ject': 'x/y' });
    expect(r.body).toContain('"Sub ject":"x\\/y"');
  });

  it('accepts a JSON "ED" object as embedded data', async () => {
    const r = await apiJson(t.app, { Request: 'zzEcho', Format: 'JSON', ...auth, ED: { A: 'b', N: 2 }, 'ED[C]': 'd' });
    expectSuccess(r);
    expect(echo(r).ED).toEqual({ A: 'b', N: '2', C: 'd' });
  });

  it('ignores unknown extra parameters, even non-scalar ones in JSON', async () => {
    const r = await apiJson(t.app, { Request: 'zzEcho', Format: 'JSON', ...auth, LibraryID: '', Unknown: [1, 2], Other: { a: 1 } });
    expectSuccess(r);
    const g = await apiGet(t.app, { Request: 'getUserInfo', ...creds(admin), LibraryID: '', Foo: 'bar' });
    expectSuccess(g);
  });

  it('answers ESRV35|Body for a JSON body that is not valid JSON or not an object', async () => {
    for (const payload of ['{"Request":', 'not json', '[1,2]', '"text"', '42', 'null', 'true']) {
      const r = await call(t.app, { method: 'POST', url: `${API}?Request=zzEcho&Format=JSON`, headers: { 'content-type': 'application/json' }, payload });
      expectInvalidParam(r, 'zzEcho', 'Body');
    }
  });

  it('answers ESRV35|<Param> for a non-scalar JSON value of a declared parameter', async () => {
    const arr = await apiJson(t.app, { Request: 'zzEcho', Format: 'JSON', ...auth, A: ['x'] });
    expectInvalidParam(arr, 'zzEcho', 'A');
    const obj = await apiJson(t.app, { Request: 'zzEcho', Format: 'JSON', ...auth, B: { x: 1 } }, { B: 'fine in query' });
    expectInvalidParam(obj, 'zzEcho', 'B');
  });

  it('keeps a raw body readable for a Request that wants it (CSV sent as urlencoded)', async () => {
    const csv = 'Email,First\na@b.example,Ann\n';
    const r = await call(t.app, {
      method: 'POST',
      url: `${API}?${new URLSearchParams({ Request: 'zzRaw', Name: 'List', ...creds(admin) })}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: csv,
    });
    expectSuccess(r);
    expect(r.json.Result).toEqual({ Name: 'List', Body: csv });
  });

  it('reports a missing or empty required parameter as ESRV35|<Param>', async () => {
    expectInvalidParam(await apiGet(t.app, { Request: 'zzNeeds', ...creds(admin) }), 'zzNeeds', 'LibraryID');
    expectInvalidParam(await apiGet(t.app, { Request: 'zzNeeds', LibraryID: '', ...creds(admin) }), 'zzNeeds', 'LibraryID');
  });
});

describe('Request', () => {
  it('answers 400 ESRV35|Request with an empty RequestType when Request is missing or empty', async () => {
    expectInvalidParam(await apiGet(t.app, { ...creds(admin) }), '', 'Request');
    expectInvalidParam(await apiGet(t.app, { Request: '', ...creds(admin) }), '', 'Request');
  });

  it('answers 404 ESRV05 for an unknown or miscased Request, echoing it', async () => {
    for (const name of ['updatePanel', 'getuserinfo', 'GetUserInfo', 'getUserInfo ', '__proto__', 'constructor', 'hasOwnProperty', 'zz<x>/é']) {
      const r = await apiGet(t.app, { Request: name, ...creds(admin) });
      expectJsonError(r, name, 404, 'ESRV05', 'Server Request Type Unknown or Not Defined in Security.xml');
    }
  });

  it('treats parameter names as case-sensitive', async () => {
    expectInvalidParam(await apiGet(t.app, { request: 'getUserInfo', Format: 'JSON', ...auth }), '', 'Request');
    expectInvalidParam(await apiGet(t.app, { Request: 'getUserInfo', Format: 'JSON', user: admin.username, token: admin.token }), 'getUserInfo', 'User');
    const r = await apiGet(t.app, { Request: 'zzEcho', ...creds(admin), a: 'lower' });
    expect(echo(r).Params).toEqual({ A: null, B: null, C: null });
  });

  it('escapes the echoed RequestType like PHP', async () => {
    const r = await apiGet(t.app, { Request: 'a/b\u00e9', ...creds(admin) });
    expect(r.body).toContain('"RequestType":"a\\/b\\u00e9"');
  });

  it('names an unknown Request before checking credentials', async () => {
    const r = await apiGet(t.app, { Request: 'nope', Format: 'JSON' });
    expectJsonError(r, 'nope', 404, 'ESRV05', 'Server Request Type Unknown or Not Defined in Security.xml');
  });

  it('also serves the Contacts product root, with its own Requests', async () => {
    const r = await apiGet(t.app, { Request: 'getUserInfo', ...creds(admin) }, '/WRAPI/Contacts/api.php');
    expectJsonError(r, 'getUserInfo', 404, 'ESRV05', 'Server Request Type Unknown or Not Defined in Security.xml');
  });
});

describe('JSON output', () => {
  it('is compact, in key order, with / escaped and non-ASCII as \\uXXXX', async () => {
    const r = await apiGet(t.app, { Request: 'zzText', ...creds(admin) });
    expectSuccess(r);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toBe(
      '{"Meta":{"Status":"Success","Debug":""},"Result":{"Name":"HE\\/FE June 2012 \\u00ae \\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ <b>&amp;<\\/b>","Empty":[],"EmptyObject":{},"Nothing":null,"Yes":true,"No":false,"Count":3,"List":["x",{"K":"v"}]}}',
    );
  });

  it('pretty-prints with JSONPrettyPrint=1 in PHP style (4 spaces)', async () => {
    const r = await apiGet(t.app, { Request: 'zzText', JSONPrettyPrint: '1', ...creds(admin) });
    expectSuccess(r);
    const compact = await apiGet(t.app, { Request: 'zzText', ...creds(admin) });
    expect(r.body).toBe(JSON.stringify(JSON.parse(compact.body), null, 4).replace(/\//g, '\\/').replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
    expect(r.body.split('\n').slice(0, 3)).toEqual(['{', '    "Meta": {', '        "Status": "Success",']);
    const err = await apiGet(t.app, { Request: 'nope', Format: 'JSON', JSONPrettyPrint: '1' });
    expect(err.status).toBe(404);
    expect(err.body).toContain('\n    "Meta": {\n        "Status": "Error",');
  });

  it('answers createDivision with a bare string Result', async () => {
    const r = await apiPost(t.app, { Request: 'createDivision', Name: 'Division Test', ...creds(admin) });
    expectSuccess(r);
    expect(r.body).toMatch(/^\{"Meta":\{"Status":"Success","Debug":""\},"Result":"DV_[0-9a-e][0-9A-Za-z]{14}"\}$/);
  });

  it('sends a raw document without the envelope', async () => {
    const r = await apiGet(t.app, { Request: 'zzDoc', ...creds(admin) });
    expectSuccess(r);
    expect(r.body).toBe('<SurveyDefinition/>');
    expect(r.headers['content-type']).toContain('text/xml');
  });
});

describe('XML output', () => {
  it('is the default when Format is absent or empty', async () => {
    for (const format of [undefined, '']) {
      const params: Record<string, string> = { Request: 'getUserInfo', ...auth };
      if (format !== undefined) params.Format = format;
      const r = await apiGet(t.app, params);
      expectSuccess(r);
      expect(r.headers['content-type']).toBe('text/xml; charset=utf-8');
      expect(r.body).toContain('<XML><Meta><Status>Success</Status><Debug/></Meta><Result><UserData><UserID>');
    }
  });

  it('writes arrays as <element id="N">, empties self-closing, and parses back to the JSON result', async () => {
    const x = await apiGet(t.app, { Request: 'zzText', ...creds(admin, 'XML') });
    expectSuccess(x);
    expect(x.body).toContain('<Empty/><EmptyObject/><Nothing/><Yes>1</Yes><No/><Count>3</Count>');
    expect(x.body).toContain('<List><element id="0">x</element><element id="1"><K>v</K></element></List>');
    expect(x.body).toContain('<Name>HE/FE June 2012 ® é 😀 &quot;q&quot; \\ &lt;b&gt;&amp;amp;&lt;/b&gt;</Name>');
    const doc = parseXml(x.body) as { XML: { Meta: unknown; Result: Record<string, unknown> } };
    expect(doc.XML.Meta).toEqual({ Status: 'Success', Debug: '' });
    expect(doc.XML.Result.Name).toBe('HE/FE June 2012 ® é 😀 "q" \\ <b>&amp;</b>');
    expect(doc.XML.Result.List).toEqual({ element: [{ '#text': 'x', '@id': '0' }, { K: 'v', '@id': '1' }] });
  });

  it('writes errors with <Debug></Debug> and <Result></Result>, status = ErrorCode, failure headers', async () => {
    const r = await apiGet(t.app, { Request: 'zzNeeds', ...creds(admin, 'XML') });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(r.headers['requeststatus']).toBe('Failure');
    expect(r.headers['status']).toBe('400');
    expect(r.body).toContain(
      '<XML><Meta><Status>Error</Status><RequestType>zzNeeds</RequestType><ErrorCode>400</ErrorCode><QualtricsErrorCode>ESRV35|LibraryID</QualtricsErrorCode><ErrorMessage>Invalid request. Missing or invalid parameter LibraryID.</ErrorMessage><Debug></Debug></Meta><Result></Result></XML>',
    );
    const doc = parseXml(r.body) as { XML: { Meta: Record<string, string>; Result: string } };
    expect(doc.XML.Meta).toEqual({
      Status: 'Error',
      RequestType: 'zzNeeds',
      ErrorCode: '400',
      QualtricsErrorCode: 'ESRV35|LibraryID',
      ErrorMessage: 'Invalid request. Missing or invalid parameter LibraryID.',
      Debug: '',
    });
    expect(doc.XML.Result).toBe('');
  });

  it('renders a bare string Result as text', async () => {
    const r = await apiPost(t.app, { Request: 'createDivision', Name: 'X', ...creds(admin, 'XML') });
    expectSuccess(r);
    expect(r.body).toMatch(/<Result>DV_[0-9a-e][0-9A-Za-z]{14}<\/Result><\/XML>$/);
  });
});

describe('JSONP', () => {
  for (const cb of ['cb', 'a.b', 'jQuery123_456', '$.cb']) {
    it(`wraps the JSON envelope in ${cb}(…) as application/javascript with nosniff`, async () => {
      const r = await apiGet(t.app, { Request: 'getUserInfo', ...creds(admin, 'JSONP'), JSONPCallback: cb });
      expectSuccess(r);
      expect(r.headers['content-type']).toMatch(/^application\/javascript(;|$)/);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.body.startsWith(`${cb}({"Meta":{"Status":"Success","Debug":""},"Result":{"UserData":{`)).toBe(true);
      expect(r.body.endsWith('})')).toBe(true);
      expect(JSON.parse(r.body.slice(cb.length + 1, -1)).Result.UserData.UserID).toBe(admin.id);
    });
  }

  it('wraps errors too', async () => {
    const r = await apiGet(t.app, { Request: 'zzNeeds', ...creds(admin, 'JSONP'), JSONPCallback: 'cb' });
    expect(r.status).toBe(400);
    expect(r.body).toBe(`cb(${errorBody('zzNeeds', 400, 'ESRV35|LibraryID', 'Invalid request. Missing or invalid parameter LibraryID.')})`);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses a missing or hostile callback with ESRV35|JSONPCallback, never echoing it', async () => {
    for (const cb of [undefined, '', 'alert(1)//', '<script>', 'a b', 'a..b', '1abc', 'a.', 'cb;alert(1)', 'a'.repeat(129), 'x\u2028y']) {
      const params: Record<string, string> = { Request: 'getUserInfo', ...creds(admin, 'JSONP') };
      if (cb !== undefined) params.JSONPCallback = cb;
      const r = await apiGet(t.app, params);
      expectInvalidParam(r, 'getUserInfo', 'JSONPCallback');
    }
  });
});

describe('Format and Version', () => {
  it('refuses an unknown Format with ESRV35|Format (answered in XML)', async () => {
    for (const format of ['YAML', 'json', 'Json', 'CSV', 'HTML', 'XML ']) {
      const r = await apiGet(t.app, { Request: 'getUserInfo', ...auth, Format: format });
      expect(r.status).toBe(400);
      expect(r.headers['content-type']).toBe('text/xml; charset=utf-8');
      expect((parseXml(r.body) as { XML: { Meta: { QualtricsErrorCode: string } } }).XML.Meta.QualtricsErrorCode).toBe('ESRV35|Format');
    }
  });

  it('accepts Version 2.0 to 2.5 and no Version at all (an empty one counts as absent, like an empty Format)', async () => {
    for (const version of ['2.0', '2.1', '2.2', '2.3', '2.4', '2.5', '', undefined]) {
      const params: Record<string, string> = { Request: 'getUserInfo', ...auth, Format: 'JSON' };
      if (version !== undefined) params.Version = version;
      expectSuccess(await apiGet(t.app, params));
    }
  });

  it('refuses any other Version with ESRV35|Version', async () => {
    for (const version of ['2.6', '3', '2.50', '2', '1.0', '2.5.0', ' 2.5', 'latest']) {
      expectInvalidParam(await apiGet(t.app, { Request: 'getUserInfo', ...creds(admin), Version: version }), 'getUserInfo', 'Version');
    }
  });

  it('accepts and ignores API_SELECT', async () => {
    for (const value of ['ControlPanel', 'Contacts', 'anything']) {
      const r = await apiGet(t.app, { Request: 'getUserInfo', ...creds(admin), API_SELECT: value });
      expectSuccess(r);
      expect(r.json.Result.UserData.UserID).toBe(admin.id);
    }
  });

  it('checks the envelope (Format, Version) before credentials', async () => {
    expectInvalidParam(await apiGet(t.app, { Request: 'getUserInfo', Format: 'JSON', Version: '9' }), 'getUserInfo', 'Version');
  });
});

describe('headers', () => {
  it('sends no Status/RequestStatus header on success, for every format', async () => {
    for (const format of ['XML', 'JSON']) expectSuccess(await apiGet(t.app, { Request: 'getUserInfo', ...creds(admin, format) }));
  });

  it('reads POST and GET alike', async () => {
    const g = await apiGet(t.app, { Request: 'getUserInfo', ...creds(admin) });
    const p = await apiPost(t.app, { Request: 'getUserInfo', ...creds(admin) });
    expect(p.body).toBe(g.body);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { API, apiGet, creds } from '../helpers/wrapi.ts';
import { call, expectInvalidParam, expectSuccess } from './support.ts';

let t: TestApp;
let ann: SeededUser;
let adminB: SeededUser;

/** importPanel as the Ruby gem sent it: parameters in the query string, the CSV as a "form" body. */
function importRaw(user: SeededUser, params: Record<string, string>, csv: string | Buffer, format = 'JSON', contentType = 'application/x-www-form-urlencoded') {
  const qs = new URLSearchParams({ Request: 'importPanel', LibraryID: user.id, ...params, ...creds(user, format) });
  return call(t.app, { method: 'POST', url: `${API}?${qs}`, headers: { 'content-type': contentType }, payload: csv });
}

function importMultipart(user: SeededUser, fields: Record<string, string>, file: { field: string; content: string }) {
  const boundary = '----insight-test-boundary';
  const parts = Object.entries({ Request: 'importPanel', LibraryID: user.id, ...creds(user), ...fields }).map(
    ([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
  );
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="panel.csv"\r\nContent-Type: text/csv\r\n\r\n${file.content}\r\n`);
  return call(t.app, { method: 'POST', url: API, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: parts.join('') + `--${boundary}--\r\n` });
}

const members = async (user: SeededUser, panelId: string) => {
  const out = [];
  for await (const m of t.services.panels.members(user.actor, user.id, panelId)) out.push(m);
  return out;
};
const panelCount = async (user: SeededUser) => (await t.services.panels.listPanels(user.actor, user.id)).length;

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  adminB = await seedBrand(t, 'globex');
});
afterAll(async () => t?.close());

describe('importPanel (raw CSV body)', () => {
  it('imports the recorded single-column file exactly like the recording', async () => {
    const r = await importRaw(ann, { ColumnHeaders: '1', Email: '1' }, '"Email"\n"example@example.com"\n');
    expectSuccess(r);
    const { PanelID } = r.json.Result;
    const [m] = await members(ann, PanelID);
    expect(r.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"PanelID":"${PanelID}","Count":1,"IgnoredCount":0,"Recipients":{"${m?.id}":"example@example.com"}}}`);
    const info = await t.services.panels.getPanelInfo(ann.actor, ann.id, PanelID);
    expect(info.name).toBe('Imported 2026-11-28');
    expect(info.category).toBe('Unassigned');
  });

  it('appends to PanelID with the gem’s column parameters (ExternalData alias); duplicate e-mails are kept', async () => {
    const panel = (await t.services.panels.createPanel(ann.actor, ann.id, 'Existing')).id;
    await t.services.panels.addRecipient(ann.actor, ann.id, panel, { email: 'first@example.com' });
    const csv =
      '"FirstName","LastName","Email","EmbeddedData","ExternalData","Unsubscribed","Language"\n' +
      '"New","Person","example@example.com","","","",""\n' +
      '"Another","NewPerson","example@example.com","seven","REF-2","1","DE"\n';
    const r = await importRaw(ann, { ColumnHeaders: '1', Email: '3', EmbeddedData: '4', ExternalData: '5', FirstName: '1', Language: '7', LastName: '2', PanelID: panel, Unsubscribed: '6' }, csv);
    expectSuccess(r);
    expect(r.json.Result.PanelID).toBe(panel);
    expect(r.json.Result.Count).toBe(2);
    expect(r.json.Result.IgnoredCount).toBe(0);
    const all = await members(ann, panel);
    expect(all.map((m) => m.email)).toEqual(['first@example.com', 'example@example.com', 'example@example.com']);
    expect(Object.entries(r.json.Result.Recipients)).toEqual(all.slice(1).map((m) => [m.id, m.email]));
    expect(all[1]).toMatchObject({ firstName: 'New', lastName: 'Person', externalRef: null, language: null, unsubscribed: false, embeddedData: {} });
    expect(all[2]).toMatchObject({ firstName: 'Another', lastName: 'NewPerson', externalRef: 'REF-2', language: 'DE', unsubscribed: true, embeddedData: { EmbeddedData: 'seven' } });
  });

  it('without headers: the first row is data; named parameters, Name and Category are used', async () => {
    const r = await importRaw(ann, { Email: '2', FirstName: '1', Name: 'No header', Category: 'Imports', EmbeddedData: '3' }, 'Ann,ann@example.com,42\nBob,bob@example.com,43\n');
    expectSuccess(r);
    const info = await t.services.panels.getPanelInfo(ann.actor, ann.id, r.json.Result.PanelID);
    expect([info.name, info.category]).toEqual(['No header', 'Imports']);
    const all = await members(ann, info.id);
    expect(all.map((m) => [m.firstName, m.email, m.embeddedData])).toEqual([
      ['Ann', 'ann@example.com', { Column3: '42' }],
      ['Bob', 'bob@example.com', { Column3: '43' }],
    ]);
  });

  it('AllED makes every unused column embedded data named by its header', async () => {
    const csv = 'First,Last,Mail,Zip,Team\r\nA,B,a@example.com,74534,Red\r\nC,D,c@example.com,,Blue\r\n';
    const r = await importRaw(ann, { ColumnHeaders: '1', Email: '3', FirstName: '1', LastName: '2', AllED: '1' }, csv);
    const all = await members(ann, r.json.Result.PanelID);
    expect(all.map((m) => m.embeddedData)).toEqual([{ Zip: '74534', Team: 'Red' }, { Team: 'Blue' }]);
  });

  it('reads a BOM, CRLF, quoted commas, quotes and newlines; rows without a valid e-mail are ignored and counted', async () => {
    const csv = '\ufeffEmail,Name,Note\r\n"a@example.com","Lee, Ann","line one\r\nline ""two"""\r\nnot-an-email,X,Y\r\n,Empty,\r\n\r\n"b@example.com",Bo,\r\n';
    const r = await importRaw(ann, { ColumnHeaders: '1', Email: '1', FirstName: '2', AllED: '1' }, csv);
    expectSuccess(r);
    expect([r.json.Result.Count, r.json.Result.IgnoredCount]).toEqual([2, 2]);
    const all = await members(ann, r.json.Result.PanelID);
    expect(all.map((m) => [m.email, m.firstName, m.embeddedData])).toEqual([
      ['a@example.com', 'Lee, Ann', { Note: 'line one\r\nline "two"' }],
      ['b@example.com', 'Bo', {}],
    ]);
  });

  it('a header-only file makes an empty panel and answers Recipients: [] (XML too)', async () => {
    const r = await importRaw(ann, { ColumnHeaders: '1', Email: '1' }, 'Email\n');
    expect(r.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"PanelID":"${r.json.Result.PanelID}","Count":0,"IgnoredCount":0,"Recipients":[]}}`);
    const x = await importRaw(ann, { ColumnHeaders: '1', Email: '1' }, 'Email\nx@example.com\n', 'XML');
    expectSuccess(x);
    expect(x.body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<XML><Meta><Status>Success<\/Status><Debug\/><\/Meta><Result><PanelID>ML_\w{15}<\/PanelID><Count>1<\/Count><IgnoredCount>0<\/IgnoredCount><Recipients><MLRP_\w{15}>x@example.com<\/MLRP_\w{15}><\/Recipients><\/Result><\/XML>$/);
  });

  it('also takes text/csv as the body type', async () => {
    const r = await importRaw(ann, { Email: '1' }, 'z@example.com\n', 'JSON', 'text/csv');
    expect(r.json.Result.Count).toBe(1);
  });
});

describe('importPanel (multipart)', () => {
  it('reads the file part whatever its field name (Data, FileContents), with parameters as form fields', async () => {
    for (const field of ['Data', 'FileContents']) {
      const r = await importMultipart(ann, { ColumnHeaders: '1', Email: '3', FirstName: '1', LastName: '2', Language: '7', Unsubscribed: '6' }, {
        field,
        content: '"first_name","last_name","email","embedded_data","external_data","unsubscribed","language"\n"First name","Last name","example@example.com","","","",""\n',
      });
      expectSuccess(r);
      expect(r.json.Result.Count).toBe(1);
      const [m] = await members(ann, r.json.Result.PanelID);
      expect(m).toMatchObject({ firstName: 'First name', lastName: 'Last name', email: 'example@example.com' });
    }
  });
});

describe('importPanel (URL)', () => {
  let server: Server;
  let url: string;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'Content-Type': 'text/csv' }).end('Email,Name\nu1@example.com,U1\nu2@example.com,U2\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/panel.csv`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a loopback URL by default (ESRV35|URL, nothing fetched, nothing created)', async () => {
    const before = await panelCount(ann);
    expectInvalidParam(await importRaw(ann, { ColumnHeaders: '1', Email: '1', URL: url }, ''), 'importPanel', 'URL');
    expectInvalidParam(await importRaw(ann, { ColumnHeaders: '1', Email: '1', URL: 'http://169.254.169.254/latest/meta-data/' }, ''), 'importPanel', 'URL');
    expectInvalidParam(await importRaw(ann, { ColumnHeaders: '1', Email: '1', URL: 'file:///etc/passwd' }, ''), 'importPanel', 'URL');
    expect(hits).toBe(0);
    expect(await panelCount(ann)).toBe(before);
  });

  it('fetches it when the operator allows private URLs', async () => {
    const t2 = await createTestApp({ ALLOW_PRIVATE_URLS: '1' });
    try {
      await seedBrand(t2, 'acme');
      const u = await seedUser(t2, 'acme', 'ann');
      const qs = new URLSearchParams({ Request: 'importPanel', LibraryID: u.id, ColumnHeaders: '1', Email: '1', FirstName: '2', URL: url, ...creds(u) });
      const r = await call(t2.app, { method: 'GET', url: `${API}?${qs}` });
      expectSuccess(r);
      expect(r.json.Result.Count).toBe(2);
      expect(Object.values(r.json.Result.Recipients)).toEqual(['u1@example.com', 'u2@example.com']);
      expect(hits).toBe(1);
    } finally {
      await t2.close();
    }
  });
});

describe('importPanel bad input: a clear error and nothing stored', () => {
  const cases: Array<[string, Record<string, string>, string | Buffer, string]> = [
    ['no Email parameter', { ColumnHeaders: '1' }, 'Email\na@example.com\n', 'Email'],
    ['Email not a number', { Email: 'three' }, 'a@example.com\n', 'Email'],
    ['Email column 0', { Email: '0' }, 'a@example.com\n', 'Email'],
    ['Email beyond the columns', { Email: '4' }, 'x,y,a@example.com\n', 'Email'],
    ['FirstName beyond the columns', { Email: '1', FirstName: '9' }, 'a@example.com,b\n', 'FirstName'],
    ['EmbeddedData not numbers', { Email: '1', EmbeddedData: '2,x' }, 'a@example.com,b\n', 'EmbeddedData'],
    ['EmbeddedData beyond the columns', { Email: '1', EmbeddedData: '2,3' }, 'a@example.com,b\n', 'EmbeddedData'],
    ['ColumnHeaders not 0/1', { Email: '1', ColumnHeaders: 'yes' }, 'a@example.com\n', 'ColumnHeaders'],
    ['unbalanced quote at the end', { Email: '1' }, 'a@example.com\nb@example.com\n"c@example.com,\n', 'Body'],
    ['invalid UTF-8', { Email: '1' }, Buffer.concat([Buffer.from('a@example.com,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]), 'Body'],
    ['a 10 MB single line', { Email: '1' }, `a@example.com,${'x'.repeat(10 * 1024 * 1024)}\n`, 'Body'],
    ['1M columns', { Email: '1' }, `a@example.com${',x'.repeat(1_000_000)}\n`, 'Body'],
    ['no CSV at all', { Email: '1' }, '', 'Body'],
    ['unknown PanelID', { Email: '1', PanelID: 'ML_0000000000none0' }, 'a@example.com\n', 'PanelID'],
    ['bad LibraryID', { Email: '1', LibraryID: 'UR_0000000000none0' }, 'a@example.com\n', 'LibraryID'],
  ];
  for (const [name, params, csv, param] of cases) {
    it(`${name} → ESRV35|${param}`, async () => {
      const before = await panelCount(ann);
      expectInvalidParam(await importRaw(ann, params, csv), 'importPanel', param);
      expect(await panelCount(ann)).toBe(before);
    });
  }

  it('a malformed line after many good rows leaves an appended panel as it was', async () => {
    const panel = (await t.services.panels.createPanel(ann.actor, ann.id, 'Keep')).id;
    await t.services.panels.addRecipient(ann.actor, ann.id, panel, { email: 'keep@example.com' });
    const good = Array.from({ length: 1500 }, (_, i) => `m${i}@example.com`).join('\n');
    expectInvalidParam(await importRaw(ann, { Email: '1', PanelID: panel }, `${good}\n"broken,\n`), 'importPanel', 'Body');
    expect((await members(ann, panel)).map((m) => m.email)).toEqual(['keep@example.com']);
  });

  it('another brand cannot append to a panel (ESRV35|PanelID) and the panel is unchanged', async () => {
    const panel = (await t.services.panels.createPanel(ann.actor, ann.id, 'Mine')).id;
    expectInvalidParam(await importRaw(adminB, { Email: '1', PanelID: panel }, 'evil@example.com\n'), 'importPanel', 'PanelID');
    expectInvalidParam(await importRaw(adminB, { Email: '1', PanelID: panel, LibraryID: ann.id }, 'evil@example.com\n'), 'importPanel', 'LibraryID');
    expect(await members(ann, panel)).toEqual([]);
  });

  it('hostile strings are stored as text and come back inert', async () => {
    const r = await importRaw(ann, { ColumnHeaders: '1', Email: '1', FirstName: '2', AllED: '1' }, 'Email,Name,<script>\nh@example.com,"<img src=x onerror=alert(1)>","=HYPERLINK(""http://evil"")"\n');
    const rid = Object.keys(r.json.Result.Recipients)[0] as string;
    const g = await apiGet(t.app, { Request: 'getRecipient', LibraryID: ann.id, RecipientID: rid, ...creds(ann, 'XML') });
    expect(g.body).toContain('<FirstName>&lt;img src=x onerror=alert(1)&gt;</FirstName>');
    expect(g.body).not.toContain('<img');
    expect(g.body).not.toContain('<script>');
  });
});

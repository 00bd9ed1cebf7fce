import { parse } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, creds } from '../helpers/wrapi.ts';
import { expectInvalidParam } from './support.ts';

/** getPanel: a bare document in JSON, XML, CSV and HTML, with paging and filters. */
let t: TestApp;
let ann: SeededUser;
let panel: string;
let ids: string[];

const getPanel = (params: Record<string, string>, format: string) => apiGet(t.app, { Request: 'getPanel', LibraryID: ann.id, PanelID: panel, ...params, ...creds(ann, format) });

/** The IDs in each format, so paging and filters can be checked the same way in all four. */
async function idsIn(format: string, params: Record<string, string>): Promise<string[]> {
  const r = await getPanel(params, format);
  expect(r.status, r.body).toBe(200);
  if (format === 'JSON') return (JSON.parse(r.body) as Array<{ RecipientID: string }>).map((m) => m.RecipientID);
  if (format === 'CSV') return (parse(r.body, { bom: true, columns: true }) as Array<{ RecipientID: string }>).map((m) => m.RecipientID);
  return [...r.body.matchAll(/(?:<RecipientID>|<td>)(MLRP_\w{15})</g)].map((m) => m[1] as string);
}

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  panel = (await t.services.panels.createPanel(ann.actor, ann.id, 'Cohort')).id;
  ids = [];
  for (let i = 0; i < 7; i++) {
    const r = await t.services.panels.addRecipient(ann.actor, ann.id, panel, {
      email: `m${i}@example.com`,
      firstName: i === 0 ? 'Ann/"Quoted", <b>' : `F${i}`,
      lastName: i === 0 ? '=cmd|calc' : null,
      language: i % 2 ? 'EN' : null,
      unsubscribed: i % 3 === 0,
      embeddedData: i === 0 ? { SubjectID: 'S0', 'Zip code': '74534' } : i === 1 ? { SubjectID: 'S1' } : {},
    });
    ids.push(r.id);
  }
});
afterAll(async () => t?.close());

describe('getPanel', () => {
  it('JSON: a bare array (no envelope), recorded field names, Unsubscribed as a string', async () => {
    const r = await getPanel({ NumberOfRecords: '2' }, 'JSON');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toBe(
      `[{"RecipientID":"${ids[0]}","FirstName":"Ann\\/\\"Quoted\\", <b>","LastName":"=cmd|calc","Email":"m0@example.com","ExternalDataReference":null,"EmbeddedData":{"SubjectID":"S0","Zip code":"74534"},"Unsubscribed":"1"},` +
        `{"RecipientID":"${ids[1]}","FirstName":"F1","LastName":null,"Email":"m1@example.com","ExternalDataReference":null,"EmbeddedData":{"SubjectID":"S1"},"Unsubscribed":"0"}]`,
    );
    const withLang = JSON.parse((await getPanel({ ExportLanguage: '1', LastRecipientID: ids[0] as string, NumberOfRecords: '1' }, 'JSON')).body);
    expect(withLang).toEqual([{ RecipientID: ids[1], FirstName: 'F1', LastName: null, Email: 'm1@example.com', ExternalDataReference: null, EmbeddedData: { SubjectID: 'S1' }, Language: 'EN', Unsubscribed: '0' }]);
    expect(Object.keys(withLang[0])).toEqual(['RecipientID', 'FirstName', 'LastName', 'Email', 'ExternalDataReference', 'EmbeddedData', 'Language', 'Unsubscribed']);
  });

  it('XML is the default: <Panel> with <Recipient> children, markup escaped', async () => {
    const r = await apiGet(t.app, { Request: 'getPanel', LibraryID: ann.id, PanelID: panel, User: ann.username, Token: ann.token, Version: '2.5', NumberOfRecords: '1' });
    expect(r.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(r.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Panel><Recipient><RecipientID>${ids[0]}</RecipientID><FirstName>Ann/&quot;Quoted&quot;, &lt;b&gt;</FirstName><LastName>=cmd|calc</LastName>` +
        `<Email>m0@example.com</Email><ExternalDataReference/><EmbeddedData><SubjectID>S0</SubjectID><element id="Zip code">74534</element></EmbeddedData><Unsubscribed>1</Unsubscribed></Recipient></Panel>`,
    );
    const all = new XMLParser({ isArray: (n) => n === 'Recipient' }).parse((await getPanel({}, 'XML')).body) as { Panel: { Recipient: unknown[] } };
    expect(all.Panel.Recipient).toHaveLength(7);
  });

  it('CSV: BOM, header with Language and requested ED keys, formula cells defused, application/vnd.msexcel', async () => {
    const r = await getPanel({ EmbeddedData: 'SubjectID,Zip code', ExportLanguage: '1', NumberOfRecords: '2' }, 'CSV');
    expect(r.headers['content-type']).toBe('application/vnd.msexcel');
    expect(r.body).toBe(
      '\ufeffRecipientID,FirstName,LastName,Email,ExternalDataReference,Language,Unsubscribed,SubjectID,Zip code\n' +
        `${ids[0]},"Ann/""Quoted"", <b>",'=cmd|calc,m0@example.com,,,1,S0,74534\n` +
        `${ids[1]},F1,,m1@example.com,,EN,0,S1,\n`,
    );
  });

  it('HTML: an escaped table', async () => {
    const r = await getPanel({ NumberOfRecords: '1', EmbeddedData: 'SubjectID' }, 'HTML');
    expect(r.headers['content-type']).toBe('text/html; charset=UTF-8');
    expect(r.body).toContain('<th>RecipientID</th><th>FirstName</th><th>LastName</th><th>Email</th><th>ExternalDataReference</th><th>Unsubscribed</th><th>SubjectID</th>');
    expect(r.body).toContain(`<tr><td>${ids[0]}</td><td>Ann/&quot;Quoted&quot;, &lt;b&gt;</td>`);
    expect(r.body).not.toContain('<b>');
  });

  for (const format of ['JSON', 'XML', 'CSV', 'HTML']) {
    it(`${format}: pages with LastRecipientID/NumberOfRecords and filters by subscription`, async () => {
      expect(await idsIn(format, {})).toEqual(ids);
      expect(await idsIn(format, { NumberOfRecords: '3' })).toEqual(ids.slice(0, 3));
      expect(await idsIn(format, { LastRecipientID: ids[2] as string, NumberOfRecords: '3' })).toEqual(ids.slice(3, 6));
      expect(await idsIn(format, { LastRecipientID: ids[6] as string })).toEqual([]);
      expect(await idsIn(format, { Unsubscribed: '1' })).toEqual([ids[0], ids[3], ids[6]]);
      expect(await idsIn(format, { Subscribed: '1' })).toEqual([ids[1], ids[2], ids[4], ids[5]]);
      expect(await idsIn(format, { Subscribed: '1', LastRecipientID: ids[1] as string, NumberOfRecords: '2' })).toEqual([ids[2], ids[4]]);
    });
  }

  it('bad paging parameters and unknown panels are errors, in the envelope', async () => {
    expectInvalidParam(await getPanel({ LastRecipientID: 'MLRP_0000000000none0' }, 'JSON'), 'getPanel', 'LastRecipientID');
    expectInvalidParam(await getPanel({ LastRecipientID: 'bogus' }, 'JSON'), 'getPanel', 'LastRecipientID');
    expectInvalidParam(await getPanel({ NumberOfRecords: '0' }, 'JSON'), 'getPanel', 'NumberOfRecords');
    expectInvalidParam(await getPanel({ NumberOfRecords: '-1' }, 'JSON'), 'getPanel', 'NumberOfRecords');
    expectInvalidParam(await getPanel({ PanelID: 'ML_0000000000none0' }, 'JSON'), 'getPanel', 'PanelID');
    expectInvalidParam(await getPanel({}, 'JSONP'), 'getPanel', 'Format');
    const other = (await t.services.panels.createPanel(ann.actor, ann.id, 'Other')).id;
    expectInvalidParam(await apiGet(t.app, { Request: 'getPanel', LibraryID: ann.id, PanelID: other, LastRecipientID: ids[0] as string, ...creds(ann) }), 'getPanel', 'LastRecipientID');
    const x = await getPanel({ PanelID: 'ML_0000000000none0' }, 'CSV');
    expect(x.status).toBe(400);
    expect(x.body).toContain('<QualtricsErrorCode>ESRV35|PanelID</QualtricsErrorCode>');
  });

  it('an empty panel is [], an empty <Panel>, a header-only CSV', async () => {
    const empty = (await t.services.panels.createPanel(ann.actor, ann.id, 'Empty')).id;
    const q = (format: string) => apiGet(t.app, { Request: 'getPanel', LibraryID: ann.id, PanelID: empty, ...creds(ann, format) });
    expect((await q('JSON')).body).toBe('[]');
    expect((await q('XML')).body).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<Panel></Panel>');
    expect((await q('CSV')).body).toBe('\ufeffRecipientID,FirstName,LastName,Email,ExternalDataReference,Unsubscribed\n');
  });

  it('the service pages in small batches and filters by search', async () => {
    const seen = [];
    for await (const m of t.services.panels.members(ann.actor, ann.id, panel, { batchSize: 2 })) seen.push(m.id);
    expect(seen).toEqual(ids);
    const found = [];
    for await (const m of t.services.panels.members(ann.actor, ann.id, panel, { search: 'M3@EXAMPLE' })) found.push(m.id);
    expect(found).toEqual([ids[3]]);
    const page = await t.services.panels.membersPage(ann.actor, ann.id, panel, { limit: 4 });
    expect(page.members.map((m) => m.id)).toEqual(ids.slice(0, 4));
    expect(page.nextAfterId).toBe(ids[3]);
  });
});

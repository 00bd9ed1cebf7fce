import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, apiPost, creds } from '../helpers/wrapi.ts';
import { expectInvalidParam, expectSuccess, parseXml } from './support.ts';

/** Panels and recipients over HTTP: acme (A) owns the data, globex (B) tries to reach it. */
let t: TestApp;
let ann: SeededUser;
let bob: SeededUser;
let adminB: SeededUser;

const ML = /^ML_[0-9a-e][0-9A-Za-z]{14}$/;
const MLRP = /^MLRP_[0-9a-e][0-9A-Za-z]{14}$/;

const post = (user: SeededUser, request: string, params: Record<string, string> = {}, format = 'JSON') => apiPost(t.app, { Request: request, ...params, ...creds(user, format) });
const get = (user: SeededUser, request: string, params: Record<string, string> = {}, format = 'JSON') => apiGet(t.app, { Request: request, ...params, ...creds(user, format) });

async function newPanel(user: SeededUser, name = 'P', category?: string): Promise<string> {
  const r = await post(user, 'createPanel', { LibraryID: user.id, Name: name, ...(category ? { Category: category } : {}) });
  expectSuccess(r);
  return r.json.Result.PanelID as string;
}

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
  adminB = await seedBrand(t, 'globex');
});
afterAll(async () => t?.close());

describe('createPanel / getPanels / deletePanel', () => {
  it('creates a panel and answers exactly {"PanelID":…}', async () => {
    const r = await post(ann, 'createPanel', { LibraryID: ann.id, Name: 'Newest Panel', Category: 'Great Category' });
    expectSuccess(r);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toMatch(/^\{"Meta":\{"Status":"Success","Debug":""\},"Result":\{"PanelID":"ML_[0-9a-e][0-9A-Za-z]{14}"\}\}$/);
  });

  it('lists Unassigned first, then categories in creation order, by PanelID case-insensitively within each', async () => {
    const u = await seedUser(t, 'acme', 'lister');
    const made: Array<{ id: string; name: string; category: string }> = [];
    for (const [name, category] of [['s1', 'SalesEquity'], ['u1', undefined], ['g1', 'Great Category'], ['s2', 'SalesEquity'], ['u2', ''], ['d1', 'Development'], ['u3', undefined]] as const) {
      made.push({ id: await newPanel(u, name, category), name, category: category || 'Unassigned' });
      t.clock.advance(1000);
    }
    const r = await get(u, 'getPanels', { LibraryID: u.id });
    expectSuccess(r);
    const order = ['Unassigned', 'SalesEquity', 'Great Category', 'Development'];
    const expected = [...made].sort((a, b) => order.indexOf(a.category) - order.indexOf(b.category) || (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1));
    expect(r.json.Result.Panels).toEqual(expected.map((p) => ({ Name: p.name, PanelID: p.id, Category: p.category })));
    for (const p of r.json.Result.Panels) expect(Object.keys(p)).toEqual(['Name', 'PanelID', 'Category']);
  });

  it('escapes / in names like PHP, and answers XML with <element> children', async () => {
    const u = await seedUser(t, 'acme', 'slash');
    const id = await newPanel(u, 'HE/FE June 2012');
    const r = await get(u, 'getPanels', { LibraryID: u.id });
    expect(r.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"Panels":[{"Name":"HE\\/FE June 2012","PanelID":"${id}","Category":"Unassigned"}]}}`);
    const x = await get(u, 'getPanels', { LibraryID: u.id }, 'XML');
    expect(x.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<XML><Meta><Status>Success</Status><Debug/></Meta><Result><Panels><element id="0"><Name>HE/FE June 2012</Name><PanelID>${id}</PanelID><Category>Unassigned</Category></element></Panels></Result></XML>`,
    );
  });

  it('an empty library answers Panels: []', async () => {
    const u = await seedUser(t, 'acme', 'empty');
    const r = await get(u, 'getPanels', { LibraryID: u.id });
    expect(r.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Panels":[]}}');
  });

  it('deletePanel answers {"Success":true} and the panel is gone', async () => {
    const id = await newPanel(ann, 'doomed');
    await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: id, Email: 'a@b.example' });
    const r = await post(ann, 'deletePanel', { LibraryID: ann.id, PanelID: id });
    expect(r.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Success":true}}');
    expectInvalidParam(await post(ann, 'deletePanel', { LibraryID: ann.id, PanelID: id }), 'deletePanel', 'PanelID');
    expectInvalidParam(await get(ann, 'getPanelMemberCount', { LibraryID: ann.id, PanelID: id }), 'getPanelMemberCount', 'PanelID');
  });

  it('rejects missing/empty/foreign LibraryID, missing Name, malformed PanelID', async () => {
    expectInvalidParam(await get(ann, 'getPanels', { LibraryID: '' }), 'getPanels', 'LibraryID');
    expectInvalidParam(await get(ann, 'getPanels', { LibraryID: bob.id }), 'getPanels', 'LibraryID');
    expectInvalidParam(await post(ann, 'createPanel', { LibraryID: ann.id }), 'createPanel', 'Name');
    expectInvalidParam(await post(ann, 'createPanel', { LibraryID: ann.id, Name: '   ' }), 'createPanel', 'Name');
    expectInvalidParam(await post(ann, 'createPanel', { Name: 'x' }), 'createPanel', 'LibraryID');
    expectInvalidParam(await post(ann, 'deletePanel', { LibraryID: ann.id, PanelID: 'ML_bad' }), 'deletePanel', 'PanelID');
  });
});

describe('recipients', () => {
  it('addRecipient with no fields is accepted; getRecipient answers the recorded shape with nulls', async () => {
    const panel = await newPanel(ann);
    const add = await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, FirstName: 'Kevin' });
    expectSuccess(add);
    const rid = add.json.Result.RecipientID as string;
    expect(rid).toMatch(MLRP);
    expect(add.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"RecipientID":"${rid}"}}`);
    const empty = await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel });
    expectSuccess(empty);
    const r = await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: rid });
    expect(r.body).toBe(
      `{"Meta":{"Status":"Success","Debug":""},"Result":{"Recipient":{"PanelMemberID":"${rid}","PanelID":"${panel}","FirstName":"Kevin","LastName":null,"Email":null,"ExternalDataReference":null,"EmbeddedData":null,"Language":null,"RecipientResponseHistory":null,"RecipientEmailHistory":null,"Unsubscribed":"0"}}}`,
    );
  });

  it('the gem’s all-empty call with a plain ED= string is accepted (only PanelID matters)', async () => {
    const panel = await newPanel(ann);
    const fields = { ED: '', Email: '', ExternalDataRef: '', FirstName: '', Language: '', LastName: '', Unsubscribed: '' };
    const bad = await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: '', ...fields });
    expect(bad.body).toBe(
      '{"Meta":{"Status":"Error","RequestType":"addRecipient","ErrorCode":400,"QualtricsErrorCode":"ESRV35|PanelID","ErrorMessage":"Invalid request. Missing or invalid parameter PanelID.","Debug":""},"Result":null}',
    );
    const ok = await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, ...fields });
    expectSuccess(ok);
    const r = await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: ok.json.Result.RecipientID });
    expect(r.json.Result.Recipient).toMatchObject({ FirstName: null, Email: null, EmbeddedData: null, Unsubscribed: '0' });
  });

  it('stores every field and ED[k]; XML renders the same record', async () => {
    const panel = await newPanel(ann);
    const add = await post(ann, 'addRecipient', {
      LibraryID: ann.id, PanelID: panel, Email: 'ann@example.com', FirstName: 'Ann', LastName: 'Lee', ExternalDataRef: 'X-1', Language: 'EN', Unsubscribed: '1',
      'ED[SubjectID]': 'CLE10235', 'ED[Zip code]': '74534',
    });
    const rid = add.json.Result.RecipientID as string;
    const r = await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: rid });
    expect(r.json.Result.Recipient).toEqual({
      PanelMemberID: rid, PanelID: panel, FirstName: 'Ann', LastName: 'Lee', Email: 'ann@example.com', ExternalDataReference: 'X-1',
      EmbeddedData: { SubjectID: 'CLE10235', 'Zip code': '74534' }, Language: 'EN', RecipientResponseHistory: null, RecipientEmailHistory: null, Unsubscribed: '1',
    });
    const x = await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: rid }, 'XML');
    const doc = parseXml(x.body) as { XML: { Result: { Recipient: Record<string, unknown> } } };
    expect(doc.XML.Result.Recipient).toMatchObject({ PanelMemberID: rid, Email: 'ann@example.com', Unsubscribed: '1', EmbeddedData: { SubjectID: 'CLE10235', element: [{ '@id': 'Zip code', '#text': '74534' }] } });
    expect(x.body).toContain('<RecipientResponseHistory/>');
  });

  it('rejects an invalid e-mail and an invalid Unsubscribed', async () => {
    const panel = await newPanel(ann);
    expectInvalidParam(await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, Email: 'not an email' }), 'addRecipient', 'Email');
    expectInvalidParam(await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, Unsubscribed: 'maybe' }), 'addRecipient', 'Unsubscribed');
    expect(await t.services.panels.memberCount(ann.actor, ann.id, panel)).toBe(0);
  });

  it('updateRecipient changes only what is sent, merges ED, answers the Recipient shape', async () => {
    const panel = await newPanel(ann);
    const rid = (await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, Email: 'k@example.com', LastName: 'Smith', 'ED[a]': '1', 'ED[b]': '2' })).json.Result.RecipientID as string;
    const r = await post(ann, 'updateRecipient', { LibraryID: ann.id, PanelID: panel, RecipientID: rid, FirstName: 'Ben', 'ED[b]': '3', 'ED[c]': '4' });
    expectSuccess(r);
    expect(r.json.Result.Recipient).toEqual({
      PanelMemberID: rid, PanelID: panel, FirstName: 'Ben', LastName: 'Smith', Email: 'k@example.com', ExternalDataReference: null,
      EmbeddedData: { a: '1', b: '3', c: '4' }, Language: null, RecipientResponseHistory: null, RecipientEmailHistory: null, Unsubscribed: '0',
    });
    const r2 = await post(ann, 'updateRecipient', { LibraryID: ann.id, RecipientID: rid, Unsubscribed: '1', LastName: '', 'ED[a]': '' });
    expect(r2.json.Result.Recipient).toMatchObject({ FirstName: 'Ben', LastName: null, Unsubscribed: '1', EmbeddedData: { b: '3', c: '4' } });
    const again = await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: rid });
    expect(again.json.Result).toEqual(r2.json.Result);
  });

  it('updateRecipient of an unknown recipient, or with the wrong PanelID, changes nothing', async () => {
    const panel = await newPanel(ann);
    const other = await newPanel(ann);
    const rid = (await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, FirstName: 'Keep' })).json.Result.RecipientID as string;
    expectInvalidParam(await post(ann, 'updateRecipient', { LibraryID: ann.id, RecipientID: 'MLRP_0000000000nope0', FirstName: 'x' }), 'updateRecipient', 'RecipientID');
    expectInvalidParam(await post(ann, 'updateRecipient', { LibraryID: ann.id, RecipientID: rid, PanelID: other, FirstName: 'x' }), 'updateRecipient', 'PanelID');
    expect((await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: rid })).json.Result.Recipient.FirstName).toBe('Keep');
  });

  it('removeRecipient answers {"Success":1}; afterwards getRecipient answers {"Recipient":null}', async () => {
    const panel = await newPanel(ann);
    const rid = (await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, Email: 'x@example.com' })).json.Result.RecipientID as string;
    const r = await post(ann, 'removeRecipient', { LibraryID: ann.id, PanelID: panel, RecipientID: rid });
    expect(r.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Success":1}}');
    const g = await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: rid });
    expect(g.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Recipient":null}}');
    expectInvalidParam(await post(ann, 'removeRecipient', { LibraryID: ann.id, PanelID: panel, RecipientID: rid }), 'removeRecipient', 'RecipientID');
    expectInvalidParam(await post(ann, 'removeRecipient', { LibraryID: ann.id, PanelID: panel, RecipientID: '' }), 'removeRecipient', 'RecipientID');
  });

  it('getRecipient: malformed ID is ESRV35|RecipientID, a bad LibraryID ESRV35|LibraryID', async () => {
    expectInvalidParam(await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: 'AAAA' }), 'getRecipient', 'RecipientID');
    expectInvalidParam(await get(ann, 'getRecipient', { LibraryID: '', RecipientID: 'MLRP_0000000000nope0' }), 'getRecipient', 'LibraryID');
  });

  it('getPanelMemberCount answers Count as a string', async () => {
    const panel = await newPanel(ann);
    for (const e of ['a@x.example', 'b@x.example', 'c@x.example']) await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, Email: e });
    const r = await get(ann, 'getPanelMemberCount', { LibraryID: ann.id, PanelID: panel });
    expect(r.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Count":"3"}}');
  });
});

describe('isolation between libraries and brands', () => {
  it('another brand’s administrator can neither read nor change anything, and learns nothing', async () => {
    const panel = await newPanel(ann, 'secret');
    const rid = (await post(ann, 'addRecipient', { LibraryID: ann.id, PanelID: panel, Email: 'secret@acme.example', 'ED[k]': 'v' })).json.Result.RecipientID as string;
    const before = (await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: rid })).body;
    const foreign = [
      ['getPanels', { LibraryID: ann.id }, 'LibraryID'],
      ['getPanelMemberCount', { LibraryID: ann.id, PanelID: panel }, 'LibraryID'],
      ['getPanelMemberCount', { LibraryID: adminB.id, PanelID: panel }, 'PanelID'],
      ['deletePanel', { LibraryID: adminB.id, PanelID: panel }, 'PanelID'],
      ['addRecipient', { LibraryID: adminB.id, PanelID: panel, Email: 'evil@globex.example' }, 'PanelID'],
      ['updateRecipient', { LibraryID: adminB.id, RecipientID: rid, FirstName: 'pwned' }, 'RecipientID'],
      ['removeRecipient', { LibraryID: adminB.id, PanelID: panel, RecipientID: rid }, 'PanelID'],
      ['getPanel', { LibraryID: adminB.id, PanelID: panel }, 'PanelID'],
    ] as const;
    for (const [request, params, param] of foreign) expectInvalidParam(await post(adminB, request, { ...params }), request, param);
    const g = await get(adminB, 'getRecipient', { LibraryID: adminB.id, RecipientID: rid });
    expect(g.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Recipient":null}}');
    expect((await get(ann, 'getRecipient', { LibraryID: ann.id, RecipientID: rid })).body).toBe(before);
    expect(await t.services.panels.memberCount(ann.actor, ann.id, panel)).toBe(1);
  });

  it('a colleague without access to the library cannot use it; a panel of another library is unknown there', async () => {
    const panel = await newPanel(ann);
    expectInvalidParam(await get(bob, 'getPanelMemberCount', { LibraryID: ann.id, PanelID: panel }), 'getPanelMemberCount', 'LibraryID');
    expectInvalidParam(await get(bob, 'getPanelMemberCount', { LibraryID: bob.id, PanelID: panel }), 'getPanelMemberCount', 'PanelID');
  });
});

it('panel IDs look like the recorded ones', async () => {
  expect(await newPanel(ann)).toMatch(ML);
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, apiPost, creds, type Call } from '../helpers/wrapi.ts';

const C = '/WRAPI/Contacts/api.php';
const OK = '{"Meta":{"Status":"Success","Debug":""},"Result":';

let t: TestApp;
let admin: SeededUser;
let ann: SeededUser;
let other: SeededUser;

beforeEach(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  other = await seedBrand(t, 'globex');
});
afterEach(async () => {
  await t.close();
});

const get = (user: SeededUser, request: string, params: Record<string, string> = {}, format = 'JSON') => apiGet(t.app, { ...creds(user, format), Request: request, ...params }, C);
const post = (user: SeededUser, request: string, params: Record<string, string> = {}, format = 'JSON') => apiPost(t.app, { ...creds(user, format), Request: request, ...params }, {}, C);

function expectParamError(r: Call, request: string, param: string): void {
  expect(r.body).toBe(
    `{"Meta":{"Status":"Error","RequestType":"${request}","ErrorCode":400,"QualtricsErrorCode":"ESRV35|${param}","ErrorMessage":"Invalid request. Missing or invalid parameter ${param}.","Debug":""},"Result":null}`,
  );
  expect(r.status).toBe(400);
}

async function newList(user: SeededUser, name = 'List'): Promise<string> {
  return (await post(user, 'createContactList', { LibraryID: user.id, Name: name })).json.Result.ListID;
}

async function newContact(user: SeededUser, params: Record<string, string>): Promise<string> {
  const r = await post(user, 'createContact', params);
  expect(r.status, r.body).toBe(200);
  return r.json.Result.ContactID;
}

describe('lists', () => {
  it('createContactList, getContactLists and deleteList have their documented shapes (JSON and XML)', async () => {
    const r = await post(ann, 'createContactList', { LibraryID: ann.id, Name: 'Customers / 2026' });
    expect(r.body).toMatch(/^\{"Meta":\{"Status":"Success","Debug":""\},"Result":\{"ListID":"CG_[0-9A-Za-z]{15}"\}\}$/);
    const listId = r.json.Result.ListID;
    await newContact(ann, { LibraryID: ann.id, ListID: listId, Email: 'a@example.com' });

    expect((await get(ann, 'getContactLists', { LibraryID: ann.id })).body).toBe(`${OK}{"Lists":[{"ListID":"${listId}","Name":"Customers \\/ 2026","Count":"1"}]}}`);
    const xml = await get(ann, 'getContactLists', { LibraryID: ann.id }, 'XML');
    expect(xml.body).toContain(`<Lists><element id="0"><ListID>${listId}</ListID><Name>Customers / 2026</Name><Count>1</Count></element></Lists>`);

    expect((await post(ann, 'deleteList', { LibraryID: ann.id, ListID: listId })).body).toBe(`${OK}{"Success":true}}`);
    expect((await get(ann, 'getContactLists', { LibraryID: ann.id })).body).toBe(`${OK}{"Lists":[]}}`);
    expectParamError(await post(ann, 'deleteList', { LibraryID: ann.id, ListID: listId }), 'deleteList', 'ListID');
    // The contact stays in the directory, on no list.
    const found = await get(ann, 'getContactByInfoFields', { Email: 'a@example.com' });
    expect(found.json.Result).toHaveLength(1);
    expect(found.json.Result[0].ListIDs).toEqual([]);
  });

  it('removeContact answers {"Success":1}; the contact stays in the directory', async () => {
    const listId = await newList(ann);
    const id = await newContact(ann, { LibraryID: ann.id, ListID: listId, Email: 'a@example.com' });
    expect((await post(ann, 'removeContact', { LibraryID: ann.id, ListID: listId, RecipientID: id })).body).toBe(`${OK}{"Success":1}}`);
    expect((await get(ann, 'getListContacts', { LibraryID: ann.id, ListID: listId })).body).toBe('[]');
    expectParamError(await post(ann, 'removeContact', { LibraryID: ann.id, ListID: listId, RecipientID: id }), 'removeContact', 'RecipientID');
    expectParamError(await post(ann, 'removeContact', { LibraryID: ann.id, ListID: listId, RecipientID: 'MLRP_0aaaaaaaaaaaaaa' }), 'removeContact', 'RecipientID');
    expect((await get(ann, 'getContactByInfoFields', { Email: 'a@example.com' })).json.Result[0].ContactID).toBe(id);
  });

  it('getListContacts answers errors in the envelope, unknown IDs as ESRV35', async () => {
    const listId = await newList(ann);
    expectParamError(await get(ann, 'getListContacts', { LibraryID: ann.id, ListID: 'CG_0aaaaaaaaaaaaaa' }), 'getListContacts', 'ListID');
    expectParamError(await get(ann, 'getListContacts', { LibraryID: ann.id }), 'getListContacts', 'ListID');
    expectParamError(await get(ann, 'getListContacts', { LibraryID: admin.id, ListID: listId }), 'getListContacts', 'LibraryID');
    // The brand administrator reaches every library of the brand.
    expect((await get(admin, 'getListContacts', { LibraryID: ann.id, ListID: listId })).body).toBe('[]');
  });
});

describe('directory contacts', () => {
  it('createContact answers {ContactID}, merges by e-mail without case, and adds to a list once', async () => {
    const listId = await newList(ann);
    const r = await post(ann, 'createContact', { LibraryID: ann.id, ListID: listId, Email: 'Ann@Example.com', FirstName: 'Ann', Language: 'EN', 'ED[Zip]': '74534' });
    expect(r.body).toMatch(/^\{"Meta":\{"Status":"Success","Debug":""\},"Result":\{"ContactID":"CID_[0-9A-Za-z]{15}"\}\}$/);
    const id = r.json.Result.ContactID;
    const again = await newContact(ann, { LibraryID: ann.id, ListID: listId, Email: 'ann@example.com', LastName: 'Lee', 'ED[Tier]': 'gold' });
    expect(again).toBe(id);
    const noEmail = await newContact(ann, { FirstName: 'Nobody' });
    expect(noEmail).not.toBe(id);

    const list = await get(ann, 'getListContacts', { LibraryID: ann.id, ListID: listId, ExportLanguage: '1' });
    expect(list.body).toBe(
      `[{"RecipientID":"${id}","FirstName":"Ann","LastName":"Lee","Email":"ann@example.com","ExternalDataReference":null,"EmbeddedData":{"Zip":"74534","Tier":"gold"},"Language":"EN","Unsubscribed":"0"}]`,
    );
    const xml = await post(ann, 'createContact', { Email: 'x@example.com' }, 'XML');
    expect(xml.body).toMatch(/<Result><ContactID>CID_[0-9A-Za-z]{15}<\/ContactID><\/Result>/);

    expectParamError(await post(ann, 'createContact', { Email: 'not an email' }), 'createContact', 'Email');
    expectParamError(await post(ann, 'createContact', { Email: 'a@example.com', Unsubscribed: 'maybe' }), 'createContact', 'Unsubscribed');
    expectParamError(await post(ann, 'createContact', { LibraryID: ann.id, Email: 'a@example.com' }), 'createContact', 'ListID');
  });

  it('updateContact changes only the fields sent and merges ED', async () => {
    const id = await newContact(ann, { Email: 'a@example.com', FirstName: 'Ann', LastName: 'Lee', ExternalDataRef: 'A-1', 'ED[Zip]': '1', 'ED[Tier]': 'gold' });
    const r = await post(ann, 'updateContact', { ContactID: id, FirstName: 'Annie', Unsubscribed: '1', 'ED[Zip]': '2', 'ED[Tier]': '' });
    expect(r.body).toBe(`${OK}{"Success":true}}`);
    const found = await get(ann, 'getContactByInfoFields', { ExternalDataRef: 'A-1' });
    expect(found.body).toBe(
      `${OK}[{"ContactID":"${id}","FirstName":"Annie","LastName":"Lee","Email":"a@example.com","ExternalDataReference":"A-1","Language":null,"Unsubscribed":"1","EmbeddedData":{"Zip":"2"},"ListIDs":[]}]}`,
    );
    expectParamError(await post(ann, 'updateContact', { ContactID: 'CID_0aaaaaaaaaaaaaa', FirstName: 'X' }), 'updateContact', 'ContactID');
    expectParamError(await post(ann, 'updateContact', { FirstName: 'X' }), 'updateContact', 'ContactID');
    expectParamError(await post(ann, 'updateContact', { ContactID: id, Email: 'bad' }), 'updateContact', 'Email');
  });

  it('getContactByInfoFields needs Email or ExternalDataRef and lists the contact’s lists; History adds ContactHistory', async () => {
    const l1 = await newList(ann, 'one');
    const l2 = await newList(ann, 'two');
    const id = await newContact(ann, { LibraryID: ann.id, ListID: l1, Email: 'a@example.com', ExternalDataRef: 'R1' });
    t.clock.advance(1000); // ListIDs come in the order the contact joined the lists
    await newContact(ann, { LibraryID: ann.id, ListID: l2, Email: 'a@example.com' });
    expectParamError(await get(ann, 'getContactByInfoFields'), 'getContactByInfoFields', 'Email');
    const r = await get(ann, 'getContactByInfoFields', { Email: 'A@EXAMPLE.COM', History: '1' });
    expect(r.json.Result).toEqual([
      { ContactID: id, FirstName: null, LastName: null, Email: 'a@example.com', ExternalDataReference: 'R1', Language: null, Unsubscribed: '0', EmbeddedData: [], ListIDs: [l1, l2], ContactHistory: [] },
    ]);
    expect((await get(ann, 'getContactByInfoFields', { Email: 'a@example.com', ExternalDataRef: 'R2' })).body).toBe(`${OK}[]}`);
  });

  it('getDirectoryContacts pages by ContactID (exclusive StartContactID), filters, and shows ED on request', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await newContact(ann, { Email: `c${i}@example.com`, Unsubscribed: i === 4 ? '1' : '0', 'ED[N]': String(i) }));
    const page1 = await get(ann, 'getDirectoryContacts', { NumberOfRecords: '2' });
    const keys1 = Object.keys(page1.json.Result);
    expect(keys1).toHaveLength(2);
    const first = page1.json.Result[keys1[0] as string];
    expect(Object.keys(first)).toEqual(['ContactId', 'FirstName', 'LastName', 'Email', 'ExternalDataReference', 'Language', 'Unsubscribed', 'LastModified']);
    // The test clock stands at 2026-11-28 12:00 UTC; the brand's default zone is Mountain time.
    expect(first.LastModified).toBe('2026-11-28 05:00:00');
    const page2 = await get(ann, 'getDirectoryContacts', { NumberOfRecords: '2', StartContactID: keys1[1] as string });
    const keys2 = Object.keys(page2.json.Result);
    const page3 = await get(ann, 'getDirectoryContacts', { NumberOfRecords: '2', StartContactID: keys2[1] as string });
    const all = [...keys1, ...keys2, ...Object.keys(page3.json.Result)];
    expect(new Set(all)).toEqual(new Set(ids));
    expect(Object.keys((await get(ann, 'getDirectoryContacts')).json.Result)).toEqual(all);
    expect((await get(ann, 'getDirectoryContacts', { StartContactID: all[4] as string })).body).toBe(`${OK}[]}`);

    const unsub = await get(ann, 'getDirectoryContacts', { Subscribers: 'unsubscribed', EmbeddedData: '1' });
    expect(Object.values(unsub.json.Result)).toEqual([expect.objectContaining({ ContactId: ids[4], Unsubscribed: '1', EmbeddedData: { N: '4' } })]);
    expect(Object.keys((await get(ann, 'getDirectoryContacts', { Subscribers: 'subscribed' })).json.Result)).toHaveLength(4);

    expectParamError(await get(ann, 'getDirectoryContacts', { Subscribers: 'some' }), 'getDirectoryContacts', 'Subscribers');
    expectParamError(await get(ann, 'getDirectoryContacts', { NumberOfRecords: '5001' }), 'getDirectoryContacts', 'NumberOfRecords');
    expectParamError(await get(ann, 'getDirectoryContacts', { ModifiedOnOrAfter: '2026-02-30' }), 'getDirectoryContacts', 'ModifiedOnOrAfter');
  });

  it('ModifiedOnOrAfter is read in the brand’s time zone', async () => {
    await newContact(ann, { Email: 'old@example.com' }); // 2026-11-28 05:00:00 Mountain
    t.clock.advance(60 * 60 * 1000);
    await newContact(ann, { Email: 'new@example.com' }); // 06:00:00 Mountain
    const emails = async (since: string) =>
      Object.values((await get(ann, 'getDirectoryContacts', { ModifiedOnOrAfter: since })).json.Result as Record<string, { Email: string }>).map((c) => c.Email).sort();
    expect(await emails('2026-11-28 05:00:00')).toEqual(['new@example.com', 'old@example.com']);
    expect(await emails('2026-11-28 05:00:01')).toEqual(['new@example.com']);
    expect(await emails('2026-11-28 06:00:01')).toEqual([]);
    expect(await emails('2026-11-28')).toEqual(['new@example.com', 'old@example.com']);
  });
});

describe('who may', () => {
  it('directory-wide Requests and all writes need ManageContacts; list reads need only library access', async () => {
    const listId = await newList(ann);
    const id = await newContact(ann, { LibraryID: ann.id, ListID: listId, Email: 'a@example.com' });
    await t.services.accounts.updateUser(admin.actor, ann.id, { permissions: { manageContacts: false } });
    const denied = [
      await post(ann, 'createContactList', { LibraryID: ann.id, Name: 'x' }),
      await post(ann, 'deleteList', { LibraryID: ann.id, ListID: listId }),
      await post(ann, 'removeContact', { LibraryID: ann.id, ListID: listId, RecipientID: id }),
      await post(ann, 'createContact', { Email: 'b@example.com' }),
      await post(ann, 'updateContact', { ContactID: id, FirstName: 'x' }),
      await get(ann, 'getContactByInfoFields', { Email: 'a@example.com' }),
      await get(ann, 'getDirectoryContacts'),
    ];
    for (const r of denied) {
      expect(r.status).toBe(500);
      expect(r.json.Meta.QualtricsErrorCode).toBe('ESEC07');
    }
    expect((await get(ann, 'getContactLists', { LibraryID: ann.id })).json.Result.Lists).toHaveLength(1);
    expect((await get(ann, 'getListContacts', { LibraryID: ann.id, ListID: listId })).json).toHaveLength(1);
  });

  it('another brand meets the same errors as for unknown IDs, and nothing changes', async () => {
    const listId = await newList(ann);
    const id = await newContact(ann, { LibraryID: ann.id, ListID: listId, Email: 'a@example.com', FirstName: 'Ann' });
    const mine = { LibraryID: other.id };
    expectParamError(await post(other, 'createContactList', { LibraryID: ann.id, Name: 'x' }), 'createContactList', 'LibraryID');
    expectParamError(await get(other, 'getContactLists', { LibraryID: ann.id }), 'getContactLists', 'LibraryID');
    expectParamError(await post(other, 'deleteList', { LibraryID: ann.id, ListID: listId }), 'deleteList', 'LibraryID');
    expectParamError(await post(other, 'deleteList', { ...mine, ListID: listId }), 'deleteList', 'ListID');
    expectParamError(await get(other, 'getListContacts', { ...mine, ListID: listId }), 'getListContacts', 'ListID');
    expectParamError(await post(other, 'removeContact', { ...mine, ListID: listId, RecipientID: id }), 'removeContact', 'ListID');
    const otherList = await newList(other);
    expectParamError(await post(other, 'removeContact', { ...mine, ListID: otherList, RecipientID: id }), 'removeContact', 'RecipientID');
    expectParamError(await post(other, 'createContact', { ...mine, ListID: listId, Email: 'x@example.com' }), 'createContact', 'ListID');
    expectParamError(await post(other, 'updateContact', { ContactID: id, FirstName: 'Mallory' }), 'updateContact', 'ContactID');
    expect((await get(other, 'getContactByInfoFields', { Email: 'a@example.com' })).body).toBe(`${OK}[]}`);
    expect((await get(other, 'getDirectoryContacts')).body).toBe(`${OK}[]}`);
    // The other brand's createContact with the same address makes its own contact.
    const theirs = await newContact(other, { Email: 'a@example.com' });
    expect(theirs).not.toBe(id);

    const still = await get(ann, 'getListContacts', { LibraryID: ann.id, ListID: listId });
    expect(still.json).toMatchObject([{ RecipientID: id, FirstName: 'Ann' }]);
    expect(Object.keys((await get(ann, 'getDirectoryContacts')).json.Result)).toEqual([id]);
  });
});

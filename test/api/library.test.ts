import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, apiJson, apiPost, creds } from '../helpers/wrapi.ts';
import { expectInvalidParam, expectSuccess, parseXml } from './support.ts';

let t: TestApp;
let admin: SeededUser;
let ann: SeededUser;
let bob: SeededUser;
let other: SeededUser;

beforeEach(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
  other = await seedBrand(t, 'globex');
});
afterEach(async () => t?.close());

const OK = '{"Meta":{"Status":"Success","Debug":""},"Result":';
const EMPTY_KEYS = ['INVITE', 'REMINDER', 'THANKYOU', 'ENDOFSURVEY', 'INACTIVESURVEY', 'GENERAL', 'LOOKANDFEEL'];

/** createLibraryMessage as the gem sent it: a form body with the parameters in alphabetical order. */
async function create(user: SeededUser, fields: Record<string, string>, format = 'JSON') {
  const body = { Category: 'InviteEmails', Language: 'EN', LibraryID: user.id, Message: 'Welcome', Name: 'Newest Message', Request: 'createLibraryMessage', ...creds(user, format), ...fields };
  return apiPost(t.app, Object.fromEntries(Object.entries(body).sort(([a], [b]) => (a < b ? -1 : 1))));
}

async function createId(user: SeededUser, fields: Record<string, string> = {}): Promise<string> {
  const r = await create(user, fields);
  expectSuccess(r);
  return r.json.Result.MessageID as string;
}

const list = (user: SeededUser, libraryId: string, format = 'JSON') => apiGet(t.app, { Request: 'getLibraryMessages', LibraryID: libraryId, ...creds(user, format) });

describe('createLibraryMessage', () => {
  it('answers the recorded shape byte for byte, Category echoed as sent', async () => {
    const r = await create(ann, {});
    expectSuccess(r);
    expect(r.headers['content-type']).toBe('application/json');
    const id = r.json.Result.MessageID as string;
    expect(id).toMatch(/^MS_[0-9a-e][0-9A-Za-z]{14}$/);
    expect(r.body).toBe(`${OK}{"LibraryID":"${ann.id}","MessageID":"${id}","Description":"Newest Message","Category":"InviteEmails"}}`);
  });

  it('accepts every category of the spec (any case, and the listing keys), echoing what was sent', async () => {
    for (const category of ['InviteEmails', 'InactiveSurveyMessages', 'ReminderEmails', 'ThankYouEmails', 'EndOfSurveyMessages', 'GeneralMessages', 'ValidationMessages', 'LookAndFeelMessages', 'inviteemails', 'REMINDER']) {
      const r = await create(ann, { Category: category });
      expectSuccess(r);
      expect(r.json.Result.Category).toBe(category);
    }
    const stored = await t.services.messages.list(ann.actor, ann.id);
    expect(stored.filter((m) => m.category === 'InviteEmails')).toHaveLength(2);
    expect(stored.filter((m) => m.category === 'ReminderEmails')).toHaveLength(2);
  });

  it('escapes / and non-ASCII in the echoed name, PHP style', async () => {
    const r = await create(ann, { Name: 'HE/FE June 2012 ®' });
    expect(r.body).toContain('"Description":"HE\\/FE June 2012 \\u00ae"');
  });

  it('answers in XML', async () => {
    const r = await create(ann, {}, 'XML');
    expectSuccess(r);
    const id = parseXml(r.body) as { XML: { Result: { MessageID: string } } };
    const mid = id.XML.Result.MessageID;
    expect(r.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<XML><Meta><Status>Success</Status><Debug/></Meta><Result><LibraryID>${ann.id}</LibraryID><MessageID>${mid}</MessageID><Description>Newest Message</Description><Category>InviteEmails</Category></Result></XML>`,
    );
  });

  it('takes a JSON body too, and defaults Language to EN', async () => {
    const r = await apiJson(t.app, { Request: 'createLibraryMessage', LibraryID: ann.id, Category: 'ThankYouEmails', Name: 'Thanks', Message: '<p>Thank you</p>', ...creds(ann) });
    expectSuccess(r);
    const m = await t.services.messages.get(ann.actor, ann.id, r.json.Result.MessageID);
    expect(m).toMatchObject({ category: 'ThankYouEmails', name: 'Thanks', language: 'EN', body: '<p>Thank you</p>' });
  });

  it('refuses missing or bad parameters with ESRV35|<param>', async () => {
    expectInvalidParam(await create(ann, { LibraryID: '' }), 'createLibraryMessage', 'LibraryID');
    expectInvalidParam(await create(ann, { LibraryID: 'UR_nope' }), 'createLibraryMessage', 'LibraryID');
    expectInvalidParam(await create(ann, { Category: 'Invitations' }), 'createLibraryMessage', 'Category');
    expectInvalidParam(await create(ann, { Category: '' }), 'createLibraryMessage', 'Category');
    expectInvalidParam(await create(ann, { Name: '' }), 'createLibraryMessage', 'Name');
    expectInvalidParam(await create(ann, { Name: 'a\u0007b' }), 'createLibraryMessage', 'Name');
    expectInvalidParam(await create(ann, { Message: '' }), 'createLibraryMessage', 'Message');
    expectInvalidParam(await create(ann, { Message: '   ' }), 'createLibraryMessage', 'Message');
    expectInvalidParam(await create(ann, { Message: 'a\u0000b' }), 'createLibraryMessage', 'Message');
    expectInvalidParam(await create(ann, { Language: 'english!' }), 'createLibraryMessage', 'Language');
    expect(await t.services.messages.list(ann.actor, ann.id)).toEqual([]);
  });

  it('stores bodies up to 1 MB of UTF-8 and refuses larger ones', async () => {
    const big = 'é'.repeat(512 * 1024); // exactly 1 MB in UTF-8
    expectSuccess(await create(ann, { Message: big }));
    expectInvalidParam(await create(ann, { Message: `${big}x` }), 'createLibraryMessage', 'Message');
  });

  it('checks the library before anything else: another user’s or brand’s library is ESRV35|LibraryID', async () => {
    expectInvalidParam(await create(ann, { LibraryID: bob.id }), 'createLibraryMessage', 'LibraryID');
    expectInvalidParam(await create(ann, { LibraryID: other.id, Category: 'Bogus' }), 'createLibraryMessage', 'LibraryID');
    expectInvalidParam(await create(other, { LibraryID: ann.id }), 'createLibraryMessage', 'LibraryID');
    // A brand administrator manages the brand's libraries, not another brand's.
    expectSuccess(await create(admin, { LibraryID: ann.id }));
    expectInvalidParam(await create(admin, { LibraryID: other.id }), 'createLibraryMessage', 'LibraryID');
  });
});

describe('getLibraryMessages', () => {
  it('answers [] for every empty category, keys in the recorded order', async () => {
    const r = await list(ann, ann.id);
    expectSuccess(r);
    expect(r.body).toBe(`${OK}{${EMPTY_KEYS.map((k) => `"${k}":[]`).join(',')}}}`);
  });

  it('maps MessageID to name per category in name order; validation messages are not listed', async () => {
    const seller = await createId(ann, { Name: 'Seller Loyalty Survey' });
    const buyer = await createId(ann, { Name: 'Buyer Loyalty Survey' });
    const brooke = await createId(ann, { Name: 'Brookeside - Buyer Loyalty Survey' });
    const slash = await createId(ann, { Name: 'HE/FE June 2012', Category: 'ThankYouEmails' });
    const reminder = await createId(ann, { Name: 'Buyer Reminder ®', Category: 'ReminderEmails' });
    const look = await createId(ann, { Name: 'Look', Category: 'LookAndFeelMessages' });
    await createId(ann, { Name: 'Validation', Category: 'ValidationMessages' });
    await createId(bob, { Name: 'Bob’s own' });
    const r = await list(ann, ann.id);
    expectSuccess(r);
    expect(r.body).toBe(
      `${OK}{"INVITE":{"${brooke}":"Brookeside - Buyer Loyalty Survey","${buyer}":"Buyer Loyalty Survey","${seller}":"Seller Loyalty Survey"},` +
        `"REMINDER":{"${reminder}":"Buyer Reminder \\u00ae"},"THANKYOU":{"${slash}":"HE\\/FE June 2012"},"ENDOFSURVEY":[],"INACTIVESURVEY":[],"GENERAL":[],"LOOKANDFEEL":{"${look}":"Look"}}}`,
    );
  });

  it('orders messages of the same name by ID', async () => {
    const ids = [await createId(ann), await createId(ann), await createId(ann)];
    const r = await list(ann, ann.id);
    expect(Object.keys(r.json.Result.INVITE)).toEqual([...ids].sort());
  });

  it('answers in XML, empty categories self-closing', async () => {
    const id = await createId(ann, { Name: 'Hi & <bye>' });
    const r = await list(ann, ann.id, 'XML');
    expectSuccess(r);
    expect(r.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<XML><Meta><Status>Success</Status><Debug/></Meta><Result><INVITE><${id}>Hi &amp; &lt;bye&gt;</${id}></INVITE>` +
        '<REMINDER/><THANKYOU/><ENDOFSURVEY/><INACTIVESURVEY/><GENERAL/><LOOKANDFEEL/></Result></XML>',
    );
  });

  it('answers the recorded error for an empty or foreign LibraryID', async () => {
    const empty = await list(ann, '');
    expect(empty.body).toBe(
      '{"Meta":{"Status":"Error","RequestType":"getLibraryMessages","ErrorCode":400,"QualtricsErrorCode":"ESRV35|LibraryID","ErrorMessage":"Invalid request. Missing or invalid parameter LibraryID.","Debug":""},"Result":null}',
    );
    expect(empty.status).toBe(400);
    expectInvalidParam(await apiGet(t.app, { Request: 'getLibraryMessages', ...creds(ann) }), 'getLibraryMessages', 'LibraryID');
    await createId(other);
    expectInvalidParam(await list(ann, other.id), 'getLibraryMessages', 'LibraryID');
    expectInvalidParam(await list(admin, other.id), 'getLibraryMessages', 'LibraryID');
    expectInvalidParam(await list(ann, bob.id), 'getLibraryMessages', 'LibraryID');
  });

  it('lists a group library to its members and brand administrators only', async () => {
    const group = await t.services.accounts.createGroup(admin.actor, 'Research');
    await t.services.accounts.addUserToGroup(admin.actor, group.id, ann.id);
    const id = await createId(ann, { LibraryID: group.id, Name: 'Team invite' });
    expect((await list(ann, group.id)).json.Result.INVITE).toEqual({ [id]: 'Team invite' });
    expect((await list(admin, group.id)).json.Result.INVITE).toEqual({ [id]: 'Team invite' });
    expectInvalidParam(await list(bob, group.id), 'getLibraryMessages', 'LibraryID');
    expectInvalidParam(await list(other, group.id), 'getLibraryMessages', 'LibraryID');
  });
});

const one = (user: SeededUser, libraryId: string, messageId: string, request = 'getLibraryMessage', extra: Record<string, string> = {}) =>
  apiPost(t.app, { Request: request, LibraryID: libraryId, MessageID: messageId, ...creds(user), ...extra });

describe('getLibraryMessage, updateLibraryMessage, deleteLibraryMessage (Insight additions)', () => {
  const hostile = '<p>Dear ${m://FirstName},</p><script>alert("x")</script><a href="javascript:alert(1)" onclick="x()">${l://SurveyLink?d=Take the survey}</a>';

  it('reads a message back with its body exactly as stored', async () => {
    const id = await createId(ann, { Message: hostile, Name: 'Spring', Category: 'ValidationMessages', Language: 'pt_br' });
    const r = await one(ann, ann.id, id);
    expectSuccess(r);
    expect(r.body).toBe(
      `${OK}{"Message":{"MessageID":"${id}","LibraryID":"${ann.id}","Category":"ValidationMessages","Description":"Spring","Language":"PT-BR","Message":${JSON.stringify(hostile).replace(/\//g, '\\/')}}}}`,
    );
    expect(r.json.Result.Message.Message).toBe(hostile);
  });

  it('updates only the fields sent', async () => {
    const id = await createId(ann, { Message: 'Old body', Name: 'Old' });
    t.clock.advance(1000);
    const r = await one(ann, ann.id, id, 'updateLibraryMessage', { Name: 'New name' });
    expectSuccess(r);
    expect(r.json.Result.Message).toEqual({ MessageID: id, LibraryID: ann.id, Category: 'InviteEmails', Description: 'New name', Language: 'EN', Message: 'Old body' });
    const r2 = await one(ann, ann.id, id, 'updateLibraryMessage', { Message: '<p>New</p>', Category: 'ReminderEmails', Language: 'DE' });
    expect(r2.json.Result.Message).toEqual({ MessageID: id, LibraryID: ann.id, Category: 'ReminderEmails', Description: 'New name', Language: 'DE', Message: '<p>New</p>' });
    expect((await list(ann, ann.id)).json.Result.REMINDER).toEqual({ [id]: 'New name' });
    expect((await list(ann, ann.id)).json.Result.INVITE).toEqual([]);
    expectInvalidParam(await one(ann, ann.id, id, 'updateLibraryMessage', { Category: 'Nope' }), 'updateLibraryMessage', 'Category');
    expectInvalidParam(await one(ann, ann.id, id, 'updateLibraryMessage', { Language: '!!' }), 'updateLibraryMessage', 'Language');
    expect((await t.services.messages.get(ann.actor, ann.id, id)).category).toBe('ReminderEmails');
  });

  it('deletes a message: {"Success":true}, then the ID is unknown', async () => {
    const id = await createId(ann);
    const keep = await createId(ann, { Name: 'Keep' });
    const r = await one(ann, ann.id, id, 'deleteLibraryMessage');
    expectSuccess(r);
    expect(r.body).toBe(`${OK}{"Success":true}}`);
    expectInvalidParam(await one(ann, ann.id, id), 'getLibraryMessage', 'MessageID');
    expectInvalidParam(await one(ann, ann.id, id, 'deleteLibraryMessage'), 'deleteLibraryMessage', 'MessageID');
    expect((await list(ann, ann.id)).json.Result.INVITE).toEqual({ [keep]: 'Keep' });
  });

  it('answers ESRV35|MessageID for malformed, unknown or other-library IDs', async () => {
    const bobs = await createId(bob);
    for (const request of ['getLibraryMessage', 'updateLibraryMessage', 'deleteLibraryMessage']) {
      expectInvalidParam(await one(ann, ann.id, '', request), request, 'MessageID');
      expectInvalidParam(await one(ann, ann.id, 'MS_short', request), request, 'MessageID');
      expectInvalidParam(await one(ann, ann.id, 'MS_0abcdefghijklmn', request, { Name: 'x' }), request, 'MessageID');
      // Bob's message through Ann's own library: not there.
      expectInvalidParam(await one(ann, ann.id, bobs, request, { Name: 'x' }), request, 'MessageID');
      // Through Bob's library: Ann cannot use it, and the library is checked first.
      expectInvalidParam(await one(ann, bob.id, bobs, request, { Name: 'x' }), request, 'LibraryID');
      expectInvalidParam(await one(ann, '', bobs, request), request, 'LibraryID');
    }
    expect((await t.services.messages.get(bob.actor, bob.id, bobs)).name).toBe('Newest Message');
  });
});

describe('brand isolation', () => {
  it('never reaches another brand’s library or message through any Request', async () => {
    const theirs = await createId(other, { Name: 'Globex secret' });
    const theirsLibrary = other.id;
    // The other brand's library: refused as a bad LibraryID, for admins and users alike.
    for (const user of [admin, ann]) {
      expectInvalidParam(await create(user, { LibraryID: theirsLibrary }), 'createLibraryMessage', 'LibraryID');
      expectInvalidParam(await list(user, theirsLibrary), 'getLibraryMessages', 'LibraryID');
      for (const request of ['getLibraryMessage', 'updateLibraryMessage', 'deleteLibraryMessage']) {
        expectInvalidParam(await one(user, theirsLibrary, theirs, request, { Name: 'pwned' }), request, 'LibraryID');
        // Their MessageID through our own library: unknown, and nothing says it exists elsewhere.
        expectInvalidParam(await one(user, user.id, theirs, request, { Name: 'pwned' }), request, 'MessageID');
      }
    }
    const still = await t.services.messages.get(other.actor, other.id, theirs);
    expect(still.name).toBe('Globex secret');
    expect((await list(other, other.id)).json.Result.INVITE).toEqual({ [theirs]: 'Globex secret' });
  });
});

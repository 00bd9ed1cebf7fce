import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, creds, toCall, type Call } from '../helpers/wrapi.ts';
import { jobsStore } from '../../src/store/jobs.ts';
import { contactsStore } from '../../src/store/contacts.ts';

const C = '/WRAPI/Contacts/api.php';

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
  vi.restoreAllMocks();
  await t.close();
});

/** importContacts as the recordings sent importPanel: parameters in the query string, the CSV as the raw body. */
async function importCsv(user: SeededUser, csv: string | Buffer, params: Record<string, string>, format = 'JSON'): Promise<Call> {
  const qs = new URLSearchParams({ ...creds(user, format), Request: 'importContacts', LibraryID: user.id, ...params });
  return toCall(await t.app.inject({ method: 'POST', url: `${C}?${qs}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: csv }));
}

const call = (user: SeededUser, request: string, params: Record<string, string> = {}, format = 'JSON') => apiGet(t.app, { ...creds(user, format), Request: request, ...params }, C);
const status = (user: SeededUser, jobId: string) => call(user, 'checkImportContactsStatus', { JobID: jobId });
const members = (user: SeededUser, listId: string, params: Record<string, string> = {}) => call(user, 'getListContacts', { LibraryID: user.id, ListID: listId, ...params });

function expectParamError(r: Call, request: string, param: string): void {
  expect(r.status).toBe(400);
  expect(r.body).toBe(
    `{"Meta":{"Status":"Error","RequestType":"${request}","ErrorCode":400,"QualtricsErrorCode":"ESRV35|${param}","ErrorMessage":"Invalid request. Missing or invalid parameter ${param}.","Debug":""},"Result":null}`,
  );
}

const CSV = [
  '"FirstName","LastName","Email","Zip","Unsubscribed","Language"',
  '"Ann","Lee","ann@example.com","74534","0","EN"',
  '"Bob","Ray","not-an-email","11111","0","EN"',
  '"Cy","Dee","cy@example.com","","1","FR"',
  '"Dot ""Q""","O\'Hara, Jr","dot@example.com","02139","","DE"',
].join('\r\n');
const MAPPING = { ColumnHeaders: '1', FirstName: '1', LastName: '2', Email: '3', EmbeddedData: '4', Unsubscribed: '5', Language: '6' };

describe('importContacts → checkImportContactsStatus → getListContacts', () => {
  it('answers at once with JobID and ListID, then runs as a job and lists the rows in CSV order', async () => {
    const r = await importCsv(ann, CSV, { ...MAPPING, Name: 'Customers' });
    expect(r.status, r.body).toBe(200);
    expect(r.body).toMatch(/^\{"Meta":\{"Status":"Success","Debug":""\},"Result":\{"JobID":"J_[0-9A-Za-z]{15}","ListID":"CG_[0-9A-Za-z]{15}"\}\}$/);
    const { JobID, ListID } = r.json.Result;

    // Nothing is imported before a worker runs the job.
    const queued = await status(ann, JobID);
    expect(queued.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"Status":"Queued","PercentComplete":0,"ListID":"${ListID}","Count":0,"IgnoredCount":0}}`);
    expect((await members(ann, ListID)).body).toBe('[]');

    expect(await t.services.jobs.runOne('w')).toBe(true);
    const done = await status(ann, JobID);
    expect(done.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"Status":"Complete","PercentComplete":100,"ListID":"${ListID}","Count":3,"IgnoredCount":1}}`);
    // ImportID is accepted as another name for JobID.
    expect((await call(ann, 'checkImportContactsStatus', { ImportID: JobID })).json.Result.Status).toBe('Complete');

    const list = await members(ann, ListID, { ExportLanguage: '1' });
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toMatch(/^application\/json/);
    expect(list.json.map((m: { Email: string }) => m.Email)).toEqual(['ann@example.com', 'cy@example.com', 'dot@example.com']);
    const [first, second, third] = list.json;
    expect(first.RecipientID).toMatch(/^CID_[0-9A-Za-z]{15}$/);
    expect(list.body.startsWith(`[{"RecipientID":"${first.RecipientID}","FirstName":"Ann","LastName":"Lee","Email":"ann@example.com","ExternalDataReference":null,"EmbeddedData":{"Zip":"74534"},"Language":"EN","Unsubscribed":"0"},`)).toBe(true);
    expect(second).toMatchObject({ FirstName: 'Cy', EmbeddedData: [], Language: 'FR', Unsubscribed: '1' });
    expect(third).toMatchObject({ FirstName: 'Dot "Q"', LastName: "O'Hara, Jr", EmbeddedData: { Zip: '02139' }, Unsubscribed: '0' });

    const lists = await call(ann, 'getContactLists', { LibraryID: ann.id });
    expect(lists.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"Lists":[{"ListID":"${ListID}","Name":"Customers","Count":"3"}]}}`);
  });

  it('pages with LastRecipientID and NumberOfRecords, filters and picks embedded data', async () => {
    const rows = Array.from({ length: 1203 }, (_, i) => `p${i}@example.com,${i % 3 === 0 ? 1 : 0},v${i},w${i}`);
    const r = await importCsv(ann, ['Email,Unsubscribed,A,B', ...rows].join('\n'), { ColumnHeaders: '1', AllED: '1', Name: 'Big' });
    await t.services.jobs.runOne('w');
    const listId = r.json.Result.ListID;

    const all = await members(ann, listId);
    expect(all.json).toHaveLength(1203);
    expect(all.json.map((m: { Email: string }) => m.Email)).toEqual(rows.map((row) => row.split(',')[0]));

    const page1 = await members(ann, listId, { NumberOfRecords: '500' });
    const page2 = await members(ann, listId, { NumberOfRecords: '500', LastRecipientID: page1.json[499].RecipientID });
    const page3 = await members(ann, listId, { NumberOfRecords: '500', LastRecipientID: page2.json[499].RecipientID });
    expect(page1.json).toHaveLength(500);
    expect(page3.json).toHaveLength(203);
    expect([...page1.json, ...page2.json, ...page3.json]).toEqual(all.json);

    const unsub = await members(ann, listId, { Unsubscribed: '1' });
    expect(unsub.json).toHaveLength(401);
    expect(unsub.json.every((m: { Unsubscribed: string }) => m.Unsubscribed === '1')).toBe(true);
    expect((await members(ann, listId, { Subscribed: '1' })).json).toHaveLength(802);

    const picked = await members(ann, listId, { NumberOfRecords: '1', EmbeddedData: 'B', ContactHistory: '1' });
    expect(picked.body).toBe(`[{"RecipientID":"${picked.json[0].RecipientID}","FirstName":null,"LastName":null,"Email":"p0@example.com","ExternalDataReference":null,"EmbeddedData":{"B":"w0"},"ContactHistory":[],"Unsubscribed":"1"}]`);

    expectParamError(await members(ann, listId, { LastRecipientID: 'CID_0000000000000000'.slice(0, 19) }), 'getListContacts', 'LastRecipientID');
    expectParamError(await members(ann, listId, { NumberOfRecords: '0' }), 'getListContacts', 'NumberOfRecords');
  });

  it('reports progress every 1000 rows and ends with done = total', async () => {
    const updates: Array<{ progress: number; total: number | null | undefined }> = [];
    const original = jobsStore.update;
    vi.spyOn(jobsStore, 'update').mockImplementation(async (db, id, worker, set) => {
      if (set.progress !== undefined && set.status === undefined) updates.push({ progress: set.progress, total: set.total });
      return original(db, id, worker, set);
    });
    const rows = Array.from({ length: 2500 }, (_, i) => `r${i}@example.com`);
    const r = await importCsv(ann, ['Email', ...rows].join('\n') + '\n', { ColumnHeaders: '1', Name: 'Progress' });
    await t.services.jobs.runOne('w');
    expect(updates.map((u) => u.progress)).toEqual([1000, 2000, 2500]);
    expect(updates[0]?.total).toBe(2500);
    expect(updates.at(-1)).toEqual({ progress: 2500, total: 2500 });
    const view = await t.services.jobs.get('acme', r.json.Result.JobID);
    expect(view).toMatchObject({ status: 'done', progress: 2500, total: 2500 });
  });

  it('merges rows into directory contacts by e-mail (without case) and updates by a ContactID column', async () => {
    const first = await importCsv(ann, 'Email,FirstName,Tier\nann@example.com,Ann,gold\nbob@example.com,Bob,\n', { ColumnHeaders: '1', AllED: '1', Name: 'One' });
    await t.services.jobs.runOne('w');
    const [a, b] = (await members(ann, first.json.Result.ListID)).json;

    // A second list: ANN@example.com is the same contact (empty cells do not erase), a duplicate in the file is listed once.
    const second = await importCsv(ann, 'Email,FirstName,Tier\nANN@example.com,,silver\nnew@example.com,New,\nann@example.com,Annie,\n', {
      ColumnHeaders: '1',
      AllED: '1',
      Name: 'Two',
    });
    await t.services.jobs.runOne('w');
    expect((await status(ann, second.json.Result.JobID)).json.Result).toMatchObject({ Count: 3, IgnoredCount: 0 });
    const two = (await members(ann, second.json.Result.ListID)).json;
    expect(two.map((m: { RecipientID: string }) => m.RecipientID)).toEqual([a.RecipientID, expect.stringMatching(/^CID_/)]);
    expect(two[0]).toMatchObject({ Email: 'ann@example.com', FirstName: 'Annie', EmbeddedData: { Tier: 'silver' } });

    // A ContactID column updates that contact, even its address; an unknown ContactID is ignored and counted.
    const third = await importCsv(ann, `ContactID,Email,LastName\n${b.RecipientID},bobby@example.com,Ray\nCID_0zzzzzzzzzzzzzz,x@example.com,X\n`, {
      ColumnHeaders: '1',
      ListID: first.json.Result.ListID,
    });
    expect(third.json.Result.ListID).toBe(first.json.Result.ListID);
    await t.services.jobs.runOne('w');
    expect((await status(ann, third.json.Result.JobID)).json.Result).toMatchObject({ Status: 'Complete', Count: 1, IgnoredCount: 1 });
    const one = (await members(ann, first.json.Result.ListID)).json;
    expect(one.map((m: { Email: string }) => m.Email)).toEqual(['ann@example.com', 'bobby@example.com']);
    expect(one[1]).toMatchObject({ FirstName: 'Bob', LastName: 'Ray' });
    const directory = await call(admin, 'getDirectoryContacts');
    expect(Object.keys(directory.json.Result)).toHaveLength(3);
  });

  it('takes the CSV from a multipart file part, with a BOM and without headers', async () => {
    const boundary = 'XyZ';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="FileContents"; filename="c.csv"\r\nContent-Type: text/csv\r\n\r\n` +
      '\uFEFFzed@example.com,Zed\r\n"multi\nline@x","Bad, really"\r\n' +
      `\r\n--${boundary}--\r\n`;
    const qs = new URLSearchParams({ ...creds(ann), Request: 'importContacts', LibraryID: ann.id, Name: 'Multipart', Email: '1', FirstName: '2' });
    const r = toCall(await t.app.inject({ method: 'POST', url: `${C}?${qs}`, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body }));
    expect(r.status, r.body).toBe(200);
    await t.services.jobs.runOne('w');
    expect((await status(ann, r.json.Result.JobID)).json.Result).toMatchObject({ Status: 'Complete', Count: 1, IgnoredCount: 1 });
    expect((await members(ann, r.json.Result.ListID)).json).toMatchObject([{ Email: 'zed@example.com', FirstName: 'Zed' }]);
  });

  it('answers in XML too', async () => {
    const r = await importCsv(ann, 'e@example.com\n', { Email: '1', Name: 'X' }, 'XML');
    expect(r.body).toMatch(/<Result><JobID>J_[0-9A-Za-z]{15}<\/JobID><ListID>CG_[0-9A-Za-z]{15}<\/ListID><\/Result>/);
    const jobId = /<JobID>([^<]+)</.exec(r.body)?.[1] as string;
    await t.services.jobs.runOne('w');
    const s = await call(ann, 'checkImportContactsStatus', { JobID: jobId }, 'XML');
    expect(s.body).toMatch(/<Result><Status>Complete<\/Status><PercentComplete>100<\/PercentComplete><ListID>CG_[0-9A-Za-z]{15}<\/ListID><Count>1<\/Count><IgnoredCount>0<\/IgnoredCount><\/Result>/);
  });
});

describe('large imports: batched writes', () => {
  const directorySize = async () => Object.keys((await call(admin, 'getDirectoryContacts', { NumberOfRecords: '5000' })).json.Result).length;

  it('merges a repeated address across write batches and re-imports a whole file as merges', async () => {
    // 1300 rows: row 1250 repeats row 3 (another 500-row batch), in another case, with a new ED value.
    const rows = Array.from({ length: 1300 }, (_, i) => (i === 1249 ? 'X2@Example.com,,late' : `x${i}@example.com,F${i},e${i}`));
    const csv = ['Email,FirstName,Tag', ...rows].join('\n');
    const first = await importCsv(ann, csv, { ColumnHeaders: '1', AllED: '1', Name: 'Big' });
    await t.services.jobs.runOne('w');
    expect((await status(ann, first.json.Result.JobID)).json.Result).toMatchObject({ Status: 'Complete', Count: 1300, IgnoredCount: 0 });
    const listed = (await members(ann, first.json.Result.ListID)).json;
    expect(listed).toHaveLength(1299);
    expect(listed[2]).toMatchObject({ Email: 'x2@example.com', FirstName: 'F2', EmbeddedData: { Tag: 'late' } });
    expect(await directorySize()).toBe(1299);

    // The same file again, into the same list: every row merges, nobody is listed twice.
    const again = await importCsv(ann, csv.replace('x5@example.com,F5,e5', 'x5@example.com,Five,'), { ColumnHeaders: '1', AllED: '1', ListID: first.json.Result.ListID });
    await t.services.jobs.runOne('w');
    expect((await status(ann, again.json.Result.JobID)).json.Result).toMatchObject({ Status: 'Complete', Count: 1300 });
    const relisted = (await members(ann, first.json.Result.ListID)).json;
    expect(relisted.map((m: { RecipientID: string }) => m.RecipientID)).toEqual(listed.map((m: { RecipientID: string }) => m.RecipientID));
    expect(relisted[5]).toMatchObject({ FirstName: 'Five', EmbeddedData: { Tag: 'e5' } });
    expect(await directorySize()).toBe(1299);
  });

  it('stores awkward text unchanged, on creation and on merge', async () => {
    const awkward = ['NULL', 'back\\slash {x}, "q"', "O'Hara", 'Zoë ☃', '{}'];
    const csv = (first: string) => `Email,FirstName,LastName,Note\nw@example.com,${first},"${awkward[1]?.replaceAll('"', '""')}","${awkward[4]}"\n`;
    const r1 = await importCsv(ann, csv(awkward[0] as string), { ColumnHeaders: '1', AllED: '1', Name: 'Awkward' });
    await t.services.jobs.runOne('w');
    expect((await members(ann, r1.json.Result.ListID)).json[0]).toMatchObject({ FirstName: 'NULL', LastName: awkward[1], EmbeddedData: { Note: '{}' } });
    const r2 = await importCsv(ann, csv(`${awkward[2]} ${awkward[3]}`), { ColumnHeaders: '1', AllED: '1', ListID: r1.json.Result.ListID });
    await t.services.jobs.runOne('w');
    expect((await members(ann, r2.json.Result.ListID)).json).toMatchObject([{ FirstName: "O'Hara Zoë ☃", LastName: awkward[1] }]);
  });

  it('reads the file before the transaction: other requests run while it is parsed', async () => {
    const seen: string[] = [];
    const original = jobsStore.update;
    vi.spyOn(jobsStore, 'update').mockImplementation(async (db, id, worker, set) => {
      // On SQLite this would wait forever if the import's transaction held the one connection.
      if (set.progress === 1000) seen.push((await call(ann, 'getContactLists', { LibraryID: ann.id })).json.Meta.Status);
      return original(db, id, worker, set);
    });
    await importCsv(ann, Array.from({ length: 1500 }, (_, i) => `q${i}@example.com`).join('\n'), { Email: '1', Name: 'Parse' });
    await t.services.jobs.runOne('w');
    expect(seen).toEqual(['Success']);
  });

  it('is all or nothing when a later write batch fails', async () => {
    const original = contactsStore.insertMembers;
    let calls = 0;
    vi.spyOn(contactsStore, 'insertMembers').mockImplementation(async (db, rows) => {
      if (++calls === 2) throw new Error('disk full');
      return original(db, rows);
    });
    const r = await importCsv(ann, Array.from({ length: 1200 }, (_, i) => `z${i}@example.com`).join('\n'), { Email: '1', Name: 'Fails' });
    await t.services.jobs.runOne('w');
    expect(calls).toBe(2);
    expect((await status(ann, r.json.Result.JobID)).json.Result).toMatchObject({ Status: 'Failed', Error: 'disk full' });
    expect(await directorySize()).toBe(0);
    expect((await members(ann, r.json.Result.ListID)).body).toBe('[]');
  });
});

describe('a bad file fails the job with a clear Error and stores nothing', () => {
  async function failed(csv: string | Buffer, params: Record<string, string>): Promise<{ error: string; listId: string }> {
    const r = await importCsv(ann, csv, { Name: 'Bad', ...params });
    expect(r.status, r.body).toBe(200);
    await t.services.jobs.runOne('w');
    const s = await status(ann, r.json.Result.JobID);
    expect(s.json.Result).toMatchObject({ Status: 'Failed', Count: 0, IgnoredCount: 0 });
    expect((await members(ann, r.json.Result.ListID)).body).toBe('[]');
    expect((await call(admin, 'getDirectoryContacts')).json.Result).toEqual([]);
    return { error: s.json.Result.Error, listId: r.json.Result.ListID };
  }

  it('unbalanced quotes, even after many good rows', async () => {
    const good = Array.from({ length: 1500 }, (_, i) => `g${i}@example.com`);
    const { error } = await failed([...good, '"broken@example.com'].join('\n'), { Email: '1' });
    expect(error).toMatch(/^The file is not valid CSV: .*[Qq]uote/);
  });

  it('invalid UTF-8', async () => {
    const { error } = await failed(Buffer.from([0x61, 0x40, 0x62, 0x2e, 0x63, 0x2c, 0xff, 0xfe, 0x0a]), { Email: '1' });
    expect(error).toBe('The file is not valid UTF-8 text. Save it as CSV UTF-8 and import it again.');
  });

  it('a column number beyond the last column', async () => {
    const { error } = await failed('a@example.com,Ann\n', { Email: '1', LastName: '9' });
    expect(error).toBe('Column 9 given for LastName does not exist: the file has 2 columns.');
  });

  it('no Email column in the header row', async () => {
    const { error } = await failed('Mail,Name\na@example.com,Ann\n', { ColumnHeaders: '1' });
    expect(error).toMatch(/^No Email column/);
  });

  it('too many columns', async () => {
    const { error } = await failed(`a@example.com${','.repeat(5000)}\n`, { Email: '1' });
    expect(error).toBe('Row 1 has 5001 columns; at most 1000 are accepted.');
  });

  it('a URL on a loopback address (private URLs are not allowed by default)', async () => {
    const r = await importCsv(ann, '', { Name: 'Url', Email: '1', URL: 'http://127.0.0.1:9/contacts.csv' });
    await t.services.jobs.runOne('w');
    expect((await status(ann, r.json.Result.JobID)).json.Result).toMatchObject({ Status: 'Failed', Error: "The URL's host 127.0.0.1 is a private or loopback address." });
  });
});

describe('importContacts parameters are checked before anything is queued', () => {
  it('rejects each bad parameter with ESRV35|<param>', async () => {
    expectParamError(await importCsv(ann, 'a@example.com\n', { Name: 'X' }), 'importContacts', 'Email');
    expectParamError(await importCsv(ann, 'a@example.com\n', { Email: '1' }), 'importContacts', 'Name');
    expectParamError(await importCsv(ann, '', { Email: '1', Name: 'X' }), 'importContacts', 'Body');
    expectParamError(await importCsv(ann, 'a@example.com\n', { Email: 'x', Name: 'X' }), 'importContacts', 'Email');
    expectParamError(await importCsv(ann, 'a@example.com\n', { Email: '1', EmbeddedData: '2,0', Name: 'X' }), 'importContacts', 'EmbeddedData');
    expectParamError(await importCsv(ann, 'a@example.com\n', { Email: '1', Name: 'X', URL: 'ftp://example.com/a.csv' }), 'importContacts', 'URL');
    expectParamError(await importCsv(ann, 'a@example.com\n', { Email: '1', ListID: 'CG_0aaaaaaaaaaaaaa' }), 'importContacts', 'ListID');
    expectParamError(await importCsv(ann, 'a@example.com\n', { Email: '1', Name: 'X', LibraryID: admin.id }), 'importContacts', 'LibraryID');
    // Nothing was queued and no list was made.
    expect(await t.services.jobs.runOne('w')).toBe(false);
    expect((await call(ann, 'getContactLists', { LibraryID: ann.id })).json.Result.Lists).toEqual([]);
  });

  it('keeps brands apart: foreign libraries, lists and jobs are unknown', async () => {
    const mine = await importCsv(ann, 'a@example.com\n', { Email: '1', Name: 'Mine' });
    const { JobID, ListID } = mine.json.Result;
    expectParamError(await importCsv(other, 'b@example.com\n', { Email: '1', Name: 'X', LibraryID: ann.id }), 'importContacts', 'LibraryID');
    expectParamError(await importCsv(other, 'b@example.com\n', { Email: '1', ListID }), 'importContacts', 'ListID');
    expectParamError(await status(other, JobID), 'checkImportContactsStatus', 'JobID');
    expectParamError(await call(other, 'checkImportContactsStatus', { ImportID: JobID }), 'checkImportContactsStatus', 'ImportID');
    expectParamError(await status(ann, 'J_0aaaaaaaaaaaaaa'), 'checkImportContactsStatus', 'JobID');
    expectParamError(await call(ann, 'checkImportContactsStatus'), 'checkImportContactsStatus', 'JobID');
    // The brand admin may use ann's library and so may see her job.
    expect((await status(admin, JobID)).json.Result.Status).toBe('Queued');
  });

  it('needs the ManageContacts permission', async () => {
    await t.services.accounts.updateUser(admin.actor, ann.id, { permissions: { manageContacts: false } });
    const r = await importCsv(ann, 'a@example.com\n', { Email: '1', Name: 'X' });
    expect(r.status).toBe(500);
    expect(r.json.Meta.QualtricsErrorCode).toBe('ESEC07');
    expect(await t.services.jobs.runOne('w')).toBe(false);
  });
});

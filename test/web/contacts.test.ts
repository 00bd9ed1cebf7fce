import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { signedInBrowser } from '../helpers/web.ts';

let t: TestApp;
let admin: SeededUser;
let user: SeededUser;

beforeEach(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  user = await seedUser(t, 'acme', 'carol');
});
afterEach(async () => t?.close());

const HOSTILE = '<img src=x onerror=alert(1)>';

const browser = (who: SeededUser) => signedInBrowser(t, who, '/contacts');

async function newPanel(owner: SeededUser, name = 'Customers', libraryId = owner.id) {
  return t.services.panels.createPanel(owner.actor, libraryId, name, 'Clients');
}

async function addMembers(owner: SeededUser, panelId: string, n: number, make = (i: number) => ({ email: `p${i}@example.org`, firstName: `First${i}`, lastName: `Last${i}` })) {
  for (let i = 1; i <= n; i++) await t.services.panels.addRecipient(owner.actor, owner.id, panelId, make(i));
}

async function allMembers(owner: SeededUser, panelId: string, libraryId = owner.id) {
  const out = [];
  for await (const m of await t.services.panels.members(owner.actor, libraryId, panelId)) out.push(m);
  return out;
}

const uploadFiles = () => {
  try {
    return readdirSync(join(t.dataDir, 'uploads'));
  } catch {
    return [];
  }
};

describe('contacts: panels list', () => {
  it('lists the user’s libraries with their panels, categories and member counts', async () => {
    const p = await newPanel(user);
    await addMembers(user, p.id, 3);
    const group = await t.services.accounts.createGroup(admin.actor, 'Research team');
    await t.services.accounts.addUserToGroup(admin.actor, group.id, user.id);
    await t.services.panels.createPanel(user.actor, group.id, 'Shared panel');
    const res = await (await browser(user)).get('/contacts');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('aria-current="page"');
    expect(res.body).toMatch(/<th scope="row"><a href="\/contacts\/UR_\w+\/ML_\w+">Customers<\/a><\/th><td>Clients<\/td><td class="count">3<\/td>/);
    expect(res.body).toContain('Research team');
    expect(res.body).toMatch(/Shared panel<\/a><\/th><td>Unassigned<\/td><td class="count">0<\/td>/);
    expect(res.body).toContain('<label for="f-library">Library</label>');
    expect(res.body).toContain('<th scope="col">Members</th>');
  });

  it('creates a panel through the form; a missing name is refused with a linked summary', async () => {
    const b = await browser(user);
    const bad = await b.post('/contacts', { libraryId: user.id, name: '  ', category: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('role="alert"');
    expect(bad.body).toContain('<a href="#f-name">Panel name</a>');
    expect(await t.services.panels.listPanels(user.actor, user.id)).toEqual([]);

    const res = await b.post('/contacts', { libraryId: user.id, name: HOSTILE, category: 'VIP' });
    expect(res.statusCode).toBe(303);
    const [p] = await t.services.panels.listPanels(user.actor, user.id);
    expect(p).toMatchObject({ name: HOSTILE, category: 'VIP' });
    expect(res.headers.location).toBe(`/contacts/${user.id}/${p?.id}?done=created`);
    const list = await b.get('/contacts');
    expect(list.body).not.toContain(HOSTILE);
    expect(list.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('refuses to create a panel in a library the user does not belong to', async () => {
    const res = await (await browser(user)).post('/contacts', { libraryId: admin.id, name: 'Sneaky' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<a href="#f-library">Library</a>');
    expect(await t.services.panels.listPanels(admin.actor, admin.id)).toEqual([]);
  });

  it('renames a panel; an empty name is refused', async () => {
    const p = await newPanel(user);
    const b = await browser(user);
    const form = await b.get(`/contacts/${user.id}/${p.id}/rename`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<label for="f-name">New name</label>');
    expect((await b.post(`/contacts/${user.id}/${p.id}/rename`, { name: '' })).statusCode).toBe(400);
    const res = await b.post(`/contacts/${user.id}/${p.id}/rename`, { name: 'Renamed' });
    expect(res.statusCode).toBe(303);
    expect((await t.services.panels.getPanelInfo(user.actor, user.id, p.id)).name).toBe('Renamed');
  });

  it('deletes a panel only after the confirmation step', async () => {
    const p = await newPanel(user);
    await addMembers(user, p.id, 2);
    const b = await browser(user);
    const confirm = await b.get(`/contacts/${user.id}/${p.id}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('all of its 2 members will be deleted');
    expect(confirm.body).toContain(`action="/contacts/${user.id}/${p.id}/delete"`);
    expect(await t.services.panels.listPanels(user.actor, user.id)).toHaveLength(1);
    const res = await b.post(`/contacts/${user.id}/${p.id}/delete`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/contacts?done=deleted');
    expect(await t.services.panels.listPanels(user.actor, user.id)).toEqual([]);
  });

  it('sends anonymous visitors to sign in', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/contacts' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fcontacts');
  });
});

describe('contacts: members', () => {
  it('pages through members 50 at a time with keyset “Next page” links', async () => {
    const p = await newPanel(user);
    await addMembers(user, p.id, 120);
    const b = await browser(user);
    const first = await b.get(`/contacts/${user.id}/${p.id}`);
    expect(first.statusCode).toBe(200);
    expect((first.body.match(/<tr><th scope="row">/g) ?? []).length).toBe(50);
    expect(first.body).toContain('p1@example.org');
    expect(first.body).toContain('p50@example.org');
    expect(first.body).not.toContain('p51@example.org');
    const members = await allMembers(user, p.id);
    const next = new RegExp(`href="(/contacts/${user.id}/${p.id}\\?after=(MLRP_\\w+))" rel="next">Next page`).exec(first.body);
    expect(next?.[2]).toBe(members[49]?.id);
    const second = await b.get(next?.[1] as string);
    expect((second.body.match(/<tr><th scope="row">/g) ?? []).length).toBe(50);
    expect(second.body).toContain('p51@example.org');
    expect(second.body).toContain('First page');
    const third = await b.get(`/contacts/${user.id}/${p.id}?after=${members[99]?.id}`);
    expect((third.body.match(/<tr><th scope="row">/g) ?? []).length).toBe(20);
    expect(third.body).not.toContain('Next page');
    // A member removed since the link was made: back to the first page rather than an error.
    const stale = await b.get(`/contacts/${user.id}/${p.id}?after=MLRP_000000000000000&q=x`);
    expect(stale.statusCode).toBe(303);
    expect(stale.headers.location).toBe(`/contacts/${user.id}/${p.id}?q=x`);
  });

  it('searches by name or e-mail and filters by subscription, on the server', async () => {
    const p = await newPanel(user);
    await addMembers(user, p.id, 60);
    await t.services.panels.addRecipient(user.actor, user.id, p.id, { email: 'zed@other.example', firstName: 'Zoë', lastName: 'Quartz', unsubscribed: true });
    const b = await browser(user);
    const byName = await b.get(`/contacts/${user.id}/${p.id}?q=quartz`);
    expect(byName.body).toContain('zed@other.example');
    expect((byName.body.match(/<tr><th scope="row">/g) ?? []).length).toBe(1);
    expect(byName.body).toContain('<caption>1 member matches your search</caption>');
    const byEmail = await b.get(`/contacts/${user.id}/${p.id}?q=${encodeURIComponent('p7@')}`);
    expect((byEmail.body.match(/<tr><th scope="row">/g) ?? []).length).toBe(1);
    expect(byEmail.body).toContain('value="p7@"');
    const unsub = await b.get(`/contacts/${user.id}/${p.id}?status=unsubscribed`);
    expect((unsub.body.match(/<tr><th scope="row">/g) ?? []).length).toBe(1);
    expect(unsub.body).toContain('Unsubscribed</span>');
    const sub = await b.get(`/contacts/${user.id}/${p.id}?status=subscribed&q=example.org`);
    expect((sub.body.match(/<tr><th scope="row">/g) ?? []).length).toBe(50);
    expect(sub.body).toContain('<caption>60 members match your search</caption>');
    expect(sub.body).toMatch(/\?q=example\.org&amp;status=subscribed&amp;after=MLRP_\w+" rel="next"/);
    const none = await b.get(`/contacts/${user.id}/${p.id}?q=nobody-here`);
    expect(none.body).toContain('No members match your search.');
  });

  it('adds a member with embedded data; hostile strings render inert', async () => {
    const p = await newPanel(user);
    const b = await browser(user);
    const form = await b.get(`/contacts/${user.id}/${p.id}/members/new`);
    expect(form.body).toContain('name="ed0_key"');
    expect(form.body).toContain('name="ed2_key"');
    expect(form.body).toContain('<legend>Embedded data</legend>');
    const bad = await b.post(`/contacts/${user.id}/${p.id}/members`, { email: 'not-an-email', firstName: 'X' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('<a href="#f-email">E-mail address</a>');
    expect(bad.body).toContain('value="not-an-email"');
    expect(await allMembers(user, p.id)).toEqual([]);

    const res = await b.post(`/contacts/${user.id}/${p.id}/members`, {
      email: 'ann@example.org', firstName: HOSTILE, lastName: 'Lee', externalRef: 'CRM-1', language: 'EN',
      ed0_key: 'Plan', ed0_value: 'Gold', ed1_key: 'Note', ed1_value: HOSTILE, ed2_key: '', ed2_value: '',
    });
    expect(res.statusCode).toBe(303);
    const [m] = await allMembers(user, p.id);
    expect(m).toMatchObject({ email: 'ann@example.org', firstName: HOSTILE, lastName: 'Lee', externalRef: 'CRM-1', language: 'EN', unsubscribed: false, embeddedData: { Plan: 'Gold', Note: HOSTILE } });
    const page = await b.get(`/contacts/${user.id}/${p.id}`);
    expect(page.body).not.toContain(HOSTILE);
    expect(page.body).toContain('Plan: Gold');
    const edit = await b.get(`/contacts/${user.id}/${p.id}/members/${m?.id}`);
    expect(edit.body).not.toContain(HOSTILE);
    expect(edit.body).toContain('value="&lt;img src=x onerror=alert(1)&gt;"');
  });

  it('edits a member: fields, unsubscribe, embedded data replaced (a cleared row removes its key)', async () => {
    const p = await newPanel(user);
    const m = await t.services.panels.addRecipient(user.actor, user.id, p.id, { email: 'bo@example.org', firstName: 'Bo', embeddedData: { A: '1', B: '2' } });
    const b = await browser(user);
    const form = await b.get(`/contacts/${user.id}/${p.id}/members/${m.id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="A"');
    expect(form.body).toContain('name="ed4_key"'); // two existing rows plus three empty ones
    expect(form.body).toContain('<label for="f-unsubscribed">');
    const res = await b.post(`/contacts/${user.id}/${p.id}/members/${m.id}`, {
      email: 'bo@example.org', firstName: 'Bob', lastName: 'Stone', externalRef: '', language: 'DE', unsubscribed: '1',
      ed0_key: 'A', ed0_value: '10', ed1_key: '', ed1_value: '2', ed2_key: 'C', ed2_value: '3',
    });
    expect(res.statusCode).toBe(303);
    const after = await t.services.panels.getRecipient(user.actor, user.id, m.id);
    expect(after).toMatchObject({ firstName: 'Bob', lastName: 'Stone', language: 'DE', unsubscribed: true, embeddedData: { A: '10', C: '3' } });
    const resub = await b.post(`/contacts/${user.id}/${p.id}/members/${m.id}`, { email: 'bo@example.org', firstName: 'Bob' });
    expect(resub.statusCode).toBe(303);
    expect((await t.services.panels.getRecipient(user.actor, user.id, m.id))?.unsubscribed).toBe(false);
  });

  it('removes a member after the confirmation step', async () => {
    const p = await newPanel(user);
    const m = await t.services.panels.addRecipient(user.actor, user.id, p.id, { email: 'gone@example.org' });
    const b = await browser(user);
    const confirm = await b.get(`/contacts/${user.id}/${p.id}/members/${m.id}/remove`);
    expect(confirm.body).toContain('Remove gone@example.org from Customers?');
    expect(await allMembers(user, p.id)).toHaveLength(1);
    const res = await b.post(`/contacts/${user.id}/${p.id}/members/${m.id}/remove`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/contacts/${user.id}/${p.id}?done=removed`);
    expect(await allMembers(user, p.id)).toEqual([]);
  });
});

describe('contacts: CSV import', () => {
  it('uploads, maps columns with guessed defaults and a preview, and imports (BOM, CRLF, quoted commas and newlines)', async () => {
    const p = await newPanel(user);
    const b = await browser(user);
    const step1 = await b.get(`/contacts/${user.id}/${p.id}/import`);
    expect(step1.statusCode).toBe(200);
    expect(step1.body).toContain('enctype="multipart/form-data"');
    expect(step1.body).toContain('<input type="file" id="f-file" name="file"');

    const csv = '\ufeffE-mail,First Name,Surname,Plan,Notes,Junk\r\n' +
      'a@example.org,Ann,"Lee, Jr.",Gold,"line one\r\nline two",x\r\n' +
      'not-an-address,Bad,Row,,,\r\n' +
      `b@example.org,"${HOSTILE.replace(/"/g, '""')}",Stone,Silver,"say ""hi""",y\r\n`;
    const up = await b.upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, { name: 'people.csv', content: csv });
    expect(up.statusCode).toBe(303);
    const mappingUrl = up.headers.location as string;
    expect(mappingUrl).toMatch(/^\/contacts\/import\/[0-9A-Za-z]{24}$/);
    expect(uploadFiles().filter((f) => f.endsWith('.csv'))).toHaveLength(1);

    const step2 = await b.get(mappingUrl);
    expect(step2.statusCode).toBe(200);
    expect(step2.body).not.toContain(HOSTILE);
    expect(step2.body).toContain('<caption>The first rows of the file, and what each column becomes</caption>');
    expect(step2.body).toContain('line one\r\nline two');
    expect(step2.body).toContain('Lee, Jr.');
    expect(step2.body).toContain('<script src="/assets/contacts.js" defer></script>');
    expect(step2.body).toContain('<progress');
    // Defaults guessed from the headers.
    expect(step2.body).toMatch(/name="col1">[^]*?<option value="email" selected>/);
    expect(step2.body).toMatch(/name="col2">[^]*?<option value="first" selected>/);
    expect(step2.body).toMatch(/name="col3">[^]*?<option value="last" selected>/);
    expect(step2.body).toMatch(/name="col4">[^]*?<option value="ed" selected>/);
    expect(step2.body).toContain('<span class="visually-hidden">Column 1 (E-mail) becomes</span>');

    // Two e-mail columns: refused, nothing imported, the file is kept for another try.
    const twice = await b.post(mappingUrl, { col1: 'email', col2: 'email', col3: 'last', col4: 'ed', col5: 'ed', col6: 'ignore' });
    expect(twice.statusCode).toBe(400);
    expect(twice.body).toContain('role="alert"');
    expect(twice.body).toContain('href="#f-col2"');
    expect(await allMembers(user, p.id)).toEqual([]);

    const run = await b.post(mappingUrl, { col1: 'email', col2: 'first', col3: 'last', col4: 'ed', col5: 'ed', col6: 'ignore' });
    expect(run.statusCode).toBe(303);
    expect(run.headers.location).toBe(`${mappingUrl}/done`);
    const done = await b.get(`${mappingUrl}/done`);
    expect(done.body).toContain('<strong id="imported-count">2</strong>');
    expect(done.body).toContain('<strong id="ignored-count">1</strong>');
    const members = await allMembers(user, p.id);
    expect(members.map((m) => [m.email, m.firstName, m.lastName, m.embeddedData])).toEqual([
      ['a@example.org', 'Ann', 'Lee, Jr.', { Plan: 'Gold', Notes: 'line one\r\nline two' }],
      ['b@example.org', HOSTILE, 'Stone', { Plan: 'Silver', Notes: 'say "hi"' }],
    ]);
    // The CSV is gone after the import; only the small result record stays.
    expect(uploadFiles().filter((f) => f.endsWith('.csv'))).toEqual([]);
    const status = await b.get(`${mappingUrl}/status`);
    expect(JSON.parse(status.body)).toEqual({ state: 'done', done: 2, total: 2, rows: 2 });
    // Posting the mapping again does not import twice.
    await b.post(mappingUrl, { col1: 'email' });
    expect(await allMembers(user, p.id)).toHaveLength(2);
  });

  it('imports into a new panel, without a header row (the e-mail column is guessed from content)', async () => {
    const b = await browser(user);
    const form = await b.get(`/contacts/${user.id}/import`);
    expect(form.body).toContain('<label for="f-name">Name of the new panel</label>');
    const noName = await b.upload(`/contacts/${user.id}/import`, { name: '' }, { name: 'x.csv', content: 'a@example.org\n' });
    expect(noName.statusCode).toBe(400);
    expect(noName.body).toContain('<a href="#f-name">Panel name</a>');
    expect(uploadFiles().filter((f) => !f.endsWith('.json'))).toEqual([]);

    const up = await b.upload(`/contacts/${user.id}/import`, { name: 'From CSV', category: 'Imports' }, { name: 'x.csv', content: 'Ann,a@example.org,EN\nBo,b@example.org,FR' });
    expect(up.statusCode).toBe(303);
    const step2 = await b.get(up.headers.location as string);
    expect(step2.body).toMatch(/name="col2">[^]*?<option value="email" selected>/);
    expect(step2.body).toMatch(/name="col1">[^]*?<option value="ignore" selected>/);
    const run = await b.post(up.headers.location as string, { col1: 'first', col2: 'email', col3: 'language' });
    expect(run.statusCode).toBe(303);
    const panels = await t.services.panels.listPanels(user.actor, user.id);
    expect(panels).toMatchObject([{ name: 'From CSV', category: 'Imports' }]);
    const members = await allMembers(user, panels[0]?.id as string);
    expect(members.map((m) => [m.firstName, m.email, m.language])).toEqual([['Ann', 'a@example.org', 'EN'], ['Bo', 'b@example.org', 'FR']]);
  });

  it('refuses a file that is not UTF-8, an empty upload, and a malformed CSV with nothing imported', async () => {
    const p = await newPanel(user);
    const b = await browser(user);
    const latin1 = await b.upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, { name: 'l.csv', content: Buffer.from([0x45, 0x6d, 0x61, 0x69, 0x6c, 0x0a, 0xe9, 0x40, 0x78, 0x2e, 0x6f, 0x72, 0x67, 0x0a]) });
    expect(latin1.statusCode).toBe(400);
    expect(latin1.body).toContain('<a href="#f-file">CSV file</a>');
    const empty = await b.upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, undefined);
    expect(empty.statusCode).toBe(400);
    const broken = await b.upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, { name: 'b.csv', content: 'Email,Name\na@example.org,Ann\nb@example.org,"never closed\n' });
    expect(broken.statusCode).toBe(303);
    const run = await b.post(broken.headers.location as string, { col1: 'email', col2: 'first' });
    expect(run.statusCode).toBe(400);
    expect(run.body).toContain('could not be read as CSV');
    expect(await allMembers(user, p.id)).toEqual([]);
    expect(uploadFiles().filter((f) => f.startsWith('incoming-'))).toEqual([]);
  });

  it('imports once when the mapping form is submitted twice at the same time', async () => {
    const p = await newPanel(user);
    const b = await browser(user);
    const up = await b.upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, { name: 'x.csv', content: 'Email\na@example.org\nb@example.org\n' });
    const url = up.headers.location as string;
    const [one, two] = await Promise.all([b.post(url, { col1: 'email' }), b.post(url, { col1: 'email' })]);
    expect([one.statusCode, two.statusCode].sort()).toEqual(expect.arrayContaining([303]));
    expect(await allMembers(user, p.id)).toHaveLength(2);
  });

  it('answers with a page, not a hang or a crash, when the uploaded file is gone', async () => {
    const p = await newPanel(user);
    const b = await browser(user);
    const up = await b.upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, { name: 'x.csv', content: 'Email\na@example.org\n' });
    for (const f of uploadFiles().filter((name) => name.endsWith('.csv'))) rmSync(join(t.dataDir, 'uploads', f));
    for (const res of [await b.get(up.headers.location as string), await b.post(up.headers.location as string, { col1: 'email' })]) {
      expect(res.statusCode).toBe(400);
      expect(res.body).toContain('The file cannot be imported');
    }
    expect(await allMembers(user, p.id)).toEqual([]);
  });

  it('keeps an upload private to the user who sent it', async () => {
    const p = await newPanel(user);
    const up = await (await browser(user)).upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, { name: 'x.csv', content: 'Email\na@example.org\n' });
    const other = await browser(admin);
    expect((await other.get(up.headers.location as string)).statusCode).toBe(404);
    expect((await other.post(up.headers.location as string, { col1: 'email' })).statusCode).toBe(404);
    expect(await allMembers(user, p.id)).toEqual([]);
  });
});

describe('contacts: CSV export', () => {
  it('streams members as CSV with a BOM, a column per embedded-data key, and formulas defused', async () => {
    const p = await newPanel(user, 'Ex/port "panel"');
    await t.services.panels.addRecipient(user.actor, user.id, p.id, { email: 'a@example.org', firstName: '=cmd|\' /C calc\'!A0', lastName: 'Lee, Jr.', embeddedData: { Plan: 'Gold' } });
    await t.services.panels.addRecipient(user.actor, user.id, p.id, { email: 'b@example.org', firstName: '@SUM(1)', lastName: '+1', language: 'EN', unsubscribed: true, embeddedData: { Score: '-5', Note: 'two\nlines' } });
    const res = await (await browser(user)).get(`/contacts/${user.id}/${p.id}/export.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="Export-panel-${p.id}.csv"`);
    const members = await allMembers(user, p.id);
    expect(res.body).toBe(
      '\ufeffRecipientID,Email,FirstName,LastName,ExternalDataReference,Language,Unsubscribed,Plan,Score,Note\r\n' +
        `${members[0]?.id},a@example.org,'=cmd|' /C calc'!A0,"Lee, Jr.",,,0,Gold,,\r\n` +
        `${members[1]?.id},b@example.org,'@SUM(1),+1,,EN,1,,-5,"two\nlines"\r\n`,
    );
  });

  it('exports an empty panel as a header row only', async () => {
    const p = await newPanel(user);
    const res = await (await browser(user)).get(`/contacts/${user.id}/${p.id}/export.csv`);
    expect(res.body).toBe('\ufeffRecipientID,Email,FirstName,LastName,ExternalDataReference,Language,Unsubscribed\r\n');
  });
});

describe('contacts: other libraries and brands, CSRF', () => {
  it('answers 404 for another user’s or another brand’s panel and changes nothing', async () => {
    const mine = await newPanel(admin, 'Admin only');
    const m = await t.services.panels.addRecipient(admin.actor, admin.id, mine.id, { email: 'keep@example.org' });
    const otherAdmin = await seedBrand(t, 'globex');
    const theirs = await newPanel(otherAdmin, 'Globex panel');
    const b = await browser(user);
    const urls = [
      `/contacts/${admin.id}/${mine.id}`,
      `/contacts/${user.id}/${mine.id}`,
      `/contacts/${otherAdmin.id}/${theirs.id}`,
      `/contacts/${admin.id}/${mine.id}/export.csv`,
      `/contacts/${admin.id}/${mine.id}/import`,
      `/contacts/${admin.id}/${mine.id}/members/${m.id}`,
      `/contacts/${admin.id}/${mine.id}/delete`,
      `/contacts/${admin.id}/import`,
      '/contacts/UR_nonsense/ML_nonsense',
    ];
    for (const url of urls) expect((await b.get(url)).statusCode, url).toBe(404);
    const posts: Array<[string, Record<string, string>]> = [
      [`/contacts/${admin.id}/${mine.id}/rename`, { name: 'Hacked' }],
      [`/contacts/${admin.id}/${mine.id}/delete`, {}],
      [`/contacts/${admin.id}/${mine.id}/members`, { email: 'x@example.org' }],
      [`/contacts/${admin.id}/${mine.id}/members/${m.id}`, { email: 'x@example.org' }],
      [`/contacts/${admin.id}/${mine.id}/members/${m.id}/remove`, {}],
      [`/contacts/${otherAdmin.id}/${theirs.id}/delete`, {}],
    ];
    for (const [url, form] of posts) expect((await b.post(url, form)).statusCode, url).toBe(404);
    const upload = await b.upload(`/contacts/${admin.id}/${mine.id}/import`, { headers: '1' }, { name: 'x.csv', content: 'Email\nx@example.org\n' });
    expect(upload.statusCode).toBe(404);
    // A member of one panel is not reachable through another panel of the same library.
    const own = await newPanel(admin, 'Second');
    expect((await (await browser(admin)).get(`/contacts/${admin.id}/${own.id}/members/${m.id}`)).statusCode).toBe(404);

    expect((await t.services.panels.getPanelInfo(admin.actor, admin.id, mine.id)).name).toBe('Admin only');
    expect((await allMembers(admin, mine.id)).map((x) => x.email)).toEqual(['keep@example.org']);
    expect(await t.services.panels.listPanels(otherAdmin.actor, otherAdmin.id)).toHaveLength(1);
    expect(uploadFiles().filter((f) => !f.endsWith('.json'))).toEqual([]);
  });

  it('refuses every POST without the CSRF token (403) and changes nothing', async () => {
    const p = await newPanel(user);
    const m = await t.services.panels.addRecipient(user.actor, user.id, p.id, { email: 'keep@example.org' });
    const b = await browser(user);
    const posts: Array<[string, Record<string, string>]> = [
      ['/contacts', { libraryId: user.id, name: 'New' }],
      [`/contacts/${user.id}/${p.id}/rename`, { name: 'Hacked' }],
      [`/contacts/${user.id}/${p.id}/delete`, {}],
      [`/contacts/${user.id}/${p.id}/members`, { email: 'x@example.org' }],
      [`/contacts/${user.id}/${p.id}/members/${m.id}`, { email: 'x@example.org' }],
      [`/contacts/${user.id}/${p.id}/members/${m.id}/remove`, {}],
    ];
    for (const [url, form] of posts) expect((await b.post(url, form, { csrf: false })).statusCode, url).toBe(403);
    const upload = await b.upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, { name: 'x.csv', content: 'Email\nx@example.org\n' }, { csrf: false });
    expect(upload.statusCode).toBe(403);
    expect(uploadFiles()).toEqual([]);
    const real = await b.upload(`/contacts/${user.id}/${p.id}/import`, { headers: '1' }, { name: 'x.csv', content: 'Email\nx@example.org\n' });
    expect((await b.post(real.headers.location as string, { col1: 'email' }, { csrf: false })).statusCode).toBe(403);
    expect(await t.services.panels.listPanels(user.actor, user.id)).toMatchObject([{ name: 'Customers' }]);
    expect((await allMembers(user, p.id)).map((x) => x.email)).toEqual(['keep@example.org']);
  });
});

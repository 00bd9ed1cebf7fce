import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { signedInBrowser } from '../helpers/web.ts';
import { apiGet, creds } from '../helpers/wrapi.ts';

let t: TestApp;
let admin: SeededUser;

beforeEach(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
});
afterEach(async () => t?.close());

const browser = (who: SeededUser) => signedInBrowser(t, who, '/admin/users');

const newUser = {
  username: 'bob',
  firstName: 'Bob',
  lastName: 'Builder',
  email: 'bob@acme.example',
  password: 'a-long-password',
  typeId: 'UT_STANDARD',
  divisionId: '',
  language: 'EN',
  perm_accessApi: '1',
  perm_downloadResponses: '1',
};

const editFields = (over: Record<string, string> = {}) => ({
  firstName: 'Admin',
  lastName: 'Tester',
  email: 'admin@acme.example',
  typeId: 'UT_BRANDADMIN',
  divisionId: '',
  language: 'EN',
  status: 'Active',
  password: '',
  ...over,
});

describe('admin users pages', () => {
  it('lists the brand’s users in an accessible table', async () => {
    const b = await browser(admin);
    const res = await b.get('/admin/users');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('admin#acme');
    expect(res.body).toContain('<th scope="col">API access</th>');
    expect(res.body).toContain('class="table-wrap"');
    expect(res.body).toContain('aria-current="page"');
    expect(res.body).toContain('<legend>Permissions</legend>');
    expect(res.body).toContain('<label for="f-username">');
  });

  it('creates a user through the form; the API then sees it', async () => {
    const b = await browser(admin);
    const div = await t.services.accounts.createDivision(admin.actor, 'Research');
    const res = await b.post('/admin/users', { ...newUser, divisionId: div.id });
    expect(res.statusCode).toBe(303);
    const created = await t.services.accounts.findByUsername('bob#acme');
    expect(created).toBeDefined();
    expect(res.headers.location).toBe(`/admin/users/${created?.id}?done=created`);
    expect(created?.divisionId).toBe(div.id);
    expect(created?.permissions).toMatchObject({ accessApi: true, downloadResponses: true, createSurveys: false, manageContacts: false });
    const api = await apiGet(t.app, { Request: 'getUsers', ...creds(admin) });
    expect(api.json.Result.Users.map((u: { UserName: string }) => u.UserName)).toContain('bob#acme');
  });

  it('re-renders the create form with the input and an alert on a service error', async () => {
    const b = await browser(admin);
    const res = await b.post('/admin/users', { ...newUser, email: 'not-an-email' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('role="alert"');
    expect(res.body).toContain('href="#f-email"');
    expect(res.body).toContain('value="not-an-email"');
    expect(res.body).toContain('value="bob"');
    expect(await t.services.accounts.findByUsername('bob#acme')).toBeUndefined();
  });

  it('shows the licence limit (ESEC75) message', async () => {
    await t.close();
    t = await createTestApp();
    admin = await seedBrand(t, 'tiny', { maxUsers: 1 });
    const b = await browser(admin);
    const res = await b.post('/admin/users', newUser);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('The maximum number of user accounts has been reached for this organization.');
    expect((await t.services.accounts.listUsers(admin.actor)).length).toBe(1);
  });

  it('edits a user: names, type, permissions; the API shows the change', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const b = await browser(admin);
    const edit = await b.get(`/admin/users/${ann.id}`);
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('value="Ann"');
    const res = await b.post(`/admin/users/${ann.id}`, editFields({ firstName: 'Annie', lastName: 'Lee', email: 'annie@acme.example', typeId: 'UT_STANDARD', language: 'de', perm_accessApi: '1' }), { from: `/admin/users/${ann.id}` });
    expect(res.statusCode).toBe(303);
    const view = await t.services.accounts.getUser(admin.actor, ann.id);
    expect(view).toMatchObject({ firstName: 'Annie', lastName: 'Lee', email: 'annie@acme.example', language: 'DE' });
    expect(view.permissions).toMatchObject({ accessApi: true, createSurveys: false, downloadResponses: false });
    const api = await apiGet(t.app, { Request: 'getUserInfo', ...creds(ann) });
    expect(api.json.Result.UserData.UserFirstName).toBe('Annie');
  });

  it('disables and enables a user; a disabled user’s token is refused', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const b = await browser(admin);
    const res = await b.post(`/admin/users/${ann.id}/status`, { status: 'Disabled' });
    expect(res.statusCode).toBe(303);
    expect((await apiGet(t.app, { Request: 'getUserInfo', ...creds(ann) })).json.Meta.ErrorMessage).toBe('User Account Disabled');
    const page = await b.get(`/admin/users/${ann.id}`);
    expect(page.body).toContain('Enable account');
    await b.post(`/admin/users/${ann.id}/status`, { status: 'Active' });
    expect((await apiGet(t.app, { Request: 'getUserInfo', ...creds(ann) })).status).toBe(200);
  });

  it('deletes a user only after a confirmation step', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const b = await browser(admin);
    const ask = await b.post(`/admin/users/${ann.id}/delete`, {});
    expect(ask.statusCode).toBe(200);
    expect(ask.body).toContain('name="confirm" value="1"');
    expect((await t.services.accounts.getUser(admin.actor, ann.id)).id).toBe(ann.id);
    const done = await b.post(`/admin/users/${ann.id}/delete`, { confirm: '1' });
    expect(done.statusCode).toBe(303);
    await expect(t.services.accounts.getUser(admin.actor, ann.id)).rejects.toMatchObject({ kind: 'NotFound' });
    expect((await apiGet(t.app, { Request: 'getUserInfo', ...creds(ann) })).status).toBe(401);
  });

  it('generates a token once, with a confirmation when one exists; the old one stops working', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const b = await browser(admin);
    const ask = await b.post(`/admin/users/${ann.id}/token`, {});
    expect(ask.body).toContain('revokes the current token immediately');
    expect((await apiGet(t.app, { Request: 'getUserInfo', ...creds(ann) })).status).toBe(200);
    const res = await b.post(`/admin/users/${ann.id}/token`, { confirm: '1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const token = /id="new-token" class="token" readonly value="([A-Za-z0-9]{40})"/.exec(res.body)?.[1];
    expect(token).toBeDefined();
    expect(res.body).toContain('revoked immediately');
    expect((await apiGet(t.app, { Request: 'getUserInfo', ...creds(ann) })).status).toBe(401);
    expect((await apiGet(t.app, { Request: 'getUserInfo', ...creds({ username: ann.username, token: token as string }) })).status).toBe(200);
    const after = await b.get(`/admin/users/${ann.id}`);
    expect(after.body).not.toContain(token as string);
  });

  it('escapes hostile strings', async () => {
    const b = await browser(admin);
    const res = await b.post('/admin/users', { ...newUser, firstName: '<script>alert(1)</script>', lastName: '"><img src=x>' });
    expect(res.statusCode).toBe(303);
    const list = await b.get('/admin/users');
    expect(list.body).not.toContain('<script>alert(1)</script>');
    expect(list.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(list.body).not.toContain('"><img src=x>');
    const bad = await b.post('/admin/users', { ...newUser, username: '<script>x</script>' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('<script>x</script>');
    expect(bad.body).toContain('value="&lt;script&gt;x&lt;/script&gt;"');
  });
});

describe('the last active Brand Administrator', () => {
  it('cannot be disabled, demoted or deleted; the error is shown and nothing changes', async () => {
    const b = await browser(admin);
    const disable = await b.post(`/admin/users/${admin.id}/status`, { status: 'Disabled' });
    expect(disable.statusCode).toBe(409);
    expect(disable.body).toContain('role="alert"');
    expect(disable.body).toContain('A brand must keep at least one active Brand Administrator.');
    const demote = await b.post(`/admin/users/${admin.id}`, editFields({ typeId: 'UT_STANDARD', firstName: 'Changed' }), { from: `/admin/users/${admin.id}` });
    expect(demote.statusCode).toBe(409);
    expect(demote.body).toContain('A brand must keep at least one active Brand Administrator.');
    expect(demote.body).toContain('value="Changed"');
    const remove = await b.post(`/admin/users/${admin.id}/delete`, { confirm: '1' });
    expect(remove.statusCode).toBe(409);
    expect(remove.body).toContain('role="alert"');
    const view = await t.services.accounts.getUser(admin.actor, admin.id);
    expect(view).toMatchObject({ typeId: 'UT_BRANDADMIN', status: 'Active', firstName: 'Admin' });
  });
});

describe('who may use the admin pages', () => {
  it('sends anonymous visitors to sign in', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/users' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fadmin%2Fusers');
  });

  it('answers 403 to a standard user, on pages and forms', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const b = await browser(ann);
    for (const url of ['/admin/users', `/admin/users/${admin.id}`, '/admin/divisions', '/admin/groups']) {
      expect((await b.get(url)).statusCode).toBe(403);
    }
    // A valid token for this session (from the nav's sign-out form), so the 403 is the role check's.
    const token = await b.csrfOf('/WRAPI/ControlPanel/docs.php');
    const res = await b.post('/admin/users', newUser, { csrf: token });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Only a Brand Administrator');
    expect(await t.services.accounts.findByUsername('bob#acme')).toBeUndefined();
  });

  it('answers 404 for another brand’s user and changes nothing', async () => {
    const other = await seedBrand(t, 'globex');
    const victim = await seedUser(t, 'globex', 'vic');
    const b = await browser(admin);
    expect((await b.get(`/admin/users/${victim.id}`)).statusCode).toBe(404);
    const csrf = await b.csrfOf('/admin/users');
    const edit = await b.post(`/admin/users/${victim.id}`, editFields({ firstName: 'Owned', typeId: 'UT_STANDARD' }), { csrf });
    expect(edit.statusCode).toBe(404);
    expect((await b.post(`/admin/users/${victim.id}/status`, { status: 'Disabled' }, { csrf })).statusCode).toBe(404);
    expect((await b.post(`/admin/users/${victim.id}/delete`, { confirm: '1' }, { csrf })).statusCode).toBe(404);
    expect((await b.post(`/admin/users/${victim.id}/token`, { confirm: '1' }, { csrf })).statusCode).toBe(404);
    const view = await t.services.accounts.getUser(other.actor, victim.id);
    expect(view).toMatchObject({ firstName: 'Vic', status: 'Active' });
    expect((await apiGet(t.app, { Request: 'getUserInfo', ...creds(victim) })).status).toBe(200);
    expect((await b.get('/admin/users')).body).not.toContain('vic#globex');
  });

  it('refuses a POST without the CSRF token, or with another session’s, and changes nothing', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const b = await browser(admin);
    const missing = await b.post(`/admin/users/${ann.id}/status`, { status: 'Disabled' }, { csrf: false });
    expect(missing.statusCode).toBe(403);
    const foreign = await (await browser(admin)).csrfOf('/admin/users');
    const wrong = await b.post('/admin/users', newUser, { csrf: foreign });
    expect(wrong.statusCode).toBe(403);
    expect((await t.services.accounts.getUser(admin.actor, ann.id)).status).toBe('Active');
    expect(await t.services.accounts.findByUsername('bob#acme')).toBeUndefined();
  });
});

describe('divisions and groups pages', () => {
  it('creates a division and shows it', async () => {
    const b = await browser(admin);
    const res = await b.post('/admin/divisions', { name: 'Research <b>' }, { from: '/admin/divisions' });
    expect(res.statusCode).toBe(303);
    const divisions = await t.services.accounts.listDivisions(admin.actor);
    expect(divisions.map((d) => d.name)).toEqual(['Research <b>']);
    const page = await b.get('/admin/divisions');
    expect(page.body).toContain('Research &lt;b&gt;');
    expect(page.body).toContain('<th scope="col">Division ID</th>');
    const empty = await b.post('/admin/divisions', { name: '  ' }, { from: '/admin/divisions' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('role="alert"');
    expect((await t.services.accounts.listDivisions(admin.actor)).length).toBe(1);
  });

  it('creates a group, adds and removes a member; the API agrees', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const b = await browser(admin);
    expect((await b.post('/admin/groups', { name: 'Team', divisionId: '' }, { from: '/admin/groups' })).statusCode).toBe(303);
    const [group] = await t.services.accounts.listGroups(admin.actor);
    expect(group?.name).toBe('Team');
    const groupId = group?.id as string;
    expect((await b.post(`/admin/groups/${groupId}/members`, { userId: ann.id }, { from: '/admin/groups' })).statusCode).toBe(303);
    const api = await apiGet(t.app, { Request: 'getGroups', ...creds(admin) });
    expect(api.json.Result.Groups[0].Members).toEqual([ann.id]);
    const page = await b.get('/admin/groups');
    expect(page.body).toContain(`Remove ann#acme from Team`);
    expect((await b.post(`/admin/groups/${groupId}/members/remove`, { userId: ann.id }, { from: '/admin/groups' })).statusCode).toBe(303);
    expect((await t.services.accounts.listGroups(admin.actor))[0]?.members).toEqual([]);
  });

  it('will not add another brand’s user to a group', async () => {
    await seedBrand(t, 'globex');
    const victim = await seedUser(t, 'globex', 'vic');
    const group = await t.services.accounts.createGroup(admin.actor, 'Team');
    const b = await browser(admin);
    const res = await b.post(`/admin/groups/${group.id}/members`, { userId: victim.id }, { from: '/admin/groups' });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('role="alert"');
    expect((await t.services.accounts.listGroups(admin.actor))[0]?.members).toEqual([]);
  });
});

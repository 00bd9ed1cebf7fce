import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { WebClient, csrfOf } from '../helpers/web.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, creds } from '../helpers/wrapi.ts';

let t: TestApp;
let admin: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
});
afterAll(async () => t?.close());

const WARNING =
  'Generating a new token will invalidate your current token. Any existing integrations that use it will be interrupted and must be updated with the new token.';

async function signedIn(user: SeededUser): Promise<WebClient> {
  const c = new WebClient(t.app);
  const res = await c.signIn(user.username, user.password);
  expect(res.statusCode).toBe(303);
  return c;
}

function tokenIn(body: string): string {
  const m = /<code class="token" id="api-token">([A-Za-z0-9]{40})<\/code>/.exec(body);
  if (!m) throw new Error('no token in the page');
  return m[1];
}

/** The hidden fields of the form posting to `action` (the page's own `_csrf`, `current`, `confirm`). */
function formFields(body: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action}"[^>]*>([\\s\\S]*?)</form>`).exec(body);
  if (!form) throw new Error(`no form posting to ${action}`);
  return Object.fromEntries([...form[1].matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
}

async function userInfo(username: string, token: string) {
  return apiGet(t.app, { Request: 'getUserInfo', ...creds({ username, token }) });
}

/** Clicks Generate Token on Qualtrics IDs, confirming when asked; returns the page that shows the token. */
async function generate(c: WebClient): Promise<string> {
  const ids = await c.get('/account/ids');
  let res = await c.post('/account/token', formFields(ids.body, '/account/token'));
  if (res.body.includes('id="confirm-generate"')) res = await c.post('/account/token', formFields(res.body, '/account/token'));
  expect(res.statusCode).toBe(200);
  return res.body;
}

describe('Qualtrics IDs', () => {
  it('shows the user ID, username, brand ID and the library IDs of the user and their groups', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const g1 = await t.services.accounts.createGroup(admin.actor, 'Field team');
    const g2 = await t.services.accounts.createGroup(admin.actor, 'Lab');
    const other = await t.services.accounts.createGroup(admin.actor, 'Not Ann’s group');
    await t.services.accounts.addUserToGroup(admin.actor, g1.id, ann.id);
    await t.services.accounts.addUserToGroup(admin.actor, g2.id, ann.id);
    const res = await (await signedIn(ann)).get('/account/ids');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain(`<dd id="user-id">${ann.id}</dd>`);
    expect(res.body).toContain('<dd id="username">ann#acme</dd>');
    expect(res.body).toContain('<dd id="brand-id">acme</dd>');
    const libraries = [...res.body.matchAll(/<code class="library-id">([^<]+)<\/code>/g)].map((m) => m[1]);
    expect(libraries.sort()).toEqual([ann.id, g1.id, g2.id].sort());
    expect(res.body).not.toContain(other.id);
    expect(res.body).toContain('Field team');
  });

  it('shows when the token was created and last used', async () => {
    const carl = await seedUser(t, 'acme', 'carl');
    const c = await signedIn(carl);
    const before = await c.get('/account/ids');
    expect(before.body).toContain('<dd id="token-status">Generated</dd>');
    expect(before.body).toMatch(/<dd id="token-created"><time datetime="2026-11-28T12:00:00.000Z">November 28, 2026 at 5:00 AM MST<\/time><\/dd>/);
    expect(before.body).toContain('<dd id="token-last-used">Not used yet</dd>');
    t.clock.advance(5 * 60_000);
    expect((await userInfo(carl.username, carl.token)).status).toBe(200);
    const after = await c.get('/account/ids');
    expect(after.body).toMatch(/<dd id="token-last-used"><time datetime="2026-11-28T12:05:00.000Z">/);
  });

  it('is only for signed-in users', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/account/ids' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount%2Fids');
  });
});

describe('Generate Token', () => {
  it('issues a token (shown once, not cached) that works against the API', async () => {
    const dan = await seedUser(t, 'acme', 'dan');
    const c = await signedIn(dan);
    const body = await generate(c);
    const token = tokenIn(body);
    expect(body).toContain('it will not be shown again');
    expect(body).toContain('<script src="/assets/copy.js" defer></script>');
    const r = await userInfo(dan.username, token);
    expect(r.status).toBe(200);
    expect(r.json.Meta.Status).toBe('Success');
    expect(r.json.Result.UserData.UserID).toBe(dan.id);
    // The token is never on a page that can be fetched again.
    const ids = await c.get('/account/ids');
    expect(ids.body).not.toContain(token);
    expect((await c.get('/account/token')).headers.location).toBe('/account/ids');
  });

  it('asks for confirmation with the warning before replacing a token; the old one then gets 401', async () => {
    const eve = await seedUser(t, 'acme', 'eve');
    const c = await signedIn(eve);
    const ids = await c.get('/account/ids');
    const ask = await c.post('/account/token', formFields(ids.body, '/account/token'));
    expect(ask.statusCode).toBe(200);
    expect(ask.body).toContain(WARNING);
    expect(ask.body).toContain('<a class="button secondary" href="/account/ids">Cancel</a>');
    expect(ask.body).not.toMatch(/id="api-token"/);
    // Nothing changed yet: the old token still works.
    expect((await userInfo(eve.username, eve.token)).status).toBe(200);
    const fields = formFields(ask.body, '/account/token');
    expect(fields.confirm).toBe('1');
    t.clock.advance(1000);
    const done = await c.post('/account/token', fields);
    const fresh = tokenIn(done.body);
    expect(done.headers['cache-control']).toBe('no-store');
    const old = await userInfo(eve.username, eve.token);
    expect(old.status).toBe(401);
    expect(old.json.Meta.ErrorMessage).toBe('Incorrect Username or Password');
    expect((await userInfo(eve.username, fresh)).status).toBe(200);
    // Replaying the confirmed form (a reload) asks again instead of issuing yet another token.
    t.clock.advance(1000);
    const replay = await c.post('/account/token', fields);
    expect(replay.body).toContain('id="confirm-generate"');
    expect(replay.body).not.toMatch(/id="api-token"/);
    expect((await userInfo(eve.username, fresh)).status).toBe(200);
  });

  it('refuses a token request without the CSRF token', async () => {
    const fay = await seedUser(t, 'acme', 'fay');
    const c = await signedIn(fay);
    const res = await c.post('/account/token', { confirm: '1', current: String(t.clock.now()) });
    expect(res.statusCode).toBe(403);
    expect((await userInfo(fay.username, fay.token)).status).toBe(200);
  });

  it('tells a user without the API permission why, and does not issue a token', async () => {
    const gus = await seedUser(t, 'acme', 'gus', { api: false });
    const c = await signedIn(gus);
    const ids = await c.get('/account/ids');
    expect(ids.body).toContain('Your account does not have API access. Ask a Brand Administrator of acme brand to grant the API permission.');
    expect(ids.body).not.toContain('id="generate-token"');
    const res = await c.post('/account/token', { _csrf: csrfOf(ids.body), confirm: '1', current: '0' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('You do not have permission to access the API.');
    expect(res.body).not.toMatch(/id="api-token"/);
  });

  it('sends a signed-out visitor to sign in instead of issuing a token', async () => {
    const c = new WebClient(t.app);
    const res = await c.submit('/login', '/account/token', {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount%2Ftoken');
  });
});

describe('the copy script', () => {
  it('is served as a file (the CSP forbids inline scripts)', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/assets/copy.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.body).toContain('data-copy-target');
    const page = await (await signedIn(admin)).get('/account/ids');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });
});

describe('hostile names', () => {
  it('renders names, group names and brand names as text', async () => {
    const evil = '<script>alert(1)</script>';
    await t.services.accounts.createBrand({ id: 'evil', name: `<img src=x onerror=alert(2)>` });
    const view = await t.services.accounts.createUser(undefined, 'evil', {
      username: 'mal',
      password: 'pw-mal-secret',
      firstName: evil,
      lastName: '"><b>x</b>',
      email: 'mal@evil.example',
      api: false,
    });
    const boss = await seedUser(t, 'evil', 'boss', { typeId: 'UT_BRANDADMIN' });
    const group = await t.services.accounts.createGroup(boss.actor, '<iframe src=//evil.example>');
    await t.services.accounts.addUserToGroup(boss.actor, group.id, view.id);
    const c = new WebClient(t.app);
    expect((await c.signIn(view.username, 'pw-mal-secret')).statusCode).toBe(303);
    const res = await c.get('/account/ids');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).toContain('&lt;iframe src=//evil.example&gt;');
    expect(res.body).toContain('Ask a Brand Administrator of &lt;img src=x onerror=alert(2)&gt; to grant');
    expect(res.body).not.toContain('<script>alert');
    expect(res.body).not.toContain('<iframe');
    expect(res.body).not.toContain('<img');
    expect(res.body).not.toContain('<b>x</b>');
  });

  it('keeps a hostile username on a failed sign-in as text', async () => {
    const c = new WebClient(t.app);
    const res = await c.signIn('"><script>alert(1)</script>', 'whatever-password');
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(res.body).not.toContain('<script>alert');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCKOUT_DURATION_MS } from '../../src/domain/lockout.ts';
import { SESSION_COOKIE } from '../../src/web/session.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { WebClient, csrfOf } from '../helpers/web.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';

let t: TestApp;
let admin: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
});
afterAll(async () => t?.close());

const web = () => new WebClient(t.app);
const ALERT = /<p id="login-error" role="alert">([^<]*)<\/p>/;

describe('sign-in page', () => {
  it('labels every field and asks browsers for the right autofill', async () => {
    const res = await web().get('/login');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    for (const id of ['username', 'password']) {
      expect(res.body).toContain(`<label for="${id}">`);
      expect(res.body).toMatch(new RegExp(`<input [^>]*id="${id}"`));
    }
    expect(res.body).toContain('autocomplete="username"');
    expect(res.body).toContain('autocomplete="current-password"');
    expect(res.body).toContain('name="viewport"');
    expect(res.body).not.toContain('role="alert"');
  });

  it('signs in, sets a session cookie and redirects to Qualtrics IDs', async () => {
    const c = web();
    const res = await c.signIn(admin.username, admin.password);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account/ids');
    const cookie = (res.cookies as Array<{ name: string; httpOnly?: boolean; sameSite?: string }>).find((k) => k.name === SESSION_COOKIE);
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe('Lax');
    const ids = await c.get('/account/ids');
    expect(ids.statusCode).toBe(200);
    expect(ids.body).toContain(admin.id);
  });

  it('takes the bare username when it is unique', async () => {
    const res = await web().signIn('admin', admin.password);
    expect(res.statusCode).toBe(303);
  });

  it('refuses a wrong password with 401 and the catalogue message, keeping the username but not the password', async () => {
    const c = web();
    const res = await c.signIn(admin.username, 'not-the-password');
    expect(res.statusCode).toBe(401);
    expect(ALERT.exec(res.body)?.[1]).toBe('Incorrect Username or Password');
    expect(res.body).toContain(`value="${admin.username}"`);
    expect(res.body).not.toContain('not-the-password');
    expect(res.body).toMatch(/id="password"[^>]*aria-describedby="login-error"/);
    expect(c.cookies[SESSION_COOKIE]).toBeUndefined();
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const res = await web().signIn('nobody#acme', 'whatever-password');
    expect(res.statusCode).toBe(401);
    expect(ALERT.exec(res.body)?.[1]).toBe('Incorrect Username or Password');
  });

  it('refuses a POST without or with a wrong CSRF token and starts no session', async () => {
    const c = web();
    await c.get('/login');
    const missing = await c.post('/login', { username: admin.username, password: admin.password });
    expect(missing.statusCode).toBe(403);
    const wrong = await c.post('/login', { username: admin.username, password: admin.password, _csrf: 'x'.repeat(43) });
    expect(wrong.statusCode).toBe(403);
    // A token from another browser is wrong for this one.
    const other = csrfOf((await web().get('/login')).body);
    const foreign = await c.post('/login', { username: admin.username, password: admin.password, _csrf: other });
    expect(foreign.statusCode).toBe(403);
    for (const res of [missing, wrong, foreign]) expect(res.cookies.some((k) => k.name === SESSION_COOKIE)).toBe(false);
    expect((await c.get('/account/ids')).statusCode).toBe(303);
  });

  it('locks a username after 5 failures for 10 minutes, then lets it in again', async () => {
    const ann = await seedUser(t, 'acme', 'ann');
    const c = web();
    for (let i = 1; i <= 4; i++) expect(ALERT.exec((await c.signIn(ann.username, `wrong-${i}`)).body)?.[1]).toBe('Incorrect Username or Password');
    const fifth = await c.signIn(ann.username, 'wrong-5');
    expect(fifth.statusCode).toBe(401);
    expect(ALERT.exec(fifth.body)?.[1]).toBe('Too many failed login attempts. Your account has been disabled for 10 minutes.');
    const locked = await c.signIn(ann.username, ann.password);
    expect(locked.statusCode).toBe(401);
    expect(ALERT.exec(locked.body)?.[1]).toBe('Too many failed login attempts. Your account has been disabled for 10 minutes.');
    t.clock.advance(LOCKOUT_DURATION_MS - 1000);
    expect((await c.signIn(ann.username, ann.password)).statusCode).toBe(401);
    t.clock.advance(1000);
    const after = await c.signIn(ann.username, ann.password);
    expect(after.statusCode).toBe(303);
    expect(c.cookies[SESSION_COOKIE]).toBeDefined();
  });

  it('refuses a disabled user', async () => {
    const bob = await seedUser(t, 'acme', 'bob');
    await t.services.accounts.updateUser(admin.actor, bob.id, { status: 'Disabled' });
    const c = web();
    const res = await c.signIn(bob.username, bob.password);
    expect(res.statusCode).toBe(401);
    expect(ALERT.exec(res.body)?.[1]).toBe('User Account Disabled');
    expect(c.cookies[SESSION_COOKIE]).toBeUndefined();
  });

  it('signs out: the old session cookie no longer works', async () => {
    const c = web();
    await c.signIn(admin.username, admin.password);
    const stolen = c.cookies[SESSION_COOKIE];
    expect((await c.get('/account/ids')).statusCode).toBe(200);
    const out = await c.submit('/account/ids', '/logout', {});
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/login');
    expect(c.cookies[SESSION_COOKIE]).toBeUndefined();
    const replay = await t.app.inject({ method: 'GET', url: '/account/ids', cookies: { [SESSION_COOKIE]: stolen } });
    expect(replay.statusCode).toBe(303);
    expect(replay.headers.location).toBe('/login?next=%2Faccount%2Fids');
  });

  it('refuses a sign-out without the CSRF token', async () => {
    const c = web();
    await c.signIn(admin.username, admin.password);
    expect((await c.post('/logout', {})).statusCode).toBe(403);
    expect((await c.get('/account/ids')).statusCode).toBe(200);
  });

  it('returns to a same-site `next` page after sign-in', async () => {
    const c = web();
    const login = await c.get('/login?next=%2Faccount%2Fids%3Ftab%3Dapi');
    expect(login.body).toContain('name="next" value="/account/ids?tab=api"');
    const res = await c.post('/login', { username: admin.username, password: admin.password, next: '/account/ids?tab=api', _csrf: csrfOf(login.body) });
    expect(res.headers.location).toBe('/account/ids?tab=api');
  });

  it.each(['//evil.example', '/\\evil.example', 'https://evil.example/', '/ /evil.example', 'javascript:alert(1)'])('does not follow next=%s', async (next) => {
    const c = web();
    const res = await c.signIn(admin.username, admin.password, { next });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account/ids');
    // Already signed in: the login page redirects, and still never off-site.
    const again = await c.get(`/login?next=${encodeURIComponent(next)}`);
    expect(again.headers.location).toBe('/account/ids');
  });

  it('sends visitors of a signed-in page to sign in and back', async () => {
    const c = web();
    const res = await c.get('/account/ids');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Faccount%2Fids');
    const login = await c.get(res.headers.location as string);
    const signed = await c.post('/login', { username: admin.username, password: admin.password, next: '/account/ids', _csrf: csrfOf(login.body) });
    expect(signed.headers.location).toBe('/account/ids');
  });
});

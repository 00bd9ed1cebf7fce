import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServices } from '../../src/services/index.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, apiPost, creds, API } from '../helpers/wrapi.ts';
import { BAD_CREDENTIALS, TOO_MANY, call, expectInvalidParam, expectJsonError, expectSuccess } from './support.ts';

let t: TestApp;
let admin: SeededUser;
let ann: SeededUser;

beforeEach(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
});
afterEach(async () => t?.close());

/** getUserInfo as `User`/`Token` from a given client address (each test picks its own). */
function whoAmI(user: string, token: string, address = '10.0.0.1') {
  const qs = new URLSearchParams({ Request: 'getUserInfo', Format: 'JSON', Version: '2.5', User: user, Token: token });
  return call(t.app, { method: 'GET', url: `${API}?${qs}`, remoteAddress: address });
}

const expectBad = (r: Awaited<ReturnType<typeof whoAmI>>) => expectJsonError(r, 'getUserInfo', BAD_CREDENTIALS.http, BAD_CREDENTIALS.code, BAD_CREDENTIALS.message);
const expectLocked = (r: Awaited<ReturnType<typeof whoAmI>>) => expectJsonError(r, 'getUserInfo', TOO_MANY.http, TOO_MANY.code, TOO_MANY.message);

describe('credentials', () => {
  it('requires User, then Token (ESRV35)', async () => {
    expectInvalidParam(await apiGet(t.app, { Request: 'getUserInfo', Format: 'JSON' }), 'getUserInfo', 'User');
    expectInvalidParam(await apiGet(t.app, { Request: 'getUserInfo', Format: 'JSON', Token: ann.token }), 'getUserInfo', 'User');
    expectInvalidParam(await apiGet(t.app, { Request: 'getUserInfo', Format: 'JSON', User: ann.username }), 'getUserInfo', 'Token');
    expectInvalidParam(await apiGet(t.app, { Request: 'getUserInfo', Format: 'JSON', User: ann.username, Token: '' }), 'getUserInfo', 'Token');
  });

  it('accepts the right User+Token, with or without #brand, in any letter case of the username', async () => {
    for (const user of ['ann#acme', 'ann', 'ANN#Acme']) {
      const r = await whoAmI(user, ann.token);
      expectSuccess(r);
      expect(r.json.Result.UserData.UserID).toBe(ann.id);
    }
  });

  it('answers a wrong token, an unknown user and a malformed token identically (401)', async () => {
    const bodies = new Set<string>();
    const cases: Array<[string, string]> = [
      ['ann#acme', 'x'.repeat(40)],
      ['nobody#acme', ann.token.slice(0, 39) + (ann.token.endsWith('a') ? 'b' : 'a')],
      ['nobody#nowhere', 'y'.repeat(40)],
      ['ann#acme', 'short'],
      ['admin#acme', `${admin.token}x`],
      ['ann#acme', ann.token.toLowerCase() === ann.token ? ann.token.toUpperCase() : ann.token.toLowerCase()],
      ['admin#acme', 'ab!@#$%^&*()_+=-[]{};:,.<>?/|~`0123456789'],
    ];
    for (const [user, token] of cases) {
      const r = await whoAmI(user, token, '10.0.0.2');
      expectBad(r);
      bodies.add(r.body);
    }
    expect(bodies.size).toBe(1);
  });

  it('refuses a valid token sent with another username', async () => {
    expectBad(await whoAmI('admin#acme', ann.token));
    expectBad(await whoAmI('ann#other', ann.token));
    expectBad(await whoAmI(ann.username, admin.token));
  });

  it('answers “User Account Disabled” for a disabled user with a right token', async () => {
    await t.services.accounts.updateUser(admin.actor, ann.id, { status: 'Disabled' });
    expectJsonError(await whoAmI(ann.username, ann.token), 'getUserInfo', 401, 'ESEC02', 'User Account Disabled');
    await t.services.accounts.updateUser(admin.actor, ann.id, { status: 'Active' });
    expectSuccess(await whoAmI(ann.username, ann.token));
  });

  it('refuses a user without the API permission (ESEC05)', async () => {
    const bob = await seedUser(t, 'acme', 'bob', { api: false });
    expectJsonError(await whoAmI(bob.username, bob.token), 'getUserInfo', 403, 'ESEC05', 'You do not have permission to access the API.');
    // Withdrawing the permission later stops the token working at once.
    await t.services.accounts.updateUser(admin.actor, ann.id, { permissions: { accessApi: false } });
    expectJsonError(await whoAmI(ann.username, ann.token), 'getUserInfo', 403, 'ESEC05', 'You do not have permission to access the API.');
  });

  it('refuses a deleted user’s token', async () => {
    await t.services.accounts.deleteUser(admin.actor, ann.id);
    expectBad(await whoAmI(ann.username, ann.token));
  });
});

describe('lockout', () => {
  it('locks a username after 5 failures for 10 minutes, even against the right token, then lets it in again', async () => {
    for (let i = 1; i <= 4; i++) expectBad(await whoAmI(ann.username, 'z'.repeat(40), '10.1.0.1'));
    expectLocked(await whoAmI(ann.username, 'z'.repeat(40), '10.1.0.1'));
    expectLocked(await whoAmI(ann.username, ann.token, '10.1.0.1'));
    // The lock is on the username, not the address.
    expectLocked(await whoAmI(ann.username, ann.token, '10.1.0.2'));
    // Other users are not affected.
    expectSuccess(await whoAmI(admin.username, admin.token, '10.1.0.1'));
    t.clock.advance(10 * 60 * 1000 - 1);
    expectLocked(await whoAmI(ann.username, ann.token, '10.1.0.1'));
    t.clock.advance(2);
    expectSuccess(await whoAmI(ann.username, ann.token, '10.1.0.1'));
  });

  it('counts failures within a 10-minute window and forgets them after a success', async () => {
    for (let i = 0; i < 4; i++) expectBad(await whoAmI(ann.username, 'z'.repeat(40), '10.2.0.1'));
    expectSuccess(await whoAmI(ann.username, ann.token, '10.2.0.1'));
    for (let i = 0; i < 4; i++) expectBad(await whoAmI(ann.username, 'z'.repeat(40), '10.2.0.1'));
    expectSuccess(await whoAmI(ann.username, ann.token, '10.2.0.1'));
    for (let i = 0; i < 4; i++) expectBad(await whoAmI(ann.username, 'z'.repeat(40), '10.2.0.1'));
    t.clock.advance(10 * 60 * 1000);
    // The window has passed: this is failure 1 of a new window, not the fifth.
    expectBad(await whoAmI(ann.username, 'z'.repeat(40), '10.2.0.1'));
    expectSuccess(await whoAmI(ann.username, ann.token, '10.2.0.1'));
  });

  it('locks unknown usernames the same way (no hint that they do not exist)', async () => {
    for (let i = 1; i <= 4; i++) expectBad(await whoAmI('ghost#acme', 'z'.repeat(40), '10.3.0.1'));
    expectLocked(await whoAmI('ghost#acme', 'z'.repeat(40), '10.3.0.1'));
  });

  it('locks a client address after 30 failures across different usernames', async () => {
    for (let i = 1; i <= 29; i++) expectBad(await whoAmI(`guess${i}#acme`, 'z'.repeat(40), '10.4.0.1'));
    expectLocked(await whoAmI('guess30#acme', 'z'.repeat(40), '10.4.0.1'));
    expectLocked(await whoAmI(ann.username, ann.token, '10.4.0.1'));
    // Another address is not locked, and neither is ann's username.
    expectSuccess(await whoAmI(ann.username, ann.token, '10.4.0.2'));
    t.clock.advance(10 * 60 * 1000 + 1);
    expectSuccess(await whoAmI(ann.username, ann.token, '10.4.0.1'));
  });

  it('locks on hostile usernames too, without a server error', async () => {
    for (const user of ['a\u0000b', 'x'.repeat(5000), '💥'.repeat(300), "' OR 1=1 --"]) {
      for (let i = 1; i <= 4; i++) expectBad(await whoAmI(user, 'z'.repeat(40), '10.5.0.1'));
      expectLocked(await whoAmI(user, 'z'.repeat(40), '10.5.0.1'));
    }
  });
});

describe('token regeneration', () => {
  it('revokes a token regenerated by another process on the very next call', async () => {
    expectSuccess(await whoAmI(ann.username, ann.token, '10.6.1.1'));
    expectSuccess(await whoAmI(ann.username, ann.token, '10.6.1.1'));
    // A second set of services over the same database stands for the CLI or another server process.
    const other = createServices(t.config, t.store, t.clock);
    const fresh = await other.accounts.generateTokenForUsername(ann.username);
    expectBad(await whoAmI(ann.username, ann.token, '10.6.1.1'));
    expectSuccess(await whoAmI(ann.username, fresh, '10.6.1.1'));
  });

  it('revokes the old token at once when the user generates a new one', async () => {
    const r = await apiPost(t.app, { Request: 'generateToken', ...creds(ann) });
    expectSuccess(r);
    const fresh = r.json.Result.Token as string;
    expect(fresh).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(r.json.Result.UserID).toBe(ann.id);
    expect(fresh).not.toBe(ann.token);
    expectBad(await whoAmI(ann.username, ann.token, '10.6.0.1'));
    expectSuccess(await whoAmI(ann.username, fresh, '10.6.0.1'));
  });

  it('revokes the old token when a brand administrator generates one for the user', async () => {
    const r = await apiPost(t.app, { Request: 'generateToken', UserID: ann.id, ...creds(admin) });
    expectSuccess(r);
    expectBad(await whoAmI(ann.username, ann.token, '10.7.0.1'));
    expectSuccess(await whoAmI(ann.username, r.json.Result.Token, '10.7.0.1'));
    // The administrator's own token is untouched.
    expectSuccess(await whoAmI(admin.username, admin.token, '10.7.0.1'));
  });

  it('shows when the token was created and last used', async () => {
    t.clock.advance(60 * 60 * 1000);
    expectSuccess(await whoAmI(ann.username, ann.token, '10.8.0.1'));
    const list = await apiGet(t.app, { Request: 'getUsers', ...creds(admin) });
    const row = list.json.Result.Users.find((u: { UserID: string }) => u.UserID === ann.id);
    // 2026-11-28 12:00 UTC is 05:00 in Denver (MST); last use an hour later.
    expect(row.TokenCreationDate).toBe('2026-11-28 05:00:00');
    expect(row.TokenLastUsed).toBe('2026-11-28 06:00:00');
  });
});

describe('remembered credentials (changes made by another process count on the next call)', () => {
  /** A second set of services over the same database: the CLI, or another server process. */
  const otherProcess = () => createServices(t.config, t.store, t.clock);

  it('refuses a user disabled, deleted or stripped of the API permission elsewhere, without waiting', async () => {
    const bob = await seedUser(t, 'acme', 'bob');
    const carl = await seedUser(t, 'acme', 'carl');
    for (const u of [ann, bob, carl]) for (let i = 0; i < 2; i++) expectSuccess(await whoAmI(u.username, u.token, '10.9.0.1'));
    const other = otherProcess();
    await other.accounts.updateUser(admin.actor, ann.id, { status: 'Disabled' });
    await other.accounts.updateUser(admin.actor, bob.id, { permissions: { accessApi: false } });
    await other.accounts.deleteUser(admin.actor, carl.id);
    expectJsonError(await whoAmI(ann.username, ann.token, '10.9.0.1'), 'getUserInfo', 401, 'ESEC02', 'User Account Disabled');
    expectJsonError(await whoAmI(bob.username, bob.token, '10.9.0.1'), 'getUserInfo', 403, 'ESEC05', 'You do not have permission to access the API.');
    expectBad(await whoAmI(carl.username, carl.token, '10.9.0.1'));
    await other.accounts.updateUser(admin.actor, ann.id, { status: 'Active' });
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.0.1'));
  });

  it('honours a username lockout counted by another process, and clears a failure count on the next success', async () => {
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.1.1'));
    const other = otherProcess();
    const failAs = async (user: string, address: string) => other.auth.authenticateToken(user, 'z'.repeat(40), address).catch((e: Error) => e);
    for (let i = 0; i < 4; i++) await failAs(ann.username, '10.9.1.2');
    // Four failures: not locked; this success clears them, so four more still do not lock.
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.1.1'));
    for (let i = 0; i < 4; i++) await failAs(ann.username, '10.9.1.2');
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.1.1'));
    for (let i = 0; i < 5; i++) await failAs(ann.username, '10.9.1.2');
    expectLocked(await whoAmI(ann.username, ann.token, '10.9.1.1'));
  });

  it('honours an address lockout counted by another process', async () => {
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.2.1'));
    const other = otherProcess();
    for (let i = 1; i <= 30; i++) await other.auth.authenticateToken(`guess${i}#acme`, 'z'.repeat(40), '10.9.2.1').catch(() => undefined);
    expectLocked(await whoAmI(ann.username, ann.token, '10.9.2.1'));
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.2.2'));
  });

  it('does not let a remembered token stand for another username', async () => {
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.3.1'));
    expectBad(await whoAmI(admin.username, ann.token, '10.9.3.1'));
    expectSuccess(await whoAmI('ANN', ann.token, '10.9.3.1'));
  });

  it('records the last use at most once a minute, never more than a minute behind', async () => {
    const lastUsed = async () => {
      const list = await apiGet(t.app, { Request: 'getUsers', ...creds(admin) });
      return list.json.Result.Users.find((u: { UserID: string }) => u.UserID === ann.id).TokenLastUsed as string;
    };
    t.clock.advance(60 * 60 * 1000);
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.4.1'));
    expect(await lastUsed()).toBe('2026-11-28 06:00:00');
    t.clock.advance(59_000);
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.4.1'));
    expect(await lastUsed()).toBe('2026-11-28 06:00:00');
    t.clock.advance(1_000);
    expectSuccess(await whoAmI(ann.username, ann.token, '10.9.4.1'));
    expect(await lastUsed()).toBe('2026-11-28 06:01:00');
  });
});

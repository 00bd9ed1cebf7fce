import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createServices, type Services } from '../../src/services/index.ts';
import { accountsVersion } from '../../src/store/change-counters.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import * as m0009 from '../../src/store/migrations/0009_accounts_version.ts';
import { TEST_DATABASE_URL, createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { API, type Call } from '../helpers/wrapi.ts';
import { BAD_CREDENTIALS, TOO_MANY, call, expectJsonError, expectSuccess } from '../api/support.ts';

/**
 * What the server remembers (verified API credentials, getUserInfo answers) is trusted only while
 * the accounts version is unchanged. Changes here are made through a second store on the same
 * database: another process, such as `insight token generate`, with a connection of its own.
 */
let t: TestApp;
let admin: SeededUser;
let ann: SeededUser;
let otherStore: Store;
let other: Services;

beforeEach(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  otherStore = openStore({ dataDir: t.dataDir, databaseUrl: TEST_DATABASE_URL, pgSchema: t.pgSchema });
  other = createServices(t.config, otherStore, t.clock);
});
afterEach(async () => {
  await otherStore?.close();
  await t?.close();
});

function whoAmI(user: SeededUser, address = '10.0.0.1', token = user.token): Promise<Call> {
  const qs = new URLSearchParams({ Request: 'getUserInfo', Format: 'JSON', Version: '2.5', User: user.username, Token: token });
  return call(t.app, { method: 'GET', url: `${API}?${qs}`, remoteAddress: address });
}

/** Enough calls that the credential and the answer are remembered (the first call writes the token's last use). */
async function warm(user: SeededUser, address = '10.0.0.1'): Promise<Call> {
  let r = await whoAmI(user, address);
  for (let i = 0; i < 3; i++) {
    r = await whoAmI(user, address);
    expectSuccess(r);
  }
  return r;
}

/** A change made elsewhere whose version bump is taken back: what the server would serve if a writer skipped the counter. */
async function changeWithoutBump(change: (db: Store['db']) => Promise<unknown>): Promise<void> {
  await otherStore.db.transaction().execute(async (trx) => {
    const before = await accountsVersion(trx);
    await change(trx);
    await trx.updateTable('change_counters').set({ value: before }).where('name', '=', 'accounts').execute();
  });
}

const bump = () => otherStore.db.updateTable('change_counters').set((eb) => ({ value: eb('value', '+', 1) })).where('name', '=', 'accounts').execute();

describe('the memory is in use', () => {
  it('serves a remembered credential and answer until the version moves', async () => {
    await warm(ann);
    await changeWithoutBump((db) => db.updateTable('users').set({ status: 'Disabled', first_name: 'Annabel' }).where('id', '=', ann.id).execute());
    const stale = await whoAmI(ann);
    expectSuccess(stale);
    expect(stale.json.Result.UserData.UserFirstName).toBe('Ann');
    await bump();
    expectJsonError(await whoAmI(ann), 'getUserInfo', 401, 'ESEC02', 'User Account Disabled');
  });
});

describe('a change made by another process counts on the next call', () => {
  it('refuses a token regenerated elsewhere, and accepts the new one', async () => {
    await warm(ann);
    const fresh = await other.accounts.generateTokenForUsername(ann.username);
    expectJsonError(await whoAmI(ann), 'getUserInfo', BAD_CREDENTIALS.http, BAD_CREDENTIALS.code, BAD_CREDENTIALS.message);
    expectSuccess(await whoAmI(ann, '10.0.0.1', fresh));
  });

  it('refuses a user disabled elsewhere, and lets them in again once enabled', async () => {
    await warm(ann);
    await other.accounts.updateUser(admin.actor, ann.id, { status: 'Disabled' });
    expectJsonError(await whoAmI(ann), 'getUserInfo', 401, 'ESEC02', 'User Account Disabled');
    await other.accounts.updateUser(admin.actor, ann.id, { status: 'Active' });
    expectSuccess(await whoAmI(ann));
  });

  it('shows a user’s changed details and new group at once, and a renamed or left group', async () => {
    const before = await warm(ann);
    expect(before.json.Result.Libraries).toEqual([{ Name: 'Ann Tester', ID: ann.id }]);
    await other.accounts.updateUser(admin.actor, ann.id, { firstName: 'Annabel' });
    const group = await other.accounts.createGroup(admin.actor, 'Research team');
    await other.accounts.addUserToGroup(admin.actor, group.id, ann.id);
    let r = await whoAmI(ann);
    expectSuccess(r);
    expect(r.json.Result.UserData.UserFirstName).toBe('Annabel');
    expect(r.json.Result.Libraries).toEqual([
      { Name: 'Annabel Tester', ID: ann.id },
      { Name: 'Research team', ID: group.id },
    ]);
    await warm(ann);
    // No service renames a group yet: a direct write stands for whatever will.
    await otherStore.db.updateTable('groups').set({ name: 'Insights team' }).where('id', '=', group.id).execute();
    r = await whoAmI(ann);
    expect(r.json.Result.Libraries[1]).toEqual({ Name: 'Insights team', ID: group.id });
    await other.accounts.removeUserFromGroup(admin.actor, group.id, ann.id);
    r = await whoAmI(ann);
    expect(r.json.Result.Libraries).toEqual([{ Name: 'Annabel Tester', ID: ann.id }]);
  });

  it('shows a sign-in made elsewhere in LoginHistory', async () => {
    const before = await warm(ann);
    expect(before.json.Result.UserData.LoginHistory).toEqual([]);
    t.clock.advance(5_000);
    await other.auth.signIn(ann.username, ann.password, '10.0.9.9');
    const r = await whoAmI(ann);
    expect(r.json.Result.UserData.LoginHistory).toEqual([Math.floor(t.clock.now() / 1000)]);
  });

  it('refuses a remembered token from an address locked elsewhere, and not from another address', async () => {
    const [a, b] = ['10.0.1.1', '10.0.1.2'];
    await warm(ann, a);
    await warm(ann, b);
    for (let i = 1; i <= 30; i++) await other.auth.authenticateToken(`guess${i}#acme`, 'z'.repeat(40), b).catch(() => undefined);
    expectJsonError(await whoAmI(ann, b), 'getUserInfo', TOO_MANY.http, TOO_MANY.code, TOO_MANY.message);
    expectSuccess(await whoAmI(ann, a));
    // Remembered from A after B was locked, with nothing written since: still refused from B.
    await warm(ann, a);
    expectJsonError(await whoAmI(ann, b), 'getUserInfo', TOO_MANY.http, TOO_MANY.code, TOO_MANY.message);
    // Time lifts the lock (10 minutes); nothing is written, and the next call is let in.
    t.clock.advance(10 * 60 * 1000 + 1);
    expectSuccess(await whoAmI(ann, b));
  });

  it('refuses a user deleted elsewhere (credential and getUserInfo)', async () => {
    await warm(ann);
    const info = await t.services.accounts.userInfo(ann.actor);
    expect(info.user.firstName).toBe('Ann');
    await other.accounts.deleteUser(admin.actor, ann.id);
    expectJsonError(await whoAmI(ann), 'getUserInfo', BAD_CREDENTIALS.http, BAD_CREDENTIALS.code, BAD_CREDENTIALS.message);
    await expect(t.services.accounts.userInfo(ann.actor)).rejects.toMatchObject({ kind: 'NotFound' });
  });
});

describe('getUserInfo through the service', () => {
  it('reads the version afresh for an actor not from an API call (web, jobs)', async () => {
    expect((await t.services.accounts.userInfo(ann.actor)).user.firstName).toBe('Ann');
    expect((await t.services.accounts.userInfo(ann.actor)).user.firstName).toBe('Ann');
    await other.accounts.updateUser(admin.actor, ann.id, { firstName: 'Annabel' });
    expect((await t.services.accounts.userInfo(ann.actor)).user.firstName).toBe('Annabel');
  });

  it('answers an API call’s actor as of its authentication, and the next call as of its own', async () => {
    const first = await t.services.auth.authenticateToken(ann.username, ann.token, '10.0.2.1');
    expect((await t.services.accounts.userInfo(first)).user.firstName).toBe('Ann');
    await other.accounts.updateUser(admin.actor, ann.id, { firstName: 'Annabel' });
    // Still the call authenticated before the change: one view of the accounts for the whole call.
    expect((await t.services.accounts.userInfo(first)).user.firstName).toBe('Ann');
    const next = await t.services.auth.authenticateToken(ann.username, ann.token, '10.0.2.1');
    expect(next).not.toBe(first);
    expect((await t.services.accounts.userInfo(next)).user.firstName).toBe('Annabel');
  });

  it('hands out answers that cannot be changed by a caller', async () => {
    const info = await t.services.accounts.userInfo(ann.actor);
    expect(Object.isFrozen(info) && Object.isFrozen(info.user) && Object.isFrozen(info.libraries) && Object.isFrozen(info.user.permissions)).toBe(true);
  });
});

describe('the accounts version', () => {
  /** Runs a write and checks that it moved the version. */
  async function expectBump(label: string, write: () => Promise<unknown>): Promise<void> {
    const before = await accountsVersion(t.store.db);
    await write();
    expect(await accountsVersion(t.store.db), label).toBeGreaterThan(before);
  }

  it('is read after its callers ask: callers in one turn share one read, and a later caller sees a change made before it asked', async () => {
    const db = t.store.db;
    const first = accountsVersion(db);
    expect(accountsVersion(db)).toBe(first);
    const seen = await first;
    await bump();
    const after = accountsVersion(db);
    expect(after).not.toBe(first);
    expect(await after).toBe(seen + 1);
  });

  it('moves on every insert, update and delete of each table an actor or getUserInfo is made of', async () => {
    const db = t.store.db;
    const now = t.clock.now();
    const user = { id: 'UR_zzzzzzzzzzzzzzz', brand_id: 'zeta', username: 'zed#zeta', password_hash: null, first_name: 'Z', last_name: 'Z', email: 'z@zeta.example' };
    const userRow = { ...user, type_id: 'UT_STANDARD', division_id: null, language: 'EN', status: 'Active', permissions: '{}', api_token_hash: null };
    const inserts: Array<[string, () => Promise<unknown>]> = [
      ['brands', () => db.insertInto('brands').values({ id: 'zeta', name: 'Zeta', max_users: null, max_active_surveys: null, time_zone: 'UTC', created_at: now }).execute()],
      ['divisions', () => db.insertInto('divisions').values({ id: 'DV_zzzzzzzzzzzzzzz', brand_id: 'zeta', name: 'D', created_at: now }).execute()],
      [
        'users',
        () =>
          db
            .insertInto('users')
            .values({ ...userRow, api_token_created_at: null, api_token_last_used_at: null, password_changed_at: null, created_at: now, updated_at: now })
            .execute(),
      ],
      ['groups', () => db.insertInto('groups').values({ id: 'GR_zzzzzzzzzzzzzzz', brand_id: 'zeta', name: 'G', division_id: null, created_at: now }).execute()],
      ['group_members', () => db.insertInto('group_members').values({ group_id: 'GR_zzzzzzzzzzzzzzz', user_id: user.id, brand_id: 'zeta', added_at: now }).execute()],
      ['auth_counters', () => db.insertInto('auth_counters').values({ key: 'addr:zeta', failures: 1, window_started_at: now, locked_until: 0 }).execute()],
      ['login_events', () => db.insertInto('login_events').values({ user_id: user.id, at: now, channel: 'web' }).execute()],
    ];
    const updates: Array<[string, () => Promise<unknown>]> = [
      ['brands', () => db.updateTable('brands').set({ name: 'Zeta 2' }).where('id', '=', 'zeta').execute()],
      ['divisions', () => db.updateTable('divisions').set({ name: 'D2' }).where('id', '=', 'DV_zzzzzzzzzzzzzzz').execute()],
      ['users', () => db.updateTable('users').set({ api_token_last_used_at: now }).where('id', '=', user.id).execute()],
      ['groups', () => db.updateTable('groups').set({ name: 'G2' }).where('id', '=', 'GR_zzzzzzzzzzzzzzz').execute()],
      ['group_members', () => db.updateTable('group_members').set({ added_at: now + 1 }).where('user_id', '=', user.id).execute()],
      ['auth_counters', () => db.updateTable('auth_counters').set({ failures: 2 }).where('key', '=', 'addr:zeta').execute()],
      ['login_events', () => db.updateTable('login_events').set({ channel: 'api' }).where('user_id', '=', user.id).execute()],
    ];
    const deletes: Array<[string, () => Promise<unknown>]> = [
      ['login_events', () => db.deleteFrom('login_events').where('user_id', '=', user.id).execute()],
      ['auth_counters', () => db.deleteFrom('auth_counters').where('key', '=', 'addr:zeta').execute()],
      ['group_members', () => db.deleteFrom('group_members').where('user_id', '=', user.id).execute()],
      ['groups', () => db.deleteFrom('groups').where('id', '=', 'GR_zzzzzzzzzzzzzzz').execute()],
      ['users', () => db.deleteFrom('users').where('id', '=', user.id).execute()],
      ['divisions', () => db.deleteFrom('divisions').where('id', '=', 'DV_zzzzzzzzzzzzzzz').execute()],
      ['brands', () => db.deleteFrom('brands').where('id', '=', 'zeta').execute()],
    ];
    const covered = new Set<string>();
    for (const [verb, writes] of [['insert', inserts], ['update', updates], ['delete', deletes]] as const) {
      for (const [table, write] of writes) {
        await expectBump(`${verb} ${table}`, write);
        covered.add(table);
      }
    }
    expect([...covered].sort()).toEqual([...m0009.ACCOUNTS_TABLES].sort());
  });

  it('moves when a user is changed through the services, from either store', async () => {
    await expectBump('token', () => t.services.accounts.generateTokenForUsername(ann.username));
    await expectBump('token elsewhere', () => other.accounts.generateTokenForUsername(ann.username));
    await expectBump('group', () => other.accounts.createGroup(admin.actor, 'Team'));
  });

  it('takes concurrent writers to those tables from two stores without deadlock or lost bumps', async () => {
    const group = await t.services.accounts.createGroup(admin.actor, 'Team');
    const users = await Promise.all(['bob', 'carl', 'dora'].map((name) => seedUser(t, 'acme', name)));
    const before = await accountsVersion(t.store.db);
    const writes: Array<Promise<unknown>> = [];
    // Bumps every round makes for sure: a failure (username and address counters), a user update, a
    // sign-in's history row. Group membership racing its own removal may change nothing.
    let sure = 0;
    for (let i = 0; i < 6; i++) {
      for (const [services, user] of [[t.services, users[i % 3]], [other, users[(i + 1) % 3]]] as const) {
        if (!user) continue;
        writes.push(services.auth.authenticateToken(user.username, 'z'.repeat(40), `10.0.3.${i}`).catch(() => undefined));
        writes.push(services.accounts.addUserToGroup(admin.actor, group.id, user.id));
        writes.push(services.accounts.removeUserFromGroup(admin.actor, group.id, user.id));
        writes.push(services.accounts.updateUser(admin.actor, user.id, { lastName: `L${i}` }));
        writes.push(services.auth.signIn(user.username, user.password, `10.0.4.${i}`));
        sure += 4;
      }
    }
    await Promise.all(writes);
    expect(await accountsVersion(t.store.db)).toBeGreaterThanOrEqual(before + sure);
  });

  it('stays put for writes to other tables (web sessions)', async () => {
    const before = await accountsVersion(t.store.db);
    const session = await t.services.auth.createSession(ann.actor);
    await t.services.auth.endSession(session);
    expect(await accountsVersion(t.store.db)).toBe(before);
  });

  it('comes out with its triggers when the migration is undone, and back when redone', async () => {
    const db = t.store.db;
    await m0009.down(db);
    await expect(sql`select value from change_counters`.execute(db)).rejects.toThrow();
    // Writes to the tables work without the counter.
    await db.updateTable('users').set({ first_name: 'Ann' }).where('id', '=', ann.id).execute();
    await m0009.up(db);
    await expectBump('users after redo', () => db.updateTable('users').set({ first_name: 'Ann' }).where('id', '=', ann.id).execute());
  });
});

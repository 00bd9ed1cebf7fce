import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, apiPost, creds } from '../helpers/wrapi.ts';
import { ADMIN_ONLY, expectInvalidParam, expectJsonError, expectSuccess, notFoundMessage, parseXml } from './support.ts';

/**
 * Two brands: acme (A) and globex (B). Every administration Request is tried by B's administrator
 * with A's IDs, and A's state is read back afterwards through A's own API calls.
 */
let t: TestApp;
let adminA: SeededUser;
let annA: SeededUser;
let adminB: SeededUser;
let stdB: SeededUser;
let divisionA: string;
let groupA: string;
let divisionB: string;
let groupB: string;

const ID = /^[0-9a-e][0-9A-Za-z]{14}$/;

async function post(user: SeededUser, request: string, params: Record<string, string> = {}) {
  return apiPost(t.app, { Request: request, ...params, ...creds(user) });
}

/** A's observable state, as A's administrator sees it through the API. */
async function stateOfA(): Promise<string> {
  const [users, divisions, groups] = await Promise.all([post(adminA, 'getUsers'), post(adminA, 'getDivisions'), post(adminA, 'getGroups')]);
  for (const r of [users, divisions, groups]) expectSuccess(r);
  return JSON.stringify([users.json.Result, divisions.json.Result, groups.json.Result]);
}

beforeAll(async () => {
  t = await createTestApp();
  adminA = await seedBrand(t, 'acme');
  annA = await seedUser(t, 'acme', 'ann');
  adminB = await seedBrand(t, 'globex');
  stdB = await seedUser(t, 'globex', 'sam');
  divisionA = (await t.services.accounts.createDivision(adminA.actor, 'Research')).id;
  groupA = (await t.services.accounts.createGroup(adminA.actor, 'Team A', divisionA)).id;
  await t.services.accounts.addUserToGroup(adminA.actor, groupA, annA.id);
  divisionB = (await t.services.accounts.createDivision(adminB.actor, 'Sales')).id;
  groupB = (await t.services.accounts.createGroup(adminB.actor, 'Team B')).id;
});
afterAll(async () => t?.close());

describe('getUserInfo', () => {
  it('answers every field of spec §2.1 in order, with own and group libraries', async () => {
    await t.services.accounts.updateUser(adminA.actor, annA.id, { divisionId: divisionA });
    await t.services.auth.signIn(annA.username, annA.password, '10.9.0.1');
    const r = await apiGet(t.app, { Request: 'getUserInfo', ...creds(annA) });
    expectSuccess(r);
    const data = r.json.Result.UserData;
    expect(Object.keys(data)).toEqual([
      'UserID', 'UserName', 'UserFirstName', 'UserLastName', 'UserAccountType', 'UserAccountTypeID', 'UserAccountBrandID',
      'UserAccountExpirationDate', 'UserAccountCreationDate', 'DivisionID', 'UserLanguage', 'UserEmail', 'PasswordLastChanged',
      'UserAccountStatus', 'LoginHistory', 'UserUnsubscribed', 'UdsRestricted', 'AvailableProducts', 'Users',
    ]);
    expect(data).toEqual({
      UserID: annA.id,
      UserName: 'ann#acme',
      UserFirstName: 'Ann',
      UserLastName: 'Tester',
      UserAccountType: 'Standard',
      UserAccountTypeID: 'UT_STANDARD',
      UserAccountBrandID: 'acme',
      UserAccountExpirationDate: '0000-00-00 00:00:00',
      UserAccountCreationDate: '2026-11-28 05:00:00',
      DivisionID: divisionA,
      UserLanguage: 'EN',
      UserEmail: 'ann@acme.example',
      PasswordLastChanged: '2026-11-28 05:00:00',
      UserAccountStatus: 'Active',
      LoginHistory: [Date.UTC(2026, 10, 28, 12, 0, 0) / 1000],
      UserUnsubscribed: 0,
      UdsRestricted: false,
      AvailableProducts: ['ControlPanel', 'Contacts'],
      Users: { ControlPanel: { acme: { AccountStatus: 'Active', UserId: annA.id } } },
    });
    expect(r.json.Result.Libraries).toEqual([
      { Name: 'Ann Tester', ID: annA.id },
      { Name: 'Team A', ID: groupA },
    ]);
  });

  it('renders the same in XML, libraries as <element id="N">', async () => {
    const r = await apiGet(t.app, { Request: 'getUserInfo', ...creds(annA, 'XML') });
    expectSuccess(r);
    const doc = parseXml(r.body) as { XML: { Result: { UserData: Record<string, unknown>; Libraries: { element: unknown[] } } } };
    expect(doc.XML.Result.UserData.UserID).toBe(annA.id);
    expect(doc.XML.Result.UserData.UdsRestricted).toBe('');
    expect(doc.XML.Result.Libraries.element).toEqual([
      { '@id': '0', Name: 'Ann Tester', ID: annA.id },
      { '@id': '1', Name: 'Team A', ID: groupA },
    ]);
    expect(r.body).toContain('<AvailableProducts><element id="0">ControlPanel</element><element id="1">Contacts</element></AvailableProducts>');
  });

  it('shows a brand administrator their own data, never another brand’s', async () => {
    const r = await apiGet(t.app, { Request: 'getUserInfo', ...creds(adminB) });
    expect(r.json.Result.UserData).toMatchObject({ UserID: adminB.id, UserAccountType: 'Brand Administrator', UserAccountTypeID: 'UT_BRANDADMIN', UserAccountBrandID: 'globex', DivisionID: null });
    expect(r.json.Result.Libraries).toEqual([{ Name: 'Admin Tester', ID: adminB.id }]);
  });
});

describe('createUser', () => {
  const base = { Email: 'x@acme.example', FirstName: 'New', LastName: 'User', NewPassword: 'long-enough-pw' };

  it('creates a standard user when Type is omitted, adding #brand to the username', async () => {
    const r = await post(adminA, 'createUser', { ...base, NewUsername: 'carl' });
    expectSuccess(r);
    expect(r.body).toMatch(/^\{"Meta":\{"Status":"Success","Debug":""\},"Result":\{"UserID":"UR_[0-9a-e][0-9A-Za-z]{14}"\}\}$/);
    const users = (await post(adminA, 'getUsers')).json.Result.Users;
    const carl = users.find((u: { UserID: string }) => u.UserID === r.json.Result.UserID);
    expect(carl).toMatchObject({ UserName: 'carl#acme', UserAccountTypeID: 'UT_STANDARD', UserAccountType: 'Standard', UserAccountStatus: 'Active', DivisionID: null });
    expect(carl.Permissions.AccessAPI).toBe(false);
    // The new user can sign in with the password given.
    expect((await t.services.auth.signIn('carl#acme', 'long-enough-pw')).userId).toBe(carl.UserID);
  });

  it('takes Type UT_BRANDADMIN or UT_STANDARD, a DivisionID, Organization = own brand, and a name already carrying #brand', async () => {
    const a = await post(adminA, 'createUser', { ...base, NewUsername: 'dora#acme', Type: 'UT_BRANDADMIN', Organization: 'acme', DivisionID: divisionA });
    expectSuccess(a);
    const s = await post(adminA, 'createUser', { ...base, NewUsername: 'ed', Type: 'UT_STANDARD', AccessAPI: '1' });
    expectSuccess(s);
    const users = (await post(adminA, 'getUsers')).json.Result.Users as Array<Record<string, unknown> & { Permissions: Record<string, boolean> }>;
    const dora = users.find((u) => u.UserID === a.json.Result.UserID);
    const ed = users.find((u) => u.UserID === s.json.Result.UserID);
    expect(dora).toMatchObject({ UserName: 'dora#acme', UserAccountTypeID: 'UT_BRANDADMIN', DivisionID: divisionA });
    expect(ed).toMatchObject({ UserName: 'ed#acme', UserAccountTypeID: 'UT_STANDARD' });
    expect(ed?.Permissions.AccessAPI).toBe(true);
  });

  it('refuses a bad Type, a taken username, and missing required fields', async () => {
    for (const type of ['UT_ADMIN', 'ut_standard', 'Standard', 'UT_0xxxxxxxxx00001']) {
      expectInvalidParam(await post(adminA, 'createUser', { ...base, NewUsername: 'fred', Type: type }), 'createUser', 'Type');
    }
    expectJsonError(await post(adminA, 'createUser', { ...base, NewUsername: 'ann' }), 'createUser', 500, 'ESRV37', 'The username ann#acme is already taken.');
    expectJsonError(await post(adminA, 'createUser', { ...base, NewUsername: 'ANN#acme' }), 'createUser', 500, 'ESRV37', 'The username ann#acme is already taken.');
    for (const missing of ['NewUsername', 'NewPassword', 'FirstName', 'LastName', 'Email']) {
      const params: Record<string, string> = { ...base, NewUsername: 'gina' };
      delete params[missing];
      expectInvalidParam(await post(adminA, 'createUser', params), 'createUser', missing);
    }
    expectInvalidParam(await post(adminA, 'createUser', { ...base, NewUsername: 'gina', NewPassword: 'short' }), 'createUser', 'NewPassword');
    expectInvalidParam(await post(adminA, 'createUser', { ...base, NewUsername: 'gina', Email: 'not-an-email' }), 'createUser', 'Email');
    expectInvalidParam(await post(adminA, 'createUser', { ...base, NewUsername: 'gi na' }), 'createUser', 'NewUsername');
    expectInvalidParam(await post(adminA, 'createUser', { ...base, NewUsername: 'gina', DivisionID: 'DV_nope' }), 'createUser', 'DivisionID');
  });

  it('refuses another brand’s Organization, DivisionID or #brand, and creates nothing there', async () => {
    const before = await stateOfA();
    expectInvalidParam(await post(adminB, 'createUser', { ...base, NewUsername: 'mole', Organization: 'acme' }), 'createUser', 'Organization');
    expectInvalidParam(await post(adminB, 'createUser', { ...base, NewUsername: 'mole', DivisionID: divisionA }), 'createUser', 'DivisionID');
    expectInvalidParam(await post(adminB, 'createUser', { ...base, NewUsername: 'mole#acme' }), 'createUser', 'NewUsername');
    expect(await stateOfA()).toBe(before);
    expect(await t.services.accounts.findByUsername('mole#acme')).toBeUndefined();
    expect(await t.services.accounts.findByUsername('mole#globex')).toBeUndefined();
  });

  it('answers ESEC75/500 with the recorded message when the licence is full', async () => {
    const tinyAdmin = await seedBrand(t, 'tiny', { maxUsers: 2 });
    expectSuccess(await post(tinyAdmin, 'createUser', { ...base, NewUsername: 'one' }));
    const r = await post(tinyAdmin, 'createUser', { ...base, NewUsername: 'two' });
    expect(r.body).toBe(
      '{"Meta":{"Status":"Error","RequestType":"createUser","ErrorCode":500,"QualtricsErrorCode":"ESEC75","ErrorMessage":"The maximum number of user accounts has been reached for this organization.","Debug":""},"Result":null}',
    );
    expect(r.status).toBe(500);
    expect(r.headers['requeststatus']).toBe('Failure');
    expect(await t.services.accounts.findByUsername('two#tiny')).toBeUndefined();
  });
});

describe('createDivision and getDivisions', () => {
  it('returns the new DivisionID as a bare string and lists it', async () => {
    const r = await post(adminB, 'createDivision', { Name: 'Division Test' });
    expectSuccess(r);
    expect(typeof r.json.Result).toBe('string');
    expect(r.json.Result).toMatch(/^DV_/);
    expect(r.json.Result.slice(3)).toMatch(ID);
    const list = await post(adminB, 'getDivisions');
    expect(list.json.Result.Divisions).toContainEqual({ DivisionID: r.json.Result, Name: 'Division Test' });
    expect(list.json.Result.Divisions).toContainEqual({ DivisionID: divisionB, Name: 'Sales' });
  });

  it('requires Name', async () => {
    expectInvalidParam(await post(adminB, 'createDivision'), 'createDivision', 'Name');
    expectInvalidParam(await post(adminB, 'createDivision', { Name: '   ' }), 'createDivision', 'Name');
  });

  it('keeps divisions inside their brand', async () => {
    const b = (await post(adminB, 'getDivisions')).json.Result.Divisions as Array<{ DivisionID: string }>;
    expect(b.map((d) => d.DivisionID)).not.toContain(divisionA);
    const a = (await post(adminA, 'getDivisions')).json.Result.Divisions as Array<{ DivisionID: string }>;
    expect(a.map((d) => d.DivisionID)).toEqual([divisionA]);
  });
});

describe('getUsers', () => {
  it('lists the brand’s users with their summary fields', async () => {
    const r = await post(adminB, 'getUsers');
    expectSuccess(r);
    const users = r.json.Result.Users as Array<Record<string, unknown>>;
    expect(users.map((u) => u.UserID).sort()).toEqual([adminB.id, stdB.id].sort());
    expect(Object.keys(users[0] ?? {})).toEqual([
      'UserID', 'UserName', 'UserFirstName', 'UserLastName', 'UserEmail', 'UserAccountType', 'UserAccountTypeID', 'UserAccountBrandID',
      'DivisionID', 'UserLanguage', 'UserAccountStatus', 'UserAccountCreationDate', 'Permissions', 'TokenCreationDate', 'TokenLastUsed',
    ]);
    expect(users.every((u) => u.UserAccountBrandID === 'globex')).toBe(true);
  });
});

describe('updateUser', () => {
  it('changes only what is sent: names, email, type, division, permissions, status', async () => {
    const made = await post(adminB, 'createUser', { NewUsername: 'upd', NewPassword: 'long-enough-pw', FirstName: 'U', LastName: 'P', Email: 'u@g.example' });
    const id = made.json.Result.UserID as string;
    const r = await post(adminB, 'updateUser', { UserID: id, FirstName: 'Una', Email: 'una@g.example', DivisionID: divisionB, AccessAPI: '1', DownloadResponses: '0' });
    expectSuccess(r);
    expect(r.json.Result.User).toMatchObject({ UserID: id, UserFirstName: 'Una', UserLastName: 'P', UserEmail: 'una@g.example', DivisionID: divisionB, UserAccountTypeID: 'UT_STANDARD' });
    expect(r.json.Result.User.Permissions).toEqual({ AccessAPI: true, DownloadResponses: false, CreateSurveys: true, DistributeSurveys: true, ManageContacts: true });
    const promoted = await post(adminB, 'updateUser', { UserID: id, Type: 'UT_BRANDADMIN', DivisionID: 'none' });
    expect(promoted.json.Result.User).toMatchObject({ UserAccountTypeID: 'UT_BRANDADMIN', UserAccountType: 'Brand Administrator', DivisionID: null, UserFirstName: 'Una' });
    // A token for the user works until the account is disabled.
    const token = (await post(adminB, 'generateToken', { UserID: id })).json.Result.Token as string;
    const asUna = { id, username: 'upd#globex', password: '', token, actor: adminB.actor };
    expectSuccess(await post(asUna, 'getUserInfo'));
    const disabled = await post(adminB, 'updateUser', { UserID: id, Status: 'Disabled' });
    expect(disabled.json.Result.User.UserAccountStatus).toBe('Disabled');
    expectJsonError(await post(asUna, 'getUserInfo'), 'getUserInfo', 401, 'ESEC02', 'User Account Disabled');
    expectSuccess(await post(adminB, 'updateUser', { UserID: id, Status: 'Active' }));
    expectSuccess(await post(asUna, 'getUserInfo'));
  });

  it('refuses bad values', async () => {
    expectInvalidParam(await post(adminB, 'updateUser', { UserID: 'UR_x' }), 'updateUser', 'UserID');
    expectInvalidParam(await post(adminB, 'updateUser', {}), 'updateUser', 'UserID');
    expectInvalidParam(await post(adminB, 'updateUser', { UserID: stdB.id, Status: 'Paused' }), 'updateUser', 'Status');
    expectInvalidParam(await post(adminB, 'updateUser', { UserID: stdB.id, Type: 'UT_X' }), 'updateUser', 'Type');
    expectInvalidParam(await post(adminB, 'updateUser', { UserID: stdB.id, DivisionID: 'DV_bad' }), 'updateUser', 'DivisionID');
    expectInvalidParam(await post(adminB, 'updateUser', { UserID: stdB.id, Email: 'nope' }), 'updateUser', 'Email');
  });

  it('keeps one active Brand Administrator', async () => {
    const solo = await seedBrand(t, 'solo');
    expectJsonError(await post(solo, 'updateUser', { UserID: solo.id, Status: 'Disabled' }), 'updateUser', 500, 'ESRV37', 'A brand must keep at least one active Brand Administrator.');
    expectJsonError(await post(solo, 'updateUser', { UserID: solo.id, Type: 'UT_STANDARD' }), 'updateUser', 500, 'ESRV37', 'A brand must keep at least one active Brand Administrator.');
  });
});

describe('deleteUser', () => {
  it('deletes a user of the brand; their token stops working', async () => {
    const victim = await seedUser(t, 'globex', 'victim');
    expectSuccess(await post(victim, 'getUserInfo'));
    const r = await post(adminB, 'deleteUser', { UserID: victim.id });
    expectSuccess(r);
    expect(r.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Success":true}}');
    expectJsonError(await post(victim, 'getUserInfo'), 'getUserInfo', 401, 'ESEC01', 'Incorrect Username or Password');
    expectJsonError(await post(adminB, 'deleteUser', { UserID: victim.id }), 'deleteUser', 500, 'ESRV36', notFoundMessage('UserID'));
  });

  it('refuses to delete yourself', async () => {
    expectJsonError(await post(adminB, 'deleteUser', { UserID: adminB.id }), 'deleteUser', 500, 'ESRV37', 'You cannot delete your own account.');
  });
});

describe('groups', () => {
  it('creates a group (bare GR_ string), lists it, adds and removes members; the member sees the group library', async () => {
    const r = await post(adminB, 'createGroup', { Name: 'Panel team', DivisionID: divisionB });
    expectSuccess(r);
    const gid = r.json.Result as string;
    expect(gid).toMatch(/^GR_/);
    expect(gid.slice(3)).toMatch(ID);
    expectSuccess(await post(adminB, 'addUserToGroup', { GroupID: gid, UserID: stdB.id }));
    expectSuccess(await post(adminB, 'addUserToGroup', { GroupID: gid, UserID: stdB.id }));
    const groups = (await post(adminB, 'getGroups')).json.Result.Groups;
    expect(groups).toContainEqual({ GroupID: gid, Name: 'Panel team', DivisionID: divisionB, Members: [stdB.id] });
    const info = await post(stdB, 'getUserInfo');
    expect(info.json.Result.Libraries).toContainEqual({ Name: 'Panel team', ID: gid });
    const removed = await post(adminB, 'removeUserFromGroup', { GroupID: gid, UserID: stdB.id });
    expect(removed.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Success":true}}');
    expect((await post(stdB, 'getUserInfo')).json.Result.Libraries).toEqual([{ Name: 'Sam Tester', ID: stdB.id }]);
  });

  it('validates IDs', async () => {
    expectInvalidParam(await post(adminB, 'createGroup'), 'createGroup', 'Name');
    expectInvalidParam(await post(adminB, 'createGroup', { Name: 'x', DivisionID: 'DV_1' }), 'createGroup', 'DivisionID');
    expectInvalidParam(await post(adminB, 'addUserToGroup', { GroupID: 'GR_1', UserID: stdB.id }), 'addUserToGroup', 'GroupID');
    expectInvalidParam(await post(adminB, 'addUserToGroup', { GroupID: groupB }), 'addUserToGroup', 'UserID');
    expectJsonError(await post(adminB, 'addUserToGroup', { GroupID: 'GR_000000000000000', UserID: stdB.id }), 'addUserToGroup', 500, 'ESRV36', notFoundMessage('GroupID'));
  });
});

describe('generateToken', () => {
  it('refuses a user without the API permission (ESEC05)', async () => {
    const noApi = await seedUser(t, 'globex', 'noapi', { api: false });
    expectJsonError(await post(adminB, 'generateToken', { UserID: noApi.id }), 'generateToken', 403, 'ESEC05', 'You do not have permission to access the API.');
  });
});

describe('standard users get AdminOnly (ESEC06/500)', () => {
  const calls: Array<[string, () => Record<string, string>]> = [
    ['createUser', () => ({ NewUsername: 'nope', NewPassword: 'long-enough-pw', FirstName: 'N', LastName: 'O', Email: 'n@o.example' })],
    ['createDivision', () => ({ Name: 'D' })],
    ['getUsers', () => ({})],
    ['updateUser', () => ({ UserID: adminB.id, FirstName: 'Hacked' })],
    ['deleteUser', () => ({ UserID: adminB.id })],
    ['getDivisions', () => ({})],
    ['createGroup', () => ({ Name: 'G' })],
    ['getGroups', () => ({})],
    ['addUserToGroup', () => ({ GroupID: groupB, UserID: stdB.id })],
    ['removeUserFromGroup', () => ({ GroupID: groupB, UserID: stdB.id })],
    ['generateToken', () => ({ UserID: adminB.id })],
  ];
  for (const [request, params] of calls) {
    it(request, async () => {
      const before = (await post(adminB, 'getUsers')).body + (await post(adminB, 'getGroups')).body + (await post(adminB, 'getDivisions')).body;
      expectJsonError(await post(stdB, request, params()), request, ADMIN_ONLY.http, ADMIN_ONLY.code, ADMIN_ONLY.message);
      const after = (await post(adminB, 'getUsers')).body + (await post(adminB, 'getGroups')).body + (await post(adminB, 'getDivisions')).body;
      expect(after).toBe(before);
      expectSuccess(await post(adminB, 'getUserInfo'));
    });
  }

  it('a standard user may still generate their own token', async () => {
    const own = await seedUser(t, 'globex', 'selfie');
    const r = await post(own, 'generateToken');
    expectSuccess(r);
    expect(r.json.Result.UserID).toBe(own.id);
  });
});

describe('brand isolation: B’s administrator with A’s IDs changes nothing in A', () => {
  const nf = (request: string, param: string) => (r: Awaited<ReturnType<typeof post>>) => expectJsonError(r, request, 500, 'ESRV36', notFoundMessage(param));
  const cases: Array<[string, () => Record<string, string>, (r: Awaited<ReturnType<typeof post>>) => void]> = [
    ['updateUser', () => ({ UserID: annA.id, FirstName: 'Hacked', Status: 'Disabled' }), nf('updateUser', 'UserID')],
    ['updateUser', () => ({ UserID: stdB.id, DivisionID: divisionA }), (r) => expectInvalidParam(r, 'updateUser', 'DivisionID')],
    ['deleteUser', () => ({ UserID: annA.id }), nf('deleteUser', 'UserID')],
    ['deleteUser', () => ({ UserID: adminA.id }), nf('deleteUser', 'UserID')],
    ['generateToken', () => ({ UserID: annA.id }), nf('generateToken', 'UserID')],
    ['createGroup', () => ({ Name: 'Spy', DivisionID: divisionA }), (r) => expectInvalidParam(r, 'createGroup', 'DivisionID')],
    ['addUserToGroup', () => ({ GroupID: groupA, UserID: annA.id }), nf('addUserToGroup', 'GroupID')],
    ['addUserToGroup', () => ({ GroupID: groupA, UserID: stdB.id }), nf('addUserToGroup', 'GroupID')],
    ['addUserToGroup', () => ({ GroupID: groupB, UserID: annA.id }), nf('addUserToGroup', 'UserID')],
    ['removeUserFromGroup', () => ({ GroupID: groupA, UserID: annA.id }), nf('removeUserFromGroup', 'GroupID')],
    ['removeUserFromGroup', () => ({ GroupID: groupB, UserID: annA.id }), nf('removeUserFromGroup', 'UserID')],
  ];
  for (const [request, params, check] of cases) {
    it(`${request} ${JSON.stringify(params.toString().slice(12, 60))}`, async () => {
      const before = await stateOfA();
      check(await post(adminB, request, params()));
      expect(await stateOfA()).toBe(before);
      // A's users still work with their tokens.
      expectSuccess(await post(annA, 'getUserInfo'));
      expectSuccess(await post(adminA, 'getUserInfo'));
    });
  }

  it('list Requests show only the caller’s brand', async () => {
    const users = (await post(adminB, 'getUsers')).body;
    const groups = (await post(adminB, 'getGroups')).body;
    const divisions = (await post(adminB, 'getDivisions')).body;
    for (const foreign of [annA.id, adminA.id, groupA, divisionA, 'acme']) {
      expect(users + groups + divisions).not.toContain(foreign);
    }
    const aGroups = (await post(adminA, 'getGroups')).json.Result.Groups;
    expect(aGroups).toEqual([{ GroupID: groupA, Name: 'Team A', DivisionID: divisionA, Members: [annA.id] }]);
  });

  it('createDivision and createGroup by B land in B only', async () => {
    const before = await stateOfA();
    const dv = (await post(adminB, 'createDivision', { Name: 'B only' })).json.Result as string;
    const gr = (await post(adminB, 'createGroup', { Name: 'B group' })).json.Result as string;
    expect(await stateOfA()).toBe(before);
    expect((await post(adminA, 'addUserToGroup', { GroupID: gr, UserID: annA.id })).json.Meta.QualtricsErrorCode).toBe('ESRV36');
    expectInvalidParam(await post(adminA, 'createGroup', { Name: 'x', DivisionID: dv }), 'createGroup', 'DivisionID');
  });
});

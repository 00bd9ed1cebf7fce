import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { API, apiGet, apiPost, creds } from '../helpers/wrapi.ts';
import { call, expectInvalidParam, expectJsonError, expectSuccess } from './support.ts';

const qsf = (dir: string) => readFileSync(`/work/shared/fixtures/qsf/${dir}/survey.qsf`);
const WITH_DESCRIPTION = qsf('single-answer-matrix-questions'); // SurveyDescription "Single Answer Matrix Questions"
const PLAIN = qsf('comment-coding'); // SurveyDescription null

const UNKNOWN = { http: 500, code: 'ESRV18', message: 'This survey is Unknown to this user account.' };
const LIMIT = { http: 500, code: 'ESEC27', message: 'Account Restriction: Too Many Active Surveys -- The maximum number of active surveys has been reached' };
const NULL_RESULT = '{"Meta":{"Status":"Success","Debug":""},"Result":null}';

let t: TestApp;
let ann: SeededUser;
let bob: SeededUser;
let admin: SeededUser;
let foreign: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
  foreign = await seedBrand(t, 'globex');
});
afterAll(async () => t?.close());

async function importQsf(user: SeededUser, body: Buffer, params: Record<string, string> = {}): Promise<string> {
  const qs = new URLSearchParams({ Request: 'importSurvey', ImportFormat: 'QSF', ...creds(user), ...params });
  const r = await call(t.app, { method: 'POST', url: `${API}?${qs}`, headers: { 'content-type': 'application/json' }, payload: body });
  expectSuccess(r);
  return r.json.Result.SurveyID as string;
}

const lifecycle = (user: SeededUser, request: string, surveyId: string) => apiPost(t.app, { Request: request, SurveyID: surveyId, ...creds(user) });

describe('getSurveys', () => {
  it('lists own surveys in the recorded shape and key order (LibraryID ignored, even empty)', async () => {
    const carl = await seedUser(t, 'acme', 'carl');
    const first = await importQsf(carl, WITH_DESCRIPTION);
    t.clock.advance(61_000);
    const second = await importQsf(carl, PLAIN, { Name: 'Plain one', Activate: '1' });
    const expected = {
      Surveys: [
        {
          SurveyType: 'SV',
          SurveyID: first,
          SurveyName: 'Single Answer Matrix Questions',
          SurveyDescription: 'Single Answer Matrix Questions',
          SurveyOwnerID: carl.id,
          SurveyStatus: 'Inactive',
          SurveyStartDate: '0000-00-00 00:00:00',
          SurveyExpirationDate: '0000-00-00 00:00:00',
          SurveyCreationDate: '2026-11-28 05:00:00',
          CreatorID: carl.id,
          LastModified: '2026-11-28 05:00:00',
          LastActivated: '0000-00-00 00:00:00',
          UserFirstName: 'Carl',
          UserLastName: 'Tester',
        },
        {
          SurveyType: 'SV',
          SurveyID: second,
          SurveyName: 'Plain one',
          SurveyOwnerID: carl.id,
          SurveyStatus: 'Active',
          SurveyStartDate: '0000-00-00 00:00:00',
          SurveyExpirationDate: '0000-00-00 00:00:00',
          SurveyCreationDate: '2026-11-28 05:01:01',
          CreatorID: carl.id,
          LastModified: '2026-11-28 05:01:01',
          LastActivated: '2026-11-28 05:01:01',
          UserFirstName: 'Carl',
          UserLastName: 'Tester',
        },
      ],
    };
    const body = `{"Meta":{"Status":"Success","Debug":""},"Result":${JSON.stringify(expected)}}`;
    for (const extra of [{}, { LibraryID: '' }, { LibraryID: carl.id }] as Array<Record<string, string>>) {
      const r = await apiGet(t.app, { Request: 'getSurveys', ...extra, ...creds(carl) });
      expectSuccess(r);
      expect(r.body).toBe(body);
    }
  });

  it('shows neither other users’ surveys (not even to a brand administrator) nor another brand’s', async () => {
    const own = await importQsf(bob, PLAIN);
    await importQsf(foreign, PLAIN);
    const ids = async (u: SeededUser) => (await apiGet(t.app, { Request: 'getSurveys', ...creds(u) })).json.Result.Surveys.map((s: { SurveyID: string }) => s.SurveyID);
    expect(await ids(bob)).toEqual([own]);
    expect(await ids(admin)).not.toContain(own);
    expect(await ids(foreign)).not.toContain(own);
  });

  it('includes surveys shared with the user or with one of their groups', async () => {
    const dora = await seedUser(t, 'acme', 'dora');
    const erin = await seedUser(t, 'acme', 'erin');
    const direct = await importQsf(ann, PLAIN, { Name: 'Shared with Dora' });
    const viaGroup = await importQsf(ann, PLAIN, { Name: 'Shared with a group' });
    const share = (u: SeededUser, params: Record<string, string>) => apiPost(t.app, { Request: 'shareSurvey', ...params, ...creds(u) });
    const shared = await share(ann, { SurveyID: direct, UserID: dora.id });
    expectSuccess(shared);
    expect(shared.body).toBe('{"Meta":{"Status":"Success","Debug":""},"Result":{"Success":true}}');
    expect((await share(ann, { SurveyID: direct, UserID: dora.id })).status).toBe(200);
    const group = await t.services.accounts.createGroup(admin.actor, 'Team');
    await t.services.accounts.addUserToGroup(admin.actor, group.id, erin.id);
    expectSuccess(await share(ann, { SurveyID: viaGroup, GroupID: group.id }));
    // Only the owner shares, only within the brand, exactly one target.
    expectJsonError(await share(dora, { SurveyID: direct, UserID: erin.id }), 'shareSurvey', 500, 'ESEC07', 'You do not have permission to perform this action.');
    expectJsonError(await share(bob, { SurveyID: direct, UserID: bob.id }), 'shareSurvey', UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
    expectInvalidParam(await share(ann, { SurveyID: direct, UserID: foreign.id }), 'shareSurvey', 'UserID');
    expectInvalidParam(await share(ann, { SurveyID: direct }), 'shareSurvey', 'UserID');
    expectInvalidParam(await share(ann, { SurveyID: direct, UserID: dora.id, GroupID: group.id }), 'shareSurvey', 'GroupID');
    expectInvalidParam(await share(ann, { SurveyID: direct, GroupID: 'GR_000000000000000' }), 'shareSurvey', 'GroupID');
    const list = async (u: SeededUser) => (await apiGet(t.app, { Request: 'getSurveys', ...creds(u) })).json.Result.Surveys;
    expect((await list(dora)).map((s: { SurveyID: string }) => s.SurveyID)).toEqual([direct]);
    const [entry] = await list(erin);
    expect(entry).toMatchObject({ SurveyID: viaGroup, SurveyOwnerID: ann.id, UserFirstName: 'Ann' });

    // A user it is shared with may change its status but not delete it.
    expect((await lifecycle(dora, 'activateSurvey', direct)).body).toBe(NULL_RESULT);
    expectJsonError(await lifecycle(dora, 'deleteSurvey', direct), 'deleteSurvey', 500, 'ESEC07', 'You do not have permission to perform this action.');
    expect((await t.services.surveys.getSurvey(ann.actor, direct)).status).toBe('Active');
  });
});

describe('getSurveyName', () => {
  it('answers the name with status, owner and dates', async () => {
    const id = await importQsf(ann, PLAIN, { Name: 'Named' });
    const r = await apiGet(t.app, { Request: 'getSurveyName', SurveyID: id, ...creds(ann) });
    expectSuccess(r);
    expect(r.body).toBe(
      `{"Meta":{"Status":"Success","Debug":""},"Result":{"SurveyName":"Named","SurveyStatus":"Inactive","SurveyOwnerID":"${ann.id}","SurveyCreationDate":"${
        r.json.Result.SurveyCreationDate
      }","LastModified":"${r.json.Result.LastModified}"}}`,
    );
    expect(r.json.Result.SurveyCreationDate).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});

describe('activate / deactivate / delete', () => {
  it('answers Result null and changes the status each time', async () => {
    const id = await importQsf(ann, PLAIN);
    t.clock.advance(5_000);
    const r = await lifecycle(ann, 'activateSurvey', id);
    expectSuccess(r);
    expect(r.body).toBe(NULL_RESULT);
    expect(await t.services.surveys.getSurvey(ann.actor, id)).toMatchObject({ status: 'Active', lastActivatedAt: t.clock.now() });
    expect((await lifecycle(ann, 'activateSurvey', id)).body).toBe(NULL_RESULT);
    expect((await lifecycle(ann, 'deactivateSurvey', id)).body).toBe(NULL_RESULT);
    expect((await t.services.surveys.getSurvey(ann.actor, id)).status).toBe('Inactive');
    expect((await lifecycle(ann, 'deactivateSurvey', id)).body).toBe(NULL_RESULT);
  });

  it('a deleted survey is ESRV18 for every Request afterwards and leaves getSurveys', async () => {
    const id = await importQsf(ann, PLAIN, { Activate: '1' });
    expect((await lifecycle(ann, 'deleteSurvey', id)).body).toBe(NULL_RESULT);
    for (const request of ['activateSurvey', 'deactivateSurvey', 'deleteSurvey', 'getSurveyName', 'exportSurvey', 'copySurvey']) {
      expectJsonError(await lifecycle(ann, request, id), request, UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
    }
    const listed = (await apiGet(t.app, { Request: 'getSurveys', ...creds(ann) })).json.Result.Surveys.map((s: { SurveyID: string }) => s.SurveyID);
    expect(listed).not.toContain(id);
  });

  it('another user’s, another brand’s or a made-up SurveyID is ESRV18', async () => {
    const annsSurvey = await importQsf(ann, PLAIN);
    const foreignSurvey = await importQsf(foreign, PLAIN);
    for (const request of ['activateSurvey', 'deactivateSurvey', 'deleteSurvey', 'getSurveyName', 'exportSurvey']) {
      expectJsonError(await lifecycle(bob, request, annsSurvey), request, UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
      expectJsonError(await lifecycle(admin, request, annsSurvey), request, UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
      expectJsonError(await lifecycle(ann, request, foreignSurvey), request, UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
      expectJsonError(await lifecycle(ann, request, 'SV_000000000000000'), request, UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
    }
    expect((await t.services.surveys.getSurvey(ann.actor, annsSurvey)).status).toBe('Inactive');
  });

  it('refuses to activate beyond the brand’s max_active_surveys (ESEC27), on activation and on import', async () => {
    await t.services.accounts.createBrand({ id: 'tiny', name: 'Tiny', maxActiveSurveys: 1 });
    const boss = await seedUser(t, 'tiny', 'boss', { typeId: 'UT_BRANDADMIN' });
    const worker = await seedUser(t, 'tiny', 'worker');
    const a = await importQsf(boss, PLAIN);
    const b = await importQsf(worker, PLAIN);
    expect((await lifecycle(boss, 'activateSurvey', a)).body).toBe(NULL_RESULT);
    const refused = await lifecycle(worker, 'activateSurvey', b);
    expect(refused.body).toBe(
      `{"Meta":{"Status":"Error","RequestType":"activateSurvey","ErrorCode":500,"QualtricsErrorCode":"ESEC27","ErrorMessage":"Account Restriction: Too Many Active Surveys -- The maximum number of active surveys has been reached","Debug":""},"Result":null}`,
    );
    expectJsonError(refused, 'activateSurvey', LIMIT.http, LIMIT.code, LIMIT.message);
    expect((await t.services.surveys.getSurvey(worker.actor, b)).status).toBe('Inactive');

    const before = (await t.services.surveys.listSurveys(worker.actor)).length;
    const qs = new URLSearchParams({ Request: 'importSurvey', ImportFormat: 'QSF', Activate: '1', ...creds(worker) });
    const r = await call(t.app, { method: 'POST', url: `${API}?${qs}`, headers: { 'content-type': 'application/json' }, payload: PLAIN });
    expectJsonError(r, 'importSurvey', LIMIT.http, LIMIT.code, LIMIT.message);
    expect((await t.services.surveys.listSurveys(worker.actor)).length).toBe(before);

    // Deactivating (or deleting) frees the slot.
    expect((await lifecycle(boss, 'deleteSurvey', a)).body).toBe(NULL_RESULT);
    expect((await lifecycle(worker, 'activateSurvey', b)).body).toBe(NULL_RESULT);
  });
});

describe('copySurvey', () => {
  it('makes an inactive copy of the user’s own with the same QSF; needs createSurveys', async () => {
    const id = await importQsf(ann, WITH_DESCRIPTION, { Activate: '1' });
    const r = await apiPost(t.app, { Request: 'copySurvey', SurveyID: id, ...creds(ann) });
    expectSuccess(r);
    const copy = r.json.Result.SurveyID as string;
    expect(copy).not.toBe(id);
    expect(await t.services.surveys.getSurvey(ann.actor, copy)).toMatchObject({ name: 'Single Answer Matrix Questions - Copy', status: 'Inactive', ownerId: ann.id });
    expect((await t.services.surveys.exportQsf(ann.actor, copy)).qsf).toBe(WITH_DESCRIPTION.toString('utf8'));
    const named = await apiPost(t.app, { Request: 'copySurvey', SurveyID: id, Name: 'Second', ...creds(ann) });
    expect((await t.services.surveys.getSurvey(ann.actor, named.json.Result.SurveyID)).name).toBe('Second');

    await t.services.accounts.updateUser(admin.actor, ann.id, { permissions: { createSurveys: false } });
    try {
      expectJsonError(await apiPost(t.app, { Request: 'copySurvey', SurveyID: id, ...creds(ann) }), 'copySurvey', 500, 'ESEC07', 'You do not have permission to perform this action.');
    } finally {
      await t.services.accounts.updateUser(admin.actor, ann.id, { permissions: { createSurveys: true } });
    }
  });
});

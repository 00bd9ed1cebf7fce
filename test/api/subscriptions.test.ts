import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiPost, creds } from '../helpers/wrapi.ts';
import { ADMIN_ONLY, expectInvalidParam, expectJsonError, expectSuccess, notFoundMessage } from './support.ts';

const QSF = readFileSync('/work/shared/fixtures/qsf/comment-coding/survey.qsf');

let t: TestApp;
let admin: SeededUser;
let ann: SeededUser;
let bob: SeededUser;
let foreign: SeededUser;
let annSurvey: string;
let foreignSurvey: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
  foreign = await seedBrand(t, 'globex');
  annSurvey = await t.services.surveys.importSurvey(ann.actor, { format: 'QSF', source: async () => QSF, activate: true });
  foreignSurvey = await t.services.surveys.importSurvey(foreign.actor, { format: 'QSF', source: async () => QSF, activate: true });
});
afterAll(async () => t?.close());

const req = (user: SeededUser, request: string, params: Record<string, string> = {}) => apiPost(t.app, { Request: request, ...creds(user), ...params });

const valid = () => ({
  Name: 'Completed',
  PublicationURL: 'https://hooks.example.com/in',
  Topics: `surveyengine.completedResponse.${annSurvey}`,
});

describe('subscribe', () => {
  it('creates a subscription and lists it without the shared key', async () => {
    const r = await req(ann, 'subscribe', { ...valid(), SharedKey: 'k3y', BrandID: 'acme' });
    expectSuccess(r);
    const id = r.json.Result.SubscriptionID as string;
    expect(id).toMatch(/^SUB_[0-9A-Za-z]{15}$/);
    const all = await req(ann, 'getAllSubscriptions');
    expectSuccess(all);
    expect(all.json.Result.Subscriptions).toEqual([
      {
        SubscriptionID: id, Name: 'Completed', PublicationURL: 'https://hooks.example.com/in', Topics: `surveyengine.completedResponse.${annSurvey}`,
        Encrypt: '0', BrandID: 'acme', OwnerID: ann.id, CreationDate: '2026-11-28 12:00:00',
      },
    ]);
    expect(all.body).not.toContain('k3y');
    const one = await req(ann, 'getSubscription', { SubscriptionID: id });
    expectSuccess(one);
    expect(one.json.Result.Subscription).toEqual(all.json.Result.Subscriptions[0]);
  });

  it('refuses each bad parameter with ESRV35|<param>', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ Name: '' }, 'Name'],
      [{ Name: 'x'.repeat(256) }, 'Name'],
      [{ PublicationURL: 'ftp://hooks.example.com/' }, 'PublicationURL'],
      [{ PublicationURL: 'not a url' }, 'PublicationURL'],
      [{ PublicationURL: 'https://user:pw@hooks.example.com/' }, 'PublicationURL'],
      [{ PublicationURL: 'http://127.0.0.1:8080/' }, 'PublicationURL'],
      [{ PublicationURL: 'http://[::1]/' }, 'PublicationURL'],
      [{ PublicationURL: 'http://10.1.2.3/' }, 'PublicationURL'],
      [{ PublicationURL: 'http://192.168.0.10/' }, 'PublicationURL'],
      [{ PublicationURL: 'http://169.254.169.254/latest/meta-data/' }, 'PublicationURL'],
      [{ PublicationURL: 'http://localhost:9000/' }, 'PublicationURL'],
      [{ PublicationURL: `https://a.example/${'x'.repeat(2000)}` }, 'PublicationURL'],
      [{ Topics: '' }, 'Topics'],
      [{ Topics: 'nonsense.topic' }, 'Topics'],
      [{ Topics: 'surveyengine..x' }, 'Topics'],
      [{ Topics: `surveyengine.completedResponse.${'a'.repeat(300)}` }, 'Topics'],
      [{ Topics: 'x'.repeat(5000) }, 'Topics'],
      [{ Topics: Array.from({ length: 21 }, (_, i) => `controlpanel.t${i}`).join(',') }, 'Topics'],
      [{ Topics: `surveyengine.completedResponse.${foreignSurvey}` }, 'Topics'],
      [{ Topics: 'surveyengine.completedResponse.SV_000000000000000' }, 'Topics'],
      [{ Encrypt: '2' }, 'Encrypt'],
      [{ Encrypt: '1' }, 'SharedKey'],
      [{ BrandID: 'globex' }, 'BrandID'],
    ];
    for (const [patch, param] of cases) expectInvalidParam(await req(ann, 'subscribe', { ...valid(), ...patch }), 'subscribe', param);
    // Nothing was stored by any refused call.
    expect((await req(bob, 'getAllSubscriptions')).json.Result.Subscriptions).toEqual([]);
  });

  it("refuses another user's survey of the same brand, and brand-wide survey wildcards to non-administrators", async () => {
    expectInvalidParam(await req(bob, 'subscribe', valid()), 'subscribe', 'Topics');
    for (const topics of ['surveyengine.*', 'surveyengine.completedResponse.*', '*', 'surveyengine.*.*']) {
      const r = await req(bob, 'subscribe', { ...valid(), Topics: topics });
      expectJsonError(r, 'subscribe', ADMIN_ONLY.http, ADMIN_ONLY.code, ADMIN_ONLY.message);
    }
    expectSuccess(await req(admin, 'subscribe', { ...valid(), Topics: 'surveyengine.completedResponse.*' }));
    expectSuccess(await req(bob, 'subscribe', { ...valid(), Topics: 'controlpanel.*,mailinglist.*' }));
  });

  it('accepts private addresses when the operator allows them', async () => {
    const open = await createTestApp({ ALLOW_PRIVATE_URLS: '1' });
    try {
      const owner = await seedBrand(open, 'acme');
      const r = await apiPost(open.app, { Request: 'subscribe', ...creds(owner), Name: 'local', PublicationURL: 'http://127.0.0.1:9/hook', Topics: 'controlpanel.activateSurvey' });
      expectSuccess(r);
    } finally {
      await open.close();
    }
  });
});

describe('brand isolation, getSubscription and deleteSubscription', () => {
  it("keeps subscriptions to their owner (and the brand's administrator), never another brand", async () => {
    const r = await req(ann, 'subscribe', { ...valid(), Name: 'isolated' });
    const id = r.json.Result.SubscriptionID as string;
    const unknown = (res: Awaited<ReturnType<typeof req>>, request: string) => expectJsonError(res, request, 500, 'ESRV36', notFoundMessage('SubscriptionID'));
    unknown(await req(foreign, 'getSubscription', { SubscriptionID: id }), 'getSubscription');
    unknown(await req(foreign, 'deleteSubscription', { SubscriptionID: id }), 'deleteSubscription');
    unknown(await req(bob, 'getSubscription', { SubscriptionID: id }), 'getSubscription');
    expect((await req(foreign, 'getAllSubscriptions')).json.Result.Subscriptions).toEqual([]);
    expect((await req(bob, 'getAllSubscriptions')).json.Result.Subscriptions.map((s: { SubscriptionID: string }) => s.SubscriptionID)).not.toContain(id);
    expect((await req(admin, 'getAllSubscriptions')).json.Result.Subscriptions.map((s: { SubscriptionID: string }) => s.SubscriptionID)).toContain(id);
    expectInvalidParam(await req(ann, 'getSubscription', { SubscriptionID: 'SUB_bad' }), 'getSubscription', 'SubscriptionID');

    const del = await req(ann, 'deleteSubscription', { SubscriptionID: id });
    expectSuccess(del);
    expect(del.json.Result).toEqual({ Success: true });
    unknown(await req(ann, 'getSubscription', { SubscriptionID: id }), 'getSubscription');
    expect((await req(admin, 'getAllSubscriptions')).json.Result.Subscriptions.map((s: { SubscriptionID: string }) => s.SubscriptionID)).not.toContain(id);
  });
});

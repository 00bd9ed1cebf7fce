import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { signedInBrowser } from '../helpers/web.ts';
import { subscriptionsStore } from '../../src/store/subscriptions.ts';

let t: TestApp;
let admin: SeededUser;
let ann: SeededUser;
let foreign: SeededUser;
let subId: string;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  foreign = await seedBrand(t, 'globex');
  subId = await t.services.subscriptions.subscribe(admin.actor, { name: 'Finished <responses>', publicationUrl: 'https://hooks.example.com/in', topics: 'controlpanel.*', sharedKey: 'never-shown' });
  // Attempts as the delivery worker logs them.
  for (const [attempt, outcome, status, error] of [[1, 'retry', 503, 'HTTP 503'], [2, 'delivered', 204, null]] as const) {
    await subscriptionsStore.insertDelivery(t.store.db, {
      id: `J_x_${subId}#${attempt}`, subscription_id: subId, brand_id: 'acme', job_id: `J_x_${subId}`, topic: 'controlpanel.activateSurvey',
      attempt, outcome, http_status: status, latency_ms: 12, error, created_at: t.clock.now() + attempt,
    });
  }
});
afterAll(async () => t?.close());

const get = async (who: SeededUser, url: string) => (await signedInBrowser(t, who, '/account')).get(url);

describe('subscription pages', () => {
  it("lists the brand's subscriptions and shows a subscription's delivery log, escaped, without the key", async () => {
    const list = await get(admin, '/subscriptions');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="/subscriptions/${subId}"`);
    expect(list.body).toContain('Finished &lt;responses&gt;');
    const detail = await get(admin, `/subscriptions/${subId}`);
    expect(detail.statusCode).toBe(200);
    const rows = [...detail.body.matchAll(/<tr><td><time[^>]*>[^<]*<\/time><\/td>\s*<td>([^<]*)<\/td>\s*<td>(\d+)<\/td>\s*<td>([^<]*)<\/td>\s*<td>([^<]*)<\/td>/g)].map((m) => m.slice(1));
    expect(rows).toEqual([['controlpanel.activateSurvey', '2', 'Delivered', '204'], ['controlpanel.activateSurvey', '1', 'Failed, will retry', '503']]);
    expect(detail.body).not.toContain('never-shown');
  });

  it("is 404 for another user's or another brand's subscription, and asks anyone signed out to sign in", async () => {
    expect((await get(ann, `/subscriptions/${subId}`)).statusCode).toBe(404);
    expect((await get(foreign, `/subscriptions/${subId}`)).statusCode).toBe(404);
    expect((await get(foreign, '/subscriptions')).body).not.toContain(subId);
    const anonymous = await t.app.inject({ method: 'GET', url: `/subscriptions/${subId}` });
    expect(anonymous.statusCode).toBeGreaterThanOrEqual(300);
    expect(anonymous.body).not.toContain('hooks.example.com');
  });
});

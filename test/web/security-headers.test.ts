import Fastify from 'fastify';
import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_HELMET_OPTIONS } from '../../src/web/app.ts';
import { RESPONDENT_HELMET_OPTIONS } from '../../src/web/respondent/app.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildQsf, te } from '../helpers/qsf.ts';
import { seedBrand, seedUser } from '../helpers/seed.ts';

let t: TestApp;
let surveyId: string;

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  const ann = await seedUser(t, 'acme', 'ann');
  const qsf = buildQsf({ name: 'Headers', pages: [['QID1']], questions: [te('QID1', 'Q1')] });
  surveyId = await t.services.surveys.importSurvey(ann.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });
});
afterAll(async () => t?.close());

/** What @fastify/helmet itself sends with these options, on a plain route: the reference. */
async function helmetReference(options: FastifyHelmetOptions): Promise<Record<string, string>> {
  const app = Fastify({ logger: false });
  await app.register(helmet, options);
  app.get('/', async () => '');
  const res = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (!['content-type', 'content-length', 'date', 'connection'].includes(name)) out[name] = String(value);
  }
  return out;
}

function expectSameSecurityHeaders(actual: Record<string, unknown>, reference: Record<string, string>): void {
  expect(Object.keys(reference).length).toBeGreaterThan(8);
  for (const [name, value] of Object.entries(reference)) expect({ name, value: actual[name] }).toEqual({ name, value });
  expect(actual['x-powered-by']).toBeUndefined();
}

describe('security headers (worked out once, set on every response)', () => {
  it('are exactly what helmet sends for the web UI’s options, on every page and asset', async () => {
    const reference = await helmetReference(WEB_HELMET_OPTIONS);
    expect(reference['content-security-policy']).toBe(
      "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self';upgrade-insecure-requests",
    );
    expect(reference['strict-transport-security']).toBeUndefined();
    for (const url of ['/login', '/assets/app.css', '/healthz']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expectSameSecurityHeaders(res.headers, reference);
    }
  });

  it('are exactly what helmet sends for the survey pages’ options, on pages, redirects and errors', async () => {
    const reference = await helmetReference(RESPONDENT_HELMET_OPTIONS);
    expect(reference['content-security-policy']).toContain("img-src 'self' data: https: http:");
    const page = await t.app.inject({ method: 'GET', url: `/jfe/form/${surveyId}` });
    expect(page.statusCode).toBe(200);
    expectSameSecurityHeaders(page.headers, reference);
    const missing = await t.app.inject({ method: 'GET', url: '/jfe/form/SV_doesnotexist0000' });
    expect(missing.statusCode).toBe(404);
    expectSameSecurityHeaders(missing.headers, reference);
    const post = await t.app.inject({ method: 'POST', url: `/jfe/form/${surveyId}`, payload: '_session=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(post.statusCode).toBe(303);
    expectSameSecurityHeaders(post.headers, reference);
  });

  it('are not sent by the API endpoint, which answers documents rather than pages', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/WRAPI/ControlPanel/api.php?Request=getUserInfo&Format=JSON' });
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['x-frame-options']).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildQsf, te } from '../helpers/qsf.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { signedInBrowser } from '../helpers/web.ts';

let t: TestApp;
let ann: SeededUser;
let surveyId: string;
const visitor = { ip: '203.0.113.9', userAgent: 'test' };

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  surveyId = await t.services.surveys.importSurvey(ann.actor, { format: 'QSF', source: async () => Buffer.from(buildQsf({ pages: [['QID1']], questions: [te('QID1', 'Q1')] })), activate: true });
  for (const answer of ['alpha', '<b>beta</b>']) {
    const entry = await t.services.respondent.enter({ ...visitor, surveyId, mode: 'anonymous', query: {} });
    if (entry.kind !== 'page') throw new Error('expected a page');
    await t.services.respondent.submit({ ...visitor, surveyId, sessionId: entry.page.sessionId, pageToken: entry.page.pageToken, action: 'next', confirmSoft: false, answers: { QID1: { text: { '': answer } } } });
  }
});
afterAll(async () => t?.close());

describe('background exports in the web UI', () => {
  it('queues from the download page, shows progress, then serves the file', async () => {
    const b = await signedInBrowser(t, ann, `/surveys/${surveyId}/download`);
    const form = await b.get(`/surveys/${surveyId}/download`);
    expect(form.body).toContain('Prepare in the background');
    expect((await b.post(`/surveys/${surveyId}/exports`, { format: 'ndjson' }, { csrf: false })).statusCode).toBe(403);
    const started = await b.post(`/surveys/${surveyId}/exports`, { format: 'ndjson', labels: '1' });
    expect(started.statusCode).toBe(303);
    const page = started.headers.location as string;
    const waiting = await b.get(page);
    expect(waiting.body).toContain('<progress');
    expect(waiting.headers.refresh).toBe('3');
    expect(await t.services.jobs.runOne('test')).toBe(true);
    const ready = await b.get(page);
    expect(ready.headers.refresh).toBeUndefined();
    expect(ready.body).toContain(`${page}/file`);
    const file = await b.get(`${page}/file`);
    expect(file.headers['content-disposition']).toMatch(/attachment; filename=".+\.ndjson"/);
    const lines = file.body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.Q1)).toEqual(['alpha', '<b>beta</b>']);
  });

  it('refuses an unknown format and someone else\'s export', async () => {
    const b = await signedInBrowser(t, ann, `/surveys/${surveyId}/download`);
    expect((await b.post(`/surveys/${surveyId}/exports`, { format: 'pdf' })).statusCode).toBe(400);
    const job = await t.services.exportJobs.start(ann.actor, surveyId, 'csv');
    const bob = await seedUser(t, 'acme', 'bob');
    const other = await signedInBrowser(t, bob, `/surveys`);
    expect((await other.get(`/surveys/${surveyId}/exports/${job.id}`)).statusCode).toBe(404);
  });
});

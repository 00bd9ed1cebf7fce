import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/app.ts';
import { buildQsf, te } from '../helpers/qsf.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { EXPORT_FILE_TTL_MS } from '../../src/services/export-jobs.ts';

let t: TestEnv;
let ann: SeededUser;
let bob: SeededUser;
let admin: SeededUser;
let surveyId: string;
const visitor = { ip: '198.51.100.1', userAgent: 'test' };

beforeAll(async () => {
  t = await createTestEnv();
  admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
  surveyId = await t.services.surveys.importSurvey(ann.actor, { format: 'QSF', source: async () => Buffer.from(buildQsf({ pages: [['QID1']], questions: [te('QID1', 'Q1')] })), activate: true });
  for (const answer of ['first', 'second', 'third']) {
    const entry = await t.services.respondent.enter({ ...visitor, surveyId, mode: 'anonymous', query: {} });
    if (entry.kind !== 'page') throw new Error('expected a page');
    await t.services.respondent.submit({ ...visitor, surveyId, sessionId: entry.page.sessionId, pageToken: entry.page.pageToken, action: 'next', confirmSoft: false, answers: { QID1: { text: { '': answer } } } });
  }
});
afterAll(async () => t?.close());

describe('background exports', () => {
  it('writes the file in a job with its progress, for the user who asked and brand admins only', async () => {
    const queued = await t.services.exportJobs.start(ann.actor, surveyId, 'csv');
    expect(queued).toMatchObject({ status: 'queued', total: 3 });
    expect((await t.services.exportJobs.status(ann.actor, queued.id)).file).toBeUndefined();
    expect(await t.services.jobs.runOne('test-worker')).toBe(true);
    const { job, file } = await t.services.exportJobs.status(ann.actor, queued.id);
    expect(job).toMatchObject({ status: 'done', progress: 3, total: 3 });
    expect(file?.fileName).toMatch(/\.csv$/);
    expect(file?.contentType).toContain('text/csv');
    const rows = parse(readFileSync(file!.path, 'utf8').replace(/^\uFEFF/, '')) as string[][];
    expect(rows.slice(2).map((r) => r[r.length - 1])).toEqual(['first', 'second', 'third']);
    await expect(t.services.exportJobs.status(bob.actor, queued.id)).rejects.toMatchObject({ kind: 'NotFound' });
    expect((await t.services.exportJobs.status(admin.actor, queued.id)).file?.path).toBe(file!.path);
    const stranger = await seedBrand(t, 'globex');
    await expect(t.services.exportJobs.status(stranger.actor, queued.id)).rejects.toMatchObject({ kind: 'NotFound' });
  });

  it('checks permission, survey and format before queueing anything', async () => {
    await expect(t.services.exportJobs.start(ann.actor, surveyId, 'pdf')).rejects.toMatchObject({ kind: 'InvalidParameter', param: 'Format' });
    await expect(t.services.exportJobs.start(ann.actor, 'SV_doesNotExist12', 'csv')).rejects.toMatchObject({ kind: 'UnknownSurvey' });
    const viewer = await seedUser(t, 'acme', 'viewer');
    await expect(t.services.exportJobs.start({ ...viewer.actor, permissions: { ...viewer.actor.permissions, downloadResponses: false } }, surveyId, 'csv'))
      .rejects.toMatchObject({ kind: 'NoDownloadPermission' });
  });

  it('sweeps export files after a day', async () => {
    const queued = await t.services.exportJobs.start(ann.actor, surveyId, 'json');
    await t.services.jobs.runOne('test-worker');
    const { file } = await t.services.exportJobs.status(ann.actor, queued.id);
    expect(existsSync(file!.path)).toBe(true);
    expect(await t.services.exportJobs.prune(Date.now())).toBe(0);
    expect(await t.services.exportJobs.prune(Date.now() + EXPORT_FILE_TTL_MS + 60_000)).toBeGreaterThan(0);
    expect(existsSync(file!.path)).toBe(false);
  });
});

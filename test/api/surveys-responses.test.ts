import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildQsf, te } from '../helpers/qsf.ts';
import { seedBrand, type SeededUser } from '../helpers/seed.ts';
import { apiGet, creds } from '../helpers/wrapi.ts';
import type { Entry } from '../../src/services/respondent.ts';

let t: TestApp;
let admin: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
});
afterAll(async () => t?.close());

const visitor = { ip: '127.0.0.1', userAgent: 'test' };

/** One respondent through a one-page survey. */
async function respond(surveyId: string, mode: 'anonymous' | 'preview'): Promise<void> {
  const entry: Entry = await t.services.respondent.enter({ ...visitor, surveyId, mode, query: {}, previewActor: admin.actor });
  if (entry.kind !== 'page') throw new Error(`expected a page, got ${entry.kind}`);
  const { page } = entry;
  const end = await t.services.respondent.submit({
    ...visitor, surveyId, sessionId: page.sessionId, pageToken: page.pageToken, action: 'next', answers: { QID1: { text: { '': 'x' } } }, confirmSoft: false,
  });
  expect(end.kind).toBe('end');
}

describe('getSurveys response counts', () => {
  it('gives `responses` first, as a string, only for surveys with responses (previews not counted)', async () => {
    const qsf = Buffer.from(buildQsf({ pages: [['QID1']], questions: [te('QID1', 'Q1')] }));
    const source = async () => qsf;
    const answered = await t.services.surveys.importSurvey(admin.actor, { format: 'QSF', source, activate: true });
    const previewed = await t.services.surveys.importSurvey(admin.actor, { format: 'QSF', source, activate: true });
    await respond(answered, 'anonymous');
    await respond(answered, 'anonymous');
    await respond(previewed, 'preview');
    const r = await apiGet(t.app, { Request: 'getSurveys', ...creds(admin) });
    const surveys = r.json.Result.Surveys as Array<Record<string, unknown>>;
    const first = surveys.find((s) => s.SurveyID === answered)!;
    expect(Object.keys(first)[0]).toBe('responses');
    expect(first.responses).toBe('2');
    expect(surveys.find((s) => s.SurveyID === previewed)).not.toHaveProperty('responses');
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createServices, type Services } from '../../src/services/index.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { cliDatabase, runCli } from '../helpers/cli.ts';
import { buildQsf, mc, te } from '../helpers/qsf.ts';

// Each case starts a real process; on a busy two-core machine that takes seconds.
vi.setConfig({ testTimeout: 120_000 });

let db: Awaited<ReturnType<typeof cliDatabase>>;
let store: Store;
let services: Services;
let surveyId: string;

const visitor = { ip: '198.51.100.7', userAgent: 'test' };

beforeAll(async () => {
  db = await cliDatabase();
  expect((await runCli(['brand', 'create', '--id', 'acme', '--name', 'Acme'], db.env)).code).toBe(0);
  expect((await runCli(['user', 'create', '--brand', 'acme', '--username', 'ann', '--password', 'pw-0123456789'], db.env)).code).toBe(0);
  const config = loadConfig({ ...db.env, SECRET_KEY: 'x'.repeat(40) });
  store = openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  services = createServices(config, store);
  const actor = (await services.accounts.actorForUsername('ann#acme'))!;
  const qsf = buildQsf({ pages: [['QID1', 'QID2']], questions: [mc('QID1', 'Q1', 3, { text: 'Pick one' }), te('QID2', 'Q2', { text: 'Say why' })] });
  surveyId = await services.surveys.importSurvey(actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });
  for (const [choice, why] of [['2', 'because, "quoted"'], ['3', '=cmd|calc']]) {
    const entry = await services.respondent.enter({ ...visitor, surveyId, mode: 'anonymous', query: {} });
    if (entry.kind !== 'page') throw new Error('expected a page');
    await services.respondent.submit({ ...visitor, surveyId, sessionId: entry.page.sessionId, pageToken: entry.page.pageToken, action: 'next', confirmSoft: false,
      answers: { QID1: { selected: [choice as string] }, QID2: { text: { '': why as string } } } });
  }
  await services.respondent.writer.drain();
});
afterAll(async () => {
  await store?.close();
  await db?.close();
});

describe('insight export', () => {
  it('writes a survey\'s responses to a CSV file', async () => {
    const out = join(db.dataDir, 'responses.csv');
    const r = await runCli(['export', '--username', 'ann#acme', '--survey', surveyId, '--format', 'csv', '--out', out], db.env);
    expect(r.stderr).toContain('Exported 2 responses.');
    expect(r.code).toBe(0);
    const rows = parse(readFileSync(out, 'utf8').replace(/^\uFEFF/, ''), { relax_column_count: true }) as string[][];
    const header = rows[0]!;
    const data = rows.slice(2);
    expect(data).toHaveLength(2);
    const why = header.indexOf('Q2');
    expect(data.map((row) => row[why])).toEqual(['because, "quoted"', "'=cmd|calc"]);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });

  it('writes SPSS and Excel files', async () => {
    for (const [format, magic] of [['sav', '$FL2'], ['xlsx', 'PK']] as const) {
      const out = join(db.dataDir, `responses.${format}`);
      const r = await runCli(['export', '--username', 'ann#acme', '--survey', surveyId, '--format', format, '--out', out], db.env);
      expect(r.code).toBe(0);
      expect(readFileSync(out).subarray(0, magic.length).toString('latin1')).toBe(magic);
    }
  });

  it('refuses an unknown format, an unknown user or survey, and leaves no file behind', async () => {
    const out = join(db.dataDir, 'never.csv');
    const bad = await runCli(['export', '--username', 'ann#acme', '--survey', surveyId, '--format', 'pdf', '--out', out], db.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be one of');
    const nobody = await runCli(['export', '--username', 'nobody#acme', '--survey', surveyId, '--format', 'csv', '--out', out], db.env);
    expect(nobody.code).toBe(2);
    const missing = await runCli(['export', '--username', 'ann#acme', '--survey', 'SV_doesNotExist12', '--format', 'csv', '--out', out], db.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^insight: /);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
  });
});

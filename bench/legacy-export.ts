/**
 * bench/legacy-export: getLegacyResponseData of N responses (default 1,000,000) of a 30-column
 * survey over HTTP from an Insight server in a child process on loopback. The survey is imported by
 * the server; the responses are seeded straight through the store in large batches by this (parent)
 * process, not timed, so that the server's RSS shows what serving the export costs rather than what
 * the seeding left behind. Prints, for Format=CSV and Format=JSON, responses/s, the server's RSS
 * before the export, its peak while streaming and the growth (goals: CSV of 1,000,000 responses in
 * at most 20 s, peak below 300 MB, growth flat: the first full export grows the server by SQLite's
 * page cache, up to its 64 MiB, and V8's heap warming up, the next ones by nothing), after one page
 * as a warm-up, against the same-run baseline: a raw
 * better-sqlite3 SELECT of the same rows (answers and embedded data JSON parsed) through
 * csv-stringify to /dev/null, with the ratio of the times. Then LastResponseID paging in pages of
 * 10,000: the time of the first page and of the last.
 *
 *   node bin/run-ts.js bench/legacy-export.ts [--rows 1000000]
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import SQLite from 'better-sqlite3';
import type { NewResponseRow } from '../src/store/responses.ts';
import { stringify } from 'csv-stringify';
import { parseArgs } from 'node:util';
import { exportBenchSurvey } from './lib/export-survey.ts';
import { BenchServer, bootInsight, mb, rssResponder } from './lib/harness.ts';

const PAGE = 10_000;
const SEED_BATCH = 20_000;

/** The stored question cells of response i (keyed by columnKey, empty ones left out). */
function values(i: number): Record<string, string | number> {
  const x = (i * 31) % 101;
  return {
    QID1: 1 + (x % 5), QID2_1: 1, ...(x % 2 ? { QID2_3: 1 } : {}), QID3_1: 1 + (x % 7), QID3_2: 1 + ((x + 1) % 7), QID3_3: 1 + ((x + 2) % 7), QID3_4: 1 + ((x + 3) % 7), QID3_5: 1 + ((x + 4) % 7),
    QID4: `fruit ${x}`, QID5_1: x, QID5_2: 100 - x, QID5_3: x / 4, ...(x < 40 ? { QID6: `A free text answer number ${i}, ${'word '.repeat(x % 20)}end` } : {}),
  };
}

const QUESTION_KEYS = ['QID1', 'QID2_1', 'QID2_2', 'QID2_3', 'QID2_4', 'QID3_1', 'QID3_2', 'QID3_3', 'QID3_4', 'QID3_5', 'QID4', 'QID5_1', 'QID5_2', 'QID5_3', 'QID6'];

// ---- child: the server -------------------------------------------------------------------------

interface Seeded {
  surveyId: string;
  /** The ResponseID after which the last page of PAGE responses starts. */
  beforeLastPage: string;
  seconds: number;
}

async function serve(): Promise<void> {
  const { services, info, actor } = await bootInsight();
  const answerRss = rssResponder();
  process.on('message', async (m: { cmd: string }) => {
    if (answerRss(m) || m.cmd !== 'survey') return;
    const surveyId = await services.surveys.importSurvey(actor, { format: 'QSF', source: async () => Buffer.from(JSON.stringify(exportBenchSurvey())), activate: true });
    process.send?.({ type: 'survey', surveyId });
  });
  process.send?.({ type: 'ready', info });
}

class ExportServer extends BenchServer {
  static startExport(dataDir: string): Promise<ExportServer> {
    return ExportServer.start(import.meta.filename, { BENCH_DATA_DIR: dataDir });
  }

  async importSurvey(): Promise<string> {
    return (await this.ask<{ type: 'survey'; surveyId: string }>({ cmd: 'survey' }, 'survey')).surveyId;
  }
}

/** The survey's responses, inserted through the store on a connection of this process. */
async function seed(server: ExportServer, dataDir: string, rows: number): Promise<Seeded> {
  const started = performance.now();
  const surveyId = await server.importSurvey();
  const { openStore } = await import('../src/store/db.ts');
  const { newId } = await import('../src/domain/ids.ts');
  const { responsesStore } = await import('../src/store/responses.ts');
  const store = openStore({ dataDir, databaseUrl: process.env.BENCH_DATABASE_URL || undefined });
  const t0 = Date.UTC(2025, 0, 1);
  let beforeLastPage = '';
  try {
    for (let from = 0; from < rows; from += SEED_BATCH) {
      const batch: NewResponseRow[] = [];
      for (let i = from; i < Math.min(rows, from + SEED_BATCH); i++) {
        const x = (i * 31) % 101;
        const id = newId('R');
        if (i === rows - PAGE - 1) beforeLastPage = id;
        batch.push({
          id, brand_id: 'bench', survey_id: surveyId, response_set_id: 'Default', status: 0, finished: x < 90 ? 1 : 0,
          start_date: t0 + i * 30_000, end_date: t0 + i * 30_000 + x * 7_000, ip_address: `10.0.${x}.${i % 250}`,
          recipient_id: null, panel_id: null, distribution_id: null, name: x < 50 ? `Last${i}, First${i}` : null,
          email: x < 50 ? `person${i}@example.com` : null, external_ref: x < 30 ? `ext-${i}` : null,
          location_latitude: null, location_longitude: null, location_accuracy: null, session_id: null,
          answers_values: JSON.stringify(values(i)), embedded: JSON.stringify({ Cohort: `C${i % 12}`, Region: `Region ${x % 5}` }), displayed: '[]',
          created_at: t0, updated_at: t0, deleted_at: null,
        });
      }
      await store.db.transaction().execute((trx) => responsesStore.insertMany(trx, batch));
    }
  } finally {
    await store.close();
  }
  return { surveyId, beforeLastPage, seconds: (performance.now() - started) / 1000 };
}

// ---- parent: the measurements ------------------------------------------------------------------

/** The same rows read straight from the server's SQLite file and written as CSV to /dev/null. */
async function baseline(file: string, surveyId: string): Promise<{ seconds: number; rows: number }> {
  const db = new SQLite(file, { readonly: true });
  try {
    const started = performance.now();
    let rows = 0;
    const stmt = db.prepare(
      'SELECT id, response_set_id, name, external_ref, email, ip_address, status, start_date, end_date, finished, answers_values, embedded, ' +
        'location_latitude, location_longitude, location_accuracy FROM responses WHERE survey_id = ? AND deleted_at IS NULL AND status != 1 ORDER BY seq',
    );
    const source = Readable.from(
      (function* () {
        for (const r of stmt.iterate(surveyId) as Iterable<Record<string, string | number | null>>) {
          rows++;
          const v = JSON.parse(r.answers_values as string) as Record<string, unknown>;
          const ed = JSON.parse(r.embedded as string) as Record<string, string>;
          yield [
            r.id, r.response_set_id, r.name, r.external_ref, r.email, r.ip_address, r.status, r.start_date, r.end_date, r.finished,
            ed.Cohort, ed.Region, ...QUESTION_KEYS.map((k) => v[k]), r.location_latitude, r.location_longitude, r.location_accuracy,
          ];
        }
      })(),
    );
    await pipeline(source, stringify(), createWriteStream('/dev/null'));
    return { seconds: (performance.now() - started) / 1000, rows };
  } finally {
    db.close();
  }
}

/** One request read to the end: seconds, bytes and line feeds (the generated answers hold none). */
async function fetchAll(url: string): Promise<{ seconds: number; bytes: number; lines: number; status: number }> {
  const started = performance.now();
  const res = await fetch(url);
  let bytes = 0;
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) lines++;
  }
  return { seconds: (performance.now() - started) / 1000, bytes, lines, status: res.status };
}

/** One export with the server's RSS window around it; CSV answers are checked to hold `expect` rows. */
async function measure(server: ExportServer, params: Record<string, string>, expect: number): Promise<{ seconds: number; bytes: number; base: number; growth: number; peak: number }> {
  await server.startRss();
  const r = await fetchAll(server.url('ControlPanel', { Request: 'getLegacyResponseData', ...params }));
  const rss = await server.stopRss();
  if (r.status !== 200) throw new Error(`getLegacyResponseData answered ${r.status}`);
  if (params.Format === 'CSV' && r.lines !== expect + 2) throw new Error(`CSV held ${r.lines - 2} rows, not ${expect}`);
  return { seconds: r.seconds, bytes: r.bytes, base: rss.base, growth: (rss.peak - rss.base) / 1024 / 1024, peak: rss.peak };
}

function rowsArg(): number {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { rows: { type: 'string', default: '1000000' } } });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows <= PAGE) throw new Error(`--rows must be an integer above ${PAGE}`);
  return rows;
}

async function main(): Promise<void> {
  const rows = rowsArg();
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  const server = await ExportServer.startExport(dataDir);
  try {
    const seeded = await seed(server, dataDir, rows);
    console.log(`seeded     ${rows} responses × 30 columns through the store in ${seeded.seconds.toFixed(1)} s`);
    const base = await baseline(join(dataDir, 'insight.db'), seeded.surveyId);
    if (base.rows !== rows) throw new Error(`baseline read ${base.rows} rows`);
    const rate = (n: number, s: number) => (n / s).toFixed(0).padStart(8);
    // One page first, so the timings compare compiled code (the RSS growth still shows the first
    // full export filling SQLite's page cache).
    await measure(server, { SurveyID: seeded.surveyId, Format: 'CSV', Limit: String(PAGE) }, PAGE);
    console.log(`baseline   raw SELECT + JSON.parse + csv-stringify to /dev/null  ${rate(rows, base.seconds)} responses/s (${base.seconds.toFixed(2)} s)`);
    for (const format of ['CSV', 'JSON']) {
      const m = await measure(server, { SurveyID: seeded.surveyId, Format: format }, rows);
      console.log(
        `insight    getLegacyResponseData Format=${format.padEnd(4)} over HTTP        ${rate(rows, m.seconds)} responses/s (${m.seconds.toFixed(2)} s, ${mb(m.bytes)} MB)` +
          `  ratio ${(m.seconds / base.seconds).toFixed(2)}x baseline;  server RSS ${mb(m.base)} MB before, peak ${mb(m.peak)} MB (goal: < 300), growth ${m.growth.toFixed(1)} MB (goal: flat)`,
      );
    }
    const first = await measure(server, { SurveyID: seeded.surveyId, Format: 'CSV', Limit: String(PAGE) }, PAGE);
    const last = await measure(server, { SurveyID: seeded.surveyId, Format: 'CSV', Limit: String(PAGE), LastResponseID: seeded.beforeLastPage }, PAGE);
    console.log(`paging     LastResponseID + Limit=${PAGE} (CSV): first page ${(first.seconds * 1000).toFixed(0)} ms, last page ${(last.seconds * 1000).toFixed(0)} ms (goal: equal)`);
  } finally {
    server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') await serve();
else if (process.argv[1] === import.meta.filename) await main();

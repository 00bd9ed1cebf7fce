/**
 * bench/import-panel: importPanel of a generated 100,000-row CSV (5 embedded-data columns) over HTTP
 * against an Insight server in a child process on loopback. Prints end-to-end seconds (goal < 5 s)
 * and the server's peak RSS growth (sampled every 50 ms in the server, goal < 150 MB), and the
 * same-run baseline: csv-parse of the same CSV plus one batched raw better-sqlite3 insert.
 *
 *   node bin/run-ts.js bench/import-panel.ts [--rows 100000]
 *
 * The server half (PanelServer) is shared with bench/get-panel-csv.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchServer, baselineDb, baselineRecords, bootInsight, generateCsv, insertBatched, mb, rowsOption, rssResponder } from './lib/harness.ts';

/** The bench server plus the panel seeding the export benchmark needs. */
export class PanelServer extends BenchServer {
  static startPanel(dataDir: string): Promise<PanelServer> {
    return PanelServer.start(import.meta.filename, { BENCH_DATA_DIR: dataDir });
  }

  /** Imports the benchmark CSV through the service (not timed), for the export benchmark. */
  async seedPanel(rows: number): Promise<string> {
    return (await this.ask<{ type: 'panel'; panelId: string }>({ cmd: 'seed', rows }, 'panel')).panelId;
  }
}

async function serve(): Promise<void> {
  const { services, user, info, actor } = await bootInsight();
  const answerRss = rssResponder();
  process.on('message', async (m: { cmd: string; rows?: number }) => {
    if (answerRss(m)) return;
    if (m.cmd === 'seed') {
      const mapping = services.panels.readMapping({ ColumnHeaders: true, Email: '1', FirstName: '2', LastName: '3', EmbeddedData: '4,5,6,7,8' });
      const result = await services.panels.importPanel(actor, user.id, generateCsv(m.rows), mapping, { name: 'bench' });
      process.send?.({ type: 'panel', panelId: result.panelId });
    }
  });
  process.send?.({ type: 'ready', info });
}

/** csv-parse of the CSV and one transaction of 500-row raw inserts into the same table and indexes. */
async function baseline(csv: Buffer): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'insight-bench-base-'));
  try {
    const db = baselineDb(
      join(dir, 'base.db'),
      `CREATE TABLE panel_members (id text primary key, brand_id text not null, panel_id text not null, position bigint not null, first_name text, last_name text,
      email text, external_ref text, language text, unsubscribed integer not null default 0, embedded_data text, created_at bigint not null, updated_at bigint not null);
      CREATE UNIQUE INDEX o ON panel_members (panel_id, position); CREATE INDEX e ON panel_members (panel_id, email);`,
    );
    const started = performance.now();
    const rows: unknown[][] = [];
    for await (const { fields: r, embeddedData: ed } of baselineRecords(csv)) {
      rows.push([`MLRP_${randomBytes(8).toString('hex').slice(0, 15)}`, 'bench', 'ML_x', rows.length + 1, r[1], r[2], r[0], null, null, 0, ed, 0, 0]);
    }
    insertBatched(db, 'panel_members', rows);
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows = rowsOption();
  const csv = generateCsv(rows);
  const base = await baseline(csv);
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  const server = await PanelServer.startPanel(dataDir);
  try {
    await server.startRss();
    const started = performance.now();
    const url = server.url('ControlPanel', { Request: 'importPanel', Format: 'JSON', ColumnHeaders: '1', Email: '1', FirstName: '2', LastName: '3', EmbeddedData: '4,5,6,7,8', Name: 'bench' });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: new Uint8Array(csv) });
    const body = (await res.json()) as { Result?: { Count: number } };
    const seconds = (performance.now() - started) / 1000;
    const rss = await server.stopRss();
    if (body.Result?.Count !== rows) throw new Error(`import did not store every row: ${JSON.stringify(body).slice(0, 300)}`);
    const growth = (rss.peak - rss.base) / 1024 / 1024;
    console.log(`CSV        ${rows} rows, 8 columns (5 embedded data), ${mb(csv.length)} MB`);
    console.log(`baseline   csv-parse + one batched better-sqlite3 insert   ${base.toFixed(2)} s`);
    console.log(`insight    importPanel over HTTP, end to end              ${seconds.toFixed(2)} s (goal < 5 s) ${seconds < 5 ? 'MET' : 'NOT MET'}  ratio ${(seconds / base).toFixed(1)}x`);
    console.log(`server RSS ${mb(rss.base)} MB before, peak ${mb(rss.peak)} MB: growth ${growth.toFixed(1)} MB (goal < 150 MB) ${growth < 150 ? 'MET' : 'NOT MET'}`);
  } finally {
    server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') await serve();
else if (process.argv[1] === import.meta.filename) await main();

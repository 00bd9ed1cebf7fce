/**
 * bench/import-panel: importPanel of a generated 100,000-row CSV (5 embedded-data columns) over HTTP
 * against an Insight server in a child process on loopback. Prints end-to-end seconds (goal < 5 s)
 * and the server's peak RSS growth (sampled every 50 ms in the server, goal < 150 MB), and the
 * same-run baseline: csv-parse of the same CSV plus one batched raw better-sqlite3 insert.
 *
 *   node bin/run-ts.js bench/import-panel.ts [--rows 100000]
 *
 * The server half (BenchServer) is shared with bench/get-panel-csv.ts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const ROWS = 100_000;

/** Email, FirstName, LastName and 5 embedded-data columns, with a header. */
export function generateCsv(rows = ROWS): Buffer {
  const lines = ['Email,FirstName,LastName,Department,Region,Score,Cohort,Note'];
  for (let i = 0; i < rows; i++) {
    lines.push(`person${i}@example.com,First${i},"Last, ${i}",Dept ${i % 17},Region ${i % 5},${i % 100},C${i % 12},note number ${i}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

export interface ServerInfo {
  port: number;
  user: string;
  token: string;
  libraryId: string;
}

type Message = { type: 'ready'; info: ServerInfo } | { type: 'rss'; base: number; peak: number } | { type: 'panel'; panelId: string };

export class BenchServer {
  private constructor(
    readonly child: ChildProcess,
    readonly info: ServerInfo,
  ) {}

  static start(dataDir: string): Promise<BenchServer> {
    return new Promise((resolve, reject) => {
      const child = fork(join(import.meta.dirname, '..', 'bin', 'run-ts.js'), [import.meta.filename, 'serve'], { env: { ...process.env, BENCH_DATA_DIR: dataDir }, execArgv: ['--expose-gc'] });
      child.once('message', (m: Message) => (m.type === 'ready' ? resolve(new BenchServer(child, m.info)) : reject(new Error('unexpected message'))));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }

  private ask<T extends Message['type']>(command: unknown, type: T): Promise<Extract<Message, { type: T }>> {
    return new Promise((resolve) => {
      const on = (m: Message) => {
        if (m.type !== type) return;
        this.child.off('message', on);
        resolve(m as Extract<Message, { type: T }>);
      };
      this.child.on('message', on);
      this.child.send(command as object);
    });
  }

  /** Starts a fresh RSS window (after a GC) in the server. */
  async startRss(): Promise<void> {
    await this.ask({ cmd: 'rss-start' }, 'rss');
  }

  async stopRss(): Promise<{ base: number; peak: number }> {
    return this.ask({ cmd: 'rss-stop' }, 'rss');
  }

  /** Imports the benchmark CSV through the service (not timed), for the export benchmark. */
  async seedPanel(rows: number): Promise<string> {
    return (await this.ask({ cmd: 'seed', rows }, 'panel')).panelId;
  }

  url(params: Record<string, string>): string {
    const qs = new URLSearchParams({ ...params, User: this.info.user, Token: this.info.token, Version: '2.5', LibraryID: this.info.libraryId });
    return `http://127.0.0.1:${this.info.port}/WRAPI/ControlPanel/api.php?${qs}`;
  }

  stop(): void {
    this.child.kill();
  }
}

async function serve(): Promise<void> {
  const { loadConfig } = await import('../src/config.ts');
  const { openStore } = await import('../src/store/db.ts');
  const { migrate } = await import('../src/store/migrate.ts');
  const { createServices } = await import('../src/services/index.ts');
  const { buildApp } = await import('../src/server.ts');
  const { actorOf } = await import('../src/services/auth.ts');
  const { accountsStore } = await import('../src/store/accounts.ts');
  const dataDir = process.env.BENCH_DATA_DIR as string;
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SECRET_KEY: 'bench-secret-key-0123456789-0123456789' });
  const store = openStore({ dataDir, databaseUrl: process.env.BENCH_DATABASE_URL || undefined });
  await migrate(store);
  const services = createServices(config, store);
  await services.accounts.createBrand({ id: 'bench', name: 'Bench' });
  const user = await services.accounts.createUser(undefined, 'bench', { username: 'ann', password: 'bench-password', firstName: 'Ann', lastName: 'Lee', email: 'ann@bench.example', typeId: 'UT_STANDARD', api: true });
  const token = await services.accounts.generateTokenForUsername(user.username);
  const app = await buildApp(services, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  let base = 0;
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  process.on('message', async (m: { cmd: string; rows?: number }) => {
    if (m.cmd === 'rss-start') {
      globalThis.gc?.();
      base = peak = process.memoryUsage().rss;
      clearInterval(timer);
      timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      process.send?.({ type: 'rss', base, peak });
    } else if (m.cmd === 'rss-stop') {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      process.send?.({ type: 'rss', base, peak });
    } else if (m.cmd === 'seed') {
      const row = await accountsStore.findUserById(store.db, 'bench', user.id);
      const actor = actorOf(row as NonNullable<typeof row>);
      const mapping = services.panels.readMapping({ ColumnHeaders: true, Email: '1', FirstName: '2', LastName: '3', EmbeddedData: '4,5,6,7,8' });
      const result = await services.panels.importPanel(actor, user.id, generateCsv(m.rows), mapping, { name: 'bench' });
      process.send?.({ type: 'panel', panelId: result.panelId });
    }
  });
  process.send?.({ type: 'ready', info: { port: typeof addr === 'object' && addr ? addr.port : 0, user: user.username, token, libraryId: user.id } });
}

/** csv-parse of the CSV and one transaction of 500-row raw inserts into the same table and indexes. */
async function baseline(csv: Buffer): Promise<number> {
  const { parse } = await import('csv-parse');
  const SQLite = (await import('better-sqlite3')).default;
  const { randomBytes } = await import('node:crypto');
  const dir = mkdtempSync(join(tmpdir(), 'insight-bench-base-'));
  try {
    const db = new SQLite(join(dir, 'base.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE panel_members (id text primary key, brand_id text not null, panel_id text not null, position bigint not null, first_name text, last_name text,
      email text, external_ref text, language text, unsubscribed integer not null default 0, embedded_data text, created_at bigint not null, updated_at bigint not null);
      CREATE UNIQUE INDEX o ON panel_members (panel_id, position); CREATE INDEX e ON panel_members (panel_id, email);`);
    const started = performance.now();
    const rows: unknown[][] = [];
    const parser = parse(csv, { bom: true, relax_column_count: true, from_line: 2 });
    for await (const r of parser as AsyncIterable<string[]>) {
      const ed = JSON.stringify({ Department: r[3], Region: r[4], Score: r[5], Cohort: r[6], Note: r[7] });
      rows.push([`MLRP_${randomBytes(8).toString('hex').slice(0, 15)}`, 'bench', 'ML_x', rows.length + 1, r[1], r[2], r[0], null, null, 0, ed, 0, 0]);
    }
    const chunk = 500;
    const stmt = db.prepare(`INSERT INTO panel_members VALUES ${Array(chunk).fill(`(${Array(13).fill('?').join(',')})`).join(',')}`);
    const one = db.prepare(`INSERT INTO panel_members VALUES (${Array(13).fill('?').join(',')})`);
    db.transaction(() => {
      let i = 0;
      for (; i + chunk <= rows.length; i += chunk) stmt.run(rows.slice(i, i + chunk).flat());
      for (; i < rows.length; i++) one.run(rows[i]);
    })();
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return seconds;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { rows: { type: 'string', default: String(ROWS) } } });
  const rows = Number(values.rows);
  const csv = generateCsv(rows);
  const base = await baseline(csv);
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  const server = await BenchServer.start(dataDir);
  try {
    await server.startRss();
    const started = performance.now();
    const url = server.url({ Request: 'importPanel', Format: 'JSON', ColumnHeaders: '1', Email: '1', FirstName: '2', LastName: '3', EmbeddedData: '4,5,6,7,8', Name: 'bench' });
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
    server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') await serve();
else if (process.argv[1] === import.meta.filename) await main();

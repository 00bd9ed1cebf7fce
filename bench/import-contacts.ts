/**
 * bench/import-contacts: importContacts of a generated 100,000-row CSV (5 embedded-data columns) over
 * HTTP against an Insight server (with its job worker) in a child process on loopback, polling
 * checkImportContactsStatus every 50 ms until Complete. Prints end-to-end seconds for the first
 * import (all new contacts) and for importing the same file again (all merges), the slowest status
 * poll (how long other requests waited on the write), the server's peak RSS growth, and the same-run
 * baseline: csv-parse of the same CSV plus raw batched better-sqlite3 inserts (and, for the
 * re-import, one prepared UPDATE per row by ID) in one transaction.
 *
 *   node bin/run-ts.js bench/import-contacts.ts [--rows 100000]
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node bin/run-ts.js bench/import-contacts.ts
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROWS = 100_000;
const POLL_MS = 50;

/** Email, FirstName, LastName and 5 embedded-data columns, with a header (as bench/import-panel). */
function generateCsv(rows: number): Buffer {
  const lines = ['Email,FirstName,LastName,Department,Region,Score,Cohort,Note'];
  for (let i = 0; i < rows; i++) {
    lines.push(`person${i}@example.com,First${i},"Last, ${i}",Dept ${i % 17},Region ${i % 5},${i % 100},C${i % 12},note number ${i}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

interface ServerInfo {
  port: number;
  user: string;
  token: string;
  libraryId: string;
}

type Message = { type: 'ready'; info: ServerInfo } | { type: 'rss'; base: number; peak: number };

class Server {
  private constructor(
    readonly child: ChildProcess,
    readonly info: ServerInfo,
  ) {}

  static start(env: Record<string, string>): Promise<Server> {
    return new Promise((resolve, reject) => {
      const child = fork(join(import.meta.dirname, '..', 'bin', 'run-ts.js'), [import.meta.filename, 'serve'], { env: { ...process.env, ...env }, execArgv: ['--expose-gc'] });
      child.once('message', (m: Message) => (m.type === 'ready' ? resolve(new Server(child, m.info)) : reject(new Error('unexpected message'))));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
  }

  private rss(cmd: string): Promise<{ base: number; peak: number }> {
    return new Promise((resolve) => {
      const on = (m: Message) => {
        if (m.type !== 'rss') return;
        this.child.off('message', on);
        resolve(m);
      };
      this.child.on('message', on);
      this.child.send({ cmd });
    });
  }

  startRss = () => this.rss('rss-start');
  stopRss = () => this.rss('rss-stop');

  url(params: Record<string, string>): string {
    const qs = new URLSearchParams({ ...params, User: this.info.user, Token: this.info.token, Version: '2.5', Format: 'JSON', LibraryID: this.info.libraryId });
    return `http://127.0.0.1:${this.info.port}/WRAPI/Contacts/api.php?${qs}`;
  }

  /** Exits after closing its database (so a PostgreSQL schema can be dropped). */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.send({ cmd: 'stop' });
    });
  }
}

async function serve(): Promise<void> {
  const { loadConfig } = await import('../src/config.ts');
  const { openStore } = await import('../src/store/db.ts');
  const { migrate } = await import('../src/store/migrate.ts');
  const { createServices } = await import('../src/services/index.ts');
  const { buildApp } = await import('../src/server.ts');
  const dataDir = process.env.BENCH_DATA_DIR as string;
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SECRET_KEY: 'bench-secret-key-0123456789-0123456789' });
  const store = openStore({ dataDir, databaseUrl: process.env.BENCH_DATABASE_URL || undefined, ...(process.env.BENCH_PG_SCHEMA ? { pgSchema: process.env.BENCH_PG_SCHEMA } : {}) });
  await migrate(store);
  const services = createServices(config, store);
  await services.accounts.createBrand({ id: 'bench', name: 'Bench' });
  const user = await services.accounts.createUser(undefined, 'bench', { username: 'ann', password: 'bench-password', firstName: 'Ann', lastName: 'Lee', email: 'ann@bench.example', typeId: 'UT_STANDARD', api: true });
  const token = await services.accounts.generateTokenForUsername(user.username);
  const app = await buildApp(services, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const stopWorker = new AbortController();
  const working = services.jobs.work(stopWorker.signal, { pollMs: POLL_MS });
  const addr = app.server.address();
  let base = 0;
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  process.on('message', async (m: { cmd: string }) => {
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
    } else if (m.cmd === 'stop') {
      stopWorker.abort();
      await working;
      await app.close();
      await store.close();
      process.exit(0);
    }
  });
  process.send?.({ type: 'ready', info: { port: typeof addr === 'object' && addr ? addr.port : 0, user: user.username, token, libraryId: user.id } });
}

interface Timed {
  seconds: number;
  count: number;
  /** The slowest checkImportContactsStatus answer while the job ran. */
  slowestPollMs: number;
}

/** importContacts, then checkImportContactsStatus until Complete: the time a client waits. */
async function importOnce(server: Server, csv: Buffer, params: Record<string, string>): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(server.url({ Request: 'importContacts', ColumnHeaders: '1', Email: '1', FirstName: '2', LastName: '3', EmbeddedData: '4,5,6,7,8', ...params }), {
    method: 'POST',
    headers: { 'content-type': 'text/csv' },
    body: new Uint8Array(csv),
  });
  const answer = (await res.json()) as { Result?: { JobID: string; ListID: string } };
  if (!answer.Result) throw new Error(`importContacts failed: ${JSON.stringify(answer).slice(0, 300)}`);
  let slowestPollMs = 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const asked = performance.now();
    const status = (await (await fetch(server.url({ Request: 'checkImportContactsStatus', JobID: answer.Result.JobID }))).json()) as { Result: { Status: string; Count: number; Error?: string } };
    slowestPollMs = Math.max(slowestPollMs, performance.now() - asked);
    if (status.Result.Status === 'Complete') return { seconds: (performance.now() - started) / 1000, count: status.Result.Count, slowestPollMs };
    if (status.Result.Status === 'Failed') throw new Error(`import failed: ${status.Result.Error}`);
  }
}

/** csv-parse of the CSV, then one transaction of raw 500-row inserts (first import) or one prepared UPDATE per row (re-import). */
async function baseline(csv: Buffer): Promise<{ insert: number; update: number }> {
  const { parse } = await import('csv-parse');
  const SQLite = (await import('better-sqlite3')).default;
  const dir = mkdtempSync(join(tmpdir(), 'insight-bench-base-'));
  const read = async () => {
    const rows: unknown[][] = [];
    for await (const r of parse(csv, { bom: true, relax_column_count: true, from_line: 2 }) as AsyncIterable<string[]>) {
      const ed = JSON.stringify({ Department: r[3], Region: r[4], Score: r[5], Cohort: r[6], Note: r[7] });
      rows.push([`CID_${randomBytes(8).toString('hex').slice(0, 15)}`, 'bench', r[1], r[2], r[0], null, null, 0, ed, 0, 0]);
    }
    return rows;
  };
  try {
    const db = new SQLite(join(dir, 'base.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE contacts (id text primary key, brand_id text not null, first_name text, last_name text, email text, external_ref text, language text,
        unsubscribed integer not null default 0, embedded_data text, created_at bigint not null, updated_at bigint not null);
      CREATE INDEX c1 ON contacts (brand_id, id); CREATE INDEX c2 ON contacts (brand_id, email); CREATE INDEX c3 ON contacts (brand_id, external_ref);
      CREATE INDEX c4 ON contacts (brand_id, updated_at); CREATE INDEX c5 ON contacts (brand_id, lower(email));`);
    let started = performance.now();
    const rows = await read();
    const chunk = 500;
    const many = db.prepare(`INSERT INTO contacts VALUES ${Array(chunk).fill(`(${Array(11).fill('?').join(',')})`).join(',')}`);
    const one = db.prepare(`INSERT INTO contacts VALUES (${Array(11).fill('?').join(',')})`);
    db.transaction(() => {
      let i = 0;
      for (; i + chunk <= rows.length; i += chunk) many.run(rows.slice(i, i + chunk).flat());
      for (; i < rows.length; i++) one.run(rows[i]);
    })();
    const insert = (performance.now() - started) / 1000;
    started = performance.now();
    const again = await read();
    // By ID, as the baseline already knows them (SQLite's planner would scan for lower(email) = ?).
    const update = db.prepare('UPDATE contacts SET first_name = ?, last_name = ?, embedded_data = ?, updated_at = ? WHERE brand_id = ? AND id = ?');
    db.transaction(() => {
      again.forEach((r, i) => update.run(r[2], r[3], r[8], 1, 'bench', (rows[i] as unknown[])[0]));
    })();
    const seconds = (performance.now() - started) / 1000;
    db.close();
    return { insert, update: seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

async function pgQuery(url: string, text: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { rows: { type: 'string', default: String(ROWS) } } });
  const rows = Number(values.rows);
  const csv = generateCsv(rows);
  const base = await baseline(csv);
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  const pgUrl = process.env.BENCH_DATABASE_URL;
  const schema = pgUrl ? `bench_contacts_${randomBytes(4).toString('hex')}` : undefined;
  if (pgUrl && schema) await pgQuery(pgUrl, `CREATE SCHEMA ${schema}`);
  const server = await Server.start({ BENCH_DATA_DIR: dataDir, ...(schema ? { BENCH_PG_SCHEMA: schema } : {}) });
  try {
    await server.startRss();
    const first = await importOnce(server, csv, { Name: 'bench' });
    const again = await importOnce(server, csv, { Name: 'bench again' });
    const rss = await server.stopRss();
    for (const r of [first, again]) if (r.count !== rows) throw new Error(`import stored ${r.count} of ${rows} rows`);
    const line = (label: string, r: Timed, b: number) =>
      `${label} ${r.seconds.toFixed(2)} s  (baseline ${b.toFixed(2)} s, ratio ${(r.seconds / b).toFixed(1)}x; slowest status poll ${r.slowestPollMs.toFixed(0)} ms)`;
    console.log(`CSV          ${rows} rows, 8 columns (5 embedded data), ${mb(csv.length)} MB; database ${pgUrl ? 'PostgreSQL' : 'SQLite'}`);
    console.log(line('new contacts', first, base.insert));
    console.log(line('all merges  ', again, base.update));
    console.log(`baseline     csv-parse + raw batched better-sqlite3 INSERTs ${base.insert.toFixed(2)} s; csv-parse + one prepared UPDATE per row by ID ${base.update.toFixed(2)} s`);
    console.log(`server RSS   ${mb(rss.base)} MB before, peak ${mb(rss.peak)} MB: growth ${mb(rss.peak - rss.base)} MB`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (pgUrl && schema) await pgQuery(pgUrl, `DROP SCHEMA ${schema} CASCADE`);
  }
}

if (process.argv[2] === 'serve') await serve();
else if (process.argv[1] === import.meta.filename) await main();

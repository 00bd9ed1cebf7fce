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
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchServer, baselineDb, baselineRecords, bootInsight, generateCsv, insertBatched, mb, rowsOption, rssResponder } from './lib/harness.ts';

const POLL_MS = 50;

/** The bench server on the Contacts product, answering in JSON; it stops gracefully. */
class Server extends BenchServer {
  contactsUrl(params: Record<string, string>): string {
    return this.url('Contacts', { ...params, Format: 'JSON' });
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
  const { store, services, app, info } = await bootInsight({ pgSchema: process.env.BENCH_PG_SCHEMA });
  const stopWorker = new AbortController();
  const working = services.jobs.work(stopWorker.signal, { pollMs: POLL_MS });
  const answerRss = rssResponder();
  process.on('message', async (m: { cmd: string }) => {
    if (answerRss(m)) return;
    if (m.cmd === 'stop') {
      stopWorker.abort();
      await working;
      await app.close();
      await store.close();
      process.exit(0);
    }
  });
  process.send?.({ type: 'ready', info });
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
  const res = await fetch(server.contactsUrl({ Request: 'importContacts', ColumnHeaders: '1', Email: '1', FirstName: '2', LastName: '3', EmbeddedData: '4,5,6,7,8', ...params }), {
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
    const status = (await (await fetch(server.contactsUrl({ Request: 'checkImportContactsStatus', JobID: answer.Result.JobID }))).json()) as { Result: { Status: string; Count: number; Error?: string } };
    slowestPollMs = Math.max(slowestPollMs, performance.now() - asked);
    if (status.Result.Status === 'Complete') return { seconds: (performance.now() - started) / 1000, count: status.Result.Count, slowestPollMs };
    if (status.Result.Status === 'Failed') throw new Error(`import failed: ${status.Result.Error}`);
  }
}

/** csv-parse of the CSV, then one transaction of raw 500-row inserts (first import) or one prepared UPDATE per row (re-import). */
async function baseline(csv: Buffer): Promise<{ insert: number; update: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'insight-bench-base-'));
  const read = async () => {
    const rows: unknown[][] = [];
    for await (const { fields: r, embeddedData: ed } of baselineRecords(csv)) {
      rows.push([`CID_${randomBytes(8).toString('hex').slice(0, 15)}`, 'bench', r[1], r[2], r[0], null, null, 0, ed, 0, 0]);
    }
    return rows;
  };
  try {
    const db = baselineDb(
      join(dir, 'base.db'),
      `CREATE TABLE contacts (id text primary key, brand_id text not null, first_name text, last_name text, email text, external_ref text, language text,
        unsubscribed integer not null default 0, embedded_data text, created_at bigint not null, updated_at bigint not null);
      CREATE INDEX c1 ON contacts (brand_id, id); CREATE INDEX c2 ON contacts (brand_id, email); CREATE INDEX c3 ON contacts (brand_id, external_ref);
      CREATE INDEX c4 ON contacts (brand_id, updated_at); CREATE INDEX c5 ON contacts (brand_id, lower(email));`,
    );
    let started = performance.now();
    const rows = await read();
    insertBatched(db, 'contacts', rows);
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
  const rows = rowsOption();
  const csv = generateCsv(rows);
  const base = await baseline(csv);
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  const pgUrl = process.env.BENCH_DATABASE_URL;
  const schema = pgUrl ? `bench_contacts_${randomBytes(4).toString('hex')}` : undefined;
  if (pgUrl && schema) await pgQuery(pgUrl, `CREATE SCHEMA ${schema}`);
  const server = await Server.start(import.meta.filename, { BENCH_DATA_DIR: dataDir, ...(schema ? { BENCH_PG_SCHEMA: schema } : {}) });
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

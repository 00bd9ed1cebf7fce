/**
 * bench/get-panel-csv: getPanel Format=CSV of a 100,000-member panel (5 embedded-data columns
 * requested) over HTTP from an Insight server in a child process on loopback. Prints members/s
 * (goal ≥ 100k/s) and the server's RSS growth while streaming (goal: flat), with the same-run
 * baseline: a raw better-sqlite3 SELECT of the same rows through csv-stringify to /dev/null.
 *
 *   node bin/run-ts.js bench/get-panel-csv.ts [--rows 100000]
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import SQLite from 'better-sqlite3';
import { stringify } from 'csv-stringify';
import { mb, rowsOption } from './lib/harness.ts';
import { PanelServer } from './import-panel.ts';

const ED_KEYS = ['Department', 'Region', 'Score', 'Cohort', 'Note'];

/** The same rows read straight from the server's SQLite file and written as CSV to /dev/null. */
async function baseline(file: string, panelId: string): Promise<{ seconds: number; rows: number }> {
  const db = new SQLite(file, { readonly: true });
  try {
    const started = performance.now();
    let rows = 0;
    const stmt = db.prepare('SELECT id, first_name, last_name, email, external_ref, unsubscribed, embedded_data FROM panel_members WHERE panel_id = ? ORDER BY position');
    const source = Readable.from(
      (function* () {
        for (const r of stmt.iterate(panelId) as Iterable<Record<string, string | number | null>>) {
          rows++;
          const ed = JSON.parse((r.embedded_data as string | null) ?? '{}') as Record<string, string>;
          yield [r.id, r.first_name, r.last_name, r.email, r.external_ref, r.unsubscribed, ...ED_KEYS.map((k) => ed[k])];
        }
      })(),
    );
    await pipeline(source, stringify(), createWriteStream('/dev/null'));
    return { seconds: (performance.now() - started) / 1000, rows };
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const rows = rowsOption();
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  const server = await PanelServer.startPanel(dataDir);
  try {
    const panelId = await server.seedPanel(rows);
    const base = await baseline(join(dataDir, 'insight.db'), panelId);
    await server.startRss();
    const started = performance.now();
    const res = await fetch(server.url('ControlPanel', { Request: 'getPanel', Format: 'CSV', PanelID: panelId, EmbeddedData: ED_KEYS.join(',') }));
    let lines = 0;
    let bytes = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
    }
    const seconds = (performance.now() - started) / 1000;
    const rss = await server.stopRss();
    const members = lines - 1;
    if (res.status !== 200 || members !== rows) throw new Error(`getPanel answered ${res.status} with ${members} rows`);
    const rate = members / seconds;
    const growth = (rss.peak - rss.base) / 1024 / 1024;
    console.log(`panel      ${rows} members, CSV ${mb(bytes)} MB`);
    console.log(`baseline   raw SELECT + csv-stringify to /dev/null   ${(base.rows / base.seconds).toFixed(0).padStart(7)} members/s (${base.seconds.toFixed(2)} s)`);
    console.log(`insight    getPanel Format=CSV over HTTP             ${rate.toFixed(0).padStart(7)} members/s (${seconds.toFixed(2)} s) (goal ≥ 100000) ${rate >= 100_000 ? 'MET' : 'NOT MET'}`);
    console.log(`server RSS ${mb(rss.base)} MB before, peak ${mb(rss.peak)} MB: growth ${growth.toFixed(1)} MB (goal: flat)`);
  } finally {
    server.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

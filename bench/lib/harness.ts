/**
 * What every benchmark shares: the generated CSV, an Insight server booted in a child process (with
 * its RSS sampler), the parent's handle on that child, and the raw better-sqlite3 baseline pieces.
 * The child side imports src/ lazily so the parent (which only loads and measures) stays light.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import SQLite, { type Database } from 'better-sqlite3';
import { parse } from 'csv-parse';
import { SERVER_NODE_OPTIONS } from '../../src/cli/node-options.ts';

export const ROWS = 100_000;

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** The `--rows N` option every data benchmark takes. */
export function rowsOption(): number {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { rows: { type: 'string', default: String(ROWS) } } });
  return Number(values.rows);
}

/** Email, FirstName, LastName and 5 embedded-data columns, with a header. */
export function generateCsv(rows = ROWS): Buffer {
  const lines = ['Email,FirstName,LastName,Department,Region,Score,Cohort,Note'];
  for (let i = 0; i < rows; i++) {
    lines.push(`person${i}@example.com,First${i},"Last, ${i}",Dept ${i % 17},Region ${i % 5},${i % 100},C${i % 12},note number ${i}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

// ---- child side -------------------------------------------------------------------------------

export interface ServerInfo {
  port: number;
  user: string;
  token: string;
  libraryId: string;
}

/** Boots Insight on loopback with brand `bench` and API user `ann` (in the child process). */
export async function bootInsight(options: { pgSchema?: string } = {}) {
  const { loadConfig } = await import('../../src/config.ts');
  const { openStore } = await import('../../src/store/db.ts');
  const { migrate } = await import('../../src/store/migrate.ts');
  const { createServices } = await import('../../src/services/index.ts');
  const { buildApp } = await import('../../src/server.ts');
  const dataDir = process.env.BENCH_DATA_DIR as string;
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SECRET_KEY: 'bench-secret-key-0123456789-0123456789' });
  const store = openStore({ dataDir, databaseUrl: process.env.BENCH_DATABASE_URL || undefined, ...(options.pgSchema ? { pgSchema: options.pgSchema } : {}) });
  await migrate(store);
  const services = createServices(config, store);
  await services.accounts.createBrand({ id: 'bench', name: 'Bench' });
  const user = await services.accounts.createUser(undefined, 'bench', { username: 'ann', password: 'bench-password', firstName: 'Ann', lastName: 'Lee', email: 'ann@bench.example', typeId: 'UT_STANDARD', api: true });
  const token = await services.accounts.generateTokenForUsername(user.username);
  const app = await buildApp(services, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const info: ServerInfo = { port: typeof addr === 'object' && addr ? addr.port : 0, user: user.username, token, libraryId: user.id };
  const { actorOf } = await import('../../src/services/auth.ts');
  const { accountsStore } = await import('../../src/store/accounts.ts');
  const actor = actorOf((await accountsStore.findUserById(store.db, 'bench', user.id))!);
  return { store, services, app, user, token, info, actor };
}

/**
 * The child's RSS sampler: answers `rss-start` (GC, then a fresh window sampled every 50 ms) and
 * `rss-stop` with `{type: 'rss', base, peak}`. Returns whether it handled the command.
 */
export function rssResponder(): (m: { cmd: string }) => boolean {
  let base = 0;
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  return (m) => {
    if (m.cmd === 'rss-start') {
      globalThis.gc?.();
      base = peak = process.memoryUsage().rss;
      clearInterval(timer);
      timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    } else if (m.cmd === 'rss-stop') {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
    } else return false;
    process.send?.({ type: 'rss', base, peak });
    return true;
  };
}

// ---- parent side ------------------------------------------------------------------------------

/**
 * Forks `script role` through bin/run-ts.js and resolves with its first message. Children run with
 * the V8 options the server runs with (the hello-world baselines too: the same runtime for both).
 */
export function forkRole<M>(script: string, role: string, env: NodeJS.ProcessEnv, execArgv: string[] = []): Promise<{ child: ChildProcess; message: M }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, '..', '..', 'bin', 'run-ts.js'), [script, role], { env: { ...process.env, ...env }, execArgv: [...SERVER_NODE_OPTIONS, ...execArgv] });
    child.once('message', (message: M) => resolve({ child, message }));
    child.once('exit', (code) => reject(new Error(`${role === 'serve' ? '' : `${role} `}server exited with ${code}`)));
  });
}

/** The parent's handle on a child started with `script serve` that answers `{type: 'ready', info}`. */
export class BenchServer {
  constructor(
    readonly child: ChildProcess,
    readonly info: ServerInfo,
  ) {}

  /** Called on a subclass, resolves with an instance of that subclass. */
  static async start<S extends BenchServer>(this: new (child: ChildProcess, info: ServerInfo) => S, script: string, env: NodeJS.ProcessEnv): Promise<S> {
    const { child, message } = await forkRole<{ type: string; info: ServerInfo }>(script, 'serve', env, ['--expose-gc']);
    if (message.type !== 'ready') throw new Error('unexpected message');
    return new this(child, message.info);
  }

  /** Sends a command and resolves with the child's first answer of the given type. */
  ask<R extends { type: string }>(command: object, type: R['type']): Promise<R> {
    return new Promise((resolve) => {
      const on = (m: R) => {
        if (m.type !== type) return;
        this.child.off('message', on);
        resolve(m);
      };
      this.child.on('message', on);
      this.child.send(command);
    });
  }

  /** Starts a fresh RSS window (after a GC) in the server. */
  async startRss(): Promise<void> {
    await this.ask({ cmd: 'rss-start' }, 'rss');
  }

  stopRss(): Promise<{ base: number; peak: number }> {
    return this.ask<{ type: 'rss'; base: number; peak: number }>({ cmd: 'rss-stop' }, 'rss');
  }

  url(product: 'ControlPanel' | 'Contacts', params: Record<string, string>): string {
    const qs = new URLSearchParams({ ...params, User: this.info.user, Token: this.info.token, Version: '2.5', LibraryID: this.info.libraryId });
    return `http://127.0.0.1:${this.info.port}/WRAPI/${product}/api.php?${qs}`;
  }

  kill(): void {
    this.child.kill();
  }
}

// ---- raw baselines ----------------------------------------------------------------------------

/** The bench CSV parsed as the baseline reads it: the fields and the 5 embedded-data columns as JSON. */
export async function* baselineRecords(csv: Buffer): AsyncIterable<{ fields: string[]; embeddedData: string }> {
  for await (const r of parse(csv, { bom: true, relax_column_count: true, from_line: 2 }) as AsyncIterable<string[]>) {
    yield { fields: r, embeddedData: JSON.stringify({ Department: r[3], Region: r[4], Score: r[5], Cohort: r[6], Note: r[7] }) };
  }
}

/** A durable (WAL, synchronous FULL) SQLite file like the server's, with the given schema. */
export function baselineDb(file: string, ddl: string): Database {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(ddl);
  return db;
}

/** Inserts every row in one transaction of 500-row statements (the rest one by one). */
export function insertBatched(db: Database, table: string, rows: unknown[][]): void {
  if (rows.length === 0) return;
  const width = rows[0].length;
  const chunk = 500;
  const many = db.prepare(`INSERT INTO ${table} VALUES ${Array(chunk).fill(`(${Array(width).fill('?').join(',')})`).join(',')}`);
  const one = db.prepare(`INSERT INTO ${table} VALUES (${Array(width).fill('?').join(',')})`);
  db.transaction(() => {
    let i = 0;
    for (; i + chunk <= rows.length; i += chunk) many.run(rows.slice(i, i + chunk).flat());
    for (; i < rows.length; i++) one.run(rows[i]);
  })();
}

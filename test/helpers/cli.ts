import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_DATABASE_URL, createPgSchema, dropPgSchema } from './app.ts';

export const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'insight.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A database of its own for CLI runs: a SQLite DATA_DIR, or a PostgreSQL schema chosen through the URL. */
export async function cliDatabase(): Promise<{ env: Record<string, string>; dataDir: string; pgSchema?: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-cli-'));
  const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
  let pgSchema: string | undefined;
  if (TEST_DATABASE_URL) {
    pgSchema = await createPgSchema('c');
    env.DATABASE_URL = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${pgSchema}`)}`;
  }
  return {
    env,
    dataDir,
    pgSchema,
    async close() {
      if (pgSchema) await dropPgSchema(pgSchema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `insight …` as a user would, with only the given environment added. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Starts `insight worker` as a real process (its output ignored); the caller kills it. */
export function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [BIN, 'worker'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: 'ignore' });
}

/** Polls `check` until it holds; throws after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

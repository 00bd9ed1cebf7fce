import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { SERVER_NODE_OPTIONS } from '../../src/cli/node-options.ts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createServices } from '../../src/services/index.ts';
import { openStore } from '../../src/store/db.ts';
import { BIN, cliDatabase, runCli } from '../helpers/cli.ts';

// Each case starts real processes; on a busy two-core machine that takes seconds.
vi.setConfig({ testTimeout: 120_000 });

let db: Awaited<ReturnType<typeof cliDatabase>>;

beforeAll(async () => {
  db = await cliDatabase();
});
afterAll(async () => db?.close());

/** Checks a token against the same database the CLI wrote, through the auth service. */
async function tokenWorks(username: string, token: string): Promise<boolean> {
  const config = loadConfig({ ...db.env, SECRET_KEY: 'x'.repeat(40) });
  const store = openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    await createServices(config, store).auth.authenticateToken(username, token);
    return true;
  } catch {
    return false;
  } finally {
    await store.close();
  }
}

describe('insight CLI', () => {
  it('runs as an executable (its first line) and as npm start with the server\'s V8 options', async () => {
    const firstLine = readFileSync(BIN, 'utf8').split('\n')[0];
    const start = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }).scripts.start;
    for (const option of SERVER_NODE_OPTIONS) {
      expect(firstLine).toContain(` ${option}`);
      expect(start).toContain(` ${option} `);
    }
    // Through the first line, as `npx insight` runs it (not `node bin/insight.js`).
    const direct = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(BIN, ['help'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...db.env } });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(direct.code).toBe(0);
    expect(direct.out).toMatch(/^Usage: insight <command>/);
  });

  it('migrates twice at once without error, then reports the database up to date', async () => {
    const [a, b] = await Promise.all([runCli(['migrate'], db.env), runCli(['migrate'], db.env)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(a.stdout + b.stdout).toContain('0001_foundation');
    const again = await runCli(['migrate'], db.env);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('The database is up to date.');
  });

  it('creates a brand and refuses a duplicate with one clear line', async () => {
    const ok = await runCli(['brand', 'create', '--id', 'acme', '--name', 'Acme Research', '--max-users', '3'], db.env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ BrandID: 'acme', Name: 'Acme Research', MaxUsers: 3, MaxActiveSurveys: null });
    const dup = await runCli(['brand', 'create', '--id', 'acme', '--name', 'Again'], db.env);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr.trim().split('\n')).toEqual(['insight: The brand acme already exists.']);
    const bad = await runCli(['brand', 'create', '--id', 'acme', '--name', 'X', '--max-users', 'many'], db.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-users must be a whole number');
  });

  it('creates users as name#brand, prints the token only with --token, and the token authenticates', async () => {
    const plain = await runCli(['user', 'create', '--brand', 'acme', '--username', 'bob', '--password', 'secret-pw'], db.env);
    expect(plain.code).toBe(0);
    const bob = JSON.parse(plain.stdout);
    expect(Object.keys(bob)).toEqual(['UserID', 'Username', 'BrandID']);
    expect(bob.UserID).toMatch(/^UR_[0-9a-e][0-9A-Za-z]{14}$/);
    expect(bob.Username).toBe('bob#acme');

    const res = await runCli(
      ['user', 'create', '--brand', 'acme', '--username', 'ann', '--password', 'secret-pw', '--first', 'Ann', '--last', 'Lee', '--email', 'ann@acme.example', '--type', 'brand-admin', '--api', '--token'],
      db.env,
    );
    expect(res.code).toBe(0);
    const ann = JSON.parse(res.stdout);
    expect(ann).toMatchObject({ Username: 'ann#acme', BrandID: 'acme' });
    expect(ann.Token).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(await tokenWorks('ann#acme', ann.Token)).toBe(true);
    expect(await tokenWorks('ann', ann.Token)).toBe(true);

    const again = await runCli(['token', 'generate', '--username', 'ann#acme'], db.env);
    expect(again.code).toBe(0);
    const fresh = again.stdout.trim();
    expect(fresh).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(await tokenWorks('ann#acme', ann.Token)).toBe(false);
    expect(await tokenWorks('ann#acme', fresh)).toBe(true);
  });

  it('explains bad user input in one line and exits non-zero', async () => {
    const cases: Array<[string[], string]> = [
      [['user', 'create', '--brand', 'nope', '--username', 'x', '--password', 'secret-pw'], 'no brand with ID "nope"'],
      [['user', 'create', '--brand', 'acme', '--username', 'x#other', '--password', 'secret-pw'], 'parameter NewUsername'],
      [['user', 'create', '--brand', 'acme', '--username', 'y', '--password', 'short'], 'parameter NewPassword'],
      [['user', 'create', '--brand', 'acme', '--username', 'z', '--password', 'secret-pw', '--type', 'root'], '--type must be brand-admin or standard'],
      [['user', 'create', '--brand', 'acme', '--username', 'bob', '--password', 'secret-pw'], 'bob#acme is already taken'],
      [['token', 'generate', '--username', 'ghost#acme'], 'Username'],
      [['frobnicate'], 'unknown command'],
      [['user', 'create', '--bogus'], "Unknown option '--bogus'"],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args, db.env)));
    for (const [i, [args, text]] of cases.entries()) {
      const r = results[i]!;
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toContain(text);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
  });

  it('enforces the brand licence limit on users', async () => {
    // acme allows 3 users: bob and ann exist, one more fits, the next does not.
    expect((await runCli(['user', 'create', '--brand', 'acme', '--username', 'cy', '--password', 'secret-pw'], db.env)).code).toBe(0);
    const full = await runCli(['user', 'create', '--brand', 'acme', '--username', 'dee', '--password', 'secret-pw'], db.env);
    expect(full.code).toBe(1);
    expect(full.stderr.trim()).toBe('insight: The maximum number of user accounts has been reached for this organization.');
  });

  it('refuses a bad configuration value with one line naming the variable', async () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['LOG_LEVEL', 'loud'],
      ['DATABASE_URL', 'mysql://x'],
      ['PUBLIC_URL', 'ftp://x'],
      ['SECRET_KEY', 'short'],
    ] as const) {
      const r = await runCli(['migrate'], { ...db.env, [name]: value });
      expect(r.code, name).toBe(1);
      expect(r.stderr.trim().split('\n'), name).toHaveLength(1);
      expect(r.stderr, name).toContain(`${name}=`);
    }
  });
});

describe('insight serve', () => {
  it('prints the URL and, on the first start only, the bootstrap login; stops cleanly on SIGTERM', async () => {
    const fresh = await cliDatabase();
    try {
      const first = await serveOnce(fresh.env);
      expect(first.stdout).toMatch(/Insight is running at http:\/\/(localhost|127\.0\.0\.1):\d+\//);
      expect(first.stdout).toContain('username: admin#default');
      const password = /password: (\S+)/.exec(first.stdout)?.[1];
      expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
      expect(first.code).toBe(0);
      const second = await serveOnce(fresh.env);
      expect(second.stdout).toContain('Insight is running at');
      expect(second.stdout).not.toContain('password:');
      expect(second.code).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});

/** Starts `insight serve` on a free port, waits for its banner, checks it answers, then sends SIGTERM. */
function serveOnce(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve'], { env: { PATH: process.env.PATH ?? '', ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', async (d: Buffer) => {
      stdout += d.toString();
      const m = /running at (http:\/\/\S+?)\/ /.exec(stdout);
      if (m && !signalled && stdout.includes('\n')) {
        signalled = true;
        try {
          const res = await fetch(`${m[1]!.replace('localhost', '127.0.0.1')}/WRAPI/ControlPanel/api.php?Request=getUserInfo&Format=JSON`);
          if (res.status !== 400) throw new Error(`unexpected status ${res.status}`);
        } catch (e) {
          reject(e);
        }
        child.kill('SIGTERM');
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!signalled) reject(new Error(`insight serve exited with ${code} before it was ready: ${stderr}`));
      else resolve({ code, stdout });
    });
  });
}

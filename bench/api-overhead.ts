/**
 * bench/api-overhead: requests/s of an authenticated trivial Request (getUserInfo, JSON) against a
 * bare Fastify hello-world, both served on loopback by a child process and loaded by autocannon from
 * this one, in the same run. Prints both figures and the ratio (goal ≥ 0.4).
 *
 *   node bin/run-ts.js bench/api-overhead.ts [--seconds 5] [--connections 50]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const role = process.argv[2];

async function serveHello(): Promise<void> {
  const Fastify = (await import('fastify')).default;
  const app = Fastify({ logger: false });
  app.get('/', async () => ({ hello: 'world' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0, path: '/' });
}

async function serveInsight(): Promise<void> {
  const { loadConfig } = await import('../src/config.ts');
  const { openStore } = await import('../src/store/db.ts');
  const { migrate } = await import('../src/store/migrate.ts');
  const { createServices } = await import('../src/services/index.ts');
  const { buildApp } = await import('../src/server.ts');
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
  const qs = new URLSearchParams({ Request: 'getUserInfo', User: user.username, Token: token, Format: 'JSON', Version: '2.5' });
  process.send?.({ port: typeof addr === 'object' && addr ? addr.port : 0, path: `/WRAPI/ControlPanel/api.php?${qs}` });
}

function start(which: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, '..', 'bin', 'run-ts.js'), [import.meta.filename, which], { env: { ...process.env, ...env } });
    child.once('message', (m: { port: number; path: string }) => resolve({ child, url: `http://127.0.0.1:${m.port}${m.path}` }));
    child.once('exit', (code) => reject(new Error(`${which} server exited with ${code}`)));
  });
}

async function load(url: string, seconds: number, connections: number): Promise<{ rps: number; p99: number; errors: number }> {
  const result = await autocannon({ url, duration: seconds, connections, pipelining: 1 });
  return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function orchestrate(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' } } });
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  try {
    const hello = await start('serve-hello');
    await load(hello.url, 1, connections); // warm-up
    const base = await load(hello.url, seconds, connections);
    hello.child.kill();
    const insight = await start('serve-insight', { BENCH_DATA_DIR: dataDir });
    const check = await fetch(insight.url).then((r) => r.json() as Promise<{ Meta: { Status: string } }>);
    if (check.Meta.Status !== 'Success') throw new Error(`getUserInfo did not succeed: ${JSON.stringify(check)}`);
    await load(insight.url, 1, connections);
    const api = await load(insight.url, seconds, connections);
    insight.child.kill();
    const ratio = api.rps / base.rps;
    console.log(`baseline  Fastify hello-world      ${base.rps.toFixed(0).padStart(7)} req/s  p99 ${base.p99} ms  errors ${base.errors}`);
    console.log(`insight   getUserInfo (auth, JSON) ${api.rps.toFixed(0).padStart(7)} req/s  p99 ${api.p99} ms  errors ${api.errors}`);
    console.log(`ratio     ${ratio.toFixed(2)} (goal ≥ 0.40) ${ratio >= 0.4 ? 'MET' : 'NOT MET'}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (role === 'serve-hello') await serveHello();
else if (role === 'serve-insight') await serveInsight();
else await orchestrate();

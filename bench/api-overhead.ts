/**
 * bench/api-overhead: requests/s of an authenticated trivial Request (getUserInfo, JSON) against a
 * bare Fastify hello-world, both served on loopback by a child process and loaded by autocannon from
 * this one, in the same run. Prints both figures and the ratio (goal ≥ 0.4).
 *
 *   node bin/run-ts.js bench/api-overhead.ts [--seconds 5] [--connections 50]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { bootInsight, forkRole } from './lib/harness.ts';

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
  const { user, token, info } = await bootInsight();
  const qs = new URLSearchParams({ Request: 'getUserInfo', User: user.username, Token: token, Format: 'JSON', Version: '2.5' });
  process.send?.({ port: info.port, path: `/WRAPI/ControlPanel/api.php?${qs}` });
}

async function start(which: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  const { child, message } = await forkRole<{ port: number; path: string }>(import.meta.filename, which, env);
  return { child, url: `http://127.0.0.1:${message.port}${message.path}` };
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

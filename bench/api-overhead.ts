/**
 * bench/api-overhead: requests/s of an authenticated trivial Request (getUserInfo, JSON) against a
 * bare Fastify hello-world, both served on loopback by child processes and loaded by autocannon from
 * this one, in the same run (alternating rounds). Prints both figures and the ratio (goal ≥ 0.4).
 *
 *   node bin/run-ts.js bench/api-overhead.ts [--seconds 10] [--rounds 5] [--connections 50]
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

/**
 * The two servers are loaded in alternating rounds rather than one after the other: on a shared
 * machine the speed available drifts by more than the difference being measured, and alternating
 * gives each round's pair the same conditions. Prints the totals and the median of the rounds' ratios.
 */
async function orchestrate(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' }, rounds: { type: 'string', default: '5' } } });
  const rounds = Math.max(1, Number(values.rounds));
  const slice = Number(values.seconds) / rounds;
  const connections = Number(values.connections);
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  const children: ChildProcess[] = [];
  try {
    const hello = await start('serve-hello');
    children.push(hello.child);
    const insight = await start('serve-insight', { BENCH_DATA_DIR: dataDir });
    children.push(insight.child);
    const check = await fetch(insight.url).then((r) => r.json() as Promise<{ Meta: { Status: string } }>);
    if (check.Meta.Status !== 'Success') throw new Error(`getUserInfo did not succeed: ${JSON.stringify(check)}`);
    await load(hello.url, 1, connections); // warm-up
    await load(insight.url, 1, connections);
    const base: Array<Awaited<ReturnType<typeof load>>> = [];
    const api: Array<Awaited<ReturnType<typeof load>>> = [];
    for (let r = 0; r < rounds; r++) {
      base.push(await load(hello.url, slice, connections));
      api.push(await load(insight.url, slice, connections));
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ratios = api.map((a, i) => a.rps / (base[i] as { rps: number }).rps).sort((a, b) => a - b);
    const ratio = ratios[Math.floor(ratios.length / 2)] as number;
    const line = (xs: typeof base) => `${mean(xs.map((x) => x.rps)).toFixed(0).padStart(7)} req/s  p99 ${Math.max(...xs.map((x) => x.p99))} ms  errors ${xs.reduce((n, x) => n + x.errors, 0)}`;
    console.log(`baseline  Fastify hello-world      ${line(base)}`);
    console.log(`insight   getUserInfo (auth, JSON) ${line(api)}`);
    console.log(`rounds    ${rounds} × ${slice.toFixed(1)} s each, alternating; ratios ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`ratio     ${ratio.toFixed(2)} (median of the rounds; goal ≥ 0.40) ${ratio >= 0.4 ? 'MET' : 'NOT MET'}`);
  } finally {
    for (const child of children) child.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (role === 'serve-hello') await serveHello();
else if (role === 'serve-insight') await serveInsight();
else await orchestrate();

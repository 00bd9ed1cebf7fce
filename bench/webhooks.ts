/**
 * bench/webhooks: 10,000 completed responses → 10,000 webhook deliveries to a local receiver.
 *
 * Respondents finish a one-page survey through services.respondent (the same path as the web
 * form, minus HTTP), 100 at a time, first on a survey nobody subscribed to, then on one with a
 * subscription; the submit latency of both runs is printed side by side (the subscription adds one
 * INSERT … SELECT to the response's group-commit write, and nothing else: delivery is off the
 * request path). Then job workers deliver everything to a receiver on loopback (in a child process,
 * so it does not share this event loop) and deliveries/s is printed.
 *
 *   node bin/run-ts.js bench/webhooks.ts [--responses 10000] [--workers 8]
 *   BENCH_DATABASE_URL=postgres://… to run on PostgreSQL (a schema of its own).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildQsf, te } from '../test/helpers/qsf.ts';

const CONCURRENCY = 100;

if (process.argv[2] === 'receiver') {
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count += 1;
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
  process.on('message', (m: string) => (m === 'count' ? process.send?.({ count }) : process.exit(0)));
} else {
  await main();
}

function ask<T>(child: ChildProcess, message: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(message);
  });
}

function percentile(sorted: number[], p: number): string {
  return (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0).toFixed(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { responses: { type: 'string', default: '10000' }, workers: { type: 'string', default: '8' } } });
  const total = Number(values.responses);
  const { loadConfig } = await import('../src/config.ts');
  const { openStore } = await import('../src/store/db.ts');
  const { migrate } = await import('../src/store/migrate.ts');
  const { createServices } = await import('../src/services/index.ts');
  const { actorOf } = await import('../src/services/auth.ts');
  const { accountsStore } = await import('../src/store/accounts.ts');
  const { WEBHOOK_JOB } = await import('../src/store/subscriptions.ts');

  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-webhooks-'));
  const databaseUrl = process.env.BENCH_DATABASE_URL || undefined;
  const pgSchema = databaseUrl ? `bench_webhooks_${Date.now()}` : undefined;
  if (databaseUrl && pgSchema) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query(`CREATE SCHEMA ${pgSchema}`);
    await c.end();
  }
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SECRET_KEY: 'bench-secret-key-0123456789-0123456789', ALLOW_PRIVATE_URLS: '1' });
  const store = openStore({ dataDir, databaseUrl, ...(pgSchema ? { pgSchema } : {}) });
  await migrate(store);
  const services = createServices(config, store);
  await services.accounts.createBrand({ id: 'bench', name: 'Bench' });
  const user = await services.accounts.createUser(undefined, 'bench', { username: 'ann', password: 'bench-password', firstName: 'Ann', lastName: 'Lee', email: 'ann@bench.example', typeId: 'UT_STANDARD', api: true });
  const actor = actorOf((await accountsStore.findUserById(store.db, 'bench', user.id))!);
  const qsf = buildQsf({ name: 'Webhook bench', pages: [['QID1']], questions: [te('QID1', 'Q1')] });
  const importSurvey = () => services.surveys.importSurvey(actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });
  const plain = await importSurvey();
  const watched = await importSurvey();

  const receiver = fork(new URL(import.meta.url).pathname, ['receiver'], { execArgv: ['--import', 'tsx'] });
  const { port } = await new Promise<{ port: number }>((resolve) => receiver.once('message', (m) => resolve(m as { port: number })));
  await services.subscriptions.subscribe(actor, { name: 'bench', publicationUrl: `http://127.0.0.1:${port}/hook`, topics: `surveyengine.completedResponse.${watched}`, sharedKey: 'bench-key' });

  const visitor = { ip: '127.0.0.1', userAgent: 'bench' };
  /** Completes `n` responses, `CONCURRENCY` at a time; the latency of each finishing submit, sorted. */
  async function respond(surveyId: string, n: number): Promise<{ latencies: number[]; seconds: number }> {
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) {
        next += 1;
        const entry = await services.respondent.enter({ ...visitor, surveyId, mode: 'anonymous', query: {} });
        if (entry.kind !== 'page') throw new Error('no page');
        const t0 = performance.now();
        const end = await services.respondent.submit({ ...visitor, surveyId, sessionId: entry.page.sessionId, pageToken: entry.page.pageToken, action: 'next', answers: { QID1: { text: { '': 'benchmark answer' } } }, confirmSoft: false });
        latencies.push(performance.now() - t0);
        if (end.kind !== 'end') throw new Error('not finished');
      }
    }));
    return { latencies: latencies.sort((a, b) => a - b), seconds: (performance.now() - started) / 1000 };
  }

  await respond(plain, Math.min(500, total)); // warm-up (JIT, caches)
  const without = await respond(plain, total);
  const withSub = await respond(watched, total);
  const queued = Number((await store.db.selectFrom('jobs').select((eb) => eb.fn.countAll<string | number>().as('n')).where('kind', '=', WEBHOOK_JOB).executeTakeFirstOrThrow()).n);

  const abort = new AbortController();
  const t0 = performance.now();
  const workers = Array.from({ length: Number(values.workers) }, () => services.jobs.work(abort.signal, { pollMs: 50 }));
  let delivered = 0;
  while (delivered < total) {
    await new Promise((r) => setTimeout(r, 100));
    delivered = (await ask<{ count: number }>(receiver, 'count')).count;
  }
  const deliverSeconds = (performance.now() - t0) / 1000;
  abort.abort();
  await Promise.all(workers);

  const row = (label: string, r: { latencies: number[]; seconds: number }) =>
    `${label.padEnd(22)} ${(total / r.seconds).toFixed(0).padStart(7)} responses/s   submit p50 ${percentile(r.latencies, 50)} ms  p95 ${percentile(r.latencies, 95)} ms  p99 ${percentile(r.latencies, 99)} ms`;
  console.log(`webhooks bench (${store.dialect}, ${total} responses, ${CONCURRENCY} concurrent respondents, ${values.workers} job workers)`);
  console.log(row('without subscription', without));
  console.log(row('with subscription', withSub));
  console.log(`delivery jobs queued   ${queued} (expected ${total})`);
  console.log(`deliveries             ${delivered} in ${deliverSeconds.toFixed(2)} s = ${(delivered / deliverSeconds).toFixed(0)} deliveries/s`);

  receiver.send('exit');
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (databaseUrl && pgSchema) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query(`DROP SCHEMA ${pgSchema} CASCADE`);
    await c.end();
  }
}

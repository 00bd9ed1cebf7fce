import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { formatDateTime } from '../../src/domain/dates.ts';
import { createServices } from '../../src/services/index.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { TestEnv } from '../helpers/app.ts';
import { cliDatabase, spawnWorker, until } from '../helpers/cli.ts';
import { seedMailFixture, startSink, type Sink } from '../helpers/mail.ts';

/**
 * Exactly-once under SIGKILL: a real `insight worker` process is killed in the middle of a panel
 * send and a new one started. Every recipient must get their message; a message may reach the sink
 * twice only if its row was still 'sending' at the kill (the documented SMTP window), and then with
 * the same Message-ID.
 */
const N = 600;
let db: Awaited<ReturnType<typeof cliDatabase>>;
let store: Store;
let sink: Sink;
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await cliDatabase();
  sink = await startSink();
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await store?.close();
  await sink?.close();
  await db?.close();
});

function startWorker(): ChildProcess {
  const child = spawnWorker({ ...db.env, SMTP_URL: sink.url, PUBLIC_URL: 'http://insight.test', SECRET_KEY: 'crash-test-secret-key-0123456789abcdef' });
  children.push(child);
  return child;
}

it('a worker killed mid-send and restarted neither loses nor duplicates an invitation', { timeout: 120_000 }, async () => {
  const config = loadConfig({ ...db.env, PUBLIC_URL: 'http://insight.test', SECRET_KEY: 'crash-test-secret-key-0123456789abcdef', LOG_LEVEL: 'silent' });
  store = openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  await migrate(store);
  const services = createServices(config, store);
  const env = { services, store } as unknown as TestEnv;
  const f = await seedMailFixture(env, 'acme', N);
  const id = await services.distributions.sendToPanel(f.user.actor, {
    surveyId: f.surveyId, sendDate: formatDateTime(Date.now(), 'America/Denver'), fromEmail: 'r@acme.example', fromName: 'R', subject: 'Hi ${m://FirstName}',
    messageId: f.inviteId, messageLibraryId: f.library, panelId: f.panelId, panelLibraryId: f.library,
  });

  const t0 = performance.now();
  const first = startWorker();
  await until(() => sink.received.length >= N / 4, 60_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const atKill = sink.received.length;
  const stranded = await store.db.selectFrom('distribution_recipients').select('mail_message_id').where('distribution_id', '=', id).where('status', '=', 'sending').execute();
  expect(atKill).toBeLessThan(N);
  // The dead worker's lease would run out after a minute; the test stands in for that minute.
  await store.db.updateTable('jobs').set({ locked_until: 0 }).where('status', '=', 'running').execute();

  const restartAt = performance.now();
  const second = startWorker();
  await until(async () => (await store.db.selectFrom('distributions').select('status').where('id', '=', id).executeTakeFirst())?.status === 'Done', 90_000);
  second.kill('SIGTERM');
  await new Promise((r) => second.once('exit', r));

  const byId = new Map<string, number>();
  for (const m of sink.received) byId.set(m.messageId, (byId.get(m.messageId) ?? 0) + 1);
  const expected = f.members.map((m) => `<${id}.${m.id}@insight.test>`);
  expect([...byId.keys()].sort()).toEqual([...expected].sort());
  const twice = [...byId.entries()].filter(([, n]) => n > 1).map(([k]) => k);
  const window = new Set(stranded.map((r) => r.mail_message_id));
  for (const k of twice) expect(window.has(k)).toBe(true);
  expect(Math.max(...byId.values())).toBeLessThanOrEqual(2);
  const rows = await store.db.selectFrom('distribution_recipients').select('status').where('distribution_id', '=', id).execute();
  expect(rows.every((r) => r.status === 'sent')).toBe(true);
  console.log(`crash test (${Math.round(performance.now() - t0)} ms): killed after ${atKill}/${N} delivered, ${stranded.length} in flight at the kill, ${twice.length} delivered twice, restart to done ${Math.round(performance.now() - restartAt)} ms`);
});

/**
 * bench/send-panel: sendSurveyToPanel to a 100,000-member panel. Prints how long the call takes
 * (goal < 1 s: it only queues), then the send job's delivery rate into a local SMTP sink (goal
 * ≥ 1,000 msg/s), and, as the same-run baseline, nodemailer's raw rate: its own sendMail over a pool
 * of the size Insight uses (SMTP_POOL_SIZE, default 10), same sink, a fixed pre-rendered message, no
 * database.
 *
 *   node bin/run-ts.js bench/send-panel.ts [--rows 100000]
 *
 * The sink (smtp-server) runs in a child process so it does not share the sender's event loop.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { rowsOption } from './lib/harness.ts';

async function sink(): Promise<void> {
  const { SMTPServer } = await import('smtp-server');
  let count = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'], authOptional: true, logger: false, maxClients: 500,
    onData(stream, _s, cb) {
      stream.on('data', () => undefined);
      stream.on('end', () => { count++; cb(); });
    },
  });
  server.on('error', () => undefined);
  server.listen(0, '127.0.0.1', () => {
    const a = server.server.address();
    process.send?.({ port: typeof a === 'object' && a ? a.port : 0 });
  });
  process.on('message', (m: { cmd: string }) => { if (m.cmd === 'count') process.send?.({ count }); });
}

function ask(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { count: number }) => resolve(m.count));
    child.send({ cmd: 'count' });
  });
}

async function waitFor(child: ChildProcess, target: number): Promise<void> {
  while ((await ask(child)) < target) await new Promise((r) => setTimeout(r, 50));
}

async function main(): Promise<void> {
  const rows = rowsOption();
  // Through bin/run-ts.js so the child loads TypeScript too.
  const child = fork(join(import.meta.dirname, '..', 'bin', 'run-ts.js'), [import.meta.filename, '--sink']);
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const smtpUrl = `smtp://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-send-'));
  try {
    const { loadConfig } = await import('../src/config.ts');
    const { openStore } = await import('../src/store/db.ts');
    const { migrate } = await import('../src/store/migrate.ts');
    const { createServices } = await import('../src/services/index.ts');
    const { newId } = await import('../src/domain/ids.ts');
    const { formatDateTime } = await import('../src/domain/dates.ts');
    const { panelsStore } = await import('../src/store/panels.ts');
    const { actorOf } = await import('../src/services/auth.ts');
    const { accountsStore } = await import('../src/store/accounts.ts');
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SMTP_URL: smtpUrl, PUBLIC_URL: 'http://insight.bench', SMTP_POOL_SIZE: process.env.SMTP_POOL_SIZE });
    const store = openStore({ dataDir, databaseUrl: config.databaseUrl });
    await migrate(store);
    const services = createServices(config, store);
    await services.accounts.createBrand({ id: 'bench', name: 'Bench', maxUsers: null });
    const user = await services.accounts.createUser(undefined, 'bench', { username: 'ann', password: 'pw-ann-secret-123', firstName: 'Ann', lastName: 'B', email: 'a@b.example', typeId: 'UT_STANDARD', api: true });
    const actor = actorOf((await accountsStore.findUserById(store.db, 'bench', user.id))!);
    const qsf = JSON.stringify({ SurveyEntry: { SurveyName: 'Bench' }, SurveyElements: [] });
    const surveyId = await services.surveys.importSurvey(actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: false }).catch(() => '');
    const panel = await services.panels.createPanel(actor, user.id, 'Big');
    const now = Date.now();
    const members = Array.from({ length: rows }, (_, i) => ({
      id: newId('MLRP'), brand_id: 'bench', panel_id: panel.id, position: i + 1, first_name: `First${i}`, last_name: `Last${i}`, email: `person${i}@example.com`,
      external_ref: null, language: null, unsubscribed: 0, embedded_data: JSON.stringify({ Dept: `D${i % 17}` }), created_at: now, updated_at: now,
    }));
    await store.db.transaction().execute((trx) => panelsStore.insertMembers(trx, members));
    const message = await services.messages.create(actor, user.id, {
      category: 'InviteEmails', name: 'Invite', body: '<p>Dear ${m://FirstName} ${m://LastName} (${e://Field/Dept}),</p><p>${l://SurveyLink?d=Take the survey}</p><p>${l://OptOutLink}</p>',
    });
    if (!surveyId) throw new Error('survey import failed');

    const t0 = performance.now();
    await services.distributions.sendToPanel(actor, {
      surveyId, sendDate: formatDateTime(Date.now(), 'America/Denver'), fromEmail: 'r@bench.example', fromName: 'Bench', subject: 'Hi ${m://FirstName}',
      messageId: message.id, messageLibraryId: user.id, panelId: panel.id, panelLibraryId: user.id,
    });
    const callMs = performance.now() - t0;
    console.log(`sendSurveyToPanel call: ${callMs.toFixed(0)} ms (goal < 1000 ms) for ${rows} members`);

    const t1 = performance.now();
    while (await services.jobs.runOne('bench'));
    await waitFor(child, rows);
    const sendS = (performance.now() - t1) / 1000;
    console.log(`Insight delivered ${rows} in ${sendS.toFixed(1)} s: ${(rows / sendS).toFixed(0)} msg/s (goal ≥ 1000)`);
    services.distributions.transport.close();

    const pool = config.smtpPoolSize;
    const raw = nodemailer.createTransport({ url: smtpUrl, pool: true, maxConnections: pool, maxMessages: Infinity });
    const html = '<p>Dear First Last (D1),</p><p><a href="http://insight.bench/jfe/form/SV_x?Q_DL=x">Take the survey</a></p>';
    const base = await ask(child);
    const t2 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: pool * 2 }, async () => {
      while (next < rows) {
        const i = next++;
        await raw.sendMail({ from: 'r@bench.example', to: `person${i}@example.com`, subject: `Hi First${i}`, html, text: 'Dear First Last' });
      }
    }));
    await waitFor(child, base + rows);
    const rawS = (performance.now() - t2) / 1000;
    console.log(`nodemailer raw sendMail (same sink, ${pool} pooled connections as Insight): ${(rows / rawS).toFixed(0)} msg/s`);
    raw.close();
    await store.close();
  } finally {
    child.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--sink')) void sink();
else await main();

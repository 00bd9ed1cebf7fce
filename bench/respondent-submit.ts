/**
 * bench/respondent-submit: durable page submits/s. 100 scripted respondents (one keep-alive socket
 * each) take a 10-question survey (one question per page) over loopback against an Insight server in
 * a child process, on the embedded SQLite default (synchronous=FULL: every acknowledged submit is on
 * disk, concurrent ones share one fsync through the group-commit writer). A respondent's page step
 * is what a browser does: POST the page, follow the 303, GET the next page. Prints submits/s, the
 * submit latency percentiles (POST to its 303), and the raw better-sqlite3 rate of one durable insert
 * per transaction measured in the same run (what a submit costs without group commit).
 *
 *   node bin/run-ts.js bench/respondent-submit.ts [--seconds 10] [--respondents 100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildQsf, mc, te } from '../test/helpers/qsf.ts';
import { baselineDb, bootInsight, forkRole } from './lib/harness.ts';

const role = process.argv[2];
const QUESTIONS = 10;

/** Ten questions, one per page, every one forced: single choice and text entry alternating. */
function surveyQsf(): string {
  const ids = Array.from({ length: QUESTIONS }, (_, i) => `QID${i + 1}`);
  return buildQsf({
    name: 'Submit benchmark',
    pages: ids.map((id) => [id]),
    questions: ids.map((id, i) => (i % 2 === 0 ? mc(id, `Q${i + 1}`, 3, { force: 'ON' }) : te(id, `Q${i + 1}`, { force: 'ON' }))),
    options: { NextButton: 'Next' },
  });
}

async function serve(): Promise<void> {
  const { services, info, actor } = await bootInsight();
  const surveyId = await services.surveys.importSurvey(actor, { format: 'QSF', source: async () => Buffer.from(surveyQsf()), activate: true });
  process.on('message', async (m: { cmd: string }) => {
    if (m.cmd !== 'count') return;
    const { batches, writes } = services.respondent.writer.stats;
    process.send?.({ type: 'count', responses: await services.respondent.responseCount(surveyId), batches, writes });
  });
  process.send?.({ type: 'ready', port: info.port, surveyId });
}

// ---- the scripted respondents (parent) ---------------------------------------------------------

interface Reply { status: number; body: string; location?: string; cookie?: string }

function http(agent: Agent, port: number, method: 'GET' | 'POST', path: string, cookie: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { cookie };
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const req = request({ agent, host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const set = res.headers['set-cookie']?.find((c) => c.startsWith('insight_fs_'));
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), location: res.headers.location, cookie: set?.split(';')[0] });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const field = (html: string, name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

interface Tally { submits: number; latencies: number[]; errors: number; completed: number }

/** One respondent for `until`: takes the survey again and again, answering every page. */
async function respondent(port: number, path: string, until: number, tally: Tally): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    while (Date.now() < until) {
      let cookie = '';
      let page = await http(agent, port, 'GET', path, cookie);
      cookie = page.cookie ?? cookie;
      for (let q = 1; q <= QUESTIONS && Date.now() < until; q++) {
        const answer = q % 2 === 1 ? `QID${q}%3As=1` : `QID${q}%3At%3A=typed+answer+${q}`;
        const body = `_session=${field(page.body, '_session')}&_token=${encodeURIComponent(field(page.body, '_token'))}&${answer}&action=next`;
        const started = performance.now();
        const posted = await http(agent, port, 'POST', path, cookie, body);
        const took = performance.now() - started;
        if (posted.status !== 303) {
          tally.errors++;
          break;
        }
        tally.submits++;
        tally.latencies.push(took);
        if (q === QUESTIONS) tally.completed++;
        else page = await http(agent, port, 'GET', path, cookie);
      }
    }
  } finally {
    agent.destroy();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** One durable insert per transaction (fsync each), as many as fit in `ms`. */
function rawInsertRate(dir: string, ms: number): number {
  const db = baselineDb(join(dir, 'baseline.db'), 'CREATE TABLE t (id TEXT PRIMARY KEY, survey TEXT, state TEXT, at INTEGER)');
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?, ?)');
  const state = JSON.stringify({ answers: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`QID${i}`, { text: { '': 'typed answer' } }])) });
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) insert.run(`R_${n++}`, 'SV_bench', state, Date.now());
  db.close();
  return n / (ms / 1000);
}

async function orchestrate(): Promise<void> {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, respondents: { type: 'string', default: '100' } } });
  const seconds = Number(values.seconds);
  const respondents = Number(values.respondents);
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  try {
    const raw = rawInsertRate(dataDir, 3000);
    const { child, message } = await forkRole<{ port: number; surveyId: string }>(import.meta.filename, 'serve', { BENCH_DATA_DIR: dataDir });
    const path = `/jfe/form/${message.surveyId}`;
    const warm: Tally = { submits: 0, latencies: [], errors: 0, completed: 0 };
    await Promise.all(Array.from({ length: respondents }, () => respondent(message.port, path, Date.now() + 2000, warm)));
    const tally: Tally = { submits: 0, latencies: [], errors: 0, completed: 0 };
    const started = performance.now();
    await Promise.all(Array.from({ length: respondents }, () => respondent(message.port, path, Date.now() + seconds * 1000, tally)));
    const elapsed = (performance.now() - started) / 1000;
    const stored = await new Promise<{ responses: number; batches: number; writes: number }>((resolve) => {
      child.once('message', resolve);
      child.send({ cmd: 'count' });
    });
    child.kill();
    const sorted = tally.latencies.sort((a, b) => a - b);
    const rate = tally.submits / elapsed;
    const p99 = percentile(sorted, 99);
    console.log(`baseline  better-sqlite3, one durable insert per transaction  ${raw.toFixed(0).padStart(7)} inserts/s`);
    console.log(`insight   durable page submits (${respondents} respondents, POST+303+GET)  ${rate.toFixed(0).padStart(7)} submits/s  (${(rate / raw).toFixed(1)}× the raw rate)`);
    console.log(`          submit latency p50 ${percentile(sorted, 50).toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  errors ${tally.errors}`);
    console.log(`          completed surveys ${tally.completed + warm.completed}, responses stored ${stored.responses}; ${stored.writes} writes in ${stored.batches} commits (${(stored.writes / Math.max(1, stored.batches)).toFixed(1)} per fsync)`);
    console.log(`goal      ≥ 5,000 submits/s ${rate >= 5000 ? 'MET' : 'NOT MET'}; p99 < 50 ms ${p99 < 50 ? 'MET' : 'NOT MET'}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (role === 'serve') await serve();
else await orchestrate();

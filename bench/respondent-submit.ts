/**
 * bench/respondent-submit: durable page submits/s. 100 scripted respondents (one keep-alive socket
 * each) take a 10-question survey (one question per page) over loopback against an Insight server in
 * a child process, on the embedded SQLite default (synchronous=FULL: every acknowledged submit is on
 * disk, concurrent ones share one fsync through the group-commit writer). A respondent's page step
 * is what a browser running the page's script does: POST the page (X-Insight-Inline), which answers
 * with the next page in place (204 + X-Insight-Location after the last). The same respondents then
 * run as a browser without script does (POST, follow the 303, GET the next page), for comparison.
 * Prints submits/s, the submit latency percentiles (the POST to its answer), and the raw
 * better-sqlite3 rate of one durable insert per transaction measured in the same run (what a submit
 * costs without group commit).
 *
 *   node bin/run-ts.js bench/respondent-submit.ts [--seconds 10] [--respondents 100]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
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
    if (m.cmd === 'cpu') return void process.send?.({ type: 'cpu', ...cpuNow() });
    if (m.cmd !== 'count') return;
    const { batches, writes } = services.respondent.writer.stats;
    process.send?.({ type: 'count', responses: await services.respondent.responseCount(surveyId), batches, writes });
  });
  process.send?.({ type: 'ready', port: info.port, surveyId });
}

/**
 * CPU time used so far (µs): the main thread's (from /proc: it is what a page step waits for, the
 * group-commit writer and the GC helpers run on other threads) and the whole process's.
 */
function cpuNow(): { main: number; all: number } {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const usage = process.cpuUsage();
  return { main: (ticks * 1e6) / 100, all: usage.user + usage.system };
}

// ---- the scripted respondents (parent) ---------------------------------------------------------

interface Reply { status: number; body: string; location?: string; cookie?: string }

/**
 * A minimal HTTP/1.1 keep-alive client on one socket: the load generator shares the machine with the
 * server, so it must cost far less per request than node:http's client (which would take most of a
 * core at these rates). Handles exactly what this server answers: Content-Length bodies.
 */
class Conn {
  private socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    this.socket.on('error', (e) => this.waiting?.reject(e));
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end === -1 || !this.waiting) return;
    const head = this.buf.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buf.length < end + 4 + length) return;
    const body = this.buf.toString('utf8', end + 4, end + 4 + length);
    this.buf = this.buf.subarray(end + 4 + length);
    const waiting = this.waiting;
    this.waiting = undefined;
    const cookie = /\r\nset-cookie: *(insight_fs_[^;\r]*)/i.exec(head)?.[1];
    const location = /\r\nlocation: *([^\r]*)/i.exec(head)?.[1];
    waiting.resolve({ status: Number(head.slice(9, 12)), body, ...(location ? { location } : {}), ...(cookie ? { cookie } : {}) });
  }

  request(method: 'GET' | 'POST', path: string, headers: string, body = ''): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      const length = method === 'POST' ? `content-type: application/x-www-form-urlencoded\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` : '';
      this.socket.write(`${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers}${length}\r\n${body}`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

const field = (html: string, name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

interface Tally { submits: number; latencies: number[]; errors: number; completed: number }

const newTally = (): Tally => ({ submits: 0, latencies: [], errors: 0, completed: 0 });

type Mode = 'script' | 'plain';

/** One respondent for `until`: takes the survey again and again, answering every page. */
async function respondent(port: number, path: string, mode: Mode, until: number, tally: Tally): Promise<void> {
  const conn = new Conn(port);
  try {
    while (Date.now() < until) {
      let page = await conn.request('GET', path, '');
      const headers = `cookie: ${page.cookie ?? ''}\r\n${mode === 'script' ? 'x-insight-inline: 1\r\n' : ''}`;
      for (let q = 1; q <= QUESTIONS && Date.now() < until; q++) {
        const answer = q % 2 === 1 ? `QID${q}%3As=1` : `QID${q}%3At%3A=typed+answer+${q}`;
        const body = `_session=${field(page.body, '_session')}&_token=${encodeURIComponent(field(page.body, '_token'))}&${answer}&action=next`;
        const started = performance.now();
        const posted = await conn.request('POST', path, headers, body);
        const took = performance.now() - started;
        const last = q === QUESTIONS;
        // Accepted means: the next page (in place, or by redirect), or at the end the way to the end page.
        const expected = mode === 'plain' ? 303 : last ? 204 : 200;
        if (posted.status !== expected || (!last && mode === 'script' && field(posted.body, '_token') === field(page.body, '_token'))) {
          tally.errors++;
          break;
        }
        tally.submits++;
        tally.latencies.push(took);
        if (last) tally.completed++;
        else page = mode === 'script' ? posted : await conn.request('GET', path, headers);
      }
    }
  } finally {
    conn.close();
  }
}

/** All respondents for `seconds`: submits/s and latencies. */
interface Run { tally: Tally; rate: number; sorted: number[]; cpu: { main: number; all: number } }

/** All respondents for `seconds`: submits/s, latencies, and the server's CPU time per submit. */
async function run(server: ChildProcess, port: number, path: string, mode: Mode, respondents: number, seconds: number): Promise<Run> {
  const tally = newTally();
  const before = await serverCpu(server);
  const started = performance.now();
  await Promise.all(Array.from({ length: respondents }, () => respondent(port, path, mode, Date.now() + seconds * 1000, tally)));
  const rate = tally.submits / ((performance.now() - started) / 1000);
  const after = await serverCpu(server);
  const per = (a: number, b: number) => (a - b) / Math.max(1, tally.submits);
  return { tally, rate, sorted: tally.latencies.sort((a, b) => a - b), cpu: { main: per(after.main, before.main), all: per(after.all, before.all) } };
}

function serverCpu(server: ChildProcess): Promise<{ main: number; all: number }> {
  return new Promise((resolve) => {
    const on = (m: { type?: string; main: number; all: number }) => {
      if (m.type !== 'cpu') return;
      server.off('message', on);
      resolve(m);
    };
    server.on('message', on);
    server.send({ cmd: 'cpu' });
  });
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
    await run(child, message.port, path, 'script', respondents, 2); // warm-up
    const script = await run(child, message.port, path, 'script', respondents, seconds);
    const plain = await run(child, message.port, path, 'plain', respondents, seconds);
    const stored = await new Promise<{ responses: number; batches: number; writes: number }>((resolve) => {
      child.once('message', resolve);
      child.send({ cmd: 'count' });
    });
    child.kill();
    const p99 = percentile(script.sorted, 99);
    const line = (r: typeof script) => `${r.rate.toFixed(0).padStart(7)} submits/s  (${(r.rate / raw).toFixed(1)}× the raw rate)  latency p50 ${percentile(r.sorted, 50).toFixed(1)} ms  p99 ${percentile(r.sorted, 99).toFixed(1)} ms  errors ${r.tally.errors}\n          server CPU per submit: main thread ${r.cpu.main.toFixed(0)} µs, whole process ${r.cpu.all.toFixed(0)} µs`;
    console.log(`baseline  better-sqlite3, one durable insert per transaction   ${raw.toFixed(0).padStart(7)} inserts/s`);
    console.log(`insight   durable page submits, ${respondents} respondents with the page script (next page in place)`);
    console.log(`          ${line(script)}`);
    console.log(`          the same without script (POST, 303, GET)`);
    console.log(`          ${line(plain)}`);
    const completed = script.tally.completed + plain.tally.completed;
    console.log(`          timed runs completed ${completed} surveys; responses stored ${stored.responses} (with the warm-up); ${stored.writes} writes in ${stored.batches} commits (${(stored.writes / Math.max(1, stored.batches)).toFixed(1)} per fsync)`);
    console.log(`goal      ≥ 5,000 submits/s ${script.rate >= 5000 ? 'MET' : 'NOT MET'}; p99 < 50 ms ${p99 < 50 ? 'MET' : 'NOT MET'}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (role === 'serve') await serve();
else await orchestrate();

/**
 * bench/respondent-render: server time to render a respondent page, and the script payload.
 * Times GET /jfe/form/SV_… for a session already on a page (what a refresh or the next page after a
 * submit costs) with Fastify's inject, so the figure is server time without the network: the page of
 * ten mixed questions from the every-type test survey, and each page of that survey. Baseline in the
 * same run: a Fastify hello-world route timed the same way. Also prints the gzipped size of everything
 * a respondent page loads (survey.js + survey.css; goal for script < 30 KB).
 *
 *   node bin/run-ts.js bench/respondent-render.ts [--requests 3000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { everyTypeQsf } from '../test/helpers/every-type-survey.ts';
import { bootInsight } from './lib/harness.ts';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' } } });
const REQUESTS = Number(values.requests);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Server time per GET, in ms, over `n` sequential requests after a warm-up. */
async function time(app: FastifyInstance, url: string, cookie: string, n: number): Promise<{ p50: number; p99: number; bytes: number }> {
  let bytes = 0;
  for (let i = 0; i < 200; i++) await app.inject({ method: 'GET', url, headers: { cookie } });
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await app.inject({ method: 'GET', url, headers: { cookie } });
    took.push(performance.now() - started);
    if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}`);
    bytes = res.body.length;
  }
  took.sort((a, b) => a - b);
  return { p50: percentile(took, 50), p99: percentile(took, 99), bytes };
}

const field = (html: string, name: string): string => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

async function main(): Promise<void> {
  const hello = Fastify({ logger: false });
  hello.get('/', async () => 'hello');
  const base = await time(hello, '/', '', REQUESTS);

  const dataDir = mkdtempSync(join(tmpdir(), 'insight-bench-'));
  process.env.BENCH_DATA_DIR = dataDir;
  const { app, services, actor, store } = await bootInsight();
  try {
    const surveyId = await services.surveys.importSurvey(actor, { format: 'QSF', source: async () => Buffer.from(JSON.stringify(everyTypeQsf())), activate: true });
    const url = `/jfe/form/${surveyId}`;
    const first = await app.inject({ method: 'GET', url });
    const cookie = first.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    console.log(`baseline  Fastify hello-world (inject)          p50 ${base.p50.toFixed(3)} ms  p99 ${base.p99.toFixed(3)} ms`);
    let page = first.body;
    const p50s: number[] = [];
    for (let n = 1; n <= 4; n++) {
      const questions = (page.match(/<fieldset class="sv-q/g) ?? []).length; // answerable ones: descriptive, timing and meta have none
      const r = await time(app, url, cookie, REQUESTS);
      p50s.push(r.p50);
      console.log(`insight   page ${n} (${String(questions).padStart(2)} answerable questions, ${(r.bytes / 1024).toFixed(1)} KB)   p50 ${r.p50.toFixed(3)} ms  p99 ${r.p99.toFixed(3)} ms`);
      // On to the next page: every question there is optional except the first page's forced ones.
      const body = new URLSearchParams({ _session: field(page, '_session'), _token: field(page, '_token'), action: 'next', 'QID1:s': '1', 'QID11:t:': 'bench@example.org' });
      await app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
      page = (await app.inject({ method: 'GET', url, headers: { cookie } })).body;
    }
    const js = gzipSync(readFileSync(new URL('../src/web/respondent/assets/survey.js', import.meta.url))).length;
    const css = gzipSync(readFileSync(new URL('../src/web/respondent/assets/survey.css', import.meta.url))).length;
    const worst = Math.max(...p50s);
    console.log(`payload   survey.js ${(js / 1024).toFixed(1)} KB gzipped, survey.css ${(css / 1024).toFixed(1)} KB gzipped`);
    console.log(`goal      page render p50 < 5 ms ${worst < 5 ? 'MET' : 'NOT MET'} (worst page ${worst.toFixed(3)} ms); script < 30 KB gzipped ${js < 30 * 1024 ? 'MET' : 'NOT MET'}`);
  } finally {
    await app.close();
    await services.respondent.writer.drain();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();

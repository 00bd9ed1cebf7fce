import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnv, type TestEnv } from '../helpers/app.ts';
import { buildQsf, te } from '../helpers/qsf.ts';
import { seedBrand, type SeededUser } from '../helpers/seed.ts';
import type { Entry } from '../../src/services/respondent.ts';
import { MAX_ATTEMPTS } from '../../src/services/jobs.ts';
import { postUrl, type Resolver } from '../../src/services/url-fetch.ts';
import { decryptMessage, verifyWebhook } from '../../src/domain/webhook-signing.ts';
import { WEBHOOK_JOB } from '../../src/store/subscriptions.ts';

interface Hit {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local receiver: answers each request with the next planned status (200 when the plan is empty). */
class Receiver {
  hits: Hit[] = [];
  plan: number[] = [];
  server: Server;
  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.hits.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/redirect') return res.writeHead(302, { Location: '/ok' }).end();
        res.writeHead(this.plan.shift() ?? 200).end('thanks');
      });
    });
  }
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const visitor = { ip: '203.0.113.9', userAgent: 'test' };
const ONE_PAGE = buildQsf({ pages: [['QID1']], questions: [te('QID1', 'Q1')] });
const TWO_PAGES = buildQsf({ pages: [['QID1'], ['QID2']], questions: [te('QID1', 'Q1'), te('QID2', 'Q2')] });

let t: TestEnv;
let admin: SeededUser;
let receiver: Receiver;
let base: string;

beforeAll(async () => {
  t = await createTestEnv({ ALLOW_PRIVATE_URLS: '1' });
  admin = await seedBrand(t, 'acme');
  receiver = new Receiver();
  base = `http://127.0.0.1:${await receiver.listen()}`;
});
afterAll(async () => {
  await receiver?.close();
  await t?.close();
});
afterEach(async () => {
  // Each test starts with no subscription and no waiting delivery.
  for (const s of await t.services.subscriptions.list(admin.actor)) await t.services.subscriptions.delete(admin.actor, s.id);
  await t.store.db.deleteFrom('jobs').execute();
  receiver.hits = [];
  receiver.plan = [];
  delete t.services.webhooks.options.resolve;
});

const importSurvey = (qsf: string, env: TestEnv = t, user: SeededUser = admin) =>
  env.services.surveys.importSurvey(user.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });

function page(e: Entry) {
  if (e.kind !== 'page') throw new Error(`expected a page, got ${e.kind}`);
  return e.page;
}

/** One respondent finishing a one-page survey; the response ID. */
async function complete(surveyId: string, env: TestEnv = t): Promise<string> {
  const p = page(await env.services.respondent.enter({ ...visitor, surveyId, mode: 'anonymous', query: {} }));
  const end = await env.services.respondent.submit({ ...visitor, surveyId, sessionId: p.sessionId, pageToken: p.pageToken, action: 'next', answers: { QID1: { text: { '': 'hi' } } }, confirmSoft: false });
  if (end.kind !== 'end' || !end.responseId) throw new Error('not finished');
  return end.responseId;
}

/** Runs every due job, then moves the clock past the longest backoff, until nothing is due. */
async function work(env: TestEnv = t, rounds = 1): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    while (await env.services.jobs.runOne('test-worker'));
    env.clock.advance(60_000);
  }
}

const webhookJobs = (env: TestEnv = t) => env.store.db.selectFrom('jobs').selectAll().where('kind', '=', WEBHOOK_JOB).execute();
const subscribe = (topics: string, extra: { url?: string; sharedKey?: string; encrypt?: string } = {}, env: TestEnv = t, user: SeededUser = admin) =>
  env.services.subscriptions.subscribe(user.actor, { name: 'hook', publicationUrl: extra.url ?? `${base}/hook`, topics, sharedKey: extra.sharedKey, encrypt: extra.encrypt });
const form = (h: Hit) => Object.fromEntries(new URLSearchParams(h.body));

describe('delivery', () => {
  it('POSTs Topic and MSG as a form with a verifiable Standard Webhooks signature, once per response', async () => {
    const survey = await importSurvey(ONE_PAGE);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`, { sharedKey: 'top-secret' });
    await subscribe(`surveyengine.partialResponse.${survey}`); // matches nothing here
    const responseId = await complete(survey);
    // The delivery job was written with the response, before any worker ran.
    const jobs = await webhookJobs();
    expect(jobs.length).toBe(1);
    expect(jobs[0]?.status).toBe('queued');
    expect(receiver.hits).toEqual([]);
    await work();
    expect(receiver.hits.length).toBe(1);
    const hit = receiver.hits[0] as Hit;
    expect(hit.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const fields = form(hit);
    expect(Object.keys(fields)).toEqual(['Topic', 'MSG']);
    expect(fields.Topic).toBe(`acme.surveyengine.completedResponse.${survey}`);
    expect(JSON.parse(fields.MSG as string)).toEqual({ Status: 'Complete', SurveyID: survey, ResponseID: responseId, CompletedDate: '2026-11-28 05:00:00', BrandID: 'acme' });
    const id = hit.headers['webhook-id'] as string;
    const ts = Number(hit.headers['webhook-timestamp']);
    expect(id).toBe(jobs[0]?.id);
    expect(ts).toBe(Math.floor(Date.UTC(2026, 10, 28, 12, 0, 0) / 1000));
    expect(hit.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyWebhook('top-secret', id, ts, hit.body, hit.headers['webhook-signature'] as string)).toBe(true);
    expect(verifyWebhook('wrong-key', id, ts, hit.body, hit.headers['webhook-signature'] as string)).toBe(false);
    expect(verifyWebhook('top-secret', id, ts, hit.body.replace('Complete', 'Completx'), hit.headers['webhook-signature'] as string)).toBe(false);
    const log = await t.services.subscriptions.deliveries(admin.actor, subId);
    expect(log.waiting).toBe(0);
    expect(log.attempts).toMatchObject([{ outcome: 'delivered', httpStatus: 200, attempt: 1, error: null, topic: `surveyengine.completedResponse.${survey}` }]);
  });

  it('encrypts MSG with AES-256-GCM under the shared key when Encrypt=1', async () => {
    const survey = await importSurvey(ONE_PAGE);
    await subscribe('surveyengine.completedResponse.*', { sharedKey: 'enc-key', encrypt: '1' });
    const responseId = await complete(survey);
    await work();
    const hit = receiver.hits[0] as Hit;
    const msg = form(hit).MSG as string;
    expect(msg).not.toContain(responseId);
    const id = hit.headers['webhook-id'] as string;
    expect(JSON.parse(decryptMessage('enc-key', id, msg))).toMatchObject({ Status: 'Complete', ResponseID: responseId });
    expect(() => decryptMessage('other-key', id, msg)).toThrow();
    expect(() => decryptMessage('enc-key', `${id}x`, msg)).toThrow();
    expect(verifyWebhook('enc-key', id, Number(hit.headers['webhook-timestamp']), hit.body, hit.headers['webhook-signature'] as string)).toBe(true);
  });

  it('retries 500 with backoff under the same webhook-id, then succeeds', async () => {
    const survey = await importSurvey(ONE_PAGE);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`);
    receiver.plan = [500, 503];
    await complete(survey);
    await t.services.jobs.runOne('w');
    // Not due again before its backoff.
    expect(await t.services.jobs.runOne('w')).toBe(false);
    expect((await webhookJobs())[0]?.status).toBe('queued');
    await work(t, 3);
    expect(receiver.hits.length).toBe(3);
    expect(new Set(receiver.hits.map((h) => h.headers['webhook-id'])).size).toBe(1);
    expect((await webhookJobs())[0]?.status).toBe('done');
    const log = await t.services.subscriptions.deliveries(admin.actor, subId);
    expect(log.attempts.map((a) => [a.attempt, a.outcome, a.httpStatus])).toEqual([[3, 'delivered', 200], [2, 'retry', 503], [1, 'retry', 500]]);
  });

  it('retries 408 and 429, and gives up after the last attempt', async () => {
    const survey = await importSurvey(ONE_PAGE);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`);
    receiver.plan = [408, 429, 500, 500, 500, 200];
    await complete(survey);
    await work(t, MAX_ATTEMPTS + 2);
    expect(receiver.hits.length).toBe(MAX_ATTEMPTS);
    const job = (await webhookJobs())[0];
    expect(job?.status).toBe('failed');
    expect(job?.error).toBe('HTTP 500');
    const outcomes = (await t.services.subscriptions.deliveries(admin.actor, subId)).attempts.map((a) => a.outcome);
    expect(outcomes).toEqual(['failed', 'retry', 'retry', 'retry', 'retry']);
  });

  it('fails at once on 400 (no retry)', async () => {
    const survey = await importSurvey(ONE_PAGE);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`);
    receiver.plan = [400];
    await complete(survey);
    await work(t, 3);
    expect(receiver.hits.length).toBe(1);
    expect((await webhookJobs())[0]?.status).toBe('failed');
    expect((await t.services.subscriptions.deliveries(admin.actor, subId)).attempts).toMatchObject([{ outcome: 'failed', httpStatus: 400, error: 'HTTP 400' }]);
  });

  it('does not follow redirects', async () => {
    const survey = await importSurvey(ONE_PAGE);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`, { url: `${base}/redirect` });
    await complete(survey);
    await work(t, 3);
    expect(receiver.hits.map((h) => h.path)).toEqual(['/redirect']);
    expect((await webhookJobs())[0]?.status).toBe('failed');
    expect((await t.services.subscriptions.deliveries(admin.actor, subId)).attempts[0]).toMatchObject({ outcome: 'failed', httpStatus: 302 });
  });

  it('keeps events in the job table while the receiver is down and delivers them when it comes up', async () => {
    const later = new Receiver();
    const port = await later.listen();
    await later.close();
    const survey = await importSurvey(ONE_PAGE);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`, { url: `http://127.0.0.1:${port}/hook` });
    const ids = [await complete(survey), await complete(survey)];
    while (await t.services.jobs.runOne('w'));
    const waiting = await webhookJobs();
    expect(waiting.map((j) => j.status)).toEqual(['queued', 'queued']);
    expect((await t.services.subscriptions.deliveries(admin.actor, subId)).attempts.every((a) => a.outcome === 'retry' && a.error?.startsWith('network'))).toBe(true);
    const up = new Receiver();
    await up.listen(port);
    try {
      await work(t, 2);
      expect(up.hits.map((h) => JSON.parse(form(h).MSG as string).ResponseID).sort()).toEqual([...ids].sort());
      expect((await webhookJobs()).map((j) => j.status)).toEqual(['done', 'done']);
    } finally {
      await up.close();
    }
  });

  it('drops waiting deliveries of a deleted subscription', async () => {
    const survey = await importSurvey(ONE_PAGE);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`);
    await complete(survey);
    await t.services.subscriptions.delete(admin.actor, subId);
    await work();
    expect(receiver.hits).toEqual([]);
    expect((await webhookJobs())[0]?.status).toBe('done');
  });
});

describe('events', () => {
  it('a partial response (expired session) raises partialResponse; previews raise nothing', async () => {
    const survey = await importSurvey(TWO_PAGES);
    await subscribe(`surveyengine.partialResponse.${survey},surveyengine.completedResponse.${survey}`);
    const p = page(await t.services.respondent.enter({ ...visitor, surveyId: survey, mode: 'anonymous', query: {} }));
    await t.services.respondent.submit({ ...visitor, surveyId: survey, sessionId: p.sessionId, pageToken: p.pageToken, action: 'next', answers: { QID1: { text: { '': 'x' } } }, confirmSoft: false });
    const pv = page(await t.services.respondent.enter({ ...visitor, surveyId: survey, mode: 'preview', previewActor: admin.actor, query: {} }));
    const p2 = page(await t.services.respondent.submit({ ...visitor, surveyId: survey, sessionId: pv.sessionId, pageToken: pv.pageToken, action: 'next', answers: { QID1: { text: { '': 'x' } } }, confirmSoft: false }));
    await t.services.respondent.submit({ ...visitor, surveyId: survey, sessionId: p2.sessionId, pageToken: p2.pageToken, action: 'next', answers: { QID2: { text: { '': 'y' } } }, confirmSoft: false });
    expect(await webhookJobs()).toEqual([]);
    t.clock.advance(400 * 24 * 3600 * 1000);
    expect(await t.services.respondent.expireSessions()).toBeGreaterThan(0);
    await work();
    expect(receiver.hits.length).toBe(1);
    const f = form(receiver.hits[0] as Hit);
    expect(f.Topic).toBe(`acme.surveyengine.partialResponse.${survey}`);
    expect(JSON.parse(f.MSG as string)).toMatchObject({ Status: 'Partial', SurveyID: survey, BrandID: 'acme' });
  });

  it('survey activation and deactivation raise controlpanel events', async () => {
    const survey = await importSurvey(ONE_PAGE);
    await subscribe('controlpanel.*');
    await t.services.surveys.deactivate(admin.actor, survey);
    await t.services.surveys.deactivate(admin.actor, survey); // no change, no event
    await t.services.surveys.activate(admin.actor, survey);
    await work();
    expect(receiver.hits.map((h) => [form(h).Topic, JSON.parse(form(h).MSG as string)])).toEqual([
      ['acme.controlpanel.deactivateSurvey', { SurveyID: survey, Status: 'Inactive', BrandID: 'acme' }],
      ['acme.controlpanel.activateSurvey', { SurveyID: survey, Status: 'Active', BrandID: 'acme' }],
    ]);
  });

  it('panel changes raise mailinglist events, one per import however many rows', async () => {
    await subscribe('mailinglist.*');
    const panel = await t.services.panels.createPanel(admin.actor, admin.id, 'Invitees');
    const ada = await t.services.panels.addRecipient(admin.actor, admin.id, panel.id, { firstName: 'Ada', email: 'ada@example.org' });
    await t.services.panels.updateRecipient(admin.actor, admin.id, ada.id, { lastName: 'Lovelace' });
    await t.services.panels.removeRecipient(admin.actor, admin.id, panel.id, ada.id);
    const mapping = t.services.panels.readMapping({ ColumnHeaders: true, Email: '1' });
    await t.services.panels.importPanel(admin.actor, admin.id, Buffer.from('Email\na@example.org\nb@example.org\n'), mapping, { panelId: panel.id });
    await t.services.panels.deletePanel(admin.actor, admin.id, panel.id);
    // A refused change raises nothing.
    await expect(t.services.panels.removeRecipient(admin.actor, admin.id, panel.id, ada.id)).rejects.toThrow();
    await work(t, 3);
    const seen = receiver.hits.map((h) => [form(h).Topic, JSON.parse(form(h).MSG as string)]);
    expect(seen.map(([topic]) => topic)).toEqual([
      'acme.mailinglist.created', 'acme.mailinglist.recipientAdded', 'acme.mailinglist.recipientUpdated',
      'acme.mailinglist.recipientRemoved', 'acme.mailinglist.imported', 'acme.mailinglist.deleted',
    ]);
    expect(seen[1]?.[1]).toEqual({ PanelID: panel.id, RecipientID: ada.id, BrandID: 'acme' });
    expect(seen[4]?.[1]).toMatchObject({ PanelID: panel.id, Count: 2, BrandID: 'acme' });
  });

  it("never delivers another brand's events", async () => {
    const other = await seedBrand(t, 'globex');
    const survey = await importSurvey(ONE_PAGE, t, other);
    await subscribe('surveyengine.*'); // acme's administrator, every acme survey
    await complete(survey);
    expect(await webhookJobs()).toEqual([]);
  });
});

describe('SSRF', () => {
  let strict: TestEnv;
  let owner: SeededUser;
  beforeAll(async () => {
    strict = await createTestEnv();
    owner = await seedBrand(strict, 'acme');
  });
  afterAll(async () => strict?.close());

  /** A resolver at the DNS layer of the client: answers `answers` in turn (the last one repeats). */
  function resolverOf(answers: string[]): Resolver & { calls: number } {
    const r = ((_host: string, _o: unknown, cb: (err: NodeJS.ErrnoException | null, a: LookupAddress[]) => void) => {
      const address = answers[Math.min(r.calls, answers.length - 1)] as string;
      r.calls += 1;
      cb(null, [{ address, family: address.includes(':') ? 6 : 4 }]);
    }) as Resolver & { calls: number };
    r.calls = 0;
    return r;
  }

  it('refuses a name resolving to loopback, private or metadata addresses at delivery, without connecting', async () => {
    const port = Number(new URL(base).port);
    const survey = await importSurvey(ONE_PAGE, strict, owner);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`, { url: `http://hooks.example.com:${port}/hook` }, strict, owner);
    for (const address of ['127.0.0.1', '10.0.0.7', '169.254.169.254', '::1']) {
      strict.services.webhooks.options.resolve = resolverOf([address]);
      await complete(survey, strict);
      while (await strict.services.jobs.runOne('w'));
    }
    expect(receiver.hits).toEqual([]);
    const attempts = (await strict.services.subscriptions.deliveries(owner.actor, subId)).attempts;
    expect(attempts.length).toBe(4);
    expect(attempts.every((a) => a.outcome === 'failed' && a.error?.startsWith('address'))).toBe(true);
  });

  it('DNS rebinding: the connection goes to the address that was checked, and the name is resolved once', async () => {
    const port = Number(new URL(base).port);
    const onlyLoopback = (a: string) => a === '127.0.0.1';
    // Checked answer first, rebinding answer after: the request reaches the checked address.
    const good = resolverOf(['127.0.0.1', '10.9.9.9']);
    const res = await postUrl(`http://rebind.example:${port}/first`, Buffer.from('x=1'), {}, { allowAddress: onlyLoopback, resolve: good });
    expect(res.status).toBe(200);
    expect(good.calls).toBe(1);
    expect(receiver.hits.map((h) => h.path)).toEqual(['/first']);
    // Public address first, then loopback: the socket never reaches the loopback receiver.
    const rebinding = resolverOf(['93.184.216.34', '127.0.0.1']);
    strict.services.webhooks.options.resolve = rebinding;
    strict.services.webhooks.options.timeoutMs = 300;
    const survey = await importSurvey(ONE_PAGE, strict, owner);
    const subId = await subscribe(`surveyengine.completedResponse.${survey}`, { url: `http://rebind.example:${port}/second` }, strict, owner);
    await complete(survey, strict);
    await strict.services.jobs.runOne('w');
    expect(rebinding.calls).toBe(1);
    expect(receiver.hits.map((h) => h.path)).toEqual(['/first']);
    const [attempt] = (await strict.services.subscriptions.deliveries(owner.actor, subId)).attempts;
    expect(attempt?.outcome).toBe('retry');
    expect(attempt?.error).toMatch(/^(network|timeout)/);
  });
});

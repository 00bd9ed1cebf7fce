import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { drainJobs, seedMailFixture, startSink, type MailFixture, type Received, type Sink } from '../helpers/mail.ts';
import { buildQsf, te } from '../helpers/qsf.ts';
import { sessionCookie } from '../helpers/web.ts';
import { RespondentBrowser as Browser, hidden, type Form } from '../helpers/respondent-browser.ts';
import { formatDateTime } from '../../src/domain/dates.ts';
import { newId } from '../../src/domain/ids.ts';
import { decodePersonalLink } from '../../src/domain/personal-link.ts';
import { DEFAULT_THANK_YOU_SUBJECT } from '../../src/services/thank-you.ts';
import { responsesStore } from '../../src/store/responses.ts';

/**
 * Thank-you e-mails end to end: a real SMTP server, invitations sent by the job, recipients taking
 * the survey through the HTTP respondent routes with the link their e-mail carries.
 */

let sink: Sink;
let t: TestApp;
let f: MailFixture;
/** The survey whose QSF options ask for a thank-you (two pages, so a session can stop halfway). */
let thanked: string;
let thankYouMessage: string;

const THANK_YOU_BODY = '<p>Thank you ${m://FirstName} ${m://LastName} (${e://Field/Dept}).</p><p>${l://SurveyLink?d=Your link}</p><p>${l://OptOutLink?d=Unsubscribe}</p>';
const zone = 'America/Denver';

beforeAll(async () => {
  sink = await startSink();
  t = await createTestApp({ SMTP_URL: sink.url, PUBLIC_URL: 'http://insight.test' });
  f = await seedMailFixture(t, 'acme', 12, [{ email: 'gone@example.com', unsubscribed: true }]);
  thankYouMessage = (await t.services.messages.create(f.user.actor, f.library, { category: 'ThankYouEmails', name: 'Thanks', body: THANK_YOU_BODY })).id;
  const qsf = buildQsf({
    pages: [['QID1'], ['QID2']],
    questions: [te('QID1', 'Q1', { text: 'First question' }), te('QID2', 'Q2', { text: 'Second question' })],
    options: { EmailThankYou: 'true', ThankYouEmailMessage: thankYouMessage, ThankYouEmailMessageLibrary: f.library },
  });
  thanked = await t.services.surveys.importSurvey(f.user.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });
});
afterAll(async () => {
  t?.services.distributions.transport.close();
  await t?.close();
  await sink?.close();
});



const fields = (html: string): Form => ({ _session: hidden(html, '_session'), _token: hidden(html, '_token') });
const hrefs = (m: Received) => [...m.decoded.matchAll(/href="([^"]+)"/g)].map((x) => (x[1] as string).replace(/&amp;/g, '&'));
const path = (url: string) => url.replace('http://insight.test', '');
const mailTo = (address: string, from: number) => sink.received.slice(from).filter((m) => m.to.includes(address));
const surveyLink = (m: Received) => path(hrefs(m).find((h) => h.includes('/jfe/form/')) as string);

/** Opens a link and answers the first page; returns the second page's form (the session goes on). */
async function startThrough(b: Browser, url: string): Promise<{ post: string; second: string }> {
  const first = await b.get(url);
  expect(first.statusCode, first.body.slice(0, 300)).toBe(200);
  const post = new URL(url, 'http://x').pathname;
  const next = await b.post(post, { ...fields(first.body), 'QID1:t:': 'first answer' });
  expect(next.statusCode).toBe(303);
  const second = await b.get(post);
  expect(second.body).toContain('Second question');
  return { post, second: second.body };
}

/** Takes the survey to its end through `url`. */
async function complete(b: Browser, url: string): Promise<void> {
  const { post, second } = await startThrough(b, url);
  const end = await b.post(post, { ...fields(second), 'QID2:t:': 'second answer' });
  expect(end.statusCode).toBe(303);
  expect(end.headers.location).toMatch(/\/done$/);
}

/** The mail fixture's one-question survey, answered and finished through `url` in a browser of its own. */
async function completePlain(url: string): Promise<void> {
  const b = new Browser(t.app);
  const first = await b.get(url);
  await b.post(new URL(url, 'http://x').pathname, { ...fields(first.body), 'QID1:t:': 'ok' });
}

async function invite(surveyId: string, extra: Record<string, string | undefined> = {}, recipientId?: string): Promise<string> {
  const input = {
    surveyId, sendDate: formatDateTime(t.clock.now(), zone), fromEmail: 'research@acme.example', fromName: 'Research Team', subject: 'Hello ${m://FirstName}',
    messageId: f.inviteId, messageLibraryId: f.library, panelId: f.panelId, panelLibraryId: f.library, ...extra,
  };
  const id = recipientId ? await t.services.distributions.sendToIndividual(f.user.actor, { ...input, recipientId }) : await t.services.distributions.sendToPanel(f.user.actor, input);
  await drainJobs(t);
  return id;
}

const thankYous = (parentId: string) =>
  t.store.db.selectFrom('distributions').selectAll().where('parent_id', '=', parentId).where('request_type', '=', 'ThankYou').orderBy('created_at').execute();

describe('thank-you e-mail configured in the survey options', () => {
  let inviteId: string;
  let before: number;
  const member = (i: number) => f.members[i] as MailFixture['members'][number];

  beforeAll(async () => {
    before = sink.received.length;
    inviteId = await invite(thanked);
  });

  it('a recipient who finishes through the e-mailed link gets exactly one thank-you, piped like the invitation', async () => {
    const invitation = mailTo(member(0).email, before)[0] as Received;
    const link = surveyLink(invitation);
    const afterInvites = sink.received.length;
    await complete(new Browser(t.app), link);
    // Enqueued with the response, in the same write: the distribution, its recipient row and its job exist before any worker ran.
    const rows = await thankYous(inviteId);
    expect(rows).toHaveLength(1);
    const ty = rows[0]!;
    const response = await responsesStore.findBySession(t.store.db, (await t.store.db.selectFrom('survey_sessions').select('id').where('recipient_id', '=', member(0).id).where('survey_id', '=', thanked).executeTakeFirstOrThrow()).id);
    expect(ty).toMatchObject({ recipient_id: member(0).id, status: 'Pending', materialized: 1, message_id: thankYouMessage, message_library_id: f.library, response_id: response?.id });
    expect(await t.store.db.selectFrom('jobs').select('status').where('id', '=', ty.job_id as string).executeTakeFirst()).toEqual({ status: 'queued' });

    await drainJobs(t);
    const got = sink.received.slice(afterInvites);
    expect(got.map((m) => m.to)).toEqual([[member(0).email]]);
    const m = got[0] as Received;
    expect(m.header('Subject')).toBe(DEFAULT_THANK_YOU_SUBJECT);
    expect(m.header('From')).toMatch(/Research Team"? <research@acme\.example>$/);
    expect(m.header('From')).toBe(invitation.header('From'));
    expect(m.from).toBe(invitation.from);
    expect(m.messageId).toBe(`<${ty.id}.${member(0).id}@insight.test>`);
    expect(m.decoded).toContain('Thank you First0 Last0 (D0).');
    // SurveyLink is the invitation's personal link: harmless, and it now says the survey was taken.
    const again = hrefs(m).find((h) => h.includes('/jfe/form/')) as string;
    expect(decodePersonalLink(new URL(again).searchParams.get('Q_DL'))).toEqual({ distributionId: inviteId, surveyId: thanked, recipientId: member(0).id });
    expect((await new Browser(t.app).get(path(again))).statusCode).toBe(403);

    // Running the jobs again sends nothing more.
    await drainJobs(t);
    expect(sink.received.length).toBe(afterInvites + 1);
    const view = await t.services.distributions.getOne(f.user.actor, thanked, ty.id);
    expect(view.row.status).toBe('Done');
    expect(view.counts).toMatchObject({ total: 1, sent: 1 });
  });

  it("the thank-you's opt-out link unsubscribes the member", async () => {
    const m = mailTo(member(0).email, before).find((x) => x.header('Subject') === DEFAULT_THANK_YOU_SUBJECT) as Received;
    const optOut = hrefs(m).find((h) => h.includes('/mail/unsubscribe/')) as string;
    expect((await t.app.inject({ method: 'GET', url: path(optOut) })).statusCode).toBe(200);
    expect((await t.services.panels.getRecipient(f.user.actor, f.library, member(0).id))?.unsubscribed).toBe(true);
  });

  it('sends none for an unfinished response (a session that expires halfway)', async () => {
    const link = surveyLink(mailTo(member(1).email, before)[0] as Received);
    await startThrough(new Browser(t.app), link);
    t.clock.advance(8 * 24 * 3600_000);
    expect(await t.services.respondent.expireSessions()).toBeGreaterThan(0);
    const partial = await t.store.db.selectFrom('responses').select(['finished', 'recipient_id']).where('recipient_id', '=', member(1).id).execute();
    expect(partial).toEqual([{ finished: 0, recipient_id: member(1).id }]);
    const n = sink.received.length;
    await drainJobs(t);
    expect(sink.received.length).toBe(n);
    expect((await thankYous(inviteId)).map((r) => r.recipient_id)).toEqual([member(0).id]);
  });

  it('sends none to a member who unsubscribed before finishing', async () => {
    const invitation = mailTo(member(2).email, before)[0] as Received;
    const optOut = hrefs(invitation).find((h) => h.includes('/mail/unsubscribe/')) as string;
    await t.app.inject({ method: 'GET', url: path(optOut) });
    const n = sink.received.length;
    await complete(new Browser(t.app), surveyLink(invitation));
    await drainJobs(t);
    expect(sink.received.length).toBe(n);
    expect((await thankYous(inviteId)).map((r) => r.recipient_id)).toEqual([member(0).id]);
  });

  it('sends none for the anonymous link or a preview', async () => {
    const n = sink.received.length;
    await complete(new Browser(t.app), `/jfe/form/${thanked}`);
    const owner = new Browser(t.app);
    const cookie = await sessionCookie(t, f.user);
    owner.cookies.insight_session = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
    await complete(owner, `/jfe/preview/${thanked}`);
    const recorded = await t.store.db.selectFrom('responses').select(['status', 'finished', 'recipient_id']).where('survey_id', '=', thanked).where('recipient_id', 'is', null).execute();
    expect(recorded).toEqual(expect.arrayContaining([{ status: 0, finished: 1, recipient_id: null }, { status: 1, finished: 1, recipient_id: null }]));
    await drainJobs(t);
    expect(sink.received.length).toBe(n);
    expect(await t.store.db.selectFrom('distributions').select('id').where('request_type', '=', 'ThankYou').where('survey_id', '=', thanked).execute()).toHaveLength(1);
  });

  it('a response whose insert fails enqueues none; the retried submit that succeeds sends exactly one', async () => {
    const link = surveyLink(mailTo(member(3).email, before)[0] as Received);
    const b = new Browser(t.app);
    const { post, second } = await startThrough(b, link);
    const sessionId = hidden(second, '_session');
    // Another row already holds the session's response (session_id is unique): the finishing insert fails.
    const now = t.clock.now();
    await responsesStore.insertRow(t.store.db, {
      id: newId('R'), brand_id: 'acme', survey_id: thanked, response_set_id: 'Default', status: 0, finished: 0, start_date: now, end_date: now, ip_address: null,
      recipient_id: null, panel_id: null, distribution_id: null, name: null, email: null, external_ref: null, location_latitude: null, location_longitude: null,
      location_accuracy: null, session_id: sessionId, answers_values: '{}', embedded: '{}', displayed: '[]', created_at: now, updated_at: now, deleted_at: null,
    });
    const failed = await b.post(post, { ...fields(second), 'QID2:t:': 'second answer' });
    expect(failed.statusCode).toBe(500);
    const n = sink.received.length;
    await drainJobs(t);
    expect(sink.received.length).toBe(n);
    expect((await thankYous(inviteId)).map((r) => r.recipient_id)).toEqual([member(0).id]);

    await t.store.db.deleteFrom('responses').where('session_id', '=', sessionId).execute();
    const end = await b.post(post, { ...fields(second), 'QID2:t:': 'second answer' });
    expect(end.headers.location).toMatch(/\/done$/);
    await drainJobs(t);
    expect(sink.received.slice(n).map((m) => [m.to[0], m.header('Subject')])).toEqual([[member(3).email, DEFAULT_THANK_YOU_SUBJECT]]);
  });

  it('getDistributions answers a thank-you by its ID and leaves it out of the panel list', async () => {
    const [ty] = await thankYous(inviteId);
    const one = await t.services.distributions.getOne(f.user.actor, thanked, ty!.id);
    expect(one.row).toMatchObject({ request_type: 'ThankYou', parent_id: inviteId, recipient_id: member(0).id, approx_emails: 1 });
    const listed = await t.services.distributions.listForSurvey(f.user.actor, thanked, f.panelId);
    expect(listed.map((v) => v.row.id)).toEqual([inviteId]);
    // The invitation's own counters are its own: one mailing of 13 members, responses through its links.
    const parent = await t.services.distributions.getOne(f.user.actor, thanked, inviteId);
    expect(parent.counts).toMatchObject({ total: 13, sent: 12, skipped: 1 });
  });
});

describe('thank-you named by the invitation (Insight parameters)', () => {
  let plain: string;
  let custom: string;

  beforeAll(async () => {
    // The fixture's survey has no thank-you in its options.
    plain = f.surveyId;
    custom = (await t.services.messages.create(f.user.actor, f.library, { category: 'ThankYouEmails', name: 'Custom thanks', body: '<p>Much obliged, ${m://FirstName}.</p>' })).id;
  });

  it('no thank-you anywhere: none is sent', async () => {
    const before = sink.received.length;
    const id = await invite(plain, {}, f.members[4]?.id);
    const link = surveyLink(sink.received.slice(before)[0] as Received);
    await completePlain(link);
    const n = sink.received.length;
    await drainJobs(t);
    expect(sink.received.length).toBe(n);
    expect(await thankYous(id)).toEqual([]);
  });

  it('ThankYouMessageID/LibraryID/Subject on the invitation send that message, with that subject', async () => {
    const before = sink.received.length;
    const member = f.members[5] as MailFixture['members'][number];
    const id = await invite(plain, { thankYouMessageId: custom, thankYouLibraryId: f.library, thankYouSubject: 'Thanks, ${m://FirstName}' }, member.id);
    const link = surveyLink(sink.received.slice(before)[0] as Received);
    await completePlain(link);
    const n = sink.received.length;
    await drainJobs(t);
    const got = sink.received.slice(n);
    expect(got.map((m) => [m.to[0], m.header('Subject')])).toEqual([[member.email, 'Thanks, First5']]);
    expect(got[0]?.decoded).toContain('Much obliged, First5.');
    expect((await thankYous(id)).map((r) => r.message_id)).toEqual([custom]);
  });

  it('the invitation\'s message wins over the survey options; a Multiple link thanks every finished response', async () => {
    const before = sink.received.length;
    const member = f.members[6] as MailFixture['members'][number];
    const id = await invite(thanked, { thankYouMessageId: custom, thankYouLibraryId: f.library, linkType: 'Multiple' });
    const link = surveyLink(mailTo(member.email, before)[0] as Received);
    const n = sink.received.length;
    await complete(new Browser(t.app), link);
    await complete(new Browser(t.app), link);
    await drainJobs(t);
    const got = sink.received.slice(n);
    expect(got.map((m) => m.to[0])).toEqual([member.email, member.email]);
    expect(got.every((m) => m.decoded.includes('Much obliged, First6.'))).toBe(true);
    expect(new Set(got.map((m) => m.messageId)).size).toBe(2);
    expect(await thankYous(id)).toHaveLength(2);
  });
});

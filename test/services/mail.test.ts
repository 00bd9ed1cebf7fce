import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { drainJobs, finishThroughLink, seedMailFixture, startSink, type MailFixture, type Received, type Sink } from '../helpers/mail.ts';
import PostalMime from 'postal-mime';
import { formatDateTime } from '../../src/domain/dates.ts';
import { decodePersonalLink } from '../../src/domain/personal-link.ts';
import { panelsStore } from '../../src/store/panels.ts';

let sink: Sink;
let t: TestApp;
let f: MailFixture;

beforeAll(async () => {
  sink = await startSink();
  t = await createTestApp({ SMTP_URL: sink.url, PUBLIC_URL: 'http://insight.test' });
  f = await seedMailFixture(t, 'acme', 3, [{ email: 'gone@example.com', unsubscribed: true }]);
});
afterAll(async () => {
  t?.services.distributions.transport.close();
  await t?.close();
  await sink?.close();
});

const zone = 'America/Denver';
const local = (ms: number) => formatDateTime(ms, zone);

function sendInput(extra: Record<string, string | undefined> = {}) {
  return {
    surveyId: f.surveyId, sendDate: local(t.clock.now()), fromEmail: 'research@acme.example', fromName: 'Research "Team"', subject: 'Hello ${m://FirstName}',
    messageId: f.inviteId, messageLibraryId: f.library, panelId: f.panelId, panelLibraryId: f.library, ...extra,
  };
}

const mailTo = (address: string, from = 0): Received[] => sink.received.slice(from).filter((m) => m.to.includes(address));
const hrefs = (m: Received) => [...m.decoded.matchAll(/href="([^"]+)"/g)].map((x) => (x[1] as string).replace(/&amp;/g, '&'));
const path = (url: string) => url.replace('http://insight.test', '');

describe('sendSurveyToPanel over SMTP', () => {
  let distId: string;
  const start = () => sink.received.length;
  let first = 0;

  beforeAll(async () => {
    first = start();
    distId = await t.services.distributions.sendToPanel(f.user.actor, sendInput());
    await drainJobs(t);
  });

  it('sends one message per subscribed member with piped content, both parts and the bulk headers', async () => {
    const got = sink.received.slice(first);
    expect(got.map((m) => m.to[0]).sort()).toEqual(['person0@example.com', 'person1@example.com', 'person2@example.com']);
    const m = mailTo('person1@example.com', first)[0] as Received;
    expect(m.header('Subject')).toBe('Hello First1');
    expect(m.header('From')).toBe('"Research \\"Team\\"" <research@acme.example>');
    expect(m.from).toBe('noreply@insight.test');
    expect(m.messageId).toBe(`<${distId}.${f.members[1]?.id}@insight.test>`);
    expect(m.header('List-Unsubscribe')).toMatch(/^<http:\/\/insight\.test\/mail\/unsubscribe\/EMD_\w+\.MLRP_\w+\.[\w-]{22}>$/);
    expect(m.header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(m.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(m.raw).toMatch(/Content-Type: text\/plain/i);
    expect(m.decoded).toContain('Dear First1 Last1,');
    expect(m.decoded).toContain('Dept: D1');
    const links = hrefs(m);
    const survey = links.find((h) => h.includes('/jfe/form/')) as string;
    expect(decodePersonalLink(new URL(survey).searchParams.get('Q_DL'))).toEqual({ distributionId: distId, surveyId: f.surveyId, recipientId: f.members[1]?.id });
    // The text part carries the link too.
    expect(m.decoded).toMatch(/Take the survey \(http:\/\/insight\.test\/jfe\/form\/SV_\w+\?Q_DL=/);
  });

  it('personal links open the survey through the app', async () => {
    const m = mailTo('person0@example.com', first)[0] as Received;
    const survey = hrefs(m).find((h) => h.includes('/jfe/form/')) as string;
    const res = await t.app.inject({ method: 'GET', url: path(survey) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('What do you think?');
  });

  it('counts the unsubscribed member as skipped and reports Done', async () => {
    const v = await t.services.distributions.getOne(f.user.actor, f.surveyId, distId);
    expect(v.row.status).toBe('Done');
    expect(v.counts).toMatchObject({ sent: 3, skipped: 1, failed: 0, queued: 0, sending: 0 });
    expect(mailTo('gone@example.com', first)).toHaveLength(0);
  });

  it('the open pixel counts an open once', async () => {
    const m = mailTo('person2@example.com', first)[0] as Received;
    const pixel = /<img src="([^"]+\/mail\/open\/[^"]+)"/.exec(m.decoded)?.[1] as string;
    for (let i = 0; i < 2; i++) {
      const res = await t.app.inject({ method: 'GET', url: path(pixel) });
      expect(res.headers['content-type']).toBe('image/gif');
    }
    expect((await t.services.distributions.getOne(f.user.actor, f.surveyId, distId)).counts.opened).toBe(1);
    const forged = await t.app.inject({ method: 'GET', url: path(pixel).replace(/.{6}\.gif$/, 'AAAAAA.gif') });
    expect(forged.statusCode).toBe(200);
    expect((await t.services.distributions.getOne(f.user.actor, f.surveyId, distId)).counts.opened).toBe(1);
  });

  it('reminders go only to those who have not finished; the opt-out link unsubscribes', async () => {
    // person0 finishes through the personal link.
    const m0 = mailTo('person0@example.com', first)[0] as Received;
    const qdl = new URL(hrefs(m0).find((h) => h.includes('/jfe/form/')) as string).searchParams.get('Q_DL') as string;
    await finishThroughLink(t, f.surveyId, qdl);
    // person1 opts out.
    const m1 = mailTo('person1@example.com', first)[0] as Received;
    const optOut = hrefs(m1).find((h) => h.includes('/mail/unsubscribe/')) as string;
    const res = await t.app.inject({ method: 'GET', url: path(optOut) });
    expect(res.statusCode).toBe(200);
    expect((await t.services.panels.getRecipient(f.user.actor, f.library, f.members[1]?.id as string))?.unsubscribed).toBe(true);

    const v = await t.services.distributions.getOne(f.user.actor, f.surveyId, distId);
    expect([v.responded, v.finished]).toEqual([1, 1]);

    const before = sink.received.length;
    const reminderId = await t.services.distributions.sendReminder(f.user.actor, {
      parentId: distId, sendDate: local(t.clock.now()), fromEmail: 'research@acme.example', fromName: 'Research', subject: 'Reminder', messageId: f.reminderId, libraryId: f.library,
    });
    await drainJobs(t);
    const got = sink.received.slice(before);
    expect(got.map((m) => m.to[0])).toEqual(['person2@example.com']);
    // The reminder carries the parent's link, so the response continues there.
    expect(got[0]?.decoded).toContain(`Q_DL=${distId.slice(4)}_`);
    const rv = await t.services.distributions.getOne(f.user.actor, f.surveyId, reminderId);
    expect(rv.counts).toMatchObject({ sent: 1, skipped: 1 });
    expect(rv.row.parent_id).toBe(distId);
  });
});

describe('scheduling and failures', () => {
  it('a future SendDate waits for its time, then sends', async () => {
    const before = sink.received.length;
    const id = await t.services.distributions.sendToIndividual(f.user.actor, { ...sendInput({ sendDate: local(t.clock.now() + 3_600_000) }), recipientId: f.members[2]?.id });
    await drainJobs(t);
    expect(sink.received.length).toBe(before);
    expect((await t.services.distributions.getOne(f.user.actor, f.surveyId, id)).row.status).toBe('Pending');
    t.clock.advance(3_600_000);
    await drainJobs(t);
    expect(mailTo('person2@example.com', before)).toHaveLength(1);
    expect((await t.services.distributions.getOne(f.user.actor, f.surveyId, id)).row.status).toBe('Done');
  });

  it('a scheduled distribution can be cancelled before it starts', async () => {
    const before = sink.received.length;
    const id = await t.services.distributions.sendToPanel(f.user.actor, sendInput({ sendDate: local(t.clock.now() + 60_000) }));
    expect(await t.services.distributions.cancel(f.user.actor, f.surveyId, id)).toBe(true);
    t.clock.advance(60_000);
    await drainJobs(t);
    expect(sink.received.length).toBe(before);
    expect((await t.services.distributions.getOne(f.user.actor, f.surveyId, id)).row.status).toBe('Cancelled');
  });

  it('retries a temporary 4xx later and counts a permanent 5xx as failed and bounced', async () => {
    const g = await seedMailFixture(t, 'retry', 0, [{ email: 'busy@example.com' }, { email: 'nobody@example.com' }, { email: 'fine@example.com' }]);
    sink.rcptReplies.set('busy@example.com', [451]);
    sink.rcptReplies.set('nobody@example.com', [550]);
    const before = sink.received.length;
    const id = await t.services.distributions.sendToPanel(g.user.actor, {
      ...sendInput(), surveyId: g.surveyId, messageId: g.inviteId, messageLibraryId: g.library, panelId: g.panelId, panelLibraryId: g.library,
    });
    await drainJobs(t);
    expect(sink.received.slice(before).map((m) => m.to[0])).toEqual(['fine@example.com']);
    let v = await t.services.distributions.getOne(g.user.actor, g.surveyId, id);
    expect(v.counts).toMatchObject({ sent: 1, failed: 1, bounced: 1, queued: 1 });
    expect(v.row.status).toBe('Pending');
    t.clock.advance(60_000);
    await drainJobs(t);
    expect(sink.received.slice(before).map((m) => m.to[0])).toEqual(['fine@example.com', 'busy@example.com']);
    v = await t.services.distributions.getOne(g.user.actor, g.surveyId, id);
    expect(v.counts).toMatchObject({ sent: 2, failed: 1, bounced: 1, queued: 0 });
    expect(v.row.status).toBe('Done');
  });

  it('stops at a temporary failure and gives back, uncounted, the recipients it had claimed but not tried', async () => {
    // One connection, two lanes: most of the claimed batch is still untried when the first reply is a 451.
    const narrow = await createTestApp({ SMTP_URL: sink.url, SMTP_POOL_SIZE: '1' });
    try {
      const h = await seedMailFixture(narrow, 'narrow', 40, [{ email: 'later@example.com' }]);
      sink.rcptReplies.set('person0@example.com', [451]);
      const before = sink.received.length;
      const id = await narrow.services.distributions.sendToPanel(h.user.actor, {
        ...sendInput(), sendDate: local(narrow.clock.now()), surveyId: h.surveyId, messageId: h.inviteId, messageLibraryId: h.library, panelId: h.panelId, panelLibraryId: h.library,
      });
      await drainJobs(narrow);
      const first = sink.received.slice(before).map((m) => m.to[0]);
      expect(first.length).toBeLessThanOrEqual(2);
      let v = await narrow.services.distributions.getOne(h.user.actor, h.surveyId, id);
      expect(v.counts).toMatchObject({ sending: 0, failed: 0, sent: first.length, queued: 41 - first.length });
      const { recipients } = await narrow.services.distributions.recipientStatuses(h.user.actor, h.surveyId, id);
      const tried = new Set(['person0@example.com', ...first]);
      for (const r of recipients) expect([r.email, r.attempts]).toEqual([r.email, tried.has(r.email as string) ? 1 : 0]);
      narrow.clock.advance(60_000);
      await drainJobs(narrow);
      const all = sink.received.slice(before).map((m) => m.to[0] as string);
      expect(all.sort()).toEqual(h.members.map((m) => m.email).sort());
      v = await narrow.services.distributions.getOne(h.user.actor, h.surveyId, id);
      expect(v.counts).toMatchObject({ sent: 41, queued: 0, sending: 0, failed: 0 });
      expect(v.row.status).toBe('Done');
    } finally {
      narrow.services.distributions.transport.close();
      await narrow.close();
    }
  });

  it('limits the rate per brand', async () => {
    const slow = await createTestApp({ SMTP_URL: sink.url, MAIL_RATE_PER_BRAND: '10' });
    try {
      const h = await seedMailFixture(slow, 'slow', 6);
      const before = sink.received.length;
      await slow.services.distributions.sendToPanel(h.user.actor, {
        ...sendInput(), sendDate: local(slow.clock.now()), surveyId: h.surveyId, messageId: h.inviteId, messageLibraryId: h.library, panelId: h.panelId, panelLibraryId: h.library,
      });
      const started = Date.now();
      while (await slow.services.jobs.runOne('w'));
      // 6 messages at 10/s: the last one waits at least 0.5 s after the first.
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(sink.received.length - before).toBe(6);
    } finally {
      slow.services.distributions.transport.close();
      await slow.close();
    }
  });
});

describe('the message as the server receives it', () => {
  it('is well-formed MIME a parser reads back: non-ASCII subject, name and body, long lines, links, headers and pixel', async () => {
    const g = await seedMailFixture(t, 'intl', 1);
    const member = g.members[0] as MailFixture['members'][number];
    await panelsStore.updateMember(t.store.db, 'intl', member.id, { first_name: 'Zoë 😀', last_name: 'Ünal', updated_at: t.clock.now() });
    const body = `<p>Liebe \${m://FirstName} \${m://LastName}, 你好!</p><p>\${l://SurveyLink?d=Zur Umfrage}</p><p>${'sehr lange Zeile '.repeat(100)}</p><p>\${l://OptOutLink}</p>`;
    const message = await t.services.messages.create(g.user.actor, g.library, { category: 'InviteEmails', name: 'International', body });
    const before = sink.received.length;
    const id = await t.services.distributions.sendToPanel(g.user.actor, {
      ...sendInput(), surveyId: g.surveyId, messageId: message.id, messageLibraryId: g.library, panelId: g.panelId, panelLibraryId: g.library,
      fromName: 'Forschung Zürich', subject: 'Grüße \${m://FirstName} — eine kurze Umfrage',
    });
    await drainJobs(t);
    const got = sink.received.slice(before);
    expect(got).toHaveLength(1);
    const raw = got[0]?.raw as string;
    for (const line of raw.split('\r\n')) expect(line.length).toBeLessThanOrEqual(998);
    expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    expect(raw).toMatch(/^[\x20-\x7e\r\n\t]*$/);

    const parsed = await PostalMime.parse(raw);
    expect(parsed.subject).toBe('Grüße Zoë 😀 — eine kurze Umfrage');
    expect(parsed.from).toEqual({ name: 'Forschung Zürich', address: 'research@acme.example' });
    expect(parsed.to).toEqual([{ name: '', address: member.email }]);
    expect(parsed.messageId).toBe(`<${id}.${member.id}@insight.test>`);
    expect(parsed.html).toContain('<p>Liebe Zoë 😀 Ünal, 你好!</p>');
    expect(parsed.html).toContain('sehr lange Zeile '.repeat(100).trim());
    expect(parsed.text).toContain('Liebe Zoë 😀 Ünal, 你好!');
    const survey = /<a href="([^"]+)" rel="noopener noreferrer">Zur Umfrage<\/a>/.exec(parsed.html ?? '')?.[1] as string;
    expect(decodePersonalLink(new URL(survey.replace(/&amp;/g, '&')).searchParams.get('Q_DL'))).toEqual({ distributionId: id, surveyId: g.surveyId, recipientId: member.id });
    expect(parsed.text).toContain(`Zur Umfrage (${survey})`);
    const unsubscribe = parsed.headers.find((h) => h.key === 'list-unsubscribe')?.value as string;
    expect(unsubscribe).toMatch(/^<http:\/\/insight\.test\/mail\/unsubscribe\/EMD_\w+\.MLRP_\w+\.[\w-]{22}>$/);
    expect(parsed.html).toContain(`<a href="${unsubscribe.slice(1, -1)}" rel="noopener noreferrer">Click here to unsubscribe</a>`);
    expect(parsed.headers.find((h) => h.key === 'list-unsubscribe-post')?.value).toBe('List-Unsubscribe=One-Click');
    expect(parsed.html?.trim()).toMatch(/<img src="http:\/\/insight\.test\/mail\/open\/EMD_\w+\.MLRP_\w+\.[\w-]{22}\.gif" width="1" height="1" alt="">$/);
  });
});

/**
 * The survey's Distribute pages over HTTP: the form and its errors, the preview (a real member,
 * nothing stored), sends through the outbox with the counters after the jobs ran, scheduling and
 * cancelling, the recipient table, reminders, link-only distributions and their CSV, thank-you
 * e-mails and sends to one member, and refusals for users who may not use the survey (other brand,
 * same brand not shared).
 */
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQsf, te } from '../helpers/qsf.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { drainJobs, finishThroughLink, seedMailFixture, type MailFixture } from '../helpers/mail.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { signedInBrowser } from '../helpers/web.ts';
import { DEFAULT_THANK_YOU_SUBJECT } from '../../src/services/thank-you.ts';

let t: TestApp;
let f: MailFixture;
let web: Awaited<ReturnType<typeof signedInBrowser>>;
let foreign: SeededUser;
let foreignSurvey: string;
let colleague: SeededUser;

const distribute = () => `/surveys/${f.surveyId}/distribute`;
const list = () => `/surveys/${f.surveyId}/distributions`;

beforeAll(async () => {
  // No SMTP_URL: mail goes to the outbox.
  t = await createTestApp({ PUBLIC_URL: 'http://insight.test' });
  f = await seedMailFixture(t, 'acme', 3, [{ email: 'gone@example.com', unsubscribed: true }]);
  web = await signedInBrowser(t, f.user, distribute());
  colleague = await seedUser(t, 'acme', 'colleague');
  foreign = await seedBrand(t, 'globex');
  const qsf = buildQsf({ pages: [['QID1']], questions: [te('QID1', 'Q1', { text: 'Elsewhere' })] });
  foreignSurvey = await t.services.surveys.importSurvey(foreign.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });
});
afterAll(async () => t?.close());

/** A valid invitation form; tests override what they change. */
function sendForm(extra: Record<string, string> = {}): Record<string, string> {
  return {
    panel: `${f.library}:${f.panelId}`, message: `${f.library}:${f.inviteId}`, subject: 'Your view, ${m://FirstName}', fromName: 'Research team',
    fromEmail: 'research@acme.example', sentFrom: '', linkType: 'Individual', when: 'now', date: '', time: '', expiration: '', member: '', action: 'send', ...extra,
  };
}

const distributionCount = async () => (await t.services.distributions.listForSurvey(f.user.actor, f.surveyId)).length;
const outboxCount = async () => (await t.services.distributions.outbox(f.user.actor)).total;

/** The counters of one distribution as the page shows them. */
function countersIn(body: string, id: string): Record<string, number> {
  const start = body.indexOf(`data-distribution="${id}"`);
  expect(start).toBeGreaterThan(-1);
  const dl = body.slice(start, body.indexOf('</dl>', start));
  return Object.fromEntries([...dl.matchAll(/data-counter="(\w+)">(\d+)</g)].map((m) => [m[1], Number(m[2])]));
}

function idFromLocation(location: string | string[] | undefined): string {
  const m = /\/distributions\/(EMD_\w+)\?/.exec(String(location));
  if (!m) throw new Error(`no distribution in ${String(location)}`);
  return m[1] as string;
}

describe('the distribute form', () => {
  it('is a survey tab with the panels and messages the user can use, invitations first, and the time zone shown', async () => {
    const res = await web.get(distribute());
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<a href="\/surveys\/SV_\w+\/distribute" aria-current="page">Distribute<\/a>/);
    expect(res.body).toContain(`<option value="${f.library}:${f.panelId}">Invitees (4 members)</option>`);
    expect(res.body.indexOf(`${f.library}:${f.inviteId}`)).toBeLessThan(res.body.indexOf(`${f.library}:${f.reminderId}`));
    expect(res.body).toContain('<optgroup label="Invitations">');
    expect(res.body).toContain('America/Denver');
    for (const type of ['Individual', 'Multiple', 'Anonymous']) expect(res.body).toContain(`id="f-link-${type.toLowerCase()}" name="linkType" value="${type}"`);
    expect(res.body).toContain('reminders cannot be sent');
    // The sender defaults to the signed-in user.
    expect(res.body).toContain('value="mailer@acme.example"');
    // Every visible control has a label.
    const ids = [...res.body.matchAll(/<(?:input|select|textarea)[^>]*\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(10);
    for (const id of ids) expect(res.body, id).toContain(`for="${id}"`);
    // The survey's other pages link here too.
    expect((await web.get(`/surveys/${f.surveyId}/responses`)).body).toContain(`href="/surveys/${f.surveyId}/distributions"`);
  });

  it('refuses a bad form with every error next to its field, keeps the values and queues nothing', async () => {
    const res = await web.post(distribute(), sendForm({ panel: '', subject: '  ', fromEmail: 'not an address', fromName: 'Kept Name', when: 'later', date: '2026-02-30', time: '25:00' }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/<title>Error: Distribute · /);
    const summary = res.body.slice(res.body.indexOf('id="error-summary"'), res.body.indexOf('</ul>', res.body.indexOf('id="error-summary"')));
    const links = [...summary.matchAll(/href="#([\w-]+)"/g)].map((m) => m[1]);
    expect(links).toEqual(['f-panel', 'f-subject', 'f-from-email', 'f-date', 'f-time']);
    for (const id of links) {
      expect(res.body).toContain(`id="${id}-error"`);
      expect(res.body).toMatch(new RegExp(`id="${id}"[^>]*aria-describedby="[^"]*${id}-error"[^>]*aria-invalid="true"`));
    }
    expect(res.body).toContain('value="Kept Name"');
    expect(res.body).toContain('value="not an address"');
    expect(res.body).toMatch(/id="f-when-later" name="when" value="later" checked/);
    expect(await distributionCount()).toBe(0);
  });

  it('refuses a time in the past, an expiry before sending, and a message of a library the user cannot use', async () => {
    const past = await web.post(distribute(), sendForm({ when: 'later', date: '2026-11-28', time: '04:59' }));
    expect(past.statusCode).toBe(400);
    expect(past.body).toContain('id="f-date-error"');
    expect(past.body).toContain('choose a time in the future');
    const expiry = await web.post(distribute(), sendForm({ expiration: '2026-11-27' }));
    expect(expiry.statusCode).toBe(400);
    expect(expiry.body).toContain('id="f-expiration-error"');
    const message = await web.post(distribute(), sendForm({ message: `${foreign.id}:MS_000000000000000` }));
    expect(message.statusCode).toBe(400);
    expect(message.body).toContain('id="f-message-error"');
    expect(message.body).toContain('href="#f-message"');
    expect(await distributionCount()).toBe(0);
  });
});

describe('the preview', () => {
  it('renders the e-mail for a chosen member with their personal link, inertly, and stores and sends nothing', async () => {
    const member = f.members[1] as MailFixture['members'][number];
    const res = await web.post(distribute(), sendForm({ action: 'preview', member: member.id, when: 'later', date: '', time: '' }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h2 id="preview-heading">Preview for First1 Last1</h2>');
    expect(res.body).toContain('<dd>Your view, First1</dd>');
    expect(res.body).toContain('<dd>&quot;Research team&quot; &lt;research@acme.example&gt;</dd>');
    expect(res.body).toContain(`<dd>${member.email}</dd>`);
    const link = /<code id="preview-link">([^<]+)<\/code>/.exec(res.body)?.[1] ?? '';
    expect(link).toMatch(new RegExp(`^http://insight\\.test/jfe/form/${f.surveyId}\\?Q_DL=\\w{15}_${f.surveyId.slice(3)}_${member.id}$`));
    // The HTML is in a sandboxed frame's srcdoc (escaped there), the text alternative as text.
    const frame = /<iframe class="mail-body" sandbox="" title="[^"]*" srcdoc="([^"]*)"><\/iframe>/.exec(res.body);
    expect(frame?.[1]).toContain('&lt;p&gt;Dear First1 Last1,&lt;/p&gt;');
    expect(frame?.[1]).toContain(link.replace('?', '?'));
    expect(frame?.[1]).not.toContain('/mail/open/');
    expect(res.body).toMatch(/<pre class="mail-text">Dear First1 Last1,[\s\S]*Take the survey \(http:\/\/insight\.test\/jfe\/form\/SV_\w+\?Q_DL=/);
    // The member stays chosen, the form keeps its values.
    expect(res.body).toContain(`<option value="${member.id}" selected>First1 Last1 &lt;${member.email}&gt;</option>`);
    expect(await distributionCount()).toBe(0);
    expect(await outboxCount()).toBe(0);
    expect(await drainJobs(t)).toBe(0);
  });

  it('defaults to the first member, and removes scripts from the message', async () => {
    const evil = await t.services.messages.create(f.user.actor, f.library, {
      category: 'InviteEmails', name: 'Evil', body: '<p onclick="alert(1)">Hi ${m://FirstName}</p><script>alert(2)</script><img src="x" onerror="alert(3)">',
    });
    const res = await web.post(distribute(), sendForm({ action: 'preview', message: `${f.library}:${evil.id}` }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Preview for First0 Last0');
    expect(res.body).toContain('&lt;p&gt;Hi First0&lt;/p&gt;');
    expect(res.body).not.toMatch(/alert\(|onerror|onclick/);
    await t.services.messages.delete(f.user.actor, f.library, evil.id);
  });
});

let invite = '';

describe('sending through the form', () => {
  it('queues a send that the list shows pending, then with its counters after the jobs ran', async () => {
    const res = await web.post(distribute(), sendForm());
    expect(res.statusCode).toBe(303);
    invite = idFromLocation(res.headers.location);
    expect(res.headers.location).toBe(`/surveys/${f.surveyId}/distributions/${invite}?done=queued`);

    let page = await web.get(list());
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Pending (sending)');
    expect(page.body).toContain('<noscript><meta http-equiv="refresh" content="30"></noscript>');
    expect(page.body).toContain(`data-live-url="/surveys/${f.surveyId}/distributions.json"`);
    expect(countersIn(page.body, invite)).toMatchObject({ recipients: 4, sent: 0 });

    await drainJobs(t);
    page = await web.get(list());
    expect(countersIn(page.body, invite)).toEqual({ recipients: 4, queued: 0, sent: 3, failed: 0, bounced: 0, skipped: 1, opened: 0, started: 0, finished: 0 });
    expect(page.body).toContain('<strong data-status>Done</strong>');
    expect(page.body).not.toContain('http-equiv="refresh"');
    const json = await web.get(`${list()}.json`);
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({ pending: false, distributions: [{ id: invite, pending: false, status: 'Done', counters: { sent: 3, skipped: 1 } }] });

    const outbox = await t.services.distributions.outbox(f.user.actor);
    expect(outbox.messages.map((m) => m.to_address).sort()).toEqual(['person0@example.com', 'person1@example.com', 'person2@example.com']);
    expect(outbox.messages.find((m) => m.to_address === 'person2@example.com')?.subject).toBe('Your view, First2');
  });

  it('shows one distribution: settings, counters and every recipient, paged, with started and finished', async () => {
    // person0 finishes through the personal link the e-mail carried.
    const mail = (await t.services.distributions.outbox(f.user.actor)).messages.find((m) => m.to_address === 'person0@example.com');
    const qdl = /Q_DL=([\w]+)/.exec(mail?.html ?? '')?.[1] as string;
    await finishThroughLink(t, f.surveyId, qdl);

    const res = await web.get(`${list()}/${invite}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Invitation: Your view, ${m://FirstName}</h1>');
    expect(countersIn(res.body, invite)).toMatchObject({ sent: 3, skipped: 1, started: 1, finished: 1 });
    expect(res.body).toContain('<dt>Link type</dt><dd>Individual</dd>');
    expect(res.body).toContain('<dt>Message</dt><dd>Invite (');
    expect(res.body).toContain('<dt>Links expire</dt><dd><time datetime="2027-01-27T12:00:00.000Z">2027-01-27 05:00:00</time></dd>');
    const rows = [...res.body.matchAll(/<tr><th scope="row">([^<]+)<\/th>\s*<td class="status-(\w+)">[^<]*<\/td><td class="num">(\d+)<\/td><td>([^<]*)<\/td>([\s\S]*?)<\/tr>/g)];
    expect(rows.map((r) => [r[1], r[2], r[3], r[4]])).toEqual([
      ['person0@example.com', 'sent', '1', ''],
      ['person1@example.com', 'sent', '1', ''],
      ['person2@example.com', 'sent', '1', ''],
      ['gone@example.com', 'skipped', '0', 'unsubscribed'],
    ]);
    // person0's started and finished times are shown; the others have none.
    expect((rows[0]?.[5].match(/<time /g) ?? []).length).toBe(3);
    expect((rows[1]?.[5].match(/<time /g) ?? []).length).toBe(1);
  });

  it('pages the recipients with the after cursor', async () => {
    const url = `${list()}/${invite}`;
    const positions = (await t.services.distributions.recipientStatuses(f.user.actor, f.surveyId, invite, 0, 2)).next;
    const res = await web.get(`${url}?after=${positions}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('person2@example.com');
    expect(res.body).not.toContain('>person0@example.com<');
    expect(res.body).toContain(`<a href="${url}#recipients-heading">First page</a>`);
  });

  it('sends a reminder to those who have not finished, shown under its invitation', async () => {
    const url = `${list()}/${invite}`;
    const page = await web.get(url);
    expect(page.body).toContain('id="reminder-form-heading"');
    expect(page.body).toContain('value="Reminder: Your view, ${m://FirstName}"');
    const bad = await web.post(`${url}/reminders`, { _csrf: await web.csrfOf(url), message: `${f.library}:${f.reminderId}`, subject: '', fromName: 'R', fromEmail: 'r@acme.example', when: 'now' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('href="#r-subject"');
    expect(bad.body).toContain('id="r-subject-error"');
    expect(await distributionCount()).toBe(1);

    const res = await web.post(`${url}/reminders`, { _csrf: await web.csrfOf(url), message: `${f.library}:${f.reminderId}`, subject: 'Reminder', fromName: 'R', fromEmail: 'r@acme.example', when: 'now' });
    expect(res.statusCode).toBe(303);
    const reminder = idFromLocation(res.headers.location);
    await drainJobs(t);
    const sent = (await t.services.distributions.outbox(f.user.actor)).messages.filter((m) => m.distribution_id === reminder);
    expect(sent.map((m) => m.to_address).sort()).toEqual(['person1@example.com', 'person2@example.com']);
    const listed = await web.get(list());
    const nested = listed.body.slice(listed.body.indexOf('<ol class="reminders"'));
    expect(nested).toContain(`data-distribution="${reminder}"`);
    expect(countersIn(listed.body, reminder)).toMatchObject({ sent: 2 });
    const own = await web.get(`${list()}/${reminder}`);
    expect(own.body).toContain('<dt>Reminder of</dt>');
    // A reminder cannot itself be reminded.
    expect(own.body).not.toContain('id="reminder-form-heading"');
  });

  it('offers no reminder for an anonymous invitation', async () => {
    const res = await web.post(distribute(), sendForm({ linkType: 'Anonymous', subject: 'Anon' }));
    const id = idFromLocation(res.headers.location);
    await drainJobs(t);
    const page = await web.get(`${list()}/${id}`);
    expect(page.body).not.toContain('id="reminder-form-heading"');
    expect(page.body).not.toContain('links.csv');
    const forced = await web.post(`${list()}/${id}/reminders`, { _csrf: await web.csrfOf(`${list()}/${id}`), message: `${f.library}:${f.reminderId}`, subject: 'x', fromName: 'R', fromEmail: 'r@acme.example', when: 'now' });
    expect(forced.statusCode).toBe(400);
  });
});

describe('scheduling and cancelling', () => {
  it('schedules in the brand zone, lists it as scheduled, and cancels it after a confirmation', async () => {
    const res = await web.post(distribute(), sendForm({ when: 'later', date: '2026-12-01', time: '09:00', subject: 'Later' }));
    expect(res.statusCode).toBe(303);
    const id = idFromLocation(res.headers.location);
    expect(res.headers.location).toContain('done=scheduled');
    const page = await web.get(list());
    expect(page.body).toContain('Scheduled for 2026-12-01 09:00:00');
    expect(page.body).toContain(`href="${list()}/${id}/cancel"`);
    const confirm = await web.get(`${list()}/${id}/cancel`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Cancel the distribution');
    // Without the form's token nothing happens.
    expect((await web.post(`${list()}/${id}/cancel`, {}, { csrf: false })).statusCode).toBe(403);
    expect((await t.services.distributions.getOne(f.user.actor, f.surveyId, id)).row.status).toBe('Pending');

    const done = await web.post(`${list()}/${id}/cancel`, {}, { from: `${list()}/${id}/cancel` });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`${list()}?done=cancelled`);
    const after = await web.get(`${list()}?done=cancelled`);
    expect(after.body).toContain('The distribution was cancelled');
    const start = after.body.indexOf(`data-distribution="${id}"`);
    expect(after.body.slice(start, start + 600)).toContain('<strong data-status>Cancelled</strong>');
    // Once its time comes nothing is sent.
    const before = await outboxCount();
    t.clock.advance(4 * 86_400_000);
    await drainJobs(t);
    expect(await outboxCount()).toBe(before);
    // Days later: the session of the test browser has expired, a new one starts.
    web = await signedInBrowser(t, f.user, distribute());
    // A second cancel is refused politely.
    const again = await web.post(`${list()}/${id}/cancel`, {}, { from: list() });
    expect(again.headers.location).toBe(`${list()}?done=not-cancelled`);
  });
});

describe('personal links without e-mail', () => {
  it('refuses a form without description, then makes the links and offers them as CSV that open the survey', async () => {
    const bad = await web.post(`${distribute()}/links`, { _csrf: await web.csrfOf(), panel: `${f.library}:${f.panelId}`, description: '' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('href="#l-description"');
    expect(bad.body).toContain('id="l-description-error"');
    const before = await distributionCount();
    expect(before).toBeGreaterThan(0);

    const res = await web.post(`${distribute()}/links`, { _csrf: await web.csrfOf(), panel: `${f.library}:${f.panelId}`, description: 'Links for the fair' });
    expect(res.statusCode).toBe(303);
    const id = idFromLocation(res.headers.location);
    const page = await web.get(`${list()}/${id}`);
    expect(page.body).toContain('<h1>Personal links: Links for the fair</h1>');
    expect(page.body).toContain(`href="${list()}/${id}/links.csv"`);
    const listed = await web.get(list());
    expect(listed.body).toContain('Personal links: Links for the fair');

    const csv = await web.get(`${list()}/${id}/links.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="links-${id}.csv"`);
    expect(csv.body.startsWith('\ufeffRecipientID,Email,FirstName,LastName,Link\r\n')).toBe(true);
    const rows = parse(csv.body.slice(1), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => [r.RecipientID, r.Email, r.FirstName, r.LastName])).toEqual([
      ...f.members.map((m, i) => [m.id, m.email, `First${i}`, `Last${i}`]),
    ]);
    const link = new URL(rows[1]?.Link as string);
    expect(link.origin).toBe('http://insight.test');
    const open = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    expect(open.statusCode).toBe(200);
    expect(open.body).toContain('What do you think?');
  });
});

/** Takes the one-page survey to its end through the personal link of `mail`, over HTTP as a respondent would. */
async function finishThrough(mail: { html: string } | undefined): Promise<void> {
  const href = /href="(http:\/\/insight\.test\/jfe\/form\/[^"]+)"/.exec(mail?.html ?? '')?.[1];
  if (!href) throw new Error('no survey link in the e-mail');
  const link = new URL(href.replace(/&amp;/g, '&'));
  const cookies: Record<string, string> = {};
  const first = await t.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
  expect(first.statusCode).toBe(200);
  for (const c of first.cookies as Array<{ name: string; value: string }>) cookies[c.name] = c.value;
  const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(first.body)?.[1] ?? '';
  const end = await t.app.inject({
    method: 'POST', url: link.pathname, cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _session: hidden('_session'), _token: hidden('_token'), 'QID1:t:': 'fine' }).toString(),
  });
  expect(end.statusCode).toBe(303);
  expect(end.headers.location).toMatch(/\/done$/);
}

describe('thank-you e-mails and sends to one member', () => {
  let thanks = '';
  const member = (i: number) => f.members[i] as MailFixture['members'][number];
  const thankYouForm = (extra: Record<string, string> = {}) => sendForm({ thankYou: '1', thankYouMessage: `${f.library}:${thanks}`, thankYouSubject: '', ...extra });
  const mailsOf = async (distributionId: string) => (await t.services.distributions.outbox(f.user.actor)).messages.filter((m) => m.distribution_id === distributionId);
  const thankYouOf = async (parentId: string) => {
    const rows = await t.store.db.selectFrom('distributions').select('id').where('parent_id', '=', parentId).where('request_type', '=', 'ThankYou').execute();
    return Promise.all(rows.map(async (r) => mailsOf(r.id)));
  };

  beforeAll(async () => {
    thanks = (await t.services.messages.create(f.user.actor, f.library, { category: 'ThankYouEmails', name: 'Thanks', body: '<p>Thank you, ${m://FirstName}.</p>' })).id;
  });

  it('offers an optional thank-you: thank-you messages first, any message allowed, the default subject shown', async () => {
    const res = await web.get(distribute());
    const box = res.body.slice(res.body.indexOf('<legend>Thank-you e-mail</legend>'), res.body.indexOf('</fieldset>', res.body.indexOf('<legend>Thank-you e-mail</legend>')));
    expect(box).toMatch(/<input type="checkbox" id="f-thank-you" name="thankYou" value="1" aria-describedby="f-thank-you-hint">/);
    expect(box).toContain('<label for="f-thank-you">Send a thank-you e-mail when a recipient finishes</label>');
    expect(box).toMatch(/<select id="f-thank-you-message" name="thankYouMessage" aria-describedby/);
    expect(box.indexOf('<optgroup label="Thank-you e-mails">')).toBeGreaterThan(-1);
    expect(box.indexOf(`${f.library}:${thanks}`)).toBeLessThan(box.indexOf(`${f.library}:${f.inviteId}`));
    expect(box).toContain(`placeholder="${DEFAULT_THANK_YOU_SUBJECT}"`);
    expect(res.body).toContain('id="f-recipient" name="recipient" value=""');
  });

  it('sends the thank-you of the form to a recipient who finishes through the e-mailed link, with its subject piped', async () => {
    const res = await web.post(distribute(), thankYouForm({ subject: 'Thanked panel', thankYouSubject: 'Thanks, ${m://FirstName}' }));
    expect(res.statusCode).toBe(303);
    const id = idFromLocation(res.headers.location);
    await drainJobs(t);
    const invitations = await mailsOf(id);
    expect(invitations.map((m) => m.to_address).sort()).toEqual(['person0@example.com', 'person1@example.com', 'person2@example.com']);
    expect(await thankYouOf(id)).toEqual([]);

    await finishThrough(invitations.find((m) => m.to_address === member(1).email));
    await drainJobs(t);
    const [thanked, ...more] = await thankYouOf(id);
    expect(more).toEqual([]);
    expect(thanked?.map((m) => [m.to_address, m.subject, m.from_address])).toEqual([[member(1).email, 'Thanks, First1', '"Research team" <research@acme.example>']]);
    expect(thanked?.[0]?.html).toContain('Thank you, First1.');

    const page = await web.get(`${list()}/${id}`);
    expect(page.body).toContain(`<dt>Thank-you message</dt><dd>Thanks (${thanks})</dd>`);
    expect(page.body).toContain('<dt>Thank-you subject</dt><dd>Thanks, ${m://FirstName}</dd>');
  });

  it('sends to one member of the panel only, thanked with the default subject; the page shows both', async () => {
    const res = await web.post(distribute(), thankYouForm({ subject: 'Just you', recipient: member(2).id }));
    expect(res.statusCode).toBe(303);
    const id = idFromLocation(res.headers.location);
    await drainJobs(t);
    const invitations = await mailsOf(id);
    expect(invitations.map((m) => m.to_address)).toEqual([member(2).email]);
    await finishThrough(invitations[0]);
    await drainJobs(t);
    expect((await thankYouOf(id)).flat().map((m) => [m.to_address, m.subject])).toEqual([[member(2).email, DEFAULT_THANK_YOU_SUBJECT]]);

    const page = await web.get(`${list()}/${id}`);
    expect(page.body).toContain(`<dt>Recipient</dt><dd><code>${member(2).id}</code></dd>`);
    expect(page.body).toContain(`<dt>Thank-you subject</dt><dd>${DEFAULT_THANK_YOU_SUBJECT} (default)</dd>`);
    // An invitation without one says what applies instead.
    expect((await web.get(`${list()}/${invite}`)).body).toContain('<dt>Thank-you e-mail</dt><dd>Not set on this invitation');
  });

  it('refuses a thank-you for anonymous links next to the thank-you, keeps the values and queues nothing', async () => {
    const before = await distributionCount();
    const res = await web.post(distribute(), thankYouForm({ linkType: 'Anonymous', thankYouSubject: 'Kept subject' }));
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<a href="#f-thank-you">Thank-you e-mail: anonymous links cannot be thanked');
    expect(res.body).toMatch(/<p class="field-error" id="f-thank-you-error">[^<]*<span class="visually-hidden">Error: <\/span>anonymous links cannot be thanked/);
    expect(res.body).toMatch(/id="f-thank-you" name="thankYou" value="1" checked aria-describedby="f-thank-you-hint f-thank-you-error" aria-invalid="true"/);
    expect(res.body).toContain(`<option value="${f.library}:${thanks}" selected>`);
    expect(res.body).toContain('value="Kept subject"');
    expect(res.body).toMatch(/id="f-link-anonymous" name="linkType" value="Anonymous" checked/);
    expect(await distributionCount()).toBe(before);
    expect(await drainJobs(t)).toBe(0);
  });

  it('shows the service\'s refusals of the thank-you message and of the member at their fields; unticked, the thank-you is ignored', async () => {
    const before = await distributionCount();
    const missing = await web.post(distribute(), thankYouForm({ thankYouMessage: '' }));
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('id="f-thank-you-message-error"');
    const foreignMessage = await web.post(distribute(), thankYouForm({ thankYouMessage: `${foreign.id}:MS_000000000000000` }));
    expect(foreignMessage.statusCode).toBe(400);
    expect(foreignMessage.body).toContain('<a href="#f-thank-you-message">Thank-you message: that message is not in a library you can use.</a>');
    expect(foreignMessage.body).toMatch(/id="f-thank-you-message" name="thankYouMessage" aria-describedby="f-thank-you-message-hint f-thank-you-message-error" aria-invalid="true"/);
    const malformed = await web.post(distribute(), sendForm({ recipient: 'nobody' }));
    expect(malformed.body).toContain('id="f-recipient-error"');
    const stranger = await web.post(distribute(), sendForm({ recipient: 'MLRP_000000000000000' }));
    expect(stranger.statusCode).toBe(400);
    expect(stranger.body).toContain('<a href="#f-recipient">Send to one member only: enter the Recipient ID of a member of the chosen panel');
    expect(stranger.body).toContain('value="MLRP_000000000000000"');
    expect(await distributionCount()).toBe(before);

    const unticked = await web.post(distribute(), sendForm({ subject: 'No thanks', thankYouMessage: `${f.library}:${thanks}`, recipient: member(0).id }));
    expect(unticked.statusCode).toBe(303);
    const row = (await t.services.distributions.getOne(f.user.actor, f.surveyId, idFromLocation(unticked.headers.location))).row;
    expect(row).toMatchObject({ recipient_id: member(0).id, thank_you_message_id: null, thank_you_subject: null });
  });
});

describe('who may see and act', () => {
  it('answers 404 to another brand\'s user and to a colleague the survey is not shared with, and changes nothing', async () => {
    const id = invite;
    const urls = [distribute(), list(), `${list()}.json`, `${list()}/${id}`, `${list()}/${id}/links.csv`, `${list()}/${id}/cancel`];
    for (const user of [foreign, colleague]) {
      const other = await signedInBrowser(t, user, '/surveys');
      for (const url of urls) {
        const res = await other.get(url);
        expect(res.statusCode, `${user.username} ${url}`).toBe(404);
        expect(res.body).not.toContain('person0@example.com');
      }
      const token = await other.csrfOf('/surveys');
      const count = await distributionCount();
      expect((await other.post(distribute(), { ...sendForm(), _csrf: token })).statusCode).toBe(404);
      expect((await other.post(`${distribute()}/links`, { _csrf: token, panel: `${f.library}:${f.panelId}`, description: 'x' })).statusCode).toBe(404);
      expect((await other.post(`${list()}/${id}/reminders`, { ...sendForm(), _csrf: token })).statusCode).toBe(404);
      expect(await distributionCount()).toBe(count);
    }
  });

  it('does not let another brand reach this brand\'s distributions, panels or messages through its own survey', async () => {
    const other = await signedInBrowser(t, foreign, '/surveys');
    const own = `/surveys/${foreignSurvey}/distributions`;
    expect((await other.get(`${own}/${invite}`)).statusCode).toBe(404);
    expect((await other.get(`${own}/${invite}/links.csv`)).statusCode).toBe(404);
    const form = await other.get(`/surveys/${foreignSurvey}/distribute`);
    expect(form.statusCode).toBe(200);
    expect(form.body).not.toContain(f.panelId);
    expect(form.body).not.toContain(f.inviteId);
    const res = await other.post(`/surveys/${foreignSurvey}/distribute`, { ...sendForm(), _csrf: await other.csrfOf(`/surveys/${foreignSurvey}/distribute`) });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/id="f-(panel|message)-error"/);
    const preview = await other.post(`/surveys/${foreignSurvey}/distribute`, { ...sendForm({ action: 'preview' }), _csrf: await other.csrfOf(`/surveys/${foreignSurvey}/distribute`) });
    expect(preview.statusCode).toBe(400);
    expect(preview.body).not.toContain('First0');
    expect(await t.services.distributions.listForSurvey(foreign.actor, foreignSurvey)).toEqual([]);
  });

  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const res = await t.app.inject({ method: 'GET', url: distribute() });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('/login?next=');
  });
});

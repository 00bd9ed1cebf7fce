import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { drainJobs, seedMailFixture, type MailFixture } from '../helpers/mail.ts';
import { seedBrand, seedUser } from '../helpers/seed.ts';
import { apiGet, apiPost, creds } from '../helpers/wrapi.ts';
import { expectInvalidParam, expectSuccess } from './support.ts';
import { formatDateTime } from '../../src/domain/dates.ts';
import { DEFAULT_THANK_YOU_SUBJECT } from '../../src/services/thank-you.ts';

/** getRecipient's histories, and the thank-you parameters of the send Requests, over the API (mail in the outbox). */

let t: TestApp;
let f: MailFixture;
let thanks: string;
let zone: string;

beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL: 'http://insight.test' });
  f = await seedMailFixture(t, 'acme', 2, [{ email: 'gone@example.com', unsubscribed: true }]);
  thanks = (await t.services.messages.create(f.user.actor, f.library, { category: 'ThankYouEmails', name: 'Thanks', body: '<p>Thanks ${m://FirstName}</p>' })).id;
  zone = await t.services.accounts.timeZone('acme');
});
afterAll(async () => t?.close());

const member = (i: number) => f.members[i] as MailFixture['members'][number];
const local = (ms: number) => formatDateTime(ms, zone);

const send = (request: string, extra: Record<string, string> = {}) =>
  apiPost(t.app, {
    Request: request, ...creds(f.user), SurveyID: f.surveyId, SendDate: local(t.clock.now()), FromEmail: 'research@acme.example', FromName: 'Research',
    Subject: 'Invitation', MessageID: f.inviteId, MessageLibraryID: f.library, PanelID: f.panelId, PanelLibraryID: f.library, ...extra,
  });

const getRecipient = (recipientId: string, user = f.user, libraryId = f.library) =>
  apiGet(t.app, { Request: 'getRecipient', ...creds(user), LibraryID: libraryId, RecipientID: recipientId });

/** Finishes the one-page survey through the recipient's personal link of `distributionId`. */
async function finish(distributionId: string, recipientId: string): Promise<string> {
  const personalLink = t.services.respondent.personalLink(distributionId, recipientId, f.surveyId);
  const entry = await t.services.respondent.enter({ ip: '203.0.113.9', userAgent: 'test', surveyId: f.surveyId, mode: 'personal', personalLink, query: {} });
  if (entry.kind !== 'page') throw new Error(JSON.stringify(entry));
  const end = await t.services.respondent.submit({
    ip: '203.0.113.9', userAgent: 'test', surveyId: f.surveyId, sessionId: entry.page.sessionId, pageToken: entry.page.pageToken, action: 'next',
    answers: { QID1: { text: { '': 'fine' } } }, confirmSoft: false,
  });
  if (end.kind !== 'end' || !end.responseId) throw new Error(JSON.stringify(end));
  return end.responseId;
}

describe('thank-you parameters of the send Requests', () => {
  it('refuses a thank-you message without its library, an unknown one, and any with anonymous links, creating nothing', async () => {
    const count = async () => (await t.store.db.selectFrom('distributions').select('id').execute()).length;
    const before = await count();
    expectInvalidParam(await send('sendSurveyToPanel', { ThankYouMessageID: thanks }), 'sendSurveyToPanel', 'ThankYouLibraryID');
    expectInvalidParam(await send('sendSurveyToPanel', { ThankYouMessageID: 'MS_0000000000none', ThankYouLibraryID: f.library }), 'sendSurveyToPanel', 'ThankYouMessageID');
    expectInvalidParam(await send('sendSurveyToPanel', { ThankYouLibraryID: f.library }), 'sendSurveyToPanel', 'ThankYouMessageID');
    expectInvalidParam(await send('sendSurveyToPanel', { ThankYouMessageID: thanks, ThankYouLibraryID: 'UR_0000000000none' }), 'sendSurveyToPanel', 'ThankYouLibraryID');
    expectInvalidParam(await send('sendSurveyToPanel', { LinkType: 'Anonymous', ThankYouMessageID: thanks, ThankYouLibraryID: f.library }), 'sendSurveyToPanel', 'ThankYouMessageID');
    expectInvalidParam(
      await send('sendSurveyToIndividual', { RecipientID: member(0).id, ThankYouMessageID: thanks, ThankYouLibraryID: f.library, ThankYouSubject: 'x'.repeat(999) }),
      'sendSurveyToIndividual', 'ThankYouSubject',
    );
    expect(await count()).toBe(before);
  });

  it('the docs page describes the parameters as Insight additions', async () => {
    const docs = await t.app.inject({ method: 'GET', url: '/WRAPI/ControlPanel/docs.php' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('ThankYouMessageID');
    expect(docs.body).toContain('RecipientEmailHistory');
  });
});

describe('getRecipient histories', () => {
  let inviteId: string;
  let reminderId: string;
  let thankYouId: string;
  let responseId: string;
  let finishedAt: number;

  beforeAll(async () => {
    const r = await send('sendSurveyToPanel', { ThankYouMessageID: thanks, ThankYouLibraryID: f.library });
    expectSuccess(r);
    inviteId = r.json.Result.EmailDistributionID;
    await drainJobs(t);
    t.clock.advance(60_000);
    finishedAt = t.clock.now();
    responseId = await finish(inviteId, member(0).id);
    await drainJobs(t);
    thankYouId = (await t.store.db.selectFrom('distributions').select('id').where('request_type', '=', 'ThankYou').executeTakeFirstOrThrow()).id;
    t.clock.advance(60_000);
    const rem = await apiPost(t.app, {
      Request: 'sendReminder', ...creds(f.user), ParentEmailDistributionID: inviteId, SendDate: local(t.clock.now()), FromEmail: 'research@acme.example',
      FromName: 'Research', Subject: 'Reminder', MessageID: f.reminderId, LibraryID: f.library,
    });
    expectSuccess(rem);
    reminderId = rem.json.Result.EmailDistributionID;
    await drainJobs(t);
  });

  it('is null for a recipient with no history, as recorded', async () => {
    const added = await apiPost(t.app, { Request: 'addRecipient', ...creds(f.user), LibraryID: f.library, PanelID: f.panelId, Email: 'late@example.com' });
    const r = await getRecipient(added.json.Result.RecipientID);
    expectSuccess(r);
    expect(r.json.Result.Recipient).toMatchObject({ RecipientResponseHistory: null, RecipientEmailHistory: null });
  });

  it('lists the response and the mailings (invitation, thank-you) of a recipient who finished', async () => {
    const r = await getRecipient(member(0).id);
    expectSuccess(r);
    const rec = r.json.Result.Recipient;
    expect(Object.keys(rec)).toEqual([
      'PanelMemberID', 'PanelID', 'FirstName', 'LastName', 'Email', 'ExternalDataReference', 'EmbeddedData', 'Language', 'RecipientResponseHistory', 'RecipientEmailHistory', 'Unsubscribed',
    ]);
    expect(rec.RecipientResponseHistory).toEqual([{ ResponseID: responseId, SurveyID: f.surveyId, TimeStamp: local(finishedAt), EmailDistributionID: inviteId, FinishedSurvey: '1' }]);
    expect(rec.RecipientEmailHistory).toEqual([
      { EmailDistributionID: inviteId, SurveyID: f.surveyId, Type: 'Invite', Status: 'sent', SentDate: local(finishedAt - 60_000), OpenedDate: null },
      { EmailDistributionID: thankYouId, SurveyID: f.surveyId, Type: 'ThankYou', Status: 'sent', SentDate: local(finishedAt), OpenedDate: null },
    ]);
    // The thank-you went to the outbox with the default subject.
    const outbox = await t.services.distributions.outbox(f.user.actor);
    expect(outbox.messages.filter((m) => m.distribution_id === thankYouId).map((m) => [m.to_address, m.subject])).toEqual([[member(0).email, DEFAULT_THANK_YOU_SUBJECT]]);
  });

  it('shows the reminder and the open of a recipient who has not finished, and a skipped mailing', async () => {
    const invitation = await t.store.db.selectFrom('distribution_recipients').select('opened_at').where('distribution_id', '=', inviteId).where('recipient_id', '=', member(1).id).executeTakeFirstOrThrow();
    expect(invitation.opened_at).toBeNull();
    const pixel = `/mail/open/${t.services.distributions.trackingToken(inviteId, member(1).id)}.gif`;
    expect((await t.app.inject({ method: 'GET', url: pixel })).statusCode).toBe(200);
    const rec = (await getRecipient(member(1).id)).json.Result.Recipient;
    expect(rec.RecipientResponseHistory).toBeNull();
    expect(rec.RecipientEmailHistory.map((e: Record<string, unknown>) => [e.EmailDistributionID, e.Type, e.Status])).toEqual([
      [inviteId, 'Invite', 'sent'],
      [reminderId, 'Reminder', 'sent'],
    ]);
    expect(rec.RecipientEmailHistory[0].OpenedDate).toBe(local(t.clock.now()));
    const gone = f.members[2] as MailFixture['members'][number];
    const skipped = (await getRecipient(gone.id)).json.Result.Recipient;
    expect(skipped.RecipientEmailHistory).toEqual([{ EmailDistributionID: inviteId, SurveyID: f.surveyId, Type: 'Invite', Status: 'skipped', SentDate: null, OpenedDate: null }]);
  });

  it('updateRecipient answers the same histories', async () => {
    const r = await apiPost(t.app, { Request: 'updateRecipient', ...creds(f.user), LibraryID: f.library, RecipientID: member(0).id, FirstName: 'Renamed' });
    expectSuccess(r);
    expect(r.json.Result.Recipient.FirstName).toBe('Renamed');
    expect(r.json.Result.Recipient.RecipientResponseHistory).toHaveLength(1);
    expect(r.json.Result.Recipient.RecipientEmailHistory).toHaveLength(2);
  });

  it('getDistributions answers the thank-you by ID and lists only the invitation and reminder', async () => {
    const one = await apiGet(t.app, { Request: 'getDistributions', ...creds(f.user), SurveyID: f.surveyId, DistributionID: thankYouId });
    expectSuccess(one);
    expect(one.json.Result.Distributions).toMatchObject({
      EmailDistributionID: thankYouId, ParentEmailDistributionID: inviteId, RequestType: 'ThankYou', RequestStatus: 'Done', RecipientID: member(0).id,
      ApproxEmails: 1, EmailsSent: '1', MessageID: thanks, Subject: DEFAULT_THANK_YOU_SUBJECT, FromEmailAddress: 'research@acme.example', FromName: 'Research',
    });
    const list = await apiGet(t.app, { Request: 'getDistributions', ...creds(f.user), SurveyID: f.surveyId, PanelID: f.panelId });
    expect(list.json.Result.Distributions.map((d: Record<string, unknown>) => d.EmailDistributionID)).toEqual([inviteId, reminderId]);
    const all = await apiGet(t.app, { Request: 'listDistributions', ...creds(f.user), SurveyID: f.surveyId });
    expect(all.json.Result.Distributions.map((d: Record<string, unknown>) => d.RequestType)).toEqual(['Invite', 'Reminder']);
  });

  it('shows nothing to another brand', async () => {
    await seedBrand(t, 'other');
    const stranger = await seedUser(t, 'other', 'stranger');
    const r = await getRecipient(member(0).id, stranger, stranger.id);
    expectSuccess(r);
    expect(r.json.Result.Recipient).toBeNull();
  });
});

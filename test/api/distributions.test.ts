import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { drainJobs, seedMailFixture, type MailFixture } from '../helpers/mail.ts';
import { seedUser, type SeededUser } from '../helpers/seed.ts';
import { apiGet, apiPost, creds } from '../helpers/wrapi.ts';
import { call, expectInvalidParam, expectJsonError, expectSuccess } from './support.ts';

const UNKNOWN = { http: 500, code: 'ESRV18', message: 'This survey is Unknown to this user account.' };
const KEYS = [
  'EmailDistributionID', 'ParentEmailDistributionID', 'OwnerID', 'ServerID', 'BrandID', 'RequestStatus', 'RequestType', 'SurveyID', 'DistributionQueueID',
  'IndexID', 'SendDate', 'ApproxEmails', 'EmailsSent', 'EmailsFailed', 'EmailsResponded', 'EmailsBounced', 'EmailsOpened', 'EmailsSkipped',
  'LastRecipientRowID', 'SurveysFinished', 'DistributionLog', 'Temporary', 'Complaints', 'JobID', 'DeletedDate', 'CreatedDate', 'ModifiedDate',
  'SentFromAddress', 'FromEmailAddress', 'FromName', 'Subject', 'MessageLibraryID', 'MessageID', 'ExpirationDate', 'LinkType', 'MailingListID',
  'RecipientID', 'PanelID', 'IDS', 'ExpireDay', 'RecipientLibraryID', 'UseDistributionLink',
];

let t: TestApp;
let f: MailFixture;
let other: SeededUser;

beforeAll(async () => {
  // No SMTP_URL: mail goes to the outbox.
  t = await createTestApp({ PUBLIC_URL: 'http://insight.test' });
  f = await seedMailFixture(t, 'acme', 2, [{ email: 'gone@example.com', unsubscribed: true }]);
  other = await seedUser(t, 'acme', 'other');
});
afterAll(async () => t?.close());

const send = (request: string, extra: Record<string, string> = {}) =>
  apiPost(t.app, {
    Request: request, ...creds(f.user), SurveyID: f.surveyId, SendDate: '2026-11-28 05:00:00', FromEmail: 'example@example.com', FromName: 'yes_qualtrics',
    Subject: 'game convention', MessageID: f.inviteId, MessageLibraryID: f.library, PanelID: f.panelId, PanelLibraryID: f.library, ...extra,
  });

describe('sendSurveyToIndividual / getDistributions', () => {
  it('answers the recorded shape, then reports Pending → Done with every field in order', async () => {
    const r = await send('sendSurveyToIndividual', { RecipientID: f.members[0]?.id as string, SentFromAddress: 'noreply@qemailserver.com' });
    expectSuccess(r);
    const id = r.json.Result.EmailDistributionID as string;
    expect(id).toMatch(/^EMD_[0-9a-e][0-9A-Za-z]{14}$/);
    expect(r.body).toBe(`{"Meta":{"Status":"Success","Debug":""},"Result":{"Success":true,"EmailDistributionID":"${id}","DistributionQueueID":"${id}"}}`);

    const get = () => apiGet(t.app, { Request: 'getDistributions', ...creds(f.user), SurveyID: f.surveyId, LibraryID: f.library, DistributionID: id });
    let g = await get();
    expectSuccess(g);
    const d = g.json.Result.Distributions;
    expect(Object.keys(d)).toEqual(KEYS);
    expect(d).toMatchObject({
      EmailDistributionID: id, ParentEmailDistributionID: null, OwnerID: f.user.id, ServerID: null, BrandID: 'acme', RequestStatus: 'Pending', RequestType: 'Invite',
      SurveyID: f.surveyId, DistributionQueueID: null, IndexID: f.panelId, SendDate: '2026-11-28 05:00:00', ApproxEmails: 1, EmailsSent: '0', EmailsFailed: '0',
      EmailsResponded: '0', EmailsBounced: '0', EmailsOpened: '0', EmailsSkipped: '0', LastRecipientRowID: null, SurveysFinished: '0', DistributionLog: null,
      Temporary: '0', Complaints: '0', DeletedDate: null, CreatedDate: '2026-11-28 05:00:00', SentFromAddress: 'noreply@qemailserver.com',
      FromEmailAddress: 'example@example.com', FromName: 'yes_qualtrics', Subject: 'game convention', MessageLibraryID: f.library, MessageID: f.inviteId,
      ExpirationDate: '2027-01-27 05:00:00', LinkType: 'Individual', MailingListID: f.panelId, RecipientID: f.members[0]?.id, PanelID: f.panelId,
      IDS: { MessageLibraryID: f.library, RecipientLibraryID: f.library, RecipientMailingListID: f.panelId }, ExpireDay: 'custom', RecipientLibraryID: f.library,
      UseDistributionLink: false,
    });
    expect(d.JobID).toMatch(/^J_/);
    await drainJobs(t);
    g = await get();
    expect(g.json.Result.Distributions).toMatchObject({ RequestStatus: 'Done', EmailsSent: '1' });
    // The outbox holds exactly that message.
    const outbox = await t.services.distributions.outbox(f.user.actor);
    expect(outbox.messages.map((m) => m.to_address)).toEqual([f.members[0]?.email]);
  });

  it('by PanelID lists the panel\'s distributions as an array; panel sends have no RecipientID and count skipped members', async () => {
    t.clock.advance(1000); // oldest first: the individual send above comes first
    const r = await send('sendSurveyToPanel', { LinkType: 'Multiple' });
    expectSuccess(r);
    await drainJobs(t);
    const g = await apiGet(t.app, { Request: 'getDistributions', ...creds(f.user), SurveyID: f.surveyId, LibraryID: f.library, PanelID: f.panelId });
    expectSuccess(g);
    const list = g.json.Result.Distributions;
    expect(Array.isArray(list)).toBe(true);
    expect(list).toHaveLength(2);
    const panel = list[1];
    expect(Object.keys(panel)).toEqual(KEYS.filter((k) => k !== 'RecipientID'));
    expect(panel).toMatchObject({ EmailDistributionID: r.json.Result.EmailDistributionID, LinkType: 'Multiple', ApproxEmails: 3, EmailsSent: '2', EmailsSkipped: '1', RequestStatus: 'Done' });
  });

  it('ESRV18 for an unknown or foreign survey, before the empty LibraryID', async () => {
    const g = await apiGet(t.app, { Request: 'getDistributions', ...creds(f.user), SurveyID: 'SV_0000000000000zz', LibraryID: '', DistributionID: 'EMD_000000000000000' });
    expectJsonError(g, 'getDistributions', UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
    const foreign = await apiGet(t.app, { Request: 'getDistributions', ...creds(other), SurveyID: f.surveyId, LibraryID: '', PanelID: f.panelId });
    expectJsonError(foreign, 'getDistributions', UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
    const s = await send('sendSurveyToPanel', { SurveyID: 'SV_0000000000000zz' });
    expectJsonError(s, 'sendSurveyToPanel', UNKNOWN.http, UNKNOWN.code, UNKNOWN.message);
  });

  it('refuses bad parameters with ESRV35', async () => {
    expectInvalidParam(await send('sendSurveyToPanel', { LinkType: 'Sometimes' }), 'sendSurveyToPanel', 'LinkType');
    expectInvalidParam(await send('sendSurveyToPanel', { SendDate: '2026-02-30 10:00:00' }), 'sendSurveyToPanel', 'SendDate');
    expectInvalidParam(await send('sendSurveyToPanel', { FromEmail: 'not an address' }), 'sendSurveyToPanel', 'FromEmail');
    expectInvalidParam(await send('sendSurveyToPanel', { MessageID: 'MS_000000000000000' }), 'sendSurveyToPanel', 'MessageID');
    expectInvalidParam(await send('sendSurveyToPanel', { PanelID: 'ML_000000000000000' }), 'sendSurveyToPanel', 'PanelID');
    expectInvalidParam(await send('sendSurveyToIndividual', { RecipientID: 'MLRP_000000000000000' }), 'sendSurveyToIndividual', 'RecipientID');
    const rem = await apiPost(t.app, {
      Request: 'sendReminder', ...creds(f.user), ParentEmailDistributionID: 'EMD_000000000000000', SendDate: '2026-11-28 05:00:00', FromEmail: 'a@b.example',
      FromName: 'x', Subject: 'y', MessageID: f.reminderId, LibraryID: f.library,
    });
    expectInvalidParam(rem, 'sendReminder', 'ParentEmailDistributionID');
  });
});

describe('sendReminder, createDistribution and the additions', () => {
  it('sendReminder answers a new ID and shows as a Reminder of its parent', async () => {
    const parent = (await send('sendSurveyToPanel')).json.Result.EmailDistributionID as string;
    await drainJobs(t);
    const r = await apiPost(t.app, {
      Request: 'sendReminder', ...creds(f.user), ParentEmailDistributionID: parent, SendDate: '2026-11-28 05:00:00', FromEmail: 'a@b.example',
      FromName: 'x', Subject: 'y', MessageID: f.reminderId, LibraryID: f.library,
    });
    expectSuccess(r);
    const id = r.json.Result.EmailDistributionID as string;
    expect(id).not.toBe(parent);
    await drainJobs(t);
    const g = await apiGet(t.app, { Request: 'getDistributions', ...creds(f.user), SurveyID: f.surveyId, DistributionID: id });
    expect(g.json.Result.Distributions).toMatchObject({ ParentEmailDistributionID: parent, RequestType: 'Reminder', EmailsSent: '2', RequestStatus: 'Done', MessageID: f.reminderId });
  });

  it('createDistribution returns an ID whose personal links open the survey', async () => {
    const r = await apiPost(t.app, { Request: 'createDistribution', ...creds(f.user), SurveyID: f.surveyId, PanelID: f.panelId, Description: 'links', PanelLibraryID: f.library });
    expectSuccess(r);
    const id = r.json.Result.EmailDistributionID as string;
    expect(Object.keys(r.json.Result)).toEqual(['EmailDistributionID']);
    const qdl = `${id.slice(4)}_${f.surveyId.slice(3)}_${f.members[1]?.id}`;
    const res = await call(t.app, { method: 'GET', url: `/jfe/form/${f.surveyId}?Q_DL=${qdl}` });
    expect(res.status).toBe(200);
    expect(res.body).toContain('What do you think?');
    const g = await apiGet(t.app, { Request: 'getDistributions', ...creds(f.user), SurveyID: f.surveyId, DistributionID: id });
    expect(g.json.Result.Distributions).toMatchObject({ RequestType: 'Links', RequestStatus: 'Done', EmailsSent: '0' });
  });

  it('listDistributions, cancelDistribution and getDistributionRecipients', async () => {
    const scheduled = (await send('sendSurveyToPanel', { SendDate: '2026-12-01 09:00:00' })).json.Result.EmailDistributionID as string;
    const c = await apiPost(t.app, { Request: 'cancelDistribution', ...creds(f.user), SurveyID: f.surveyId, DistributionID: scheduled });
    expect(c.json.Result).toEqual({ Success: true });
    const again = await apiPost(t.app, { Request: 'cancelDistribution', ...creds(f.user), SurveyID: f.surveyId, DistributionID: scheduled });
    expect(again.json.Result).toEqual({ Success: false });
    const list = await apiGet(t.app, { Request: 'listDistributions', ...creds(f.user), SurveyID: f.surveyId });
    const row = list.json.Result.Distributions.find((d: { EmailDistributionID: string }) => d.EmailDistributionID === scheduled);
    expect(row).toMatchObject({ RequestStatus: 'Cancelled', SendDate: '2026-12-01 09:00:00' });
    expect(row.DeletedDate).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    const panelSend = (await send('sendSurveyToPanel')).json.Result.EmailDistributionID as string;
    await drainJobs(t);
    const rec = await apiGet(t.app, { Request: 'getDistributionRecipients', ...creds(f.user), SurveyID: f.surveyId, DistributionID: panelSend, NumberOfRecords: '2' });
    expectSuccess(rec);
    expect(rec.json.Result.Recipients.map((x: { Status: string }) => x.Status)).toEqual(['sent', 'sent']);
    expect(rec.json.Result.Recipients[0]).toMatchObject({ RecipientID: f.members[0]?.id, Email: f.members[0]?.email, Attempts: 1, Error: null, OpenedDate: null });
    const next = await apiGet(t.app, {
      Request: 'getDistributionRecipients', ...creds(f.user), SurveyID: f.surveyId, DistributionID: panelSend, AfterPosition: String(rec.json.Result.NextPosition),
    });
    expect(next.json.Result).toMatchObject({ Recipients: [{ Email: 'gone@example.com', Status: 'skipped', Error: 'unsubscribed' }], NextPosition: null });
  });

  it('the outbox page lists the messages to a signed-in user only', async () => {
    const anon = await call(t.app, { method: 'GET', url: '/outbox' });
    expect(anon.status).toBe(303);
  });
});

import type { DistributionView, RecipientStatusView } from '../../../services/distributions.ts';
import { viewDate } from '../../../services/distributions.ts';
import { invalidParam } from '../../../services/errors.ts';
import { DEFAULT_THANK_YOU_SUBJECT } from '../../../services/thank-you.ts';
import { defineRequest, optional, required } from '../registry.ts';

/**
 * Distributions (spec §2.7, §5; wire §4.15–4.16). The send Requests only queue a job and answer at
 * once; getDistributions reports the job's progress through RequestStatus and the counters.
 * listDistributions, cancelDistribution and getDistributionRecipients are Insight additions.
 */

const SEND_DATE = 'YYYY-MM-DD HH:MM:SS in the brand\'s time zone; now or past sends at once, a future date is scheduled';
const sendParams = {
  SurveyID: required('The survey (SV_…)', 100),
  SendDate: required(SEND_DATE, 40),
  FromEmail: required('The sender address shown in From', 320),
  FromName: required('The sender name shown in From', 255),
  Subject: required('The subject; may hold piped text such as ${m://FirstName}', 998),
  MessageID: required('The library message (MS_…), usually an InviteEmails one', 100),
  MessageLibraryID: required('The library of the message (UR_… or GR_…)', 100),
  PanelID: required('The panel (ML_…)', 100),
  PanelLibraryID: required('The library of the panel', 100),
  SentFromAddress: optional('Envelope sender (Return-Path); default noreply@ the PUBLIC_URL host', 320),
  ExpirationDate: optional('When the personal links stop working (brand time zone); default SendDate + 60 days', 40),
  ThankYouMessageID: optional('Insight addition: the library message (MS_…, usually a ThankYouEmails one) e-mailed to a recipient who finishes the survey through their link; overrides the survey options. With ThankYouLibraryID', 100),
  ThankYouLibraryID: optional('Insight addition: the library of ThankYouMessageID (UR_… or GR_…)', 100),
  ThankYouSubject: optional(`Insight addition: the thank-you's subject, may hold piped text; default "${DEFAULT_THANK_YOU_SUBJECT}"`, 998),
};

/** Where the thank-you e-mail of a send comes from, for the send Requests' descriptions. */
const THANK_YOU =
  ' Thank-you e-mail (Insight): a recipient who finishes the survey through their personal link (not Anonymous) while subscribed gets one thank-you per finished response, ' +
  'from the same sender, rendered with the same piped text as the invitation. The message is ThankYouMessageID/ThankYouLibraryID when given, else the survey options\' ' +
  '(QSF SurveyOptions EmailThankYou "true" with ThankYouEmailMessage and ThankYouEmailMessageLibrary); with neither, none is sent. ' +
  'Each thank-you is a distribution of its own (RequestType "ThankYou", ParentEmailDistributionID = this one, one RecipientID) that getDistributions answers by its ID and does not list.';

const sent = (id: string) => ({ Success: true, EmailDistributionID: id, DistributionQueueID: id });
const sentExample = sent('EMD_0abcdefghijklmn');

/** One distribution in the recorded key order and types (wire §4.16). */
export function distributionRecord(v: DistributionView): Record<string, unknown> {
  const r = v.row;
  const done = r.status === 'Done' ? 'Done' : r.status === 'Cancelled' ? 'Cancelled' : 'Pending';
  const rec: Record<string, unknown> = {
    EmailDistributionID: r.id,
    ParentEmailDistributionID: r.parent_id,
    OwnerID: r.owner_id,
    ServerID: null,
    BrandID: r.brand_id,
    RequestStatus: done,
    RequestType: r.request_type ?? 'Links',
    SurveyID: r.survey_id,
    DistributionQueueID: null,
    IndexID: r.panel_id,
    SendDate: viewDate(v, r.send_date ?? r.created_at),
    ApproxEmails: r.approx_emails ?? 0,
    EmailsSent: String(v.counts.sent),
    EmailsFailed: String(v.counts.failed),
    EmailsResponded: String(v.responded),
    EmailsBounced: String(v.counts.bounced),
    EmailsOpened: String(v.counts.opened),
    EmailsSkipped: String(v.counts.skipped),
    LastRecipientRowID: null,
    SurveysFinished: String(v.finished),
    DistributionLog: null,
    Temporary: '0',
    Complaints: '0',
    JobID: r.job_id,
    DeletedDate: r.cancelled_at === null ? null : viewDate(v, r.cancelled_at),
    CreatedDate: viewDate(v, r.created_at),
    ModifiedDate: viewDate(v, r.modified_at ?? r.created_at),
    SentFromAddress: r.sent_from_address ?? v.defaultSentFrom,
    FromEmailAddress: r.from_email,
    FromName: r.from_name,
    Subject: r.subject,
    MessageLibraryID: r.message_library_id,
    MessageID: r.message_id,
    ExpirationDate: r.expiration_date === null ? null : viewDate(v, r.expiration_date),
    LinkType: r.link_type,
    MailingListID: r.panel_id,
  };
  if (r.recipient_id !== null) rec.RecipientID = r.recipient_id;
  rec.PanelID = r.panel_id;
  rec.IDS = { MessageLibraryID: r.message_library_id, RecipientLibraryID: r.recipient_library_id, RecipientMailingListID: r.panel_id };
  rec.ExpireDay = 'custom';
  rec.RecipientLibraryID = r.recipient_library_id;
  rec.UseDistributionLink = false;
  return rec;
}

const recordExample = {
  EmailDistributionID: 'EMD_0abcdefghijklmn', ParentEmailDistributionID: null, OwnerID: 'UR_0abcdefghijklmn', ServerID: null, BrandID: 'acme',
  RequestStatus: 'Pending', RequestType: 'Invite', SurveyID: 'SV_0abcdefghijklmn', DistributionQueueID: null, IndexID: 'ML_0abcdefghijklmn',
  SendDate: '2026-02-11 12:15:12', ApproxEmails: 1, EmailsSent: '0', EmailsFailed: '0', EmailsResponded: '0', EmailsBounced: '0', EmailsOpened: '0',
  EmailsSkipped: '0', LastRecipientRowID: null, SurveysFinished: '0', DistributionLog: null, Temporary: '0', Complaints: '0', JobID: 'J_0abcdefghijklmn',
  DeletedDate: null, CreatedDate: '2026-02-11 12:15:10', ModifiedDate: '2026-02-11 12:15:10', SentFromAddress: 'noreply@insight.example',
  FromEmailAddress: 'research@example.com', FromName: 'Research team', Subject: 'Your opinion', MessageLibraryID: 'UR_0abcdefghijklmn',
  MessageID: 'MS_0abcdefghijklmn', ExpirationDate: '2026-04-12 12:15:12', LinkType: 'Individual', MailingListID: 'ML_0abcdefghijklmn',
  RecipientID: 'MLRP_0abcdefghijklmn', PanelID: 'ML_0abcdefghijklmn',
  IDS: { MessageLibraryID: 'UR_0abcdefghijklmn', RecipientLibraryID: 'UR_0abcdefghijklmn', RecipientMailingListID: 'ML_0abcdefghijklmn' },
  ExpireDay: 'custom', RecipientLibraryID: 'UR_0abcdefghijklmn', UseDistributionLink: false,
};

defineRequest({
  name: 'sendSurveyToIndividual',
  product: 'ControlPanel',
  area: 'Distribution',
  summary: `E-mails one panel member an invitation with a personal link (LinkType Individual). The mail is queued; the call answers at once.${THANK_YOU}`,
  params: { ...sendParams, RecipientID: required('The panel member (MLRP_…)', 100) },
  result: 'Success:true, EmailDistributionID, DistributionQueueID (the same EMD_ ID)',
  example: sentExample,
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    return sent(await services.distributions.sendToIndividual(actor, sendInput(params, params.RecipientID)));
  },
});

defineRequest({
  name: 'sendSurveyToPanel',
  product: 'ControlPanel',
  area: 'Distribution',
  summary:
    'E-mails every member of a panel. LinkType Individual (default: a personal link that works until finished), Multiple (a personal link that can be used again) or Anonymous (the survey\'s public link). Unsubscribed members and members without an address are skipped and counted in EmailsSkipped. The call only queues the work, whatever the panel size.' +
    `${THANK_YOU} The thank-you parameters are refused with LinkType Anonymous.`,
  params: { ...sendParams, LinkType: optional('Individual (default), Multiple or Anonymous', 20) },
  result: 'Success:true, EmailDistributionID, DistributionQueueID (the same EMD_ ID)',
  example: sentExample,
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    return sent(await services.distributions.sendToPanel(actor, { ...sendInput(params, undefined), linkType: params.LinkType }));
  },
});

defineRequest({
  name: 'sendReminder',
  product: 'ControlPanel',
  area: 'Distribution',
  summary:
    'E-mails a reminder to the recipients of a distribution who were invited and have not finished the survey (counted when the reminder is sent). The links are the parent distribution\'s, so a reminded recipient continues the same response.',
  params: {
    ParentEmailDistributionID: required('The invitation distribution (EMD_…)', 100),
    SendDate: required(SEND_DATE, 40),
    FromEmail: required('The sender address shown in From', 320),
    FromName: required('The sender name shown in From', 255),
    Subject: required('The subject', 998),
    MessageID: required('The library message (MS_…), usually a ReminderEmails one', 100),
    LibraryID: required('The library of the message', 100),
    SentFromAddress: optional('Envelope sender (Return-Path)', 320),
  },
  result: 'Success:true, EmailDistributionID, DistributionQueueID (the new reminder\'s EMD_ ID)',
  example: sentExample,
  errors: ['InvalidParameter'],
  async handler({ actor, params, services }) {
    return sent(
      await services.distributions.sendReminder(actor, {
        parentId: params.ParentEmailDistributionID, sendDate: params.SendDate, fromEmail: params.FromEmail, fromName: params.FromName,
        subject: params.Subject, messageId: params.MessageID, libraryId: params.LibraryID, sentFromAddress: params.SentFromAddress,
      }),
    );
  },
});

defineRequest({
  name: 'createDistribution',
  product: 'ControlPanel',
  area: 'Distribution',
  summary:
    'A distribution that sends no mail, for building personal links yourself: <PUBLIC_URL>/SE?Q_DL=<EMD ID without EMD_>_<SV ID without SV_>_<MLRP ID>. Its links expire 60 days after creation.',
  params: {
    SurveyID: required('The survey (SV_…)', 100),
    PanelID: required('The panel (ML_…)', 100),
    Description: required('A description', 255),
    PanelLibraryID: required('The library of the panel', 100),
  },
  result: 'EmailDistributionID',
  example: { EmailDistributionID: 'EMD_0abcdefghijklmn' },
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    const id = await services.distributions.createDistribution(actor, {
      surveyId: params.SurveyID, panelId: params.PanelID, panelLibraryId: params.PanelLibraryID, description: params.Description,
    });
    return { EmailDistributionID: id };
  },
});

defineRequest({
  name: 'getDistributions',
  product: 'ControlPanel',
  area: 'Distribution',
  summary:
    'One distribution of a survey (DistributionID: Distributions is an object) or all of a panel for the survey (PanelID: an array). Counters are strings, ApproxEmails a number, as recorded. RequestStatus is Pending until every recipient was handled, then Done (Cancelled for a cancelled one). EmailsResponded counts recipients with a response, SurveysFinished finished responses. ' +
      'RequestType is Invite, Reminder, Links (createDistribution) or ThankYou (Insight: the thank-you e-mail of one finished response, see sendSurveyToPanel). A ThankYou distribution is answered by its DistributionID (as getRecipient\'s RecipientEmailHistory names it) but left out of the PanelID list, which would otherwise grow by one per finished response.',
  params: {
    SurveyID: required('The survey (SV_…)', 100),
    LibraryID: optional('Accepted and not checked (the recorded server checked the survey only)', 100),
    DistributionID: optional('One distribution (EMD_…)', 100),
    PanelID: optional('Every distribution of this panel for the survey', 100),
  },
  result: 'Distributions: {…} with DistributionID, [{…}] with PanelID',
  example: { Distributions: recordExample },
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    if (params.DistributionID !== undefined) {
      return { Distributions: distributionRecord(await services.distributions.getOne(actor, params.SurveyID, params.DistributionID)) };
    }
    if (params.PanelID === undefined) {
      await services.distributions.listForSurvey(actor, params.SurveyID); // ESRV18 first, as recorded
      throw invalidParam('DistributionID');
    }
    return { Distributions: (await services.distributions.listForSurvey(actor, params.SurveyID, params.PanelID)).map(distributionRecord) };
  },
});

defineRequest({
  name: 'listDistributions',
  product: 'ControlPanel',
  area: 'Distribution',
  addition: true,
  summary: 'Every distribution of a survey (invitations, reminders, link-only; not the per-response thank-yous), oldest first, each as getDistributions shows it.',
  params: { SurveyID: required('The survey (SV_…)', 100) },
  result: 'Distributions: [{…}]',
  example: { Distributions: [recordExample] },
  errors: ['UnknownSurvey'],
  async handler({ actor, params, services }) {
    return { Distributions: (await services.distributions.listForSurvey(actor, params.SurveyID)).map(distributionRecord) };
  },
});

defineRequest({
  name: 'cancelDistribution',
  product: 'ControlPanel',
  area: 'Distribution',
  addition: true,
  summary: 'Cancels a scheduled distribution that has not started sending. Success is false when it already started or ended.',
  params: { SurveyID: required('The survey (SV_…)', 100), DistributionID: required('The distribution (EMD_…)', 100) },
  result: 'Success: true | false',
  example: { Success: true },
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    return { Success: await services.distributions.cancel(actor, params.SurveyID, params.DistributionID) };
  },
});

defineRequest({
  name: 'getDistributionRecipients',
  product: 'ControlPanel',
  area: 'Distribution',
  addition: true,
  summary:
    'Per-recipient status of a mailed distribution, in panel order: Status is queued, sending, sent, failed or skipped; dates in the brand time zone or null. Pages of NumberOfRecords (default and at most 1000); pass the returned NextPosition as AfterPosition.',
  params: {
    SurveyID: required('The survey (SV_…)', 100),
    DistributionID: required('The distribution (EMD_…)', 100),
    AfterPosition: optional('Paging: the NextPosition of the previous page', 20),
    NumberOfRecords: optional('Page size, 1–1000', 10),
  },
  result: 'Recipients: [{RecipientID, Email, Status, Attempts, Error, MessageID, SentDate, FailedDate, BouncedDate, OpenedDate}], NextPosition (null on the last page)',
  example: {
    Recipients: [{ RecipientID: 'MLRP_0abcdefghijklmn', Email: 'kim@example.com', Status: 'sent', Attempts: 1, Error: null, MessageID: '<EMD_0abcdefghijklmn.MLRP_0abcdefghijklmn@insight.example>', SentDate: '2026-02-11 12:15:13', FailedDate: null, BouncedDate: null, OpenedDate: null }],
    NextPosition: null,
  },
  errors: ['UnknownSurvey', 'InvalidParameter'],
  async handler({ actor, params, services }) {
    const after = wholeNumber(params.AfterPosition, 'AfterPosition', 0);
    const limit = wholeNumber(params.NumberOfRecords, 'NumberOfRecords', 1000);
    if (limit < 1 || limit > 1000) throw invalidParam('NumberOfRecords');
    const page = await services.distributions.recipientStatuses(actor, params.SurveyID, params.DistributionID, after, limit);
    const zone = await services.accounts.timeZone(actor.brandId);
    const date = (ms: number | null) => (ms === null ? null : viewDate({ timeZone: zone } as DistributionView, ms));
    return {
      Recipients: page.recipients.map((r: RecipientStatusView) => ({
        RecipientID: r.recipientId, Email: r.email, Status: r.status, Attempts: r.attempts, Error: r.error, MessageID: r.messageId,
        SentDate: date(r.sentAt), FailedDate: date(r.failedAt), BouncedDate: date(r.bouncedAt), OpenedDate: date(r.openedAt),
      })),
      NextPosition: page.next,
    };
  },
});

function wholeNumber(value: string | undefined, param: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,12}$/.test(value)) throw invalidParam(param);
  return Number(value);
}

function sendInput(
  p: {
    SurveyID: string; SendDate: string; FromEmail: string; FromName: string; Subject: string; MessageID: string; MessageLibraryID: string; PanelID: string; PanelLibraryID: string;
    SentFromAddress?: string | undefined; ExpirationDate?: string | undefined; ThankYouMessageID?: string | undefined; ThankYouLibraryID?: string | undefined; ThankYouSubject?: string | undefined;
  },
  recipientId: string | undefined,
) {
  return {
    surveyId: p.SurveyID, sendDate: p.SendDate, fromEmail: p.FromEmail, fromName: p.FromName, subject: p.Subject, messageId: p.MessageID,
    messageLibraryId: p.MessageLibraryID, panelId: p.PanelID, panelLibraryId: p.PanelLibraryID, sentFromAddress: p.SentFromAddress,
    expirationDate: p.ExpirationDate, recipientId, thankYouMessageId: p.ThankYouMessageID, thankYouLibraryId: p.ThankYouLibraryID, thankYouSubject: p.ThankYouSubject,
  };
}

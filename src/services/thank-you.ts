/**
 * Thank-you e-mails: a panel member who finishes the survey through the personal link of a mailed
 * invitation gets one e-mail thanking them, when a thank-you is configured.
 *
 * Design:
 * - Which message: the invitation's own (sendSurveyToPanel / sendSurveyToIndividual with the
 *   Insight parameters ThankYouMessageID + ThankYouLibraryID, stored on the distribution), else the
 *   survey's options (QSF `EmailThankYou` "true" with `ThankYouEmailMessage` and
 *   `ThankYouEmailMessageLibrary`), read when the response is finished. Neither: no thank-you.
 * - Subject: the invitation's ThankYouSubject, else DEFAULT_THANK_YOU_SUBJECT (library messages have
 *   no subject). From, sender and envelope sender are the invitation's.
 * - Who: a finished (Finished=1), normal (Status 0) response through an Individual or Multiple link of
 *   a mailed invitation (RequestType Invite; reminders share their invitation's links), whose panel
 *   member has an address and is not unsubscribed when the response is recorded. Not anonymous links,
 *   previews, imported responses, unfinished ones (expired sessions), nor createDistribution links
 *   (they have no sender). A Multiple link thanks every finished response.
 * - How: a distribution of its own (RequestType "ThankYou", parent = the invitation, one recipient,
 *   its recipient row and send job) inserted by statements returned through the respondent's
 *   response hook, so it is committed in the same transaction as the response: a crash can neither
 *   lose it nor record it twice, and a response whose insert fails enqueues nothing. A unique index
 *   on the thank-you's response_id holds "at most one per response". The ordinary send job then
 *   delivers it (retries with backoff, outbox, brand rate limit, counters, opt-out and open tracking),
 *   rendered from the library message with the invitation's piping: member fields, embedded data,
 *   `${l://OptOutLink}` (an opt-out from a thank-you unsubscribes the member) and the SurveyLink of
 *   the invitation (which, once finished, says the survey was taken).
 * - Seen from the API: getDistributions answers a thank-you by its ID (as it appears in
 *   getRecipient's RecipientEmailHistory) but never lists them by panel or survey.
 */
import { newId } from '../domain/ids.ts';
import type { SurveyOptions } from '../domain/survey/options.ts';
import type { Store } from '../store/db.ts';
import { thankYouStatements } from '../store/distributions.ts';
import type { Statement } from '../store/group-commit.ts';
import { messagesStore } from '../store/messages.ts';
import type { NewResponseRow } from '../store/responses.ts';
import type { Actor } from './actor.ts';
import { invalidParam } from './errors.ts';
import type { LibrariesService } from './libraries.ts';

export const DEFAULT_THANK_YOU_SUBJECT = 'Thank you for taking our survey';

/** The Insight thank-you parameters of a send Request. */
export interface ThankYouInput {
  thankYouMessageId?: string | undefined;
  thankYouLibraryId?: string | undefined;
  thankYouSubject?: string | undefined;
}

export interface ThankYouColumns {
  thank_you_message_id?: string;
  thank_you_library_id?: string;
  thank_you_subject?: string;
}

/**
 * The thank-you columns of a new invitation, checked: message and library come together, the
 * library is one the actor may use and holds the message; anonymous links cannot be thanked.
 */
export async function thankYouColumns(store: Store, libraries: LibrariesService, actor: Actor, input: ThankYouInput, linkType: string): Promise<ThankYouColumns> {
  const { thankYouMessageId: message, thankYouLibraryId: library, thankYouSubject: subject } = input;
  if (linkType === 'Anonymous') {
    if (message !== undefined) throw invalidParam('ThankYouMessageID');
    if (library !== undefined) throw invalidParam('ThankYouLibraryID');
    if (subject !== undefined) throw invalidParam('ThankYouSubject');
    return {};
  }
  const out: ThankYouColumns = {};
  if (subject !== undefined) {
    const clean = subject.replace(/[\r\n]+/g, ' ').trim();
    if (clean === '' || clean.length > 998) throw invalidParam('ThankYouSubject');
    out.thank_you_subject = clean;
  }
  if (message === undefined && library === undefined) return out;
  if (message === undefined) throw invalidParam('ThankYouMessageID');
  const lib = await libraries.require(actor, library, 'ThankYouLibraryID');
  if (!(await messagesStore.find(store.db, actor.brandId, lib, message))) throw invalidParam('ThankYouMessageID');
  return { ...out, thank_you_message_id: message, thank_you_library_id: lib };
}

/** Builds the thank-you statements the respondent's response hook adds to a response's write. */
export class ThankYouMail {
  private readonly mailHost: string;

  /** `sendJob`: the kind of job that sends a distribution (DistributionsService registers it). */
  constructor(publicUrl: string, private readonly sendJob: string) {
    this.mailHost = new URL(publicUrl).hostname || 'insight.invalid';
  }

  /** Nothing unless the response may be thanked; otherwise statements that enqueue it if the data agrees. */
  responseStatements(response: NewResponseRow, options: SurveyOptions): Statement[] {
    if (response.status !== 0 || response.finished !== 1 || !response.distribution_id || !response.recipient_id) return [];
    return thankYouStatements({
      distributionId: newId('EMD'), jobId: newId('J'), jobKind: this.sendJob, responseId: response.id, brandId: response.brand_id,
      surveyId: response.survey_id, linkDistributionId: response.distribution_id, recipientId: response.recipient_id,
      fallback: options.thankYouEmail ?? null, defaultSubject: DEFAULT_THANK_YOU_SUBJECT, mailHost: this.mailHost, now: response.created_at,
    });
  }
}

/**
 * A panel member's history for getRecipient / updateRecipient: the responses attached to them (through
 * the personal links of their panel's distributions) and every e-mail mailing they were a recipient of
 * (invitations, reminders, thank-yous). The caller has already found the member through a library
 * the actor may use; the history covers every survey of the brand, as the member's own record does.
 */
import { recipientHistoryStore } from '../store/distributions.ts';
import type { Store } from '../store/db.ts';
import type { AccountsService } from './accounts.ts';
import type { Actor } from './actor.ts';

export interface ResponseHistoryEntry {
  responseId: string;
  surveyId: string;
  /** When the response was recorded (its end date). */
  endDate: number;
  distributionId: string;
  finished: boolean;
}

export interface EmailHistoryEntry {
  distributionId: string;
  surveyId: string;
  /** 'Invite' | 'Reminder' | 'ThankYou' */
  type: string;
  /** The recipient's row: queued, sending, sent, failed or skipped. */
  status: string;
  sentAt: number | null;
  openedAt: number | null;
}

export interface RecipientHistory {
  responses: ResponseHistoryEntry[];
  emails: EmailHistoryEntry[];
  /** The brand's zone, for wire dates. */
  timeZone: string;
}

export class RecipientHistoryService {
  constructor(
    private readonly store: Store,
    private readonly accounts: AccountsService,
  ) {}

  async of(actor: Actor, recipient: { id: string; panelId: string }): Promise<RecipientHistory> {
    const db = this.store.db;
    const [responses, emails, timeZone] = await Promise.all([
      recipientHistoryStore.responses(db, actor.brandId, recipient.id, recipient.panelId),
      recipientHistoryStore.emails(db, actor.brandId, recipient.id),
      this.accounts.timeZone(actor.brandId),
    ]);
    return {
      responses: responses.map((r) => ({
        responseId: r.id, surveyId: r.survey_id, endDate: r.end_date, distributionId: r.distribution_id as string, finished: r.finished === 1,
      })),
      emails: emails.map((e) => ({
        distributionId: e.distribution_id, surveyId: e.survey_id, type: e.request_type ?? 'Invite', status: e.status,
        sentAt: e.sent_at, openedAt: e.opened_at,
      })),
      timeZone,
    };
  }
}

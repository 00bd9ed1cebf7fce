/**
 * Distributions: e-mailed invitations and reminders with personal links, link-only distributions,
 * their counters, and the job that sends them.
 *
 * Sending is exactly-once per recipient as far as SMTP allows. The recipients are written as rows
 * ('queued') in one INSERT … SELECT when the job first runs; a batch is claimed ('sending') before
 * any SMTP traffic, and each accepted message is recorded 'sent' by a small group commit right
 * after the server's 250 reply (once SMTP_POOL_SIZE replies wait, or 5 ms after the first). A
 * worker killed at any moment leaves in 'sending' at most the messages between that reply and the
 * next commit: a reply not yet read per pooled connection, and the outcomes waiting for a commit
 * (at most 2 × SMTP_POOL_SIZE: the lanes wait rather than let a slow commit fall further behind;
 * typically a few milliseconds' worth, which the crash test sees as 0 to about 20 at 1,000+
 * messages a second). The next run sends those again with the same Message-ID (duplicates
 * a receiving system can collapse), and never loses one; claimed rows never tried go back to
 * 'queued' and are sent once. With the outbox there is no window:
 * the outbox row and the 'sent' mark are one transaction, and a stranded 'sending' row is
 * reconciled by its Message-ID.
 *
 * Throughput (bench/send-panel.ts): the body is sanitised once per mailing (message-template.ts)
 * and each message is written as finished MIME (toMime) and sent over the pool's connections
 * without a general-purpose composer; the next batch is claimed while the last one is sending.
 *
 * Decisions where the spec is silent:
 * - Reminder links are the parent distribution's personal links, so a reminded recipient continues
 *   or finishes the same response (and 'already taken' holds across both).
 * - EmailsBounced counts recipients the SMTP server refused at RCPT with a 5xx reply (also in
 *   EmailsFailed); asynchronous bounce messages are not read.
 * - createDistribution has RequestType "Links" and RequestStatus "Done" at once (nothing to send).
 * - RecipientID appears only for sendSurveyToIndividual distributions (and thank-yous), as recorded.
 * - Thank-you e-mails are distributions of their own (RequestType "ThankYou"), enqueued with the
 *   response they thank and sent by this job: see services/thank-you.ts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { hostname } from 'node:os';
import { formatDateTime } from '../domain/dates.ts';
import { newId, randomBase62 } from '../domain/ids.ts';
import { parseLocalDateTime } from '../domain/local-time.ts';
import { buildMail, renderSubject, type MailMessage } from '../domain/mail-message.ts';
import { encodePersonalLink } from '../domain/personal-link.ts';
import type { PipingContext } from '../domain/piping.ts';
import { parseEmbeddedData } from '../domain/recipients.ts';
import type { Config } from '../config.ts';
import type { Store } from '../store/db.ts';
import { GroupCommit } from '../store/group-commit.ts';
import {
  distributionsStore, outboxStore, type DistributionRecipientRow, type DistributionRow, type OutboxRow, type RecipientCounts, type RecipientSource, type RecordedOutcome,
} from '../store/distributions.ts';
import { messagesStore } from '../store/messages.ts';
import { panelsStore, type MemberRow } from '../store/panels.ts';
import { surveysStore } from '../store/surveys.ts';
import type { AccountsService } from './accounts.ts';
import type { Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError, invalidParam } from './errors.ts';
import { TemporaryJobError, type JobContext, type JobsService } from './jobs.ts';
import type { LibrariesService } from './libraries.ts';
import { BrandRateLimiter, fromHeader, type MailTransport, type SendError } from './mailer.ts';
import { MessageTemplates } from './message-template.ts';
import type { RespondentService } from './respondent.ts';
import { thankYouColumns, type ThankYouInput } from './thank-you.ts';

export const SEND_JOB = 'send-distribution';
export type LinkType = 'Individual' | 'Multiple' | 'Anonymous';
const LINK_TYPES: LinkType[] = ['Individual', 'Multiple', 'Anonymous'];
const DAY_MS = 86_400_000;
/** Recipients claimed at a time (the next batch is claimed while the last is sending). */
const BATCH = 500;
/**
 * Sends of one job in flight per pooled SMTP connection: two, so that a connection has its next
 * message ready while the server is still answering the last.
 */
const LANES_PER_CONNECTION = 2;
/** Longest an accepted message waits for the commit that marks it sent. */
const GROUP_DELAY_MS = 5;
/** A recipient whose message met this many temporary failures is counted failed. */
const MAX_ATTEMPTS = 5;
const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

export interface SendInput extends ThankYouInput {
  surveyId: string;
  sendDate: string;
  fromEmail: string;
  fromName: string;
  subject: string;
  messageId: string;
  messageLibraryId: string;
  panelId: string;
  panelLibraryId: string;
  recipientId?: string | undefined;
  sentFromAddress?: string | undefined;
  expirationDate?: string | undefined;
  linkType?: string | undefined;
}

export interface ReminderInput {
  parentId: string;
  sendDate: string;
  fromEmail: string;
  fromName: string;
  subject: string;
  messageId: string;
  libraryId: string;
  sentFromAddress?: string | undefined;
}

export interface DistributionView {
  row: DistributionRow;
  counts: RecipientCounts;
  responded: number;
  finished: number;
  timeZone: string;
  /** The default envelope sender shown when none was given. */
  defaultSentFrom: string;
}

export interface RecipientStatusView {
  recipientId: string;
  email: string | null;
  status: string;
  attempts: number;
  error: string | null;
  messageId: string;
  sentAt: number | null;
  failedAt: number | null;
  bouncedAt: number | null;
  openedAt: number | null;
}

export type PreviewInput = Omit<SendInput, 'sendDate' | 'expirationDate'>;

export interface MailPreview {
  mail: MailMessage;
  /** The recipient's survey address, as ${l://SurveyURL} fills it. */
  link: string;
  recipient: { id: string; email: string | null; firstName: string | null; lastName: string | null; unsubscribed: boolean };
}

export interface PersonalLinkRow {
  recipientId: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  link: string;
}

export interface RecipientProgress {
  startedAt: number;
  finishedAt: number | null;
}

interface Outcome {
  row: DistributionRecipientRow;
  kind: 'sent' | 'temporary' | 'permanent';
  error?: SendError;
  outbox?: OutboxRow;
}

export class DistributionsService {
  private readonly limiter: BrandRateLimiter;
  /** Message bodies sanitised once per mailing, not once per recipient. */
  private readonly templates = new MessageTemplates();
  /** Where send outcomes are committed. */
  private readonly commits: GroupCommit;
  private readonly mailHost: string;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly accounts: AccountsService,
    private readonly libraries: LibrariesService,
    private readonly jobs: JobsService,
    private readonly respondent: RespondentService,
    private readonly config: Config,
    readonly transport: MailTransport,
  ) {
    this.limiter = new BrandRateLimiter(config.mailRatePerBrand);
    this.commits = new GroupCommit(store);
    this.mailHost = new URL(config.publicUrl).hostname || 'insight.invalid';
    jobs.register(SEND_JOB, (ctx) => this.runSendJob(ctx));
  }

  private get db() {
    return this.store.db;
  }

  // -------------------------------------------------------------------------------------------
  // Requests

  sendToIndividual(actor: Actor, input: SendInput): Promise<string> {
    if (input.recipientId === undefined) throw invalidParam('RecipientID');
    return this.send(actor, input);
  }

  sendToPanel(actor: Actor, input: Omit<SendInput, 'recipientId'>): Promise<string> {
    return this.send(actor, { ...input, recipientId: undefined });
  }

  private async send(actor: Actor, input: SendInput): Promise<string> {
    const zone = await this.accounts.timeZone(actor.brandId);
    let sendDate = 0;
    const { survey, sender, linkType, message, panelLibrary, panel } = await this.checkInvite(actor, input, () => {
      sendDate = this.wireDate(input.sendDate, zone, 'SendDate');
    });
    if (input.recipientId !== undefined) {
      const member = await panelsStore.findMember(this.db, actor.brandId, input.recipientId);
      if (!member || member.panel_id !== panel.id) throw invalidParam('RecipientID');
    }
    const expiration = input.expirationDate === undefined ? sendDate + 60 * DAY_MS : this.wireDate(input.expirationDate, zone, 'ExpirationDate');
    const approx = input.recipientId !== undefined ? 1 : await panelsStore.countMembers(this.db, actor.brandId, panel.id);
    return this.queue(actor, {
      survey_id: survey.id, panel_id: panel.id, recipient_id: input.recipientId ?? null, link_type: linkType, expiration_date: expiration,
      parent_id: null, request_type: 'Invite', send_date: sendDate, ...sender, message_library_id: message.library, message_id: message.id,
      recipient_library_id: panelLibrary, approx_emails: approx, ...(await thankYouColumns(this.store, this.libraries, actor, input, linkType)),
    });
  }

  /** What a send and its preview both check, in the API's error order (a send's SendDate is checked right after the survey). */
  private async checkInvite(actor: Actor, input: Omit<PreviewInput, 'recipientId'>, afterSurvey?: () => void) {
    const survey = await this.requireSurvey(actor, input.surveyId);
    afterSurvey?.();
    const sender = this.sender(input);
    const linkType = (input.linkType ?? 'Individual') as LinkType;
    if (!LINK_TYPES.includes(linkType)) throw invalidParam('LinkType');
    const message = await this.requireMessage(actor, input.messageLibraryId, 'MessageLibraryID', input.messageId);
    const panelLibrary = await this.libraries.require(actor, input.panelLibraryId, 'PanelLibraryID');
    const panel = await panelsStore.findPanel(this.db, actor.brandId, panelLibrary, input.panelId);
    if (!panel) throw invalidParam('PanelID');
    return { survey, sender, linkType, message, panelLibrary, panel };
  }

  async sendReminder(actor: Actor, input: ReminderInput): Promise<string> {
    const parent = await distributionsStore.find(this.db, actor.brandId, input.parentId);
    if (!parent || parent.parent_id !== null || !(await this.canUseSurvey(actor, parent.survey_id))) throw invalidParam('ParentEmailDistributionID');
    if (parent.link_type === 'Anonymous' || parent.panel_id === null) throw invalidParam('ParentEmailDistributionID');
    const zone = await this.accounts.timeZone(actor.brandId);
    const sendDate = this.wireDate(input.sendDate, zone, 'SendDate');
    const sender = this.sender(input);
    const message = await this.requireMessage(actor, input.libraryId, 'LibraryID', input.messageId);
    const approx = parent.request_type === 'Invite' ? (await distributionsStore.counts(this.db, parent.id)).sent : (parent.approx_emails ?? 0);
    return this.queue(actor, {
      survey_id: parent.survey_id, panel_id: parent.panel_id, recipient_id: parent.recipient_id, link_type: parent.link_type,
      expiration_date: parent.expiration_date, parent_id: parent.id, request_type: 'Reminder', send_date: sendDate, ...sender,
      message_library_id: message.library, message_id: message.id, recipient_library_id: parent.recipient_library_id, approx_emails: approx,
    });
  }

  /** createDistribution: personal links without mail. */
  async createDistribution(actor: Actor, input: { surveyId: string; panelId: string; panelLibraryId: string; description: string }): Promise<string> {
    await this.requireSurvey(actor, input.surveyId);
    const panelLibrary = await this.libraries.require(actor, input.panelLibraryId, 'PanelLibraryID');
    if (!(await panelsStore.findPanel(this.db, actor.brandId, panelLibrary, input.panelId))) throw invalidParam('PanelID');
    const now = this.clock.now();
    const id = await this.respondent.createLinkDistribution(actor, { surveyId: input.surveyId, panelId: input.panelId, linkType: 'Individual', expirationDate: now + 60 * DAY_MS });
    await distributionsStore.update(this.db, id, {
      request_type: 'Links', description: input.description, status: 'Done', send_date: now, recipient_library_id: panelLibrary, modified_at: now,
      approx_emails: await panelsStore.countMembers(this.db, actor.brandId, input.panelId), materialized: 1,
    });
    return id;
  }

  /** getDistributions: one distribution of the survey, or every one of a panel for the survey. */
  async getOne(actor: Actor, surveyId: string, distributionId: string): Promise<DistributionView> {
    await this.requireSurvey(actor, surveyId);
    const row = await distributionsStore.find(this.db, actor.brandId, distributionId);
    if (!row || row.survey_id !== surveyId) throw invalidParam('DistributionID');
    return this.view(row);
  }

  async listForSurvey(actor: Actor, surveyId: string, panelId?: string): Promise<DistributionView[]> {
    await this.requireSurvey(actor, surveyId);
    const rows = await distributionsStore.listForSurvey(this.db, actor.brandId, surveyId, panelId);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  /** Cancels a distribution that has not started sending; false when it already has (or finished). */
  async cancel(actor: Actor, surveyId: string, distributionId: string): Promise<boolean> {
    await this.requireSurvey(actor, surveyId);
    const row = await distributionsStore.find(this.db, actor.brandId, distributionId);
    if (!row || row.survey_id !== surveyId || row.request_type === 'Links') throw invalidParam('DistributionID');
    const now = this.clock.now();
    // Only while nothing was materialised: once recipients exist, sending has begun.
    const res = await this.db
      .updateTable('distributions')
      .set({ status: 'Cancelled', cancelled_at: now, modified_at: now })
      .where('id', '=', row.id)
      .where('status', '=', 'Pending')
      .where((eb) => eb.or([eb('materialized', 'is', null), eb('materialized', '=', 0)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async recipientStatuses(actor: Actor, surveyId: string, distributionId: string, after = 0, limit = 1000): Promise<{ recipients: RecipientStatusView[]; next: number | null }> {
    await this.requireSurvey(actor, surveyId);
    const row = await distributionsStore.find(this.db, actor.brandId, distributionId);
    if (!row || row.survey_id !== surveyId) throw invalidParam('DistributionID');
    const rows = await distributionsStore.recipientsPage(this.db, row.id, after, limit);
    return {
      recipients: rows.map((r) => ({
        recipientId: r.recipient_id, email: r.email, status: r.status, attempts: r.attempts, error: r.error, messageId: r.mail_message_id,
        sentAt: r.sent_at, failedAt: r.failed_at, bouncedAt: r.bounced_at, openedAt: r.opened_at,
      })),
      next: rows.length === limit ? (rows.at(-1) as DistributionRecipientRow).position : null,
    };
  }

  /** The outbox of a brand, newest first (installations without SMTP). */
  async outbox(actor: Actor, limit = 200): Promise<{ messages: OutboxRow[]; total: number }> {
    const [messages, total] = await Promise.all([outboxStore.list(this.db, actor.brandId, limit), outboxStore.count(this.db, actor.brandId)]);
    return { messages, total };
  }

  outboxMessage(actor: Actor, mailMessageId: string): Promise<OutboxRow | undefined> {
    return outboxStore.find(this.db, actor.brandId, mailMessageId);
  }

  // -------------------------------------------------------------------------------------------
  // For the web pages: a preview, the personal links and per-recipient progress

  /**
   * What sendSurveyToPanel would e-mail one member of the panel (the given one, else the first),
   * checked as a send is and rendered by render(), the sender's own code. Nothing is stored or
   * sent: the distribution ID the link carries is made up, as the real one is made only by a send.
   */
  async preview(actor: Actor, input: PreviewInput): Promise<MailPreview> {
    const { survey, sender, linkType, message, panelLibrary, panel } = await this.checkInvite(actor, input);
    const member =
      input.recipientId === undefined
        ? (await panelsStore.pageMembers(this.db, actor.brandId, panel.id, 0, 1))[0]
        : await panelsStore.findMember(this.db, actor.brandId, input.recipientId);
    if (!member || member.panel_id !== panel.id) throw invalidParam('RecipientID');
    const body = (await messagesStore.find(this.db, actor.brandId, message.library, message.id))?.body ?? '';
    const now = this.clock.now();
    // A cast, not a full row: render() reads the survey, link and sender columns, and a row never stored needs no others.
    const dist = {
      id: newId('EMD'), brand_id: actor.brandId, survey_id: survey.id, owner_id: actor.userId, panel_id: panel.id, recipient_id: null, link_type: linkType,
      expiration_date: null, created_at: now, parent_id: null, request_type: 'Invite', description: null, status: 'Pending', send_date: now, ...sender,
      message_library_id: message.library, message_id: message.id, recipient_library_id: panelLibrary, job_id: null, approx_emails: null, materialized: 0,
      cancelled_at: null, modified_at: now,
    } satisfies Partial<DistributionRow> as DistributionRow;
    const row = { recipient_id: member.id, email: member.email, mail_message_id: `<preview.${member.id}@${this.mailHost}>` };
    return {
      mail: this.render(dist, body, row, member),
      // ${l://SurveyURL} alone, through render() too, so the link shown is the one the mail carries.
      link: this.render(dist, '${l://SurveyURL}', row, member).text,
      recipient: { id: member.id, email: member.email, firstName: member.first_name, lastName: member.last_name, unsubscribed: member.unsubscribed === 1 },
    };
  }

  /**
   * The personal links of a non-anonymous distribution (the panel's members, or its one recipient,
   * in panel order), a batch at a time. Checks run before this resolves, so a download can still
   * refuse with an ordinary page.
   */
  async personalLinks(actor: Actor, surveyId: string, distributionId: string, batchSize = 1000): Promise<AsyncIterable<PersonalLinkRow[]>> {
    await this.requireSurvey(actor, surveyId);
    const dist = await distributionsStore.find(this.db, actor.brandId, distributionId);
    if (!dist || dist.survey_id !== surveyId || dist.parent_id !== null || dist.link_type === 'Anonymous' || dist.panel_id === null) throw invalidParam('DistributionID');
    const { db } = this;
    const base = this.config.publicUrl;
    const toRow = (m: MemberRow): PersonalLinkRow => ({
      recipientId: m.id, email: m.email, firstName: m.first_name, lastName: m.last_name,
      // The address render() pipes into ${l://SurveyURL} for this recipient.
      link: `${base}/jfe/form/${dist.survey_id}?Q_DL=${encodePersonalLink({ distributionId: dist.id, surveyId: dist.survey_id, recipientId: m.id })}`,
    });
    return (async function* () {
      if (dist.recipient_id !== null) {
        const one = await panelsStore.findMember(db, dist.brand_id, dist.recipient_id);
        if (one) yield [toRow(one)];
        return;
      }
      let after = 0;
      for (;;) {
        const rows = await panelsStore.pageMembers(db, dist.brand_id, dist.panel_id as string, after, batchSize);
        if (rows.length > 0) yield rows.map(toRow);
        if (rows.length < batchSize) return;
        after = (rows.at(-1) as MemberRow).position;
      }
    })();
  }

  /** When each of these recipients started and finished the survey through the distribution's links (absent: not started). */
  async recipientProgress(actor: Actor, surveyId: string, distributionId: string, recipientIds: string[]): Promise<Map<string, RecipientProgress>> {
    await this.requireSurvey(actor, surveyId);
    const dist = await distributionsStore.find(this.db, actor.brandId, distributionId);
    if (!dist || dist.survey_id !== surveyId) throw invalidParam('DistributionID');
    const out = new Map<string, RecipientProgress>();
    if (recipientIds.length === 0) return out;
    const rows = await this.db
      .selectFrom('responses')
      .select((eb) => ['recipient_id', eb.fn.min('start_date').as('started'), eb.fn.min(eb.case().when('finished', '=', 1).then(eb.ref('end_date')).end()).as('finished')])
      .where('brand_id', '=', actor.brandId)
      .where('distribution_id', '=', dist.parent_id ?? dist.id)
      .where('recipient_id', 'in', recipientIds)
      .where('deleted_at', 'is', null)
      .where('status', '=', 0)
      .groupBy('recipient_id')
      .execute();
    for (const r of rows) {
      if (r.recipient_id !== null) out.set(r.recipient_id, { startedAt: Number(r.started), finishedAt: r.finished === null ? null : Number(r.finished) });
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Tracking links (public: they carry a signature instead of a session)

  trackingToken(distributionId: string, recipientId: string): string {
    return `${distributionId}.${recipientId}.${this.sign(`${distributionId}.${recipientId}`)}`;
  }

  private readToken(token: string): { distributionId: string; recipientId: string } | null {
    const m = /^(EMD_[0-9A-Za-z]{15})\.(MLRP_[0-9A-Za-z]{15})\.([\w-]{22})$/.exec(token);
    if (!m) return null;
    const expected = Buffer.from(this.sign(`${m[1]}.${m[2]}`));
    const given = Buffer.from(m[3] as string);
    return expected.length === given.length && timingSafeEqual(expected, given) ? { distributionId: m[1] as string, recipientId: m[2] as string } : null;
  }

  private sign(text: string): string {
    return createHmac('sha256', this.config.secretKey).update(`mail:${text}`).digest('base64url').slice(0, 22);
  }

  async trackOpen(token: string): Promise<void> {
    const t = this.readToken(token);
    if (t) await distributionsStore.markOpened(this.db, t.distributionId, t.recipientId, this.clock.now());
  }

  /** Marks the panel member unsubscribed; false for a link that is not ours. */
  async optOut(token: string): Promise<boolean> {
    const t = this.readToken(token);
    if (!t) return false;
    const dist = await distributionsStore.findById(this.db, t.distributionId);
    if (!dist) return false;
    await panelsStore.updateMember(this.db, dist.brand_id, t.recipientId, { unsubscribed: 1, updated_at: this.clock.now() });
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // The send job

  private async runSendJob(ctx: JobContext): Promise<unknown> {
    const { distributionId } = ctx.payload as { distributionId: string };
    const dist = await distributionsStore.findById(this.db, distributionId);
    if (!dist || dist.status !== 'Pending') return { skipped: true };
    if (!dist.materialized) await this.materialize(dist);
    await this.reconcile(dist);
    const worker = `${hostname()}:${process.pid}:${randomBase62(6)}`;
    try {
      return await this.sendAll(dist, worker, ctx);
    } catch (error) {
      // A database hiccup: the job is retried, and the next run reconciles what this one left 'sending'.
      throw new TemporaryJobError(error instanceof Error ? error.message : String(error));
    }
  }

  private async materialize(dist: DistributionRow): Promise<void> {
    const parent = dist.parent_id === null ? undefined : await distributionsStore.findById(this.db, dist.parent_id);
    const source: RecipientSource = parent
      ? { kind: 'reminder', parentId: parent.id, parentMailed: parent.request_type === 'Invite', panelId: parent.panel_id as string, ...(parent.recipient_id ? { recipientId: parent.recipient_id } : {}) }
      : { kind: 'panel', panelId: dist.panel_id as string, ...(dist.recipient_id ? { recipientId: dist.recipient_id } : {}) };
    await this.db.transaction().execute(async (trx) => {
      const fresh = await trx.selectFrom('distributions').select('materialized').where('id', '=', dist.id).executeTakeFirst();
      if (fresh?.materialized) return;
      await distributionsStore.materialize(trx, dist, source, this.mailHost, this.clock.now());
      await distributionsStore.update(trx, dist.id, { materialized: 1, modified_at: this.clock.now() });
    });
  }

  /** 'sending' rows a killed worker left: delivered ones (outbox) become sent, the rest go again. */
  private async reconcile(dist: DistributionRow): Promise<void> {
    const stranded = await distributionsStore.stranded(this.db, dist.id);
    if (stranded.length === 0) return;
    const now = this.clock.now();
    const delivered = this.transport.kind === 'outbox' ? await outboxStore.has(this.db, stranded.map((r) => r.mail_message_id)) : new Set<string>();
    const done = stranded.filter((r) => delivered.has(r.mail_message_id)).map((r) => r.recipient_id);
    const again = stranded.filter((r) => !delivered.has(r.mail_message_id)).map((r) => r.recipient_id);
    await distributionsStore.setStatus(this.db, dist.id, done, { status: 'sent', sent_at: now, claimed_by: null, updated_at: now });
    await distributionsStore.setStatus(this.db, dist.id, again, { status: 'queued', claimed_by: null, updated_at: now });
  }

  /**
   * Sends to every queued recipient: SMTP_POOL_SIZE × 2 lanes take claimed recipients from a queue
   * that claims the next batch while the last ones are still being sent (so no lane waits at a batch
   * boundary), and a Recorder writes the outcomes. A temporary failure, a cancel, a lost lease or a
   * database error halts the queue: the lanes finish what they hold, every outcome is recorded, and
   * what was claimed but not tried is given back.
   */
  private async sendAll(dist: DistributionRow, worker: string, ctx: JobContext): Promise<unknown> {
    const message = await messagesStore.find(this.db, dist.brand_id, dist.message_library_id as string, dist.message_id as string);
    const body = message?.body ?? '';
    const lanes = this.config.smtpPoolSize * LANES_PER_CONNECTION;
    const recorder = new Recorder((outcomes) => this.record(dist, outcomes), this.config.smtpPoolSize);
    // Why sending stopped before the recipients ran out, as the job's result says it.
    const halt: { why?: { stopped: string | null | undefined } | { leaseLost: true } } = {};
    const queue = new ClaimQueue(async (): Promise<Claimed[] | null> => {
      if (!(await ctx.progress(recorder.sent, dist.approx_emails ?? undefined))) {
        halt.why = { leaseLost: true };
        return null;
      }
      const current = await distributionsStore.findById(this.db, dist.id);
      if (current?.status !== 'Pending') {
        halt.why = { stopped: current?.status };
        return null;
      }
      const batch = await distributionsStore.claim(this.db, dist.id, worker, BATCH, this.clock.now());
      const members = batch.length === 0 ? new Map<string, MemberRow>() : await this.members(dist.brand_id, batch.map((r) => r.recipient_id));
      return batch.map((row) => ({ row, member: members.get(row.recipient_id) }));
    }, lanes);
    const errors: unknown[] = [];
    // Taken from the queue but not tried: given back with the queue's own.
    const untried: Claimed[] = [];
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        try {
          for (let item = await queue.next(); item; item = await queue.next()) {
            await recorder.room();
            // Halted while this lane waited: the recipient was not tried.
            if (recorder.failed || queue.halted) {
              untried.push(item);
              queue.halt();
              break;
            }
            const outcome = await this.deliver(dist, body, item.row, item.member);
            recorder.push(outcome);
            // A server in trouble, or outcomes the database does not take: the rest waits for a retry.
            if (outcome.kind === 'temporary' || recorder.failed) queue.halt();
          }
        } catch (error) {
          errors.push(error);
          queue.halt();
        }
      }),
    );
    untried.push(...(await queue.close()));
    await recorder.drain().catch((error: unknown) => errors.push(error));
    if (untried.length > 0) await distributionsStore.unclaim(this.db, dist.id, worker, untried.map((c) => c.row.recipient_id), this.clock.now());
    // A failed claim, delivery or record: the job is retried, and its next run reconciles any row left 'sending'.
    if (queue.failure) throw queue.failure.error;
    if (errors.length > 0) throw errors[0];
    const sent = recorder.sent;
    if (halt.why) return { sent, ...halt.why };
    if (recorder.temporary > 0) {
      // Not a job failure: the rest waits with backoff in a job of its own, the sent stay sent.
      const attempts = await this.maxAttempts(dist.id);
      await this.jobs.enqueue(SEND_JOB, dist.brand_id, { distributionId: dist.id }, { runAt: this.clock.now() + 1000 * 2 ** Math.min(attempts, 10) });
      return { sent, retrying: true };
    }
    await this.finishIfDone(dist.id);
    return { sent };
  }

  private async maxAttempts(distributionId: string): Promise<number> {
    const row = await this.db.selectFrom('distribution_recipients').select((eb) => eb.fn.max('attempts').as('a')).where('distribution_id', '=', distributionId).where('status', '=', 'queued').executeTakeFirst();
    return Number(row?.a ?? 1);
  }

  private async finishIfDone(distributionId: string): Promise<void> {
    const c = await distributionsStore.counts(this.db, distributionId);
    if (c.queued === 0 && c.sending === 0) {
      const now = this.clock.now();
      await distributionsStore.update(this.db, distributionId, { status: 'Done', modified_at: now }, 'Pending');
    }
  }

  private async members(brandId: string, ids: string[]): Promise<Map<string, MemberRow>> {
    const rows = await this.db.selectFrom('panel_members').selectAll().where('brand_id', '=', brandId).where('id', 'in', ids).execute();
    return new Map(rows.map((r) => [r.id, r]));
  }

  private async deliver(dist: DistributionRow, body: string, row: DistributionRecipientRow, member: MemberRow | undefined): Promise<Outcome> {
    const mail = this.render(dist, body, row, member);
    if (this.transport.kind === 'outbox') {
      const outbox: OutboxRow = {
        mail_message_id: row.mail_message_id, brand_id: dist.brand_id, distribution_id: dist.id, recipient_id: row.recipient_id, to_address: mail.to,
        from_address: fromHeader(mail), subject: mail.subject, html: mail.html, text: mail.text, headers: JSON.stringify(mail.headers), created_at: this.clock.now(),
      };
      return { row, kind: 'sent', outbox };
    }
    await this.limiter.take(dist.brand_id);
    try {
      await this.transport.send(mail);
      return { row, kind: 'sent' };
    } catch (error) {
      const e = error as SendError;
      return { row, kind: e.permanent ? 'permanent' : 'temporary', error: e };
    }
  }

  /** One recipient's e-mail: the library message piped for them, with their links. */
  render(dist: DistributionRow, body: string, row: Pick<DistributionRecipientRow, 'recipient_id' | 'mail_message_id' | 'email'>, member: MemberRow | undefined): MailMessage {
    const base = this.config.publicUrl;
    const linkDistribution = dist.parent_id ?? dist.id;
    const surveyUrl =
      dist.link_type === 'Anonymous'
        ? `${base}/jfe/form/${dist.survey_id}`
        : `${base}/jfe/form/${dist.survey_id}?Q_DL=${encodePersonalLink({ distributionId: linkDistribution, surveyId: dist.survey_id, recipientId: row.recipient_id })}`;
    const token = this.trackingToken(dist.id, row.recipient_id);
    const optOutUrl = `${base}/mail/unsubscribe/${token}`;
    const ctx: PipingContext = {
      surveyUrl,
      optOutUrl,
      recipient: { firstName: member?.first_name ?? null, lastName: member?.last_name ?? null, email: member?.email ?? row.email, externalDataReference: member?.external_ref ?? null },
      embeddedData: parseEmbeddedData(member?.embedded_data ?? null),
    };
    const html = `${this.templates.get(body).render(ctx)}<img src="${base}/mail/open/${token}.gif" width="1" height="1" alt="">`;
    return buildMail(
      {
        fromName: dist.from_name ?? '', fromEmail: dist.from_email ?? '', sentFromAddress: dist.sent_from_address ?? this.defaultSentFrom(),
        to: row.email ?? '', subject: renderSubject(dist.subject ?? '', ctx), messageId: row.mail_message_id,
      },
      { html },
      { optOutUrl, oneClickUrl: optOutUrl },
    );
  }

  /** One group commit's worth of outcomes, written as one atomic write. */
  private record(dist: DistributionRow, outcomes: Outcome[]): Promise<void> {
    const recorded = outcomes.map((o): RecordedOutcome => {
      const giveUp = o.kind === 'permanent' || (o.kind === 'temporary' && o.row.attempts >= MAX_ATTEMPTS);
      return {
        recipientId: o.row.recipient_id,
        status: o.kind === 'sent' ? 'sent' : giveUp ? 'failed' : 'queued',
        error: o.error?.message.slice(0, 500) ?? null,
        bounced: o.error?.bounced === true,
        outbox: o.outbox,
      };
    });
    return this.commits.submit({ statements: distributionsStore.outcomeStatements(dist.id, recorded, this.clock.now()) });
  }

  // -------------------------------------------------------------------------------------------
  // Helpers

  private async queue(actor: Actor, fields: Omit<Parameters<typeof distributionsStore.insert>[1], 'id' | 'brand_id' | 'owner_id' | 'created_at'>): Promise<string> {
    const id = newId('EMD');
    const now = this.clock.now();
    const sendAt = Math.max(now, fields.send_date ?? now);
    // The job first: a crash before the insert leaves a job that finds nothing, never a distribution that never sends.
    const job = await this.jobs.enqueue(SEND_JOB, actor.brandId, { distributionId: id }, { runAt: sendAt });
    await distributionsStore.insert(this.db, {
      ...fields, id, brand_id: actor.brandId, owner_id: actor.userId, created_at: now, modified_at: now, status: 'Pending', job_id: job.id, materialized: 0,
    });
    return id;
  }

  private sender(input: { fromEmail: string; fromName: string; subject: string; sentFromAddress?: string | undefined }) {
    const fromEmail = input.fromEmail.trim();
    if (!EMAIL.test(fromEmail)) throw invalidParam('FromEmail');
    const fromName = input.fromName.replace(/[\r\n]+/g, ' ').trim();
    if (fromName.length > 255) throw invalidParam('FromName');
    const subject = input.subject.replace(/[\r\n]+/g, ' ').trim();
    if (subject === '' || subject.length > 998) throw invalidParam('Subject');
    const sentFrom = input.sentFromAddress?.trim();
    if (sentFrom !== undefined && !EMAIL.test(sentFrom)) throw invalidParam('SentFromAddress');
    return { from_email: fromEmail, from_name: fromName, subject, sent_from_address: sentFrom ?? null };
  }

  defaultSentFrom(): string {
    return `noreply@${this.mailHost}`;
  }

  private wireDate(value: string, zone: string, param: string): number {
    const ms = parseLocalDateTime(value, zone);
    if (ms === null) throw invalidParam(param);
    return ms;
  }

  private async requireMessage(actor: Actor, libraryId: string, param: string, messageId: string): Promise<{ id: string; library: string }> {
    const library = await this.libraries.require(actor, libraryId, param);
    const row = await messagesStore.find(this.db, actor.brandId, library, messageId);
    if (!row) throw invalidParam('MessageID');
    return { id: row.id, library };
  }

  private async canUseSurvey(actor: Actor, surveyId: string): Promise<boolean> {
    const survey = await surveysStore.find(this.db, actor.brandId, surveyId);
    return survey !== undefined && (survey.owner_id === actor.userId || (await surveysStore.isSharedWith(this.db, actor.brandId, survey.id, actor.userId)));
  }

  private async requireSurvey(actor: Actor, surveyId: string): Promise<{ id: string }> {
    if (!(await this.canUseSurvey(actor, surveyId))) throw new ServiceError('UnknownSurvey');
    return { id: surveyId };
  }

  private async view(row: DistributionRow): Promise<DistributionView> {
    const [counts, responses, timeZone] = await Promise.all([
      distributionsStore.counts(this.db, row.id),
      distributionsStore.responseCounts(this.db, row.parent_id ?? row.id, row.parent_id === null ? undefined : row.id),
      this.accounts.timeZone(row.brand_id),
    ]);
    return { row, counts, responded: responses.responded, finished: responses.finished, timeZone, defaultSentFrom: this.defaultSentFrom() };
  }
}

/** Wire dates of a view, for adapters. */
export const viewDate = (v: DistributionView, ms: number | null) => formatDateTime(ms, v.timeZone);

interface Claimed {
  row: DistributionRecipientRow;
  member: MemberRow | undefined;
}

/**
 * Claimed recipients waiting for a lane. When no more than `lowWater` are left, the next batch is
 * claimed in the background, so the lanes never wait for a claim between batches. A claim that
 * finds nothing ends the queue once what it holds is handed out; one that says stop (null) or
 * fails halts it at once.
 */
class ClaimQueue {
  failure: { error: unknown } | null = null;
  private items: Claimed[] = [];
  private at = 0;
  private refill: Promise<void> | null = null;
  /** Nothing more to claim (what is held still goes out). */
  private exhausted = false;
  /** Nothing more is handed out. */
  halted = false;

  constructor(
    /** The next batch: empty when there is none, null when sending must stop. */
    private readonly claim: () => Promise<Claimed[] | null>,
    private readonly lowWater: number,
  ) {}

  /** The next recipient, or undefined once there are no more or the queue was halted. */
  async next(): Promise<Claimed | undefined> {
    for (;;) {
      if (this.halted) return undefined;
      if (this.at < this.items.length) {
        const item = this.items[this.at++] as Claimed;
        if (this.items.length - this.at <= this.lowWater) this.startRefill();
        return item;
      }
      if (this.exhausted) return undefined;
      this.startRefill();
      await this.refill;
    }
  }

  halt(): void {
    this.halted = true;
  }

  /** Halts, waits for a claim in progress, and returns the claimed recipients no lane took. */
  async close(): Promise<Claimed[]> {
    this.halted = true;
    while (this.refill) await this.refill;
    const left = this.items.slice(this.at);
    this.items = [];
    this.at = 0;
    return left;
  }

  private startRefill(): void {
    if (this.refill || this.exhausted || this.halted) return;
    this.refill = this.claim()
      .then((batch) => {
        if (batch === null) this.halted = true;
        else if (batch.length === 0) this.exhausted = true;
        // Kept even when halted meanwhile: close() gives them back.
        this.items = this.items.slice(this.at).concat(batch ?? []);
        this.at = 0;
      })
      .catch((error: unknown) => {
        this.failure ??= { error };
        this.halted = true;
      })
      .finally(() => {
        this.refill = null;
      });
  }
}

/**
 * Records outcomes as they come, in group commits: one starts once as many outcomes wait as the
 * pool has connections, or GROUP_DELAY_MS after the oldest of them arrived, whichever is first (and
 * whatever arrives meanwhile waits for the next). An accepted message so waits a few milliseconds
 * at most before it is marked sent, while a commit (an fsync on SQLite) is paid per group, not per
 * message. The lanes ask for room() before each send, so that however slow the commits, no more
 * than twice a group of outcomes ever waits for one: that bounds what a crash can leave unrecorded.
 */
class Recorder {
  sent = 0;
  temporary = 0;
  private pending: Outcome[] = [];
  private oldest = 0;
  /** Outcomes in the commit running now. */
  private writing = 0;
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private draining = false;
  private failure: { error: unknown } | null = null;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly write: (outcomes: Outcome[]) => Promise<void>,
    private readonly groupSize: number,
  ) {}

  push(outcome: Outcome): void {
    if (outcome.kind === 'sent') this.sent++;
    if (outcome.kind === 'temporary') this.temporary++;
    if (this.pending.length === 0) this.oldest = performance.now();
    this.pending.push(outcome);
    this.schedule();
  }

  /** Resolves once fewer than two groups of outcomes wait for their commit (at once, mostly). */
  async room(): Promise<void> {
    while (this.pending.length + this.writing >= 2 * this.groupSize && !this.failure) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** A commit failed: what follows should not be sent. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** Writes whatever waits, now, and waits for it; throws if any commit failed. */
  async drain(): Promise<void> {
    this.draining = true;
    this.schedule();
    while (this.running) await this.running;
    if (this.failure) throw this.failure.error;
  }

  private schedule(): void {
    if (this.running || this.pending.length === 0) return;
    const wait = this.draining || this.pending.length >= this.groupSize ? 0 : this.oldest + GROUP_DELAY_MS - performance.now();
    if (wait <= 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.running = this.flush();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, wait);
    }
  }

  private async flush(): Promise<void> {
    const group = this.pending;
    this.pending = [];
    this.writing = group.length;
    try {
      await this.write(group);
    } catch (error) {
      this.failure ??= { error };
    } finally {
      this.writing = 0;
      this.running = null;
      for (const wake of this.waiters.splice(0)) wake();
      this.schedule();
    }
  }
}

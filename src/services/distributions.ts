/**
 * Distributions: e-mailed invitations and reminders with personal links, link-only distributions,
 * their counters, and the job that sends them.
 *
 * Sending is exactly-once per recipient as far as SMTP allows. The recipients are written as rows
 * ('queued') in one INSERT … SELECT when the job first runs; a batch is claimed ('sending') before
 * any SMTP traffic, and each accepted message is recorded 'sent' by a small group commit right
 * after the server's 250 reply. A worker killed at any moment leaves at most the messages between
 * that reply and the next commit (one per pooled connection, typically ≤ 10) in 'sending'; the
 * next run sends those again with the same Message-ID (duplicates a receiving system can collapse),
 * and never loses one. With the outbox there is no window: the outbox row and the 'sent' mark are
 * one transaction, and a stranded 'sending' row is reconciled by its Message-ID.
 *
 * Decisions where the spec is silent:
 * - Reminder links are the parent distribution's personal links, so a reminded recipient continues
 *   or finishes the same response (and 'already taken' holds across both).
 * - EmailsBounced counts recipients the SMTP server refused at RCPT with a 5xx reply (also in
 *   EmailsFailed); asynchronous bounce messages are not read.
 * - createDistribution has RequestType "Links" and RequestStatus "Done" at once (nothing to send).
 * - RecipientID appears only for sendSurveyToIndividual distributions, as recorded.
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
import {
  distributionsStore, outboxStore, type DistributionRecipientRow, type DistributionRow, type OutboxRow, type RecipientCounts, type RecipientSource,
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
import { renderMessageHtml } from './messages.ts';
import type { RespondentService } from './respondent.ts';

export const SEND_JOB = 'send-distribution';
export type LinkType = 'Individual' | 'Multiple' | 'Anonymous';
const LINK_TYPES: LinkType[] = ['Individual', 'Multiple', 'Anonymous'];
const DAY_MS = 86_400_000;
const BATCH = 200;
/** Sends of one job in flight at once (the pool's connections are shared among them). */
const CONCURRENCY = 20;
/** A recipient whose message met this many temporary failures is counted failed. */
const MAX_ATTEMPTS = 5;
const EMAIL = /^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/;

export interface SendInput {
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

interface Outcome {
  row: DistributionRecipientRow;
  kind: 'sent' | 'temporary' | 'permanent';
  error?: SendError;
  outbox?: OutboxRow;
}

export class DistributionsService {
  private readonly limiter: BrandRateLimiter;
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
    const survey = await this.requireSurvey(actor, input.surveyId);
    const zone = await this.accounts.timeZone(actor.brandId);
    const sendDate = this.wireDate(input.sendDate, zone, 'SendDate');
    const sender = this.sender(input);
    const linkType = (input.linkType ?? 'Individual') as LinkType;
    if (!LINK_TYPES.includes(linkType)) throw invalidParam('LinkType');
    const message = await this.requireMessage(actor, input.messageLibraryId, 'MessageLibraryID', input.messageId);
    const panelLibrary = await this.libraries.require(actor, input.panelLibraryId, 'PanelLibraryID');
    const panel = await panelsStore.findPanel(this.db, actor.brandId, panelLibrary, input.panelId);
    if (!panel) throw invalidParam('PanelID');
    if (input.recipientId !== undefined) {
      const member = await panelsStore.findMember(this.db, actor.brandId, input.recipientId);
      if (!member || member.panel_id !== panel.id) throw invalidParam('RecipientID');
    }
    const expiration = input.expirationDate === undefined ? sendDate + 60 * DAY_MS : this.wireDate(input.expirationDate, zone, 'ExpirationDate');
    const approx = input.recipientId !== undefined ? 1 : await panelsStore.countMembers(this.db, actor.brandId, panel.id);
    return this.queue(actor, {
      survey_id: survey.id, panel_id: panel.id, recipient_id: input.recipientId ?? null, link_type: linkType, expiration_date: expiration,
      parent_id: null, request_type: 'Invite', send_date: sendDate, ...sender, message_library_id: message.library, message_id: message.id,
      recipient_library_id: panelLibrary, approx_emails: approx,
    });
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

  private async sendAll(dist: DistributionRow, worker: string, ctx: JobContext): Promise<unknown> {
    const message = await messagesStore.find(this.db, dist.brand_id, dist.message_library_id as string, dist.message_id as string);
    let sent = 0;
    let retryLater = false;
    for (;;) {
      const current = await distributionsStore.findById(this.db, dist.id);
      if (current?.status !== 'Pending') return { sent, stopped: current?.status };
      const batch = await distributionsStore.claim(this.db, dist.id, worker, BATCH, this.clock.now());
      if (batch.length === 0) break;
      const members = await this.members(dist.brand_id, batch.map((r) => r.recipient_id));
      const recorder = new Recorder((outcomes) => this.record(dist, outcomes));
      await eachLimited(batch, CONCURRENCY, async (row) => {
        const member = members.get(row.recipient_id);
        recorder.push(await this.deliver(dist, message?.body ?? '', row, member));
      });
      await recorder.drain();
      sent += recorder.sent;
      if (recorder.temporary > 0) {
        retryLater = true;
        break;
      }
      if (!(await ctx.progress(sent, dist.approx_emails ?? undefined))) return { sent, leaseLost: true };
    }
    if (retryLater) {
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
    const html = `${renderMessageHtml(body, ctx)}<img src="${base}/mail/open/${token}.gif" width="1" height="1" alt="">`;
    return buildMail(
      {
        fromName: dist.from_name ?? '', fromEmail: dist.from_email ?? '', sentFromAddress: dist.sent_from_address ?? this.defaultSentFrom(),
        to: row.email ?? '', subject: renderSubject(dist.subject ?? '', ctx), messageId: row.mail_message_id,
      },
      { html },
      { optOutUrl, oneClickUrl: optOutUrl },
    );
  }

  private async record(dist: DistributionRow, outcomes: Outcome[]): Promise<void> {
    const now = this.clock.now();
    const sent = outcomes.filter((o) => o.kind === 'sent');
    const failed = outcomes.filter((o) => o.kind === 'permanent' || (o.kind === 'temporary' && o.row.attempts >= MAX_ATTEMPTS));
    const again = outcomes.filter((o) => o.kind === 'temporary' && o.row.attempts < MAX_ATTEMPTS);
    await this.db.transaction().execute(async (trx) => {
      for (const o of sent) if (o.outbox) await outboxStore.insert(trx, o.outbox);
      await distributionsStore.setStatus(trx, dist.id, sent.map((o) => o.row.recipient_id), { status: 'sent', sent_at: now, claimed_by: null, error: null, updated_at: now });
      for (const o of failed) {
        await distributionsStore.setStatus(trx, dist.id, [o.row.recipient_id], {
          status: 'failed', failed_at: now, bounced_at: o.error?.bounced ? now : null, claimed_by: null, error: o.error?.message.slice(0, 500) ?? null, updated_at: now,
        });
      }
      for (const o of again) {
        await distributionsStore.setStatus(trx, dist.id, [o.row.recipient_id], { status: 'queued', claimed_by: null, error: o.error?.message.slice(0, 500) ?? null, updated_at: now });
      }
    });
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

/** Runs `fn` over the items with at most `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  });
  await Promise.all(lanes);
}

/**
 * Records outcomes as they come: whatever arrived while the previous commit ran is written by the
 * next one, so an accepted message waits for at most one commit before it is marked sent.
 */
class Recorder {
  sent = 0;
  temporary = 0;
  private pending: Outcome[] = [];
  private running: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(private readonly write: (outcomes: Outcome[]) => Promise<void>) {}

  push(outcome: Outcome): void {
    if (outcome.kind === 'sent') this.sent++;
    if (outcome.kind === 'temporary') this.temporary++;
    this.pending.push(outcome);
    if (!this.running) this.running = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const take = this.pending;
        this.pending = [];
        await this.write(take);
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.running = null;
    }
  }

  async drain(): Promise<void> {
    while (this.running) await this.running;
    if (this.pending.length > 0) await this.loop();
    if (this.failure) throw this.failure;
  }
}

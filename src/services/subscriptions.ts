/**
 * Event subscriptions (spec §2.8): who wants which events POSTed where, and the events themselves.
 *
 * Decisions where the spec is silent:
 * - A subscription belongs to the user who made it; its owner sees and deletes it, a brand
 *   administrator sees and deletes every subscription of the brand. Other brands' do not exist.
 * - Topics are patterns (domain/topics.ts). A pattern naming a survey must name one the user can
 *   reach (ESRV35|Topics otherwise). A pattern that would receive survey-engine events of every
 *   survey (`surveyengine.*`, `surveyengine.completedResponse.*`, `*`…) is a brand administrator's
 *   alone (ESEC06): other users' responses are not a standard user's to read.
 * - PublicationURL: http or https (https recommended, http accepted for local receivers), no user
 *   name or password in it, at most 2,000 characters; an IP literal in a private, loopback,
 *   link-local or metadata range and `localhost` are refused up front unless ALLOW_PRIVATE_URLS.
 *   Names are checked again at each delivery (webhooks.ts), where the address is pinned.
 * - Encrypt=1 needs a SharedKey. BrandID, when given, must be the caller's brand.
 * - Events are written as delivery jobs in the same atomic write as the change they report (the
 *   outbox): `eventStatements` for the respondent's group commit, `publish` inside a transaction.
 *   Preview responses raise no events.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import { formatDateTime } from '../domain/dates.ts';
import { newId } from '../domain/ids.ts';
import { MAX_TOPICS, candidatePatterns, splitTopics, topicProblem } from '../domain/topics.ts';
import type { Store } from '../store/db.ts';
import type { Statement } from '../store/group-commit.ts';
import type { NewResponseRow } from '../store/responses.ts';
import type { Database } from '../store/schema.ts';
import { eventJobsStatement, subscriptionsStore, type DeliveryRow, type SubscriptionRow } from '../store/subscriptions.ts';
import { isBrandAdmin, type Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError, invalidParam, notFound } from './errors.ts';
import type { SurveysService } from './surveys.ts';
import { UrlFetchError, checkTargetUrl } from './url-fetch.ts';

export interface SubscribeInput {
  name: string;
  publicationUrl: string;
  topics: string;
  encrypt?: string | undefined;
  sharedKey?: string | undefined;
  brandId?: string | undefined;
}

export interface SubscriptionView {
  id: string;
  brandId: string;
  ownerId: string;
  name: string;
  publicationUrl: string;
  topics: string[];
  encrypt: boolean;
  hasSharedKey: boolean;
  createdAt: number;
}

export interface DeliveryView {
  jobId: string;
  topic: string;
  attempt: number;
  outcome: 'delivered' | 'retry' | 'failed';
  httpStatus: number | null;
  latencyMs: number;
  error: string | null;
  at: number;
}

/** One event, before it meets subscriptions: its topic without the brand prefix, and its MSG. */
export interface BrandEvent {
  brandId: string;
  topic: string;
  msg: Record<string, unknown>;
}

/** What a delivery job carries. */
export interface DeliveryPayload {
  topic: string;
  msg: Record<string, unknown>;
  subscriptionId: string;
}

const NAME_MAX = 255;
const URL_MAX = 2000;
const SHARED_KEY_MAX = 512;
const SURVEY_SEGMENT = /^SV_[0-9A-Za-z]{15}$/;

function toView(row: SubscriptionRow): SubscriptionView {
  return {
    id: row.id, brandId: row.brand_id, ownerId: row.owner_id, name: row.name, publicationUrl: row.publication_url,
    topics: splitTopics(row.topics), encrypt: row.encrypt === 1, hasSharedKey: row.shared_key !== null, createdAt: row.created_at,
  };
}

function toDelivery(row: DeliveryRow): DeliveryView {
  return {
    jobId: row.job_id, topic: row.topic, attempt: row.attempt, outcome: row.outcome as DeliveryView['outcome'],
    httpStatus: row.http_status, latencyMs: row.latency_ms, error: row.error, at: row.created_at,
  };
}

/** True when the pattern could match survey-engine events of any survey (not one named survey). */
function coversEverySurvey(segments: string[]): boolean {
  const [ns, , survey] = segments;
  if (ns !== '*' && ns !== 'surveyengine') return false;
  return survey === undefined || survey === '*' || segments.length < 3;
}

export class SubscriptionsService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly surveys: SurveysService,
    private readonly allowPrivateUrls: boolean,
  ) {}

  private get db() {
    return this.store.db;
  }

  async subscribe(actor: Actor, input: SubscribeInput): Promise<string> {
    if (input.brandId !== undefined && input.brandId !== actor.brandId) throw invalidParam('BrandID');
    const name = input.name.trim();
    if (name === '' || name.length > NAME_MAX || /[\r\n]/.test(name)) throw invalidParam('Name');
    const url = this.checkUrl(input.publicationUrl);
    const encrypt = input.encrypt === undefined ? false : input.encrypt === '1' ? true : input.encrypt === '0' ? false : undefined;
    if (encrypt === undefined) throw invalidParam('Encrypt');
    const sharedKey = input.sharedKey;
    if (sharedKey !== undefined && (sharedKey.length > SHARED_KEY_MAX || sharedKey.trim() === '')) throw invalidParam('SharedKey');
    if (encrypt && sharedKey === undefined) throw invalidParam('SharedKey');
    const patterns = await this.checkTopics(actor, input.topics);
    const row: SubscriptionRow = {
      id: newId('SUB'), brand_id: actor.brandId, owner_id: actor.userId, name, publication_url: url,
      topics: patterns.join(','), encrypt: encrypt ? 1 : 0, shared_key: sharedKey ?? null, created_at: this.clock.now(),
    };
    await subscriptionsStore.insert(this.db, row, patterns);
    return row.id;
  }

  private checkUrl(raw: string): string {
    if (raw.length > URL_MAX) throw invalidParam('PublicationURL');
    try {
      const url = checkTargetUrl(raw, { allowPrivate: this.allowPrivateUrls });
      if (url.username !== '' || url.password !== '') throw invalidParam('PublicationURL');
      return url.href;
    } catch (error) {
      if (error instanceof UrlFetchError) throw invalidParam('PublicationURL');
      throw error;
    }
  }

  private async checkTopics(actor: Actor, raw: string): Promise<string[]> {
    const patterns = splitTopics(raw);
    if (patterns.length === 0 || patterns.length > MAX_TOPICS) throw invalidParam('Topics');
    for (const p of patterns) {
      if (topicProblem(p) !== undefined) throw invalidParam('Topics');
      const segments = p.split('.');
      if (coversEverySurvey(segments)) {
        if (!isBrandAdmin(actor)) throw new ServiceError('AdminOnly');
        continue;
      }
      const survey = segments[0] === 'surveyengine' ? segments[2] : undefined;
      if (survey === undefined) continue;
      if (!SURVEY_SEGMENT.test(survey)) throw invalidParam('Topics');
      try {
        await this.surveys.getSurvey(actor, survey);
      } catch (error) {
        if (error instanceof ServiceError && error.kind === 'UnknownSurvey') throw invalidParam('Topics');
        throw error;
      }
    }
    return patterns;
  }

  private async reachable(actor: Actor, id: string): Promise<SubscriptionRow> {
    const row = await subscriptionsStore.find(this.db, actor.brandId, id);
    if (!row || (row.owner_id !== actor.userId && !isBrandAdmin(actor))) throw notFound('SubscriptionID');
    return row;
  }

  async list(actor: Actor): Promise<SubscriptionView[]> {
    const rows = await subscriptionsStore.list(this.db, actor.brandId, isBrandAdmin(actor) ? undefined : actor.userId);
    return rows.map(toView);
  }

  async get(actor: Actor, id: string): Promise<SubscriptionView> {
    return toView(await this.reachable(actor, id));
  }

  /** Deliveries already queued are dropped when they run (their subscription is gone). */
  async delete(actor: Actor, id: string): Promise<void> {
    await this.reachable(actor, id);
    await subscriptionsStore.delete(this.db, actor.brandId, id);
  }

  /** The latest delivery attempts and how many deliveries are still waiting. */
  async deliveries(actor: Actor, id: string, limit = 100): Promise<{ attempts: DeliveryView[]; waiting: number }> {
    await this.reachable(actor, id);
    const [rows, waiting] = await Promise.all([subscriptionsStore.deliveries(this.db, actor.brandId, id, limit), subscriptionsStore.waiting(this.db, actor.brandId, id)]);
    return { attempts: rows.map(toDelivery), waiting };
  }

  // -------------------------------------------------------------------------------------------
  // Events

  /** The outbox statement of an event, to be written in the same atomic write as its cause. */
  eventStatement(event: BrandEvent): Statement {
    const head = JSON.stringify({ topic: event.topic, msg: event.msg, subscriptionId: '' });
    return eventJobsStatement({
      brandId: event.brandId,
      patterns: candidatePatterns(event.topic),
      jobPrefix: newId('J'),
      // The JSON up to the subscription id's opening quote; the statement appends the id and `"}`.
      payloadHead: head.slice(0, -2),
      now: this.clock.now(),
    });
  }

  /** Writes the event's delivery jobs through `db` (pass the transaction of the change it reports). */
  async publish(db: Kysely<Database>, event: BrandEvent): Promise<void> {
    const s = this.eventStatement(event);
    let n = 0;
    const text = this.store.dialect === 'postgres' ? s.sql.replace(/\?/g, () => `$${++n}`) : s.sql;
    await db.executeQuery(CompiledQuery.raw(text, [...s.params]));
  }

  /** The statements a new response adds to its write: one event, none for previews. */
  responseStatements(response: NewResponseRow, timeZone: string): Statement[] {
    if (response.status !== 0) return [];
    const complete = response.finished === 1;
    return [this.eventStatement({
      brandId: response.brand_id,
      topic: `surveyengine.${complete ? 'completedResponse' : 'partialResponse'}.${response.survey_id}`,
      msg: {
        Status: complete ? 'Complete' : 'Partial', SurveyID: response.survey_id, ResponseID: response.id,
        CompletedDate: formatDateTime(response.end_date, timeZone), BrandID: response.brand_id,
      },
    })];
  }
}

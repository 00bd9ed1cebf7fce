/**
 * The respondent side of a survey: entering through a link, showing the page on screen, taking a
 * page's answers, finishing into a response. The engine (domain/survey/flow.ts) decides the pages;
 * this service keeps sessions, checks links and dates, validates, and stores.
 *
 * Cost per page submit is what the server's throughput is made of, so: surveys are parsed once per
 * modification (survey-runtime.ts), sessions stay in a write-through cache whose writes name the
 * version they were computed from (a stale one is refused and reloaded), the state is stringified
 * once per write, and every write that acknowledges a submit goes through the group commit
 * (store/group-commit.ts): concurrent submits share one transaction and one fsync.
 *
 * Decisions where the spec is silent:
 * - A page refused by validation is returned, not stored: the route renders it in place.
 * - A session untouched past its partial-data deadline is closed ('session-expired') even before
 *   the sweep (expireSessions) turns it into an unfinished response.
 * - Answers recorded for questions that a later change of path no longer displays are left out of
 *   the response (only displayed questions count, as in the engine's logic).
 * - A response's EndDate is the finishing submit; for an expired session it is its last activity.
 * - Response values use the 'v' dialect's column names; both dialects have the same question
 *   columns in the same order, so an exporter of the 'named' dialect maps them by position.
 */
import { performance } from 'node:perf_hooks';
import { newId } from '../domain/ids.ts';
import { decodePersonalLink, encodePersonalLink } from '../domain/personal-link.ts';
import type { PipingRecipient } from '../domain/piping.ts';
import { parseEmbeddedData } from '../domain/recipients.ts';
import { nextPage, previousPage, startSession, submitPage } from '../domain/survey/flow.ts';
import type { SurveyOptions } from '../domain/survey/options.ts';
import type { QsfQuestion } from '../domain/survey/qsf.ts';
import { storedValues } from '../domain/export/stored-values.ts';
import { stateJson, type PageQuestion, type QuestionAnswer, type SessionState, type ShownPage } from '../domain/survey/session-state.ts';
import { pipeSurveyText, seededRandom, type PipedAnswer } from '../domain/survey/survey-piping.ts';
import { blocksSubmit, validateAnswer, type AnswerValue, type ValidationIssue } from '../domain/survey/validation.ts';
import { describeUserAgent } from '../domain/user-agent.ts';
import type { Store } from '../store/db.ts';
import { distributionsStore, type DistributionRow } from '../store/distributions.ts';
import { GroupCommit, StaleWriteError, type Statement } from '../store/group-commit.ts';
import { messagesStore } from '../store/messages.ts';
import { panelsStore } from '../store/panels.ts';
import { responsesStore, type NewResponseRow } from '../store/responses.ts';
import { sessionsStore, type SessionChange, type SessionRow } from '../store/sessions.ts';
import { surveysStore, type SurveyHeadRow } from '../store/surveys.ts';
import type { AccountsService } from './accounts.ts';
import type { Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError, invalidParam } from './errors.ts';
import type { JobsService } from './jobs.ts';
import { Lru, buildRuntime, type SurveyRuntime } from './survey-runtime.ts';

export type EntryMode = 'anonymous' | 'personal' | 'preview';

export interface Visitor {
  ip: string;
  userAgent: string;
}

export interface EnterRequest extends Visitor {
  surveyId: string;
  mode: EntryMode;
  /** The Q_DL value of a personal link. */
  personalLink?: string | undefined;
  /** Required for preview: someone who may read the survey. */
  previewActor?: Actor | undefined;
  /** URL query parameters: those named like an embedded-data field of the flow fill it. */
  query: Record<string, string>;
  /** FS_ id from this browser's cookie, if any. */
  resumeSessionId?: string | undefined;
  /** This browser finished the survey before (cookie): refused when the survey prevents ballot-box stuffing. */
  alreadyCompleted?: boolean | undefined;
}

export interface ClientTiming {
  firstClick?: number;
  lastClick?: number;
  clicks?: number;
}

export interface SubmitRequest extends Visitor {
  surveyId: string;
  sessionId: string;
  /** From the page's hidden field; a stale or forged one changes nothing. */
  pageToken: string;
  action: 'next' | 'back';
  answers: Record<string, QuestionAnswer>;
  /** The respondent chose to go on despite "request response" notices. */
  confirmSoft: boolean;
  clientTiming?: Record<string, ClientTiming> | undefined;
  clientMeta?: { resolution?: string | undefined } | undefined;
}

/** What a page post says, once read against the page's questions (web/respondent/form.ts reads it). */
export type PostedPage = Omit<SubmitRequest, keyof Visitor | 'surveyId' | 'sessionId'>;

export interface PageQuestionModel {
  qid: string;
  question: QsfQuestion;
  /** The question's raw QSF payload, for what QsfQuestion leaves out (Configuration, Labels, flags). */
  payload: Record<string, unknown>;
  /** Choice / row ids to show, in display order. */
  choiceOrder: string[];
  /** Answer / scale point ids to show, in display order. */
  answerOrder: string[];
  answer?: QuestionAnswer;
  issues: ValidationIssue[];
}

export interface PageModel {
  sessionId: string;
  pageToken: string;
  pageId: string;
  questions: PageQuestionModel[];
  options: SurveyOptions;
  /** 0..100 when the survey shows a progress bar, else null. */
  progress: number | null;
  canGoBack: boolean;
  /** The page was refused only for soft ("request response") issues. */
  softOnly: boolean;
  /** Fills piped text in an (already sanitized) HTML string; values are escaped. */
  pipe(text: string): string;
}

export type ClosedReason =
  | 'not-found' | 'inactive' | 'not-started' | 'expired' | 'link-invalid' | 'link-expired' | 'already-taken' | 'session-expired' | 'forbidden';

export type Entry =
  | { kind: 'page'; surveyId: string; surveyName: string; mode: EntryMode; page: PageModel }
  | {
      kind: 'end'; surveyId: string; surveyName: string; mode: EntryMode; sessionId: string; responseId: string | null;
      /** Raw QSF/library HTML, piped; the caller sanitizes. */
      messageHtml?: string; redirectUrl?: string;
    }
  | { kind: 'closed'; surveyId: string; surveyName?: string; reason: ClosedReason; /** raw; the caller sanitizes */ messageHtml: string };

export const DEFAULT_END_MESSAGE = 'We thank you for your time spent taking this survey. Your response has been recorded.';

/** What a closed link says when the survey names no message of its own. */
export const CLOSED_MESSAGES: Record<ClosedReason, string> = {
  'not-found': 'This survey does not exist. Check that the whole link was copied.',
  inactive: 'This survey is not currently active.',
  'not-started': 'This survey is not open yet.',
  expired: 'This survey has closed.',
  'link-invalid': 'This survey link is not valid.',
  'link-expired': 'This survey link has expired.',
  'already-taken': 'You have already taken this survey. Thank you for your participation.',
  'session-expired': 'Your survey session has expired. Open the survey link again to start over.',
  forbidden: 'You do not have permission to preview this survey.',
};

export const EXPIRE_SESSIONS_JOB = 'expire-survey-sessions';

/** A session in memory: its row without the state text, and the state parsed. */
interface LiveSession {
  row: Omit<SessionRow, 'state'>;
  state: SessionState;
  member: MemberInfo | null;
}

interface MemberInfo {
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  externalRef: string | null;
  embeddedData: Record<string, string>;
}

interface Loaded {
  head: SurveyHeadRow;
  rt: SurveyRuntime;
  session: LiveSession;
}

/** Query values longer than this are cut before they become embedded data. */
const MAX_EMBEDDED_VALUE = 10_000;
/** Survey heads (status, dates) are re-read after this long; changes in this process clear them at once. */
const HEAD_TTL_MS = 1000;
const MESSAGE_TTL_MS = 60_000;
const EXPIRE_BATCH = 200;
const QUESTION_TYPES_WITHOUT_ANSWERS = new Set(['Timing', 'Meta', 'DB']);

const closed = (surveyId: string, reason: ClosedReason, surveyName?: string, messageHtml = CLOSED_MESSAGES[reason]): Entry =>
  surveyName === undefined ? { kind: 'closed', surveyId, reason, messageHtml } : { kind: 'closed', surveyId, surveyName, reason, messageHtml };

const has = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** Validation reads numbers as typed text. */
/** A number as a person would type it: never in exponent form, which validation rightly refuses. */
function plainNumber(n: number): string {
  const s = String(n);
  return /e/i.test(s) ? n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 }) : s;
}

function answerValue(a: QuestionAnswer | undefined): AnswerValue {
  if (!a) return {};
  const text: Record<string, string> = { ...(a.text ?? {}) };
  for (const [k, n] of Object.entries(a.numeric ?? {})) text[k] = plainNumber(n);
  return { selected: a.selected ?? [], text, matrix: a.matrix ?? {} };
}

function pipedAnswer(a: QuestionAnswer): PipedAnswer {
  const text: Record<string, string> = { ...(a.text ?? {}) };
  for (const [k, n] of Object.entries(a.numeric ?? {})) if (!has(text, k)) text[k] = plainNumber(n);
  return { selected: a.selected ?? [], text, matrix: a.matrix ?? {} };
}

function memberName(m: MemberInfo): string | null {
  const parts = [m.lastName, m.firstName].filter((p): p is string => p !== null && p !== '');
  return parts.length === 0 ? null : parts.join(', ');
}

function finite(n: number | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) / 1000 : 0;
}

export class RespondentService {
  /** The writer every acknowledged respondent write goes through (exposed for benchmarks and shutdown). */
  readonly writer: GroupCommit;
  private readonly heads = new Lru<string, { head: Promise<SurveyHeadRow | undefined>; at: number }>(2000);
  private readonly runtimes = new Lru<string, SurveyRuntime>(100);
  private readonly loading = new Map<string, Promise<SurveyRuntime>>();
  // A long survey's state is tens of KB in memory: 5,000 bounds the cache to about 100 MB at worst.
  private readonly sessions = new Lru<string, LiveSession>(5000);
  private readonly messages = new Lru<string, { body: string | undefined; at: number }>(500);
  /**
   * Statements written in the same atomic write as a new response (the webhook outbox rows, so an
   * event is stored exactly when its response is, and the thank-you e-mail's distribution); set by
   * the wiring in services/index.ts.
   */
  responseEvents: ((response: NewResponseRow, timeZone: string, options: SurveyOptions) => Statement[]) | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly accounts: AccountsService,
    jobs?: JobsService,
  ) {
    this.writer = new GroupCommit(store);
    jobs?.register(EXPIRE_SESSIONS_JOB, async () => ({ expired: await this.expireSessions() }));
  }

  private get db() {
    return this.store.db;
  }

  /** Forgets what is cached about a survey (its status, dates or definition changed). */
  forgetSurvey(surveyId: string): void {
    this.heads.delete(surveyId);
    this.runtimes.delete(surveyId);
  }

  // -------------------------------------------------------------------------------------------
  // Entering

  async enter(req: EnterRequest): Promise<Entry> {
    const head = await this.head(req.surveyId);
    if (!head) return closed(req.surveyId, 'not-found');
    const rt = await this.runtime(head);
    if (!rt) return closed(req.surveyId, 'not-found');
    if (req.mode === 'preview') return this.enterPreview(head, rt, req);
    const gate = await this.gate(head, rt);
    if (gate) return gate;
    if (req.alreadyCompleted && rt.options.ballotBoxStuffingPrevention) return closed(head.id, 'already-taken', head.name);
    if (req.mode === 'personal') return this.enterPersonal(head, rt, req);
    if (req.resumeSessionId && rt.options.saveAndContinue) {
      const resumed = await this.resume(head, rt, req.resumeSessionId, (row) => row.mode === 'anonymous');
      if (resumed) return resumed;
    }
    return this.start(head, rt, req, { mode: 'anonymous' });
  }

  private async enterPreview(head: SurveyHeadRow, rt: SurveyRuntime, req: EnterRequest): Promise<Entry> {
    const actor = req.previewActor;
    const allowed = actor !== undefined && actor.brandId === head.brand_id
      && (head.owner_id === actor.userId || (await surveysStore.isSharedWith(this.db, head.brand_id, head.id, actor.userId)));
    if (!allowed) return closed(head.id, 'forbidden', head.name);
    if (req.resumeSessionId) {
      const resumed = await this.resume(head, rt, req.resumeSessionId, (row) => row.mode === 'preview');
      if (resumed) return resumed;
    }
    return this.start(head, rt, req, { mode: 'preview' });
  }

  private async enterPersonal(head: SurveyHeadRow, rt: SurveyRuntime, req: EnterRequest): Promise<Entry> {
    const link = decodePersonalLink(req.personalLink);
    if (!link || link.surveyId !== head.id) return closed(head.id, 'link-invalid', head.name);
    const dist = await distributionsStore.find(this.db, head.brand_id, link.distributionId);
    if (!dist || dist.survey_id !== head.id || dist.link_type === 'Anonymous') return closed(head.id, 'link-invalid', head.name);
    const member = await panelsStore.findMember(this.db, head.brand_id, link.recipientId);
    const belongs = member !== undefined && (dist.recipient_id !== null ? dist.recipient_id === member.id : dist.panel_id === member.panel_id);
    if (!belongs) return closed(head.id, 'link-invalid', head.name);
    if (dist.expiration_date !== null && this.clock.now() >= dist.expiration_date) return closed(head.id, 'link-expired', head.name);
    const forRecipient = (row: Omit<SessionRow, 'state'>) => row.distribution_id === dist.id && row.recipient_id === member.id;
    if (dist.link_type === 'Individual') {
      if (await responsesStore.finishedFor(this.db, dist.id, member.id)) return closed(head.id, 'already-taken', head.name);
      const open = await sessionsStore.findOpenFor(this.db, dist.id, member.id);
      const resumed = open ? await this.resume(head, rt, open.id, forRecipient) : null;
      if (resumed) return resumed;
    } else if (req.resumeSessionId) {
      const resumed = await this.resume(head, rt, req.resumeSessionId, forRecipient);
      if (resumed) return resumed;
    }
    const info: MemberInfo = {
      firstName: member.first_name, lastName: member.last_name, email: member.email, externalRef: member.external_ref,
      embeddedData: parseEmbeddedData(member.embedded_data),
    };
    return this.start(head, rt, req, { mode: 'personal', distribution: dist, member: info, recipientId: member.id, panelId: member.panel_id });
  }

  /** The open session's current page, if it may be continued here. */
  private async resume(head: SurveyHeadRow, rt: SurveyRuntime, sessionId: string, fits: (row: Omit<SessionRow, 'state'>) => boolean): Promise<Entry | null> {
    const session = await this.session(sessionId);
    if (!session || session.row.survey_id !== head.id || session.row.status !== 'open' || !fits(session.row)) return null;
    if (this.clock.now() >= session.row.expires_at) return null;
    return this.current({ head, rt, session });
  }

  private async start(
    head: SurveyHeadRow,
    rt: SurveyRuntime,
    req: EnterRequest,
    init: { mode: EntryMode; distribution?: DistributionRow; member?: MemberInfo; recipientId?: string; panelId?: string },
  ): Promise<Entry> {
    const now = this.clock.now();
    const id = newId('FS');
    const first = startSession(rt.flow, { seed: id, embeddedData: this.startingEmbeddedData(rt, req.query, init.member), now });
    const next = nextPage(rt.flow, first);
    const row: Omit<SessionRow, 'state'> = {
      id, brand_id: head.brand_id, survey_id: head.id, mode: init.mode,
      distribution_id: init.distribution?.id ?? null, recipient_id: init.recipientId ?? null, panel_id: init.panelId ?? null,
      version: 1, started_at: now, updated_at: now, expires_at: now + rt.options.partialDataMs,
      ip: req.ip || null, user_agent: req.userAgent || null, page_shown_at: now, status: 'open', response_id: null,
    };
    const session: LiveSession = { row, state: next.state, member: init.member ?? null };
    const statements: Statement[] = [];
    if (next.kind === 'end') {
      // A survey without a single page to show is finished as soon as it is entered.
      const response = this.responseRow({ head, rt, session }, next.state, 1, now, now);
      statements.push(...this.responseStatements(response, rt));
      row.status = 'finished';
      row.response_id = response.id;
    }
    statements.unshift(sessionsStore.insert({ ...row, state: stateJson(next.state) }));
    await this.writer.submit({ statements });
    this.sessions.set(id, session);
    return this.current({ head, rt, session });
  }

  /** URL values and the panel member's data for the embedded-data fields the flow declares. */
  private startingEmbeddedData(rt: SurveyRuntime, query: Record<string, string>, member: MemberInfo | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    const declared = rt.embeddedFields;
    for (const [k, v] of Object.entries(query)) if (declared.has(k) && typeof v === 'string') out[k] = v.slice(0, MAX_EMBEDDED_VALUE);
    if (!member) return out;
    // The panel's values are the distribution's: they win over anything in the URL.
    for (const [k, v] of Object.entries(member.embeddedData)) if (declared.has(k) && typeof v === 'string') out[k] = v;
    const fields: Record<string, string | null> = {
      FirstName: member.firstName, LastName: member.lastName, Email: member.email, RecipientEmail: member.email,
      ExternalDataReference: member.externalRef,
    };
    for (const [k, v] of Object.entries(fields)) if (declared.has(k) && v !== null) out[k] = v;
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Showing and submitting

  async show(surveyId: string, sessionId: string, _visitor: Visitor): Promise<Entry> {
    const loaded = await this.load(surveyId, sessionId);
    return 'kind' in loaded ? loaded : this.current(loaded);
  }

  async submit(req: SubmitRequest): Promise<Entry> {
    const loaded = await this.load(req.surveyId, req.sessionId);
    if ('kind' in loaded) return loaded;
    return this.submitLoaded(loaded, req);
  }

  /**
   * A page post as the web receives it: `read` turns the posted fields into answers for the questions
   * of the page on screen, and the answers are then submitted, all on one load of the session.
   * Undefined when the session has no page on screen (finished, closed, unknown): nothing was read.
   */
  async postPage(surveyId: string, sessionId: string, visitor: Visitor, read: (questions: PageQuestionModel[]) => PostedPage): Promise<{ entry: Entry; posted: PostedPage } | undefined> {
    const loaded = await this.load(surveyId, sessionId);
    if ('kind' in loaded) return undefined;
    const { state, row } = loaded.session;
    const page = state.current;
    if (row.status !== 'open' || state.ended || !page) return undefined;
    const posted = read(this.pageQuestions(loaded, page, state.answers));
    return { entry: await this.submitLoaded(loaded, { ...visitor, surveyId, sessionId, ...posted }), posted };
  }

  private async submitLoaded(loaded: Loaded, req: SubmitRequest): Promise<Entry> {
    const { session } = loaded;
    const page = session.state.current;
    if (session.row.status !== 'open' || !page || req.pageToken !== pageToken(session.row.version, page.pageId)) return this.current(loaded);
    try {
      if (req.action === 'back') return await this.goBack(loaded, page, req);
      return await this.goOn(loaded, page, req);
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
      // Another request (a second tab, another process) moved the session on: show where it is now.
      return this.show(req.surveyId, req.sessionId, req);
    }
  }

  private async goBack(l: Loaded, page: ShownPage, req: SubmitRequest): Promise<Entry> {
    const state = l.session.state;
    if (!l.rt.options.backButton || state.history.length === 0) return this.current(l);
    // What was typed on the page is kept (without validation), as the engine would store it.
    const cleaned = submitPage(l.rt.flow, state, req.answers).answers;
    const kept = structuredClone(state);
    for (const pq of page.questions) {
      if (has(cleaned, pq.qid) && !QUESTION_TYPES_WITHOUT_ANSWERS.has(l.rt.flow.questions.get(pq.qid)?.type ?? '')) kept.answers[pq.qid] = cleaned[pq.qid] as QuestionAnswer;
    }
    const session = await this.save(l, previousPage(kept));
    return this.current({ ...l, session });
  }

  private async goOn(l: Loaded, page: ShownPage, req: SubmitRequest): Promise<Entry> {
    const answers = this.pageAnswers(l, page, req);
    const issues = this.validate(l.rt, page, answers);
    const all = [...issues.values()].flat();
    const blocking = blocksSubmit(all);
    const soft = !blocking && all.some((i) => i.soft);
    if (blocking || (soft && !req.confirmSoft)) {
      return { ...this.entryBase(l), kind: 'page', page: this.pageModel(l, page, { answers, issues, softOnly: soft }) };
    }
    const next = nextPage(l.rt.flow, submitPage(l.rt.flow, l.session.state, answers));
    const session = await this.save(l, next.state);
    return this.current({ ...l, session });
  }

  /** The posted answers of the page's questions, with Timing and Meta Info filled in here. */
  private pageAnswers(l: Loaded, page: ShownPage, req: SubmitRequest): Record<string, QuestionAnswer> {
    const out: Record<string, QuestionAnswer> = {};
    const now = this.clock.now();
    for (const pq of page.questions) {
      const type = l.rt.flow.questions.get(pq.qid)?.type;
      if (type === 'Timing') {
        const t = req.clientTiming && has(req.clientTiming, pq.qid) ? req.clientTiming[pq.qid] : undefined;
        const shown = l.session.row.page_shown_at ?? now;
        out[pq.qid] = { numeric: { '1': finite(t?.firstClick), '2': finite(t?.lastClick), '3': finite((now - shown) / 1000), '4': Math.floor(finite(t?.clicks)) } };
      } else if (type === 'Meta') {
        const ua = describeUserAgent(req.userAgent);
        const text: Record<string, string> = { '1': ua.browser, '2': ua.version, '3': ua.os };
        if (req.clientMeta?.resolution) text['4'] = req.clientMeta.resolution.slice(0, 40);
        out[pq.qid] = { text };
      } else if (has(req.answers, pq.qid)) {
        out[pq.qid] = req.answers[pq.qid] as QuestionAnswer;
      }
    }
    return out;
  }

  /** Issues by question; author warnings (a broken regex) are not the respondent's to see. */
  private validate(rt: SurveyRuntime, page: ShownPage, answers: Record<string, QuestionAnswer>): Map<string, ValidationIssue[]> {
    const out = new Map<string, ValidationIssue[]>();
    for (const pq of page.questions) {
      if (QUESTION_TYPES_WITHOUT_ANSWERS.has(rt.flow.questions.get(pq.qid)?.type ?? '')) continue;
      const issues = validateAnswer(rt.payloads.get(pq.qid), answerValue(answers[pq.qid]), { shown: { choices: pq.choiceOrder, answers: pq.answerOrder } }).filter((i) => !i.warning);
      if (issues.length > 0) out.set(pq.qid, issues);
    }
    return out;
  }

  /** Stores the session's new state (and its response when it ended); resolves once durable. */
  private async save(l: Loaded, state: SessionState): Promise<LiveSession> {
    const now = this.clock.now();
    const { row } = l.session;
    const statements: Statement[] = [];
    let responseId: string | null = null;
    if (state.ended) {
      const response = this.responseRow(l, state, 1, now, now);
      statements.push(...this.responseStatements(response, l.rt));
      responseId = response.id;
    }
    const change: SessionChange = {
      state: stateJson(state), version: row.version + 1, updated_at: now, expires_at: now + l.rt.options.partialDataMs,
      page_shown_at: now, status: state.ended ? 'finished' : 'open', response_id: responseId,
    };
    try {
      await this.writer.submit({ guard: sessionsStore.update(row.id, row.version, change), statements });
    } catch (error) {
      if (error instanceof StaleWriteError) this.sessions.delete(row.id);
      throw error;
    }
    const { state: _text, ...columns } = change;
    const next: LiveSession = { row: { ...row, ...columns }, state, member: l.session.member };
    this.sessions.set(row.id, next);
    return next;
  }

  // -------------------------------------------------------------------------------------------
  // What the respondent sees

  private entryBase(l: Loaded): { surveyId: string; surveyName: string; mode: EntryMode } {
    return { surveyId: l.head.id, surveyName: l.head.name, mode: l.session.row.mode as EntryMode };
  }

  /** The session's current page, or its end. */
  private async current(l: Loaded): Promise<Entry> {
    const { state, row } = l.session;
    if (row.status === 'finished' || state.ended) return this.endEntry(l);
    const page = state.current;
    if (row.status !== 'open' || !page) return closed(l.head.id, 'session-expired', l.head.name);
    return { ...this.entryBase(l), kind: 'page', page: this.pageModel(l, page, {}) };
  }

  private pageModel(
    l: Loaded,
    page: ShownPage,
    refused: { answers?: Record<string, QuestionAnswer>; issues?: Map<string, ValidationIssue[]>; softOnly?: boolean },
  ): PageModel {
    const { rt, session } = l;
    const questions = this.pageQuestions(l, page, refused.answers ?? session.state.answers, refused.issues);
    return {
      sessionId: session.row.id,
      pageToken: pageToken(session.row.version, page.pageId),
      pageId: page.pageId,
      questions,
      options: rt.options,
      progress: rt.options.showProgress ? progressOf(rt, page.questions) : null,
      canGoBack: rt.options.backButton && session.state.history.length > 0,
      softOnly: refused.softOnly ?? false,
      pipe: this.piper(l),
    };
  }

  /** The questions of a page as shown: the QSF question, its display orders, its answer and issues. */
  private pageQuestions(l: Loaded, page: ShownPage, answers: Record<string, QuestionAnswer>, issues?: Map<string, ValidationIssue[]>): PageQuestionModel[] {
    const questions: PageQuestionModel[] = [];
    for (const pq of page.questions) {
      const question = l.rt.qsf.questions.get(pq.qid);
      if (!question) continue;
      const model: PageQuestionModel = {
        qid: pq.qid, question, payload: l.rt.payloads.get(pq.qid) ?? {}, choiceOrder: pq.choiceOrder, answerOrder: pq.answerOrder,
        issues: issues?.get(pq.qid) ?? [],
      };
      if (has(answers, pq.qid)) model.answer = answers[pq.qid];
      questions.push(model);
    }
    return questions;
  }

  /** Piped text from the session: answers, embedded data, the panel member, a per-session seed. */
  private piper(l: Loaded): (text: string) => string {
    const { session, rt } = l;
    let ctx: Parameters<typeof pipeSurveyText>[1] | undefined;
    return (text) => {
      if (!text.includes('${')) return text;
      if (!ctx) {
        const answers: Record<string, PipedAnswer> = {};
        for (const [qid, a] of Object.entries(session.state.answers)) answers[qid] = pipedAnswer(a);
        const m = session.member;
        const panelMember: PipingRecipient | undefined = m
          ? { firstName: m.firstName, lastName: m.lastName, email: m.email, externalDataReference: m.externalRef }
          : undefined;
        ctx = { questions: rt.qsf.questions, answers, embeddedData: session.state.embeddedData, now: this.clock.now(), timeZone: rt.timeZone };
        if (panelMember) ctx.panelMember = panelMember;
      }
      // A fresh generator per text: the same text pipes the same numbers on every refresh.
      return pipeSurveyText(text, { ...ctx, random: seededRandom(session.row.id) }, { html: true });
    };
  }

  private async endEntry(l: Loaded): Promise<Entry> {
    const end = l.session.state.ended ?? {};
    const entry: Entry = { ...this.entryBase(l), kind: 'end', sessionId: l.session.row.id, responseId: l.session.row.response_id };
    if (end.redirectUrl) {
      entry.redirectUrl = end.redirectUrl;
      return entry;
    }
    const raw = (await this.libraryMessage(l.head.brand_id, end.message, end.messageLibrary)) ?? DEFAULT_END_MESSAGE;
    entry.messageHtml = this.piper(l)(raw);
    return entry;
  }

  // -------------------------------------------------------------------------------------------
  // Loading

  /** The survey and session of a request, or the entry that says why there is nothing to continue. */
  private async load(surveyId: string, sessionId: string): Promise<Loaded | Entry> {
    const head = await this.head(surveyId);
    if (!head) return closed(surveyId, 'not-found');
    const [rt, session] = await Promise.all([this.runtime(head), this.session(sessionId)]);
    if (!rt) return closed(surveyId, 'not-found');
    if (!session || session.row.survey_id !== head.id || session.row.brand_id !== head.brand_id) return closed(head.id, 'session-expired', head.name);
    const loaded: Loaded = { head, rt, session };
    if (session.row.status === 'finished') return loaded;
    if (session.row.status !== 'open') return closed(head.id, 'session-expired', head.name);
    if (session.row.mode !== 'preview') {
      const gate = await this.gate(head, rt);
      if (gate) return gate;
    }
    if (this.clock.now() >= session.row.expires_at) return closed(head.id, 'session-expired', head.name);
    return loaded;
  }

  /** Closed when the survey is inactive, not started or past its expiration date. */
  private async gate(head: SurveyHeadRow, rt: SurveyRuntime): Promise<Entry | null> {
    if (head.status !== 'Active') {
      const custom = await this.libraryMessage(head.brand_id, rt.options.inactiveMessage, rt.options.inactiveMessageLibrary);
      return closed(head.id, 'inactive', head.name, custom ?? CLOSED_MESSAGES.inactive);
    }
    const now = this.clock.now();
    const start = head.start_date ?? rt.options.startDate;
    const end = head.expiration_date ?? rt.options.expirationDate;
    if (start !== null && now < start) return closed(head.id, 'not-started', head.name);
    if (end !== null && now >= end) return closed(head.id, 'expired', head.name);
    return null;
  }

  /** A live (not deleted) survey's head, re-read at most every HEAD_TTL_MS (concurrent misses share one read). */
  private async head(surveyId: string): Promise<SurveyHeadRow | undefined> {
    const at = performance.now();
    let cached = this.heads.get(surveyId);
    if (!cached || at - cached.at >= HEAD_TTL_MS) {
      cached = { head: surveysStore.head(this.db, surveyId), at };
      this.heads.set(surveyId, cached);
      // A failed read must not stay cached.
      cached.head.catch(() => this.heads.delete(surveyId));
    }
    const head = await cached.head;
    return head && head.deleted_at === null ? head : undefined;
  }

  /** The parsed survey, built once per modification (concurrent first requests share one parse). */
  private async runtime(head: SurveyHeadRow): Promise<SurveyRuntime | undefined> {
    const cached = this.runtimes.get(head.id);
    if (cached && cached.modifiedAt === head.modified_at) return cached;
    const key = `${head.id}@${head.modified_at}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = (async () => {
        const [qsf, zone] = await Promise.all([surveysStore.qsfById(this.db, head.id), this.accounts.timeZone(head.brand_id)]);
        if (qsf === undefined) throw new Error('survey vanished');
        return buildRuntime(head, qsf, zone);
      })();
      this.loading.set(key, pending);
      void pending.finally(() => this.loading.delete(key)).catch(() => undefined);
    }
    try {
      const rt = await pending;
      this.runtimes.set(head.id, rt);
      return rt;
    } catch {
      // A stored QSF the engine cannot read: the survey cannot be taken.
      return undefined;
    }
  }

  private async session(sessionId: string): Promise<LiveSession | undefined> {
    const cached = this.sessions.get(sessionId);
    if (cached) return cached;
    if (!/^FS_[0-9A-Za-z]{15}$/.test(sessionId)) return undefined;
    const row = await sessionsStore.find(this.db, sessionId);
    if (!row) return undefined;
    let state: SessionState;
    try {
      state = JSON.parse(row.state) as SessionState;
    } catch {
      return undefined;
    }
    const { state: _text, ...columns } = row;
    const live: LiveSession = { row: columns, state, member: await this.member(row) };
    this.sessions.set(sessionId, live);
    return live;
  }

  private async member(row: SessionRow): Promise<MemberInfo | null> {
    if (!row.recipient_id) return null;
    const m = await panelsStore.findMember(this.db, row.brand_id, row.recipient_id);
    if (!m) return null;
    return { firstName: m.first_name, lastName: m.last_name, email: m.email, externalRef: m.external_ref, embeddedData: parseEmbeddedData(m.embedded_data) };
  }

  /** A library message's body (brand-checked), literal text as it is, undefined when there is none. */
  private async libraryMessage(brandId: string, message: string | undefined, library: string | undefined): Promise<string | undefined> {
    if (!message) return undefined;
    if (!/^MS_[0-9A-Za-z]{15}$/.test(message)) return message;
    if (!library) return undefined;
    const key = `${brandId}|${library}|${message}`;
    const at = performance.now();
    const cached = this.messages.get(key);
    if (cached && at - cached.at < MESSAGE_TTL_MS) return cached.body;
    const body = (await messagesStore.find(this.db, brandId, library, message))?.body;
    this.messages.set(key, { body, at });
    return body;
  }

  // -------------------------------------------------------------------------------------------
  // Responses

  private responseRow(l: Loaded, state: SessionState, finished: 0 | 1, endDate: number, now: number): NewResponseRow {
    const { head, rt, session } = l;
    const shown = new Set(state.displayedQuestions);
    const answers: Record<string, QuestionAnswer> = {};
    for (const [qid, a] of Object.entries(state.answers)) if (shown.has(qid)) answers[qid] = a;
    // Keyed by columnKey (QID-based), not by export tag: tags repeat across columns in real surveys.
    const values = storedValues(rt.qsf, answers, rt.questionColumns);
    const m = session.member;
    return {
      id: newId('R'), brand_id: head.brand_id, survey_id: head.id, response_set_id: 'Default',
      status: session.row.mode === 'preview' ? 1 : 0, finished, start_date: session.row.started_at, end_date: endDate,
      ip_address: session.row.ip, recipient_id: session.row.recipient_id, panel_id: session.row.panel_id, distribution_id: session.row.distribution_id,
      name: m ? memberName(m) : null, email: m?.email ?? null, external_ref: m?.externalRef ?? null,
      location_latitude: null, location_longitude: null, location_accuracy: null, session_id: session.row.id,
      answers_values: JSON.stringify(values), embedded: JSON.stringify(state.embeddedData), displayed: JSON.stringify(state.displayedQuestions),
      created_at: now, updated_at: now, deleted_at: null,
    };
  }

  private responseStatements(response: NewResponseRow, rt: SurveyRuntime): Statement[] {
    const insert = responsesStore.insert(response);
    return this.responseEvents ? [insert, ...this.responseEvents(response, rt.timeZone, rt.options)] : [insert];
  }

  /**
   * Closes open sessions past their partial-data deadline: each becomes an unfinished response
   * (Finished=0) when something was answered and the survey keeps partial data, and is marked
   * expired. Returns how many sessions were closed.
   */
  async expireSessions(now: number = this.clock.now()): Promise<number> {
    let closedCount = 0;
    for (;;) {
      const rows = await sessionsStore.listExpired(this.db, now, EXPIRE_BATCH);
      const results = await Promise.allSettled(rows.map((row) => this.expireOne(row, now)));
      const done = results.filter((r) => r.status === 'fulfilled').length;
      closedCount += done;
      // Stop when the page was short, or when nothing moved (every write failing must not spin).
      if (rows.length < EXPIRE_BATCH || done === 0) return closedCount;
    }
  }

  private async expireOne(row: SessionRow, now: number): Promise<void> {
    this.sessions.delete(row.id);
    const state = JSON.parse(row.state) as SessionState;
    const head = await surveysStore.head(this.db, row.survey_id);
    const rt = head && head.deleted_at === null ? await this.runtime(head) : undefined;
    const statements: Statement[] = [];
    let responseId: string | null = null;
    if (head && rt && rt.options.recordPartialData && this.answeredSomething(rt, state)) {
      const { state: _text, ...columns } = row;
      const session: LiveSession = { row: columns, state, member: await this.member(row) };
      const response = this.responseRow({ head, rt, session }, state, 0, row.updated_at, now);
      statements.push(...this.responseStatements(response, rt));
      responseId = response.id;
    }
    const change: SessionChange = {
      state: row.state, version: row.version + 1, updated_at: now, expires_at: row.expires_at, page_shown_at: row.page_shown_at,
      status: 'expired', response_id: responseId,
    };
    await this.writer.submit({ guard: sessionsStore.update(row.id, row.version, change), statements });
  }

  private answeredSomething(rt: SurveyRuntime, state: SessionState): boolean {
    return Object.entries(state.answers).some(([qid, a]) => {
      if (QUESTION_TYPES_WITHOUT_ANSWERS.has(rt.flow.questions.get(qid)?.type ?? '')) return false;
      const text = Object.values(a.text ?? {}).some((t) => t.trim() !== '');
      const matrix = Object.values(a.matrix ?? {}).some((v) => v.length > 0);
      return (a.selected ?? []).length > 0 || text || matrix || Object.keys(a.numeric ?? {}).length > 0;
    });
  }

  /** Responses of the survey, previews and deleted ones left out; 0 for an unknown survey. */
  async responseCount(surveyId: string): Promise<number> {
    const head = await surveysStore.head(this.db, surveyId);
    return head ? responsesStore.count(this.db, head.brand_id, surveyId) : 0;
  }

  // -------------------------------------------------------------------------------------------
  // Links

  personalLink(distributionId: string, recipientId: string, surveyId: string): string {
    return encodePersonalLink({ distributionId, recipientId, surveyId });
  }

  /**
   * A distribution that only hands out links (no mail). Individual and Multiple links need a panel
   * or a single recipient the actor may use; the survey must be the actor's or shared with them.
   */
  async createLinkDistribution(
    actor: Actor,
    input: { surveyId: string; panelId?: string; recipientId?: string; linkType: 'Individual' | 'Multiple' | 'Anonymous'; expirationDate?: number },
  ): Promise<string> {
    const survey = await surveysStore.find(this.db, actor.brandId, input.surveyId);
    if (!survey || (survey.owner_id !== actor.userId && !(await surveysStore.isSharedWith(this.db, actor.brandId, survey.id, actor.userId)))) {
      throw new ServiceError('UnknownSurvey');
    }
    if (!['Individual', 'Multiple', 'Anonymous'].includes(input.linkType)) throw invalidParam('LinkType');
    let panelId = input.panelId;
    if (input.recipientId !== undefined) {
      const own = await this.recipientPanel(actor, input.recipientId);
      if (panelId !== undefined && own !== panelId) throw invalidParam('RecipientID');
      panelId = own;
    }
    if (panelId !== undefined) await this.requireUsablePanel(actor, panelId);
    if (input.linkType !== 'Anonymous' && panelId === undefined) throw invalidParam('PanelID');
    if (input.expirationDate !== undefined && !Number.isFinite(input.expirationDate)) throw invalidParam('ExpirationDate');
    const id = newId('EMD');
    await distributionsStore.insert(this.db, {
      id, brand_id: actor.brandId, survey_id: survey.id, owner_id: actor.userId, panel_id: panelId ?? null,
      recipient_id: input.recipientId ?? null, link_type: input.linkType, expiration_date: input.expirationDate ?? null, created_at: this.clock.now(),
    });
    return id;
  }

  private async recipientPanel(actor: Actor, recipientId: string): Promise<string> {
    const member = await panelsStore.findMember(this.db, actor.brandId, recipientId);
    if (!member) throw invalidParam('RecipientID');
    return member.panel_id;
  }

  private async requireUsablePanel(actor: Actor, panelId: string): Promise<void> {
    const library = await distributionsStore.panelLibrary(this.db, actor.brandId, panelId);
    if (library === undefined || !(await this.accounts.canUseLibrary(actor, library))) throw invalidParam('PanelID');
  }
}

function pageToken(version: number, pageId: string): string {
  return `${version}.${pageId}`;
}

/** How far into the survey the page's first question is, as a percentage below 100. */
function progressOf(rt: SurveyRuntime, questions: PageQuestion[]): number {
  const first = questions[0];
  const at = first === undefined ? 0 : (rt.questionPosition.get(first.qid) ?? 0);
  return Math.min(99, Math.round((100 * at) / Math.max(1, rt.questionCount)));
}

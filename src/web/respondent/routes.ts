import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../services/actor.ts';
import type { Services } from '../../services/index.ts';
import type { Entry, EntryMode, Visitor } from '../../services/respondent.ts';
import { SESSION_COOKIE } from '../session.ts';
import { SESSION_FIELD, readPageForm } from './form.ts';
import { renderMessagePage } from './message.ts';
import { renderSurveyPage } from './page.ts';
import { sanitizeSurveyHtml } from './sanitize.ts';

/**
 * Respondent URLs. `/jfe/form/SV_…` is the anonymous link (and, with `?Q_DL=…`, a personal one);
 * `/SE/?SID=…` and `/SE?Q_DL=…` are the legacy link shapes of spec §5.2 and redirect to it;
 * `/jfe/preview/SV_…` is the owner's preview. A page post answers with 303 to the page it leads to
 * (post/redirect/get), so refresh and the browser's back button never resubmit; only a page refused by
 * validation is answered in place.
 *
 * A post that survey.js makes itself (header `X-Insight-Inline: 1`) is answered with the page it leads
 * to, in place: the script shows it without a second request, which halves a page step's round trips
 * (and the server's work). Where a plain post would be redirected, such a post gets 204 with the
 * target in `X-Insight-Location` (a script cannot read a redirect's Location) and the script goes there.
 */
const ASSET_BASE = '/jfe/assets';
const SURVEY_ID = /^SV_[A-Za-z0-9]{1,40}$/;
const SESSION_ID = /^FS_[A-Za-z0-9]{1,40}$/;
/** Query parameters become embedded data; more or longer ones than this are not a real link. */
const MAX_QUERY_FIELDS = 100;
const MAX_QUERY_VALUE = 2000;
const MAX_USER_AGENT = 512;
/** How long the browser keeps its place in a survey; the session itself expires at the partial-data deadline. */
const SESSION_COOKIE_SECONDS = 60 * 60 * 24 * 30;
const DONE_COOKIE_SECONDS = 60 * 60 * 24 * 365;
/** Request header survey.js sends with the page posts it makes itself. */
export const INLINE_HEADER = 'x-insight-inline';
/** Response header naming where an inline post's respondent goes next (see the top comment). */
export const LOCATION_HEADER = 'X-Insight-Location';

type Kind = 'form' | 'preview';

interface Where {
  kind: Kind;
  surveyId: string;
  base: string;
}

const CLOSED_STATUS: Record<string, number> = {
  // A preview of someone else's survey says "not found", as the admin pages do: no hint that it exists.
  'not-found': 404, forbidden: 404, inactive: 403, 'not-started': 403, 'link-invalid': 403, 'already-taken': 403,
  expired: 410, 'link-expired': 410, 'session-expired': 410,
};

export async function respondentRoutes(app: FastifyInstance, services: Services): Promise<void> {
  const secure = services.config.publicUrl.startsWith('https:');
  const r = services.respondent;

  const cookieName = (w: Where, what: 'fs' | 'done'): string => `insight_${w.kind === 'preview' ? 'pv' : what}_${w.surveyId}`;

  function sessionCookie(request: FastifyRequest, w: Where): string | undefined {
    const v = request.cookies[cookieName(w, 'fs')];
    return v && SESSION_ID.test(v) ? v : undefined;
  }

  /**
   * With "save and continue" the browser keeps its place for weeks; without it only until the browser
   * closes, which still lets a refresh or the back button land on the same page.
   */
  function remember(reply: FastifyReply, w: Where, sessionId: string, keep: boolean): void {
    // Already held: setting it again on every page would only cost time (and a header).
    if (reply.request.cookies[cookieName(w, 'fs')] === sessionId) return;
    reply.setCookie(cookieName(w, 'fs'), sessionId, { path: w.base, httpOnly: true, sameSite: 'lax', secure, ...(keep ? { maxAge: SESSION_COOKIE_SECONDS } : {}) });
  }

  function visitor(request: FastifyRequest): Visitor {
    const ua = request.headers['user-agent'];
    return { ip: request.ip, userAgent: (typeof ua === 'string' ? ua : '').slice(0, MAX_USER_AGENT) };
  }

  /** A preview needs the signed-in owner (or someone the survey is shared with). */
  async function previewActor(request: FastifyRequest): Promise<Actor | undefined> {
    const signed = request.cookies[SESSION_COOKIE];
    const unsigned = signed ? request.unsignCookie(signed) : undefined;
    return unsigned?.valid && unsigned.value ? services.auth.sessionActor(unsigned.value) : undefined;
  }

  function send(reply: FastifyReply, status: number, body: string): FastifyReply {
    return reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').header('X-Robots-Tag', 'noindex').send(body);
  }

  function message(reply: FastifyReply, status: number, title: string, raw: string): FastifyReply {
    return send(reply, status, renderMessagePage({ title, bodyHtml: sanitizeSurveyHtml(raw), lang: 'en' }));
  }

  function render(reply: FastifyReply, w: Where, entry: Entry, status = 200): FastifyReply {
    if (entry.kind === 'closed') return message(reply, CLOSED_STATUS[entry.reason] ?? 403, entry.surveyName ?? 'Survey', entry.messageHtml);
    if (entry.kind === 'end') {
      if (entry.redirectUrl && /^https?:\/\//i.test(entry.redirectUrl)) return reply.redirect(entry.redirectUrl, 303);
      return message(reply, 200, entry.surveyName, entry.messageHtml ?? '');
    }
    const page = entry.page;
    remember(reply, w, page.sessionId, page.options.saveAndContinue);
    const pipeSafe = (raw: string): string => page.pipe(sanitizeSurveyHtml(raw));
    return send(reply, status, renderSurveyPage({
      lang: 'en',
      title: entry.surveyName,
      action: w.base,
      sessionId: page.sessionId,
      pageToken: page.pageToken,
      questions: page.questions,
      html: pipeSafe,
      needsPiping: (raw) => sanitizeSurveyHtml(raw).includes('${'),
      headerHtml: page.options.header ? pipeSafe(page.options.header) : undefined,
      footerHtml: page.options.footer ? pipeSafe(page.options.footer) : undefined,
      backButton: page.canGoBack,
      nextLabel: page.options.nextButton,
      backLabel: page.options.previousButton,
      progress: page.progress,
      softOnly: page.softOnly,
      assetBase: ASSET_BASE,
    }));
  }

  /** The survey page a browser lands on: its session's current page, or a new session. */
  async function land(request: FastifyRequest, reply: FastifyReply, w: Where, query: Record<string, string>): Promise<FastifyReply> {
    const v = visitor(request);
    let actor: Actor | undefined;
    if (w.kind === 'preview') {
      actor = await previewActor(request);
      if (!actor) return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
    }
    const held = sessionCookie(request, w);
    if (held && query.Q_DL === undefined) {
      const current = await r.show(w.surveyId, held, v);
      if (current.kind === 'page') return render(reply, w, current);
    }
    const mode: EntryMode = w.kind === 'preview' ? 'preview' : query.Q_DL !== undefined ? 'personal' : 'anonymous';
    const entry = await r.enter({
      ...v,
      surveyId: w.surveyId,
      mode,
      personalLink: query.Q_DL,
      previewActor: actor,
      query,
      resumeSessionId: held,
      alreadyCompleted: w.kind === 'form' && request.cookies[cookieName(w, 'done')] === '1',
    });
    return render(reply, w, entry);
  }

  /** Sends the respondent on: a 303, or for a post survey.js made itself, the target for it to follow. */
  function leave(request: FastifyRequest, reply: FastifyReply, url: string): FastifyReply {
    if (request.headers[INLINE_HEADER] !== '1') return reply.redirect(url, 303);
    return reply.code(204).header(LOCATION_HEADER, url).header('Cache-Control', 'no-store').send();
  }

  async function post(request: FastifyRequest, reply: FastifyReply, w: Where): Promise<FastifyReply> {
    const body = isRecord(request.body) ? request.body : {};
    const posted = typeof body[SESSION_FIELD] === 'string' ? body[SESSION_FIELD] : '';
    const held = sessionCookie(request, w);
    // The cookie names the session when the browser sends one; a post naming another session is not
    // this browser's (or is a stale tab) and changes nothing.
    const sessionId = held ?? (SESSION_ID.test(posted) ? posted : undefined);
    if (!sessionId || (held && posted !== held)) return leave(request, reply, w.base);
    const result = await r.postPage(w.surveyId, sessionId, visitor(request), (questions) => {
      const { pageToken, action, answers, confirmSoft, clientTiming, clientMeta } = readPageForm(body, questions);
      return { pageToken, action, answers, confirmSoft, clientTiming, clientMeta };
    });
    // No page on screen (finished, closed, unknown): the survey's address says what there is.
    if (!result) return leave(request, reply, w.base);
    const { entry, posted: form } = result;
    if (entry.kind === 'page') {
      // Refused by validation (or a stale page token): the same page, with the posted answers and the issues.
      if (entry.page.pageToken === form.pageToken) return render(reply, w, entry, entry.page.questions.some((q) => q.issues.length > 0) ? 422 : 200);
      // The page it leads to: in place for survey.js (render sets the cookie), else by redirect.
      if (request.headers[INLINE_HEADER] === '1') return render(reply, w, entry);
      remember(reply, w, entry.page.sessionId, entry.page.options.saveAndContinue);
      return leave(request, reply, w.base);
    }
    if (entry.kind === 'end') {
      if (w.kind === 'form') reply.setCookie(cookieName(w, 'done'), '1', { path: w.base, httpOnly: true, sameSite: 'lax', secure, maxAge: DONE_COOKIE_SECONDS });
      if (entry.redirectUrl && /^https?:\/\//i.test(entry.redirectUrl)) return leave(request, reply, entry.redirectUrl);
      return leave(request, reply, `${w.base}/done`);
    }
    return render(reply, w, entry);
  }

  /** The end-of-survey page after the last post: it needs the session for piped text. */
  async function done(request: FastifyRequest, reply: FastifyReply, w: Where): Promise<FastifyReply> {
    const held = sessionCookie(request, w);
    if (!held) return reply.redirect(w.base, 303);
    const entry = await r.show(w.surveyId, held, visitor(request));
    if (entry.kind === 'page') return reply.redirect(w.base, 303);
    return render(reply, w, entry);
  }

  for (const kind of ['form', 'preview'] as const) {
    const where = (request: FastifyRequest<{ Params: { surveyId: string } }>): Where | undefined => {
      const surveyId = request.params.surveyId;
      return SURVEY_ID.test(surveyId) ? { kind, surveyId, base: `/jfe/${kind}/${surveyId}` } : undefined;
    };
    app.get<{ Params: { surveyId: string } }>(`/jfe/${kind}/:surveyId`, async (request, reply) => {
      const w = where(request);
      return w ? land(request, reply, w, queryFields(request.query)) : notFound(reply);
    });
    app.post<{ Params: { surveyId: string } }>(`/jfe/${kind}/:surveyId`, async (request, reply) => {
      const w = where(request);
      return w ? post(request, reply, w) : notFound(reply);
    });
    app.get<{ Params: { surveyId: string } }>(`/jfe/${kind}/:surveyId/done`, async (request, reply) => {
      const w = where(request);
      return w ? done(request, reply, w) : notFound(reply);
    });
  }

  const legacy = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const params = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
    const target = legacyTarget(params);
    return target ? reply.redirect(target, 302) : notFound(reply);
  };
  app.get('/SE', legacy);
  app.get('/SE/', legacy);

  function notFound(reply: FastifyReply): FastifyReply {
    return message(reply, 404, 'Survey not found', '<p>This survey link is not valid. Check that the whole link was copied.</p>');
  }
}

/** `/SE/?SID=SV_…&x=1` → `/jfe/form/SV_…?x=1`; `/SE?Q_DL=<emd>_<sv>_<recipient>` → `/jfe/form/SV_<sv>?Q_DL=…`. */
export function legacyTarget(params: URLSearchParams): string | undefined {
  const link = params.get('Q_DL');
  let surveyId = params.get('SID') ?? '';
  if (link !== null) {
    const part = link.split('_')[1] ?? '';
    surveyId = `SV_${part}`;
  }
  if (!SURVEY_ID.test(surveyId)) return undefined;
  params.delete('SID');
  const rest = params.toString();
  return `/jfe/form/${surveyId}${rest ? `?${rest}` : ''}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The link's query parameters as plain strings (the first of repeated ones), bounded. */
function queryFields(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(query)) return out;
  let n = 0;
  for (const [k, raw] of Object.entries(query)) {
    if (n++ >= MAX_QUERY_FIELDS) break;
    if (k === '__proto__') continue;
    const v = Array.isArray(raw) ? raw[0] : raw;
    if (typeof v === 'string' && k.length <= 200) out[k] = v.slice(0, MAX_QUERY_VALUE);
  }
  return out;
}

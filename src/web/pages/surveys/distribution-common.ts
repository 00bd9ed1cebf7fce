/**
 * What the distribution pages share: the guard (signed-in user who may use the survey, else the
 * survey 404), the counters, status texts, the sender fields of the invitation and reminder forms,
 * and form errors shown both in a summary and next to each field.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatDateTime } from '../../../domain/dates.ts';
import { parseLocalDateTime } from '../../../domain/local-time.ts';
import type { Library } from '../../../services/accounts.ts';
import type { Actor } from '../../../services/actor.ts';
import type { DistributionView } from '../../../services/distributions.ts';
import { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { MESSAGE_CATEGORIES, type MessageCategory, type MessageSummary } from '../../../services/messages.ts';
import type { SurveyInfo } from '../../../services/surveys.ts';
import { field } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { requireActor } from '../../session.ts';
import { isMissing, notFoundPage, SECTION, sendPage, surveyUrl, when } from './common.ts';
import { pageHead, queryOf, type SurveyView } from './response-common.ts';

const CSS = readFileSync(new URL('../../assets/distributions.css', import.meta.url));
const JS = readFileSync(new URL('../../assets/distributions.js', import.meta.url));

export const DIST_CSS = html`<link rel="stylesheet" href="/assets/responses.css"><link rel="stylesheet" href="/assets/distributions.css">`;
/** Seconds between reloads of a page with a pending distribution when scripts are off. */
export const NO_SCRIPT_REFRESH_S = 30;

export function registerDistributionAssets(app: FastifyInstance): void {
  app.get('/assets/distributions.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CSS));
  app.get('/assets/distributions.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(JS));
}

export const distributeUrl = (surveyId: string) => `${surveyUrl(surveyId)}/distribute`;
export const distributionsUrl = (surveyId: string) => `${surveyUrl(surveyId)}/distributions`;
export const distributionUrl = (surveyId: string, id: string) => `${distributionsUrl(surveyId)}/${encodeURIComponent(id)}`;

// ---- the guard --------------------------------------------------------------------------------

export interface DistContext {
  actor: Actor;
  survey: SurveyInfo;
  timeZone: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

type DistHandler = (c: DistContext) => Promise<FastifyReply>;

/** A distribution that is not this survey's (or not there, or another brand's). */
export function isMissingDistribution(e: unknown): boolean {
  return e instanceof ServiceError && e.kind === 'InvalidParameter' && e.param === 'DistributionID';
}

function distributionNotFound(request: FastifyRequest, reply: FastifyReply, surveyId: string): FastifyReply {
  return sendPage(request, reply, 404, 'Distribution not found', html`<h1>Distribution not found</h1>
    <p>This survey has no distribution with that ID.</p><p><a href="${distributionsUrl(surveyId)}">Back to the distributions</a></p>`);
}

/**
 * Signed-in users who may use the survey (owner or shared); anyone else gets the same 404 page as
 * on the other survey pages, whatever the handler did.
 */
export function withDistributions(services: Services, handler: DistHandler) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const { id } = request.params as { id: string };
    try {
      const [survey, timeZone] = await Promise.all([services.surveys.getSurvey(actor, id), services.accounts.timeZone(actor.brandId)]);
      return await handler({ actor, survey, timeZone, request, reply });
    } catch (e) {
      if (isMissing(e)) return notFoundPage(request, reply);
      if (isMissingDistribution(e)) return distributionNotFound(request, reply, id);
      if (!(e instanceof ServiceError)) throw e;
      return sendPage(request, reply, 400, 'Not possible', html`<h1>That was not possible</h1><p>${e.message}</p><p><a href="${SECTION}">Back to your surveys</a></p>`);
    }
  };
}

export function distPage(c: DistContext, status: number, title: string, current: SurveyView, body: Html, errors = false): FastifyReply {
  // "Error:" first, so a screen reader hears at once that the form was refused.
  const full = `${errors ? 'Error: ' : ''}${title} · ${c.survey.name}`;
  return sendPage(c.request, c.reply, status, full, html`${DIST_CSS}${pageHead(c.survey.id, c.survey.name, title, current)}${body}`);
}

export function doneOf(c: DistContext): string | undefined {
  return queryOf(c.request).done;
}

// ---- status and counters ----------------------------------------------------------------------

const TYPE_NAMES: Record<string, string> = { Invite: 'Invitation', Reminder: 'Reminder', Links: 'Personal links', ThankYou: 'Thank-you' };

export function typeName(v: DistributionView): string {
  return TYPE_NAMES[v.row.request_type ?? 'Links'] ?? v.row.request_type ?? 'Distribution';
}

export function isPending(v: DistributionView): boolean {
  return v.row.status === 'Pending';
}

/** A pending distribution whose sending has not begun: the only kind cancel can stop. */
export function isCancellable(v: DistributionView): boolean {
  return v.row.status === 'Pending' && !v.row.materialized && v.row.request_type !== 'Links';
}

export function statusText(v: DistributionView, now: number): string {
  const r = v.row;
  if (r.status === 'Cancelled') return 'Cancelled';
  if (r.status === 'Done') return 'Done';
  if (r.send_date !== null && r.send_date > now && !r.materialized) return `Scheduled for ${formatDateTime(r.send_date, v.timeZone)}`;
  return 'Pending (sending)';
}

export interface Counters {
  recipients: number;
  queued: number;
  sent: number;
  failed: number;
  bounced: number;
  skipped: number;
  opened: number;
  started: number;
  finished: number;
}

export const COUNTER_LABELS: Array<[keyof Counters, string]> = [
  ['recipients', 'Recipients'],
  ['queued', 'Queued'],
  ['sent', 'Sent'],
  ['failed', 'Failed'],
  ['bounced', 'Bounced'],
  ['skipped', 'Skipped'],
  ['opened', 'Opened'],
  ['started', 'Started'],
  ['finished', 'Finished'],
];

/** Before its recipients are written (a scheduled send), a distribution counts its panel's approximate size. */
export function countersOf(v: DistributionView): Counters {
  const c = v.counts;
  return {
    recipients: v.row.materialized && v.row.request_type !== 'Links' ? c.total : (v.row.approx_emails ?? 0),
    queued: c.queued + c.sending,
    sent: c.sent,
    failed: c.failed,
    bounced: c.bounced,
    skipped: c.skipped,
    opened: c.opened,
    started: v.responded,
    finished: v.finished,
  };
}

export function counterList(v: DistributionView, label: string): Html {
  const counters = countersOf(v);
  return html`<dl class="counters" aria-label="${label}">${COUNTER_LABELS.map(([k, name]) => html`<div><dt>${name}</dt><dd data-counter="${k}">${counters[k]}</dd></div>`)}</dl>`;
}

/** What the live-update script reads: one entry per distribution shown. */
export function liveJson(views: DistributionView[], now: number) {
  return {
    pending: views.some(isPending),
    distributions: views.map((v) => ({ id: v.row.id, pending: isPending(v), status: statusText(v, now), counters: countersOf(v) })),
  };
}

/** The live-update line and script; without scripts, a page with a pending distribution reloads itself. */
export function liveUpdates(surveyId: string, pending: boolean): Html {
  if (!pending) return html``;
  return html`<div class="live" data-live-url="${distributionsUrl(surveyId)}.json">
      <p class="hint" id="live-note">Sending is in progress: the counters show the numbers when this page was loaded. <a href="">Reload the page</a> for the latest.</p>
      <button type="button" class="secondary small" id="live-toggle" hidden>Pause live updates</button>
      <p id="live-status" role="status" class="hint"></p>
    </div>
    <noscript><meta http-equiv="refresh" content="${NO_SCRIPT_REFRESH_S}"></noscript>
    <script src="/assets/distributions.js" defer></script>`;
}

export function whenOrDash(ms: number | null, tz: string): Html | string {
  return ms === null ? '—' : when(ms, tz);
}

// ---- form errors ------------------------------------------------------------------------------

/** Field id → what is wrong with it, in the order the fields appear. */
export type FieldErrors = Map<string, string>;

export function errorSummary(errors: FieldErrors, labels: Record<string, string>): Html {
  if (errors.size === 0) return html``;
  return html`<div class="error-summary" role="alert" tabindex="-1" id="error-summary">
    <h2>There is a problem</h2>
    <ul>${[...errors].map(([id, message]) => html`<li><a href="#${id}">${labels[id] ?? 'This field'}: ${message}</a></li>`)}</ul>
    <p class="hint">Nothing was sent or saved.</p></div>`;
}

export function fieldError(id: string, errors: FieldErrors): Html {
  const message = errors.get(id);
  return message ? html`<p class="field-error" id="${id}-error"><span class="visually-hidden">Error: </span>${message}</p>` : html``;
}

/** aria-describedby and aria-invalid of a control: its hint and its error. */
export function describe(id: string, errors: FieldErrors, hint = false): Html {
  const ids = [hint ? `${id}-hint` : '', errors.has(id) ? `${id}-error` : ''].filter((x) => x !== '');
  return html`${ids.length > 0 ? html` aria-describedby="${ids.join(' ')}"` : ''}${errors.has(id) ? html` aria-invalid="true"` : ''}`;
}

export interface InputSpec {
  id: string;
  name: string;
  label: string;
  value: string;
  type?: 'text' | 'email' | 'date' | 'time';
  required?: boolean;
  hint?: string | Html;
  autocomplete?: string;
  maxlength?: number;
  /** What an empty field stands for; the hint must say it too (a placeholder disappears once typed over). */
  placeholder?: string;
}

export function input(s: InputSpec, errors: FieldErrors): Html {
  return html`<div class="field${errors.has(s.id) ? ' field-invalid' : ''}">
    <label for="${s.id}">${s.label}${s.required ? '' : html` <span class="optional">(optional)</span>`}</label>
    ${s.hint ? html`<p class="hint" id="${s.id}-hint">${s.hint}</p>` : ''}
    ${fieldError(s.id, errors)}
    <input type="${s.type ?? 'text'}" id="${s.id}" name="${s.name}" value="${s.value}"${s.required ? html` required` : ''} autocomplete="${s.autocomplete ?? 'off'}"${s.maxlength ? html` maxlength="${s.maxlength}"` : ''}${s.placeholder ? html` placeholder="${s.placeholder}"` : ''}${describe(s.id, errors, s.hint !== undefined)}>
  </div>`;
}

export function option(value: string, label: string, selected: string): Html {
  return html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
}

/** A radio button; its hint is a description, not part of its name. */
export function radio(name: string, id: string, value: string, current: string, label: string | Html, hint?: string): Html {
  return html`<div class="check"><input type="radio" id="${id}" name="${name}" value="${value}"${value === current ? html` checked` : ''}${hint ? html` aria-describedby="${id}-hint"` : ''}>
    <div><label for="${id}">${label}</label>${hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : ''}</div></div>`;
}

// ---- library choices --------------------------------------------------------------------------

/** `library:object`: one select value names both, as every send Request needs both. */
export function pairValue(libraryId: string, id: string): string {
  return `${libraryId}:${id}`;
}

export function splitPair(value: string): { libraryId: string; id: string } | undefined {
  const m = /^((?:UR|GR)_[0-9A-Za-z]{15}):([A-Z]{2,4}_[0-9A-Za-z]{15})$/.exec(value);
  return m ? { libraryId: m[1] as string, id: m[2] as string } : undefined;
}

function libraryLabel(l: Library): string {
  return l.kind === 'group' ? `${l.name || l.id} (group library)` : `${l.name || l.id} (your library)`;
}

export interface MessageChoice {
  value: string;
  name: string;
  category: MessageCategory;
  library: string;
}

/** Every message the user can use; `first` (InviteEmails or ReminderEmails) is listed first. */
export async function messageChoices(services: Services, actor: Actor, libraries: Library[]): Promise<MessageChoice[]> {
  const out: MessageChoice[] = [];
  for (const lib of libraries) {
    const messages: MessageSummary[] = await services.messages.list(actor, lib.id);
    for (const m of messages) out.push({ value: pairValue(lib.id, m.id), name: m.name, category: m.category, library: libraryLabel(lib) });
  }
  return out;
}

/** The invitation and reminder message is required; a thank-you message only when a thank-you is asked for. */
export interface MessageSelectOptions {
  name: string;
  label: string;
  required: boolean;
}

const MESSAGE_SELECT: MessageSelectOptions = { name: 'message', label: 'Message', required: true };

export function messageSelect(
  id: string, choices: MessageChoice[], first: MessageCategory, current: string, errors: FieldErrors, messagesLink: string, o: MessageSelectOptions = MESSAGE_SELECT,
): Html {
  const order = [first, ...MESSAGE_CATEGORIES.map((c) => c.name).filter((n) => n !== first)];
  const groups = order
    .map((cat) => ({ label: MESSAGE_CATEGORIES.find((c) => c.name === cat)?.label ?? cat, items: choices.filter((m) => m.category === cat) }))
    .filter((g) => g.items.length > 0);
  const hint = html`Any library message can be used; ${(MESSAGE_CATEGORIES.find((c) => c.name === first)?.label ?? first).toLowerCase()} are listed first. <a href="${messagesLink}">Manage messages</a>`;
  return html`<div class="field${errors.has(id) ? ' field-invalid' : ''}">
    <label for="${id}">${o.label}</label>
    <p class="hint" id="${id}-hint">${hint}</p>
    ${fieldError(id, errors)}
    <select id="${id}" name="${o.name}"${o.required ? html` required` : ''}${describe(id, errors, true)}>
      ${option('', choices.length === 0 ? 'No messages yet' : 'Choose a message', current)}
      ${groups.map((g) => html`<optgroup label="${g.label}">${g.items.map((m) => option(m.value, `${m.name} — ${m.library}`, current))}</optgroup>`)}
    </select>
  </div>`;
}

// ---- sender fields (invitation and reminder forms) -------------------------------------------

export interface SenderForm {
  message: string;
  subject: string;
  fromName: string;
  fromEmail: string;
  sentFrom: string;
  /** 'now' or 'later'. */
  when: string;
  date: string;
  time: string;
}

export function senderFormOf(body: unknown): SenderForm {
  return {
    message: field(body, 'message').trim(),
    subject: field(body, 'subject'),
    fromName: field(body, 'fromName'),
    fromEmail: field(body, 'fromEmail').trim(),
    sentFrom: field(body, 'sentFrom').trim(),
    when: field(body, 'when') === 'later' ? 'later' : 'now',
    date: field(body, 'date').trim(),
    time: field(body, 'time').trim(),
  };
}

/** Field labels by id, for the error summary. */
export function senderLabels(p: string): Record<string, string> {
  return {
    [`${p}-message`]: 'Message',
    [`${p}-subject`]: 'Subject',
    [`${p}-from-name`]: 'From name',
    [`${p}-from-email`]: 'From e-mail address',
    [`${p}-sent-from`]: 'Envelope sender',
    [`${p}-when-now`]: 'When to send',
    [`${p}-date`]: 'Send date',
    [`${p}-time`]: 'Send time',
  };
}

const LOOKS_LIKE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}$/;

export interface CheckedSender {
  errors: FieldErrors;
  /** The wire SendDate (brand zone), when the schedule is readable. */
  sendDate: string | undefined;
  sendAt: number | undefined;
  message: { libraryId: string; id: string } | undefined;
}

/** Every sender field's own check, so one submission shows every mistake at once (the service then checks again). */
export function checkSender(p: string, f: SenderForm, zone: string, now: number): CheckedSender {
  const errors: FieldErrors = new Map();
  const message = splitPair(f.message);
  if (!message) errors.set(`${p}-message`, 'choose the message to send.');
  if (f.subject.trim() === '') errors.set(`${p}-subject`, 'enter a subject.');
  else if (f.subject.length > 998) errors.set(`${p}-subject`, 'use at most 998 characters.');
  if (f.fromName.trim() === '') errors.set(`${p}-from-name`, 'enter the name recipients see as the sender.');
  else if (f.fromName.length > 255) errors.set(`${p}-from-name`, 'use at most 255 characters.');
  if (f.fromEmail === '') errors.set(`${p}-from-email`, 'enter the address recipients see as the sender, such as research@example.org.');
  else if (!LOOKS_LIKE_EMAIL.test(f.fromEmail)) errors.set(`${p}-from-email`, 'enter an address such as research@example.org.');
  if (f.sentFrom !== '' && !LOOKS_LIKE_EMAIL.test(f.sentFrom)) errors.set(`${p}-sent-from`, 'enter an address such as bounces@example.org, or leave it empty.');
  let sendAt: number | undefined = now;
  if (f.when === 'later') {
    sendAt = undefined;
    const dateOk = DATE.test(f.date) && parseLocalDateTime(f.date, zone) !== null;
    const timeOk = TIME.test(f.time) && parseLocalDateTime(`2000-01-01 ${f.time}:00`, zone) !== null;
    if (!dateOk) errors.set(`${p}-date`, 'enter the day to send, such as 2026-12-01.');
    if (!timeOk) errors.set(`${p}-time`, 'enter the time to send, such as 09:00.');
    if (dateOk && timeOk) {
      const at = parseLocalDateTime(`${f.date} ${f.time}:00`, zone);
      if (at === null || at <= now) errors.set(`${p}-date`, `choose a time in the future (it is now ${formatDateTime(now, zone).slice(0, 16)} in ${zone}), or choose “Send now”.`);
      else sendAt = at;
    }
  }
  return { errors, sendAt, sendDate: sendAt === undefined ? undefined : formatDateTime(sendAt, zone), message };
}

/** A refusal of the service, shown at the field it is about. */
export function serviceFieldError(e: unknown, fieldOf: Record<string, [string, string]>): FieldErrors {
  if (!(e instanceof ServiceError) || isMissing(e) || isMissingDistribution(e)) throw e;
  const f = e.kind === 'InvalidParameter' && e.param ? fieldOf[e.param] : undefined;
  if (!f) throw e;
  return new Map([[f[0], f[1]]]);
}

export function senderServiceFields(p: string): Record<string, [string, string]> {
  return {
    MessageID: [`${p}-message`, 'that message is not in a library you can use.'],
    MessageLibraryID: [`${p}-message`, 'that message is not in a library you can use.'],
    LibraryID: [`${p}-message`, 'that message is not in a library you can use.'],
    Subject: [`${p}-subject`, 'enter a subject of at most 998 characters.'],
    FromName: [`${p}-from-name`, 'use at most 255 characters.'],
    FromEmail: [`${p}-from-email`, 'enter an address such as research@example.org.'],
    SentFromAddress: [`${p}-sent-from`, 'enter an address such as bounces@example.org, or leave it empty.'],
    SendDate: [`${p}-date`, 'enter a valid date and time.'],
  };
}

export function senderFields(p: string, f: SenderForm, errors: FieldErrors, zone: string, now: number, messages: Html): Html {
  return html`<fieldset><legend>Message and sender</legend>
      ${messages}
      ${input({ id: `${p}-subject`, name: 'subject', label: 'Subject', value: f.subject, required: true, maxlength: 998, hint: 'Piped text such as ${m://FirstName} is filled in for each recipient.' }, errors)}
      ${input({ id: `${p}-from-name`, name: 'fromName', label: 'From name', value: f.fromName, required: true, maxlength: 255 }, errors)}
      ${input({ id: `${p}-from-email`, name: 'fromEmail', label: 'From e-mail address', value: f.fromEmail, type: 'email', required: true, autocomplete: 'email' }, errors)}
      ${input({ id: `${p}-sent-from`, name: 'sentFrom', label: 'Envelope sender', value: f.sentFrom, type: 'email', hint: 'Where bounces go (Return-Path). Empty: the server’s own noreply address.' }, errors)}
    </fieldset>
    <fieldset aria-describedby="${p}-when-hint"><legend>When to send</legend>
      <p class="hint" id="${p}-when-hint">Times are in the brand’s time zone, ${zone}. It is now ${formatDateTime(now, zone).slice(0, 16)} there.</p>
      ${radio('when', `${p}-when-now`, 'now', f.when, 'Send now')}
      ${radio('when', `${p}-when-later`, 'later', f.when, 'Schedule for later')}
      <div class="range-fields">
        ${input({ id: `${p}-date`, name: 'date', label: 'Send date', value: f.date, type: 'date', hint: 'Only when scheduling, e.g. 2026-12-01.' }, errors)}
        ${input({ id: `${p}-time`, name: 'time', label: 'Send time', value: f.time, type: 'time', hint: `24-hour time in ${zone}, e.g. 09:00.` }, errors)}
      </div>
    </fieldset>`;
}

/**
 * One distribution: its settings (with the thank-you an invitation asked for) and counters, every recipient's status (paged by panel position),
 * its reminders and a form to send one (invitations with personal links only), and its personal
 * links as CSV.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { csvLine } from '../../../domain/csv-output.ts';
import type { DistributionView, PersonalLinkRow, RecipientProgress, RecipientStatusView } from '../../../services/distributions.ts';
import { invalidParam, ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { DEFAULT_THANK_YOU_SUBJECT } from '../../../services/thank-you.ts';
import { csrf, notice } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { SECTION, when } from './common.ts';
import {
  checkSender, counterList, distPage, distributionsUrl, distributionUrl, doneOf, errorSummary, isCancellable, isPending, liveUpdates, messageChoices,
  messageSelect, senderFields, senderFormOf, senderLabels, senderServiceFields, serviceFieldError, statusText, typeName, whenOrDash, withDistributions,
  type DistContext, type FieldErrors, type SenderForm,
} from './distribution-common.ts';
import { panelNames, titleOf } from './distributions.ts';

const PAGE_SIZE = 100;

const DONE: Record<string, string> = {
  queued: 'The distribution was queued: the e-mails are being sent.',
  scheduled: 'The distribution was scheduled.',
  links: 'The personal links were made. Download them as a CSV file below.',
  'reminder-queued': 'The reminder was queued: it goes to the invited recipients who have not finished the survey.',
  'reminder-scheduled': 'The reminder was scheduled: it goes to the invited recipients who have not finished the survey by then.',
};

const STATUS_NAMES: Record<string, string> = { queued: 'Queued', sending: 'Sending', sent: 'Sent', failed: 'Failed', skipped: 'Skipped' };

interface ReminderState {
  form: SenderForm;
  errors: FieldErrors;
}

function didOf(c: DistContext): string {
  return (c.request.params as { did: string }).did;
}

function afterOf(c: DistContext): number {
  const v = (c.request.query as Record<string, unknown>).after;
  return typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : 0;
}

/** Invitations with personal links can be reminded; anonymous links cannot tell who finished. */
function canRemind(v: DistributionView): boolean {
  return v.row.request_type === 'Invite' && v.row.parent_id === null && v.row.link_type !== 'Anonymous' && v.row.panel_id !== null && v.row.status !== 'Cancelled';
}

function hasLinks(v: DistributionView): boolean {
  return v.row.parent_id === null && v.row.link_type !== 'Anonymous' && v.row.panel_id !== null && (v.row.request_type === 'Links' || v.row.request_type === 'Invite');
}

async function messageName(services: Services, c: DistContext, libraryId: string | null, messageId: string | null): Promise<string> {
  if (libraryId === null || messageId === null) return '—';
  try {
    const m = await services.messages.get(c.actor, libraryId, messageId);
    return `${m.name} (${messageId})`;
  } catch (e) {
    // A survey shared with the user can use a message of a library they cannot open: show its ID.
    if (e instanceof ServiceError) return messageId;
    throw e;
  }
}

/** An invitation's own thank-you; without one the survey's options decide when a response finishes, which this page does not anticipate. */
async function thankYouRows(services: Services, c: DistContext, r: DistributionView['row']): Promise<Array<[string, Html | string]>> {
  if (r.link_type === 'Anonymous') return [['Thank-you e-mail', 'None: anonymous links cannot be thanked']];
  if (r.thank_you_message_id === null && r.thank_you_subject === null) return [['Thank-you e-mail', 'Not set on this invitation: the survey’s own thank-you settings apply, if it has any']];
  return [
    ['Thank-you message', r.thank_you_message_id === null ? 'The survey’s own thank-you message, if it has one' : await messageName(services, c, r.thank_you_library_id, r.thank_you_message_id)],
    ['Thank-you subject', r.thank_you_subject ?? `${DEFAULT_THANK_YOU_SUBJECT} (default)`],
  ];
}

async function settings(services: Services, c: DistContext, v: DistributionView, parent: DistributionView | undefined): Promise<Html> {
  const r = v.row;
  const tz = c.timeZone;
  const panels = await panelNames(services, c.actor);
  const mailed = r.request_type !== 'Links';
  const rows: Array<[string, Html | string]> = [
    ['Distribution ID', html`<code>${r.id}</code>`],
    ['Type', typeName(v)],
    ['Status', html`<span data-status>${statusText(v, services.clock.now())}</span>`],
    [mailed ? 'Send date' : 'Created', when(r.send_date ?? r.created_at, tz)],
  ];
  if (parent) rows.push(['Reminder of', html`<a href="${distributionUrl(c.survey.id, parent.row.id)}">${titleOf(parent)}</a>`]);
  if (r.panel_id !== null) rows.push(['Panel', `${panels.get(r.panel_id) ?? r.panel_id}`]);
  if (r.recipient_id !== null) rows.push(['Recipient', html`<code>${r.recipient_id}</code>`]);
  rows.push(['Link type', r.link_type], ['Links expire', whenOrDash(r.expiration_date, tz)]);
  if (r.description) rows.push(['Description', r.description]);
  if (mailed) {
    rows.push(
      ['Subject', r.subject ?? ''],
      ['From', r.from_name ? `${r.from_name} <${r.from_email ?? ''}>` : (r.from_email ?? '')],
      ['Envelope sender', r.sent_from_address ?? `${v.defaultSentFrom} (default)`],
      ['Message', await messageName(services, c, r.message_library_id, r.message_id)],
    );
  }
  if (r.request_type === 'Invite' && r.parent_id === null) rows.push(...(await thankYouRows(services, c, r)));
  rows.push(['Created', when(r.created_at, tz)]);
  if (r.cancelled_at !== null) rows.push(['Cancelled', when(r.cancelled_at, tz)]);
  return html`<dl class="settings">${rows.map(([k, val]) => html`<dt>${k}</dt><dd>${val}</dd>`)}</dl>`;
}

function recipientRow(r: RecipientStatusView, progress: RecipientProgress | undefined, tz: string): Html {
  return html`<tr><th scope="row">${r.email ?? html`<span class="hint">(no address)</span>`}</th>
    <td class="status-${r.status}">${STATUS_NAMES[r.status] ?? r.status}</td><td class="num">${r.attempts}</td><td>${r.error ?? ''}</td>
    <td>${whenOrDash(r.sentAt, tz)}</td><td>${whenOrDash(r.openedAt, tz)}</td><td>${whenOrDash(r.bouncedAt, tz)}</td>
    <td>${whenOrDash(progress?.startedAt ?? null, tz)}</td><td>${whenOrDash(progress?.finishedAt ?? null, tz)}</td></tr>`;
}

async function recipientsSection(services: Services, c: DistContext, v: DistributionView): Promise<Html> {
  if (v.row.request_type === 'Links') return html``;
  const after = afterOf(c);
  const page = await services.distributions.recipientStatuses(c.actor, c.survey.id, v.row.id, after, PAGE_SIZE);
  const progress = await services.distributions.recipientProgress(c.actor, c.survey.id, v.row.id, page.recipients.map((r) => r.recipientId));
  const base = distributionUrl(c.survey.id, v.row.id);
  const pager = [
    after > 0 ? html`<a href="${base}#recipients-heading">First page</a>` : '',
    page.next !== null ? html`<a href="${base}?after=${page.next}#recipients-heading" rel="next">Next ${PAGE_SIZE} recipients</a>` : '',
  ];
  const body = page.recipients.length === 0
    ? html`<p class="empty-table">${after > 0 ? 'There are no further recipients.' : v.row.materialized ? 'This distribution has no recipients.' : 'The recipients are listed once sending begins.'}</p>`
    : html`<div class="table-wrap" role="region" aria-labelledby="recipients-caption" tabindex="0"><table class="recipients">
        <caption id="recipients-caption">Recipients in panel order${after > 0 ? ', a later page' : ''}: ${page.recipients.length} shown of ${v.counts.total}</caption>
        <thead><tr><th scope="col">E-mail</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Error</th><th scope="col">Sent</th><th scope="col">Opened</th><th scope="col">Bounced</th><th scope="col">Started</th><th scope="col">Finished</th></tr></thead>
        <tbody>${page.recipients.map((r) => recipientRow(r, progress.get(r.recipientId), c.timeZone))}</tbody>
      </table></div>`;
  return html`<section class="panel" aria-labelledby="recipients-heading">
    <h2 id="recipients-heading">Recipients</h2>
    ${body}
    ${pager.some((p) => p !== '') ? html`<nav class="pager" aria-label="Pages of recipients">${pager}</nav>` : ''}
  </section>`;
}

function reminderDefaults(v: DistributionView): SenderForm {
  const r = v.row;
  return {
    message: '', subject: r.subject ? `Reminder: ${r.subject}` : '', fromName: r.from_name ?? '', fromEmail: r.from_email ?? '', sentFrom: r.sent_from_address ?? '',
    when: 'now', date: '', time: '',
  };
}

async function remindersSection(services: Services, c: DistContext, v: DistributionView, children: DistributionView[], state: ReminderState): Promise<Html> {
  if (!canRemind(v)) return html``;
  const libraries = await services.accounts.libraries(c.actor);
  const messages = await messageChoices(services, c.actor, libraries);
  const now = services.clock.now();
  const select = messageSelect('r-message', messages, 'ReminderEmails', state.form.message, state.errors, `/libraries/${encodeURIComponent(c.actor.userId)}/messages`);
  return html`<section class="panel" aria-labelledby="reminders-heading">
    <h2 id="reminders-heading">Reminders</h2>
    ${children.length === 0
      ? html`<p>No reminders yet.</p>`
      : html`<ul>${children.map((r) => html`<li><a href="${distributionUrl(c.survey.id, r.row.id)}">${titleOf(r)}</a> — ${statusText(r, now)}, sent ${r.counts.sent}</li>`)}</ul>`}
    <h3 id="reminder-form-heading">Send a reminder</h3>
    <p>A reminder goes to the recipients of this invitation who were sent it and have not finished the survey when the reminder is sent. It carries their same personal links.</p>
    <form method="post" action="${distributionUrl(c.survey.id, v.row.id)}/reminders" aria-labelledby="reminder-form-heading" novalidate>
      ${errorSummary(state.errors, senderLabels('r'))}
      ${csrf(c.request.csrfToken)}
      ${senderFields('r', state.form, state.errors, c.timeZone, now, select)}
      <div class="actions"><button type="submit">Send or schedule the reminder</button></div>
    </form>
  </section>`;
}

async function detailPage(services: Services, c: DistContext, status: number, reminder?: ReminderState): Promise<FastifyReply> {
  const v = await services.distributions.getOne(c.actor, c.survey.id, didOf(c));
  const all = await services.distributions.listForSurvey(c.actor, c.survey.id);
  const parent = v.row.parent_id === null ? undefined : all.find((x) => x.row.id === v.row.parent_id);
  const children = all.filter((x) => x.row.parent_id === v.row.id);
  const done = doneOf(c);
  const title = titleOf(v);
  const url = distributionUrl(c.survey.id, v.row.id);
  const actions = [
    isCancellable(v) ? html`<a class="button secondary" href="${url}/cancel">Cancel this distribution</a>` : '',
    hasLinks(v) ? html`<a class="button secondary" href="${url}/links.csv" download>Download the personal links (CSV)</a>` : '',
  ];
  const state = reminder ?? { form: reminderDefaults(v), errors: new Map() };
  return distPage(c, status, title, 'distributions', html`
    <p><a href="${distributionsUrl(c.survey.id)}">All distributions of this survey</a></p>
    ${notice(done ? DONE[done] : undefined)}
    ${liveUpdates(c.survey.id, isPending(v))}
    <section aria-labelledby="counters-heading" data-distribution="${v.row.id}">
      <h2 id="counters-heading">Counters</h2>
      ${counterList(v, `Counters of ${title}`)}
      <p class="hint">Started counts recipients with a response through their link, finished those who finished.${v.row.request_type === 'Links' ? ' Link-only distributions send no e-mail.' : ''}</p>
    </section>
    ${actions.some((a) => a !== '') ? html`<div class="actions">${actions}</div>` : ''}
    <section aria-labelledby="settings-heading">
      <h2 id="settings-heading">Settings</h2>
      ${await settings(services, c, v, parent)}
    </section>
    ${await remindersSection(services, c, v, children, state)}
    ${await recipientsSection(services, c, v)}`, state.errors.size > 0);
}

async function reminderPost(services: Services, c: DistContext): Promise<FastifyReply> {
  const v = await services.distributions.getOne(c.actor, c.survey.id, didOf(c));
  if (!canRemind(v)) throw invalidParam('ParentEmailDistributionID');
  const form = senderFormOf(c.request.body);
  const checked = checkSender('r', form, c.timeZone, services.clock.now());
  if (checked.errors.size > 0 || !checked.message || checked.sendDate === undefined) return detailPage(services, c, 400, { form, errors: checked.errors });
  try {
    const id = await services.distributions.sendReminder(c.actor, {
      parentId: v.row.id, sendDate: checked.sendDate, fromEmail: form.fromEmail, fromName: form.fromName, subject: form.subject, messageId: checked.message.id,
      libraryId: checked.message.libraryId, sentFromAddress: form.sentFrom || undefined,
    });
    return c.reply.redirect(`${distributionUrl(c.survey.id, id)}?done=${form.when === 'later' ? 'reminder-scheduled' : 'reminder-queued'}`, 303);
  } catch (e) {
    return detailPage(services, c, 400, { form, errors: serviceFieldError(e, senderServiceFields('r')) });
  }
}

async function* linksCsv(batches: AsyncIterable<PersonalLinkRow[]>): AsyncGenerator<string> {
  yield '\ufeff' + csvLine(['RecipientID', 'Email', 'FirstName', 'LastName', 'Link'], '\r\n');
  for await (const batch of batches) yield batch.map((r) => csvLine([r.recipientId, r.email, r.firstName, r.lastName, r.link], '\r\n')).join('');
}

async function linksDownload(services: Services, c: DistContext): Promise<FastifyReply> {
  const did = didOf(c);
  const batches = await services.distributions.personalLinks(c.actor, c.survey.id, did);
  return c.reply
    .header('Cache-Control', 'no-store')
    .header('Content-Disposition', `attachment; filename="links-${did}.csv"`)
    .type('text/csv; charset=utf-8')
    .send(Readable.from(linksCsv(batches)));
}

export function distributionPages(app: FastifyInstance, services: Services): void {
  app.get(`${SECTION}/:id/distributions/:did`, withDistributions(services, (c) => detailPage(services, c, 200)));
  app.post(`${SECTION}/:id/distributions/:did/reminders`, withDistributions(services, (c) => reminderPost(services, c)));
  app.get(`${SECTION}/:id/distributions/:did/links.csv`, withDistributions(services, (c) => linksDownload(services, c)));
}

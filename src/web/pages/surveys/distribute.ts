/**
 * The survey's Distribute page: e-mail the survey to a panel or to one of its members (now or
 * scheduled), optionally with a thank-you e-mail for those who finish, preview the e-mail for a real
 * member first, or make personal links without e-mail. The send and the preview go through
 * DistributionsService (sendToPanel, sendToIndividual, preview), the same code as sendSurveyToPanel
 * and sendSurveyToIndividual; a refused form is shown again with what was typed and each error next
 * to its field.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { formatDateTime } from '../../../domain/dates.ts';
import { isId } from '../../../domain/ids.ts';
import { parseLocalDateTime } from '../../../domain/local-time.ts';
import type { Library } from '../../../services/accounts.ts';
import type { Actor } from '../../../services/actor.ts';
import type { MailPreview } from '../../../services/distributions.ts';
import type { Services } from '../../../services/index.ts';
import { fromHeader } from '../../../services/mailer.ts';
import type { RecipientView } from '../../../services/panels.ts';
import { DEFAULT_THANK_YOU_SUBJECT, type ThankYouInput } from '../../../services/thank-you.ts';
import { csrf, field } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { SECTION } from './common.ts';
import { distributionPages } from './distribution.ts';
import { distributionListPages } from './distributions.ts';
import {
  checkSender, distPage, registerDistributionAssets, distributeUrl, distributionUrl, errorSummary, fieldError, describe, input, messageChoices, messageSelect, option, pairValue, radio,
  senderFields, senderFormOf, senderLabels, senderServiceFields, serviceFieldError, splitPair, withDistributions, type DistContext, type FieldErrors,
  type MessageChoice, type SenderForm,
} from './distribution-common.ts';

const DAY_MS = 86_400_000;
/** Members offered for the preview (a select of a whole large panel would be unusable). */
const PREVIEW_MEMBERS = 100;

const LINK_TYPES: Array<[string, string, string]> = [
  ['Individual', 'Individual', 'A personal link for each recipient that works once; the response is tied to the member and partial progress is kept.'],
  ['Multiple', 'Multiple', 'A personal link for each recipient that can be used many times; responses are still tied to the member.'],
  ['Anonymous', 'Anonymous', 'Everyone gets the survey’s public link; responses are anonymous and reminders cannot be sent.'],
];

interface DistributeForm extends SenderForm {
  panel: string;
  /** A Recipient ID: send to that member of the panel only; '' for every member. */
  recipient: string;
  linkType: string;
  /** `YYYY-MM-DD` or '' (60 days after sending). */
  expiration: string;
  /** The member to preview, or '' for the panel's first. */
  member: string;
  thankYou: boolean;
  thankYouMessage: string;
  thankYouSubject: string;
}

interface LinksForm {
  panel: string;
  description: string;
}

interface PanelChoice {
  value: string;
  name: string;
  members: number;
  library: Library;
}

interface View {
  status: number;
  form: DistributeForm;
  errors: FieldErrors;
  preview?: MailPreview & { lang: string };
  links: LinksForm;
  linksErrors: FieldErrors;
}

/** In the order the fields appear, which is the order of the error summary. */
const LABELS: Record<string, string> = {
  'f-panel': 'Panel',
  'f-recipient': 'Send to one member only',
  'f-link-individual': 'Link type',
  'f-expiration': 'Links expire',
  ...senderLabels('f'),
  'f-thank-you': 'Thank-you e-mail',
  'f-thank-you-message': 'Thank-you message',
  'f-thank-you-subject': 'Thank-you subject',
  'f-member': 'Member to preview',
};
const LINKS_LABELS: Record<string, string> = { 'l-panel': 'Panel for the links', 'l-description': 'Description' };

const SERVICE_FIELDS: Record<string, [string, string]> = {
  ...senderServiceFields('f'),
  PanelID: ['f-panel', 'choose a panel from your libraries.'],
  PanelLibraryID: ['f-panel', 'choose a panel from your libraries.'],
  LinkType: ['f-link-individual', 'choose one of the link types.'],
  ExpirationDate: ['f-expiration', 'enter a valid date.'],
};
const ANONYMOUS_THANK_YOU = 'anonymous links cannot be thanked, as who finished is not known: choose Individual or Multiple links, or untick the thank-you.';

/** Where a refusal is shown depends on the form: the member to preview or to send to, the thank-you or the link type at fault. */
function serviceFields(f: DistributeForm, forPreview: boolean): Record<string, [string, string]> {
  const anonymous = f.linkType === 'Anonymous';
  const message: [string, string] = anonymous ? ['f-thank-you', ANONYMOUS_THANK_YOU] : ['f-thank-you-message', 'that message is not in a library you can use.'];
  return {
    ...SERVICE_FIELDS,
    RecipientID: forPreview
      ? ['f-member', 'choose a member of the chosen panel (a panel without members cannot be previewed).']
      : ['f-recipient', 'enter the Recipient ID of a member of the chosen panel, or leave it empty to send to every member.'],
    ThankYouMessageID: message,
    ThankYouLibraryID: message,
    ThankYouSubject: anonymous ? ['f-thank-you', ANONYMOUS_THANK_YOU] : ['f-thank-you-subject', 'use at most 998 characters, or leave it empty.'],
  };
}
const LINKS_SERVICE_FIELDS: Record<string, [string, string]> = {
  PanelID: ['l-panel', 'choose a panel from your libraries.'],
  PanelLibraryID: ['l-panel', 'choose a panel from your libraries.'],
};

function formOf(body: unknown): DistributeForm {
  return {
    ...senderFormOf(body),
    panel: field(body, 'panel').trim(),
    recipient: field(body, 'recipient').trim(),
    linkType: field(body, 'linkType') || 'Individual',
    expiration: field(body, 'expiration').trim(),
    member: field(body, 'member').trim(),
    thankYou: field(body, 'thankYou') !== '',
    thankYouMessage: field(body, 'thankYouMessage').trim(),
    thankYouSubject: field(body, 'thankYouSubject'),
  };
}

async function emptyForm(services: Services, actor: Actor): Promise<DistributeForm> {
  const { user } = await services.accounts.userInfo(actor);
  return {
    panel: '', message: '', subject: '', fromName: `${user.firstName} ${user.lastName}`.trim(), fromEmail: user.email, sentFrom: '', when: 'now', date: '', time: '',
    recipient: '', linkType: 'Individual', expiration: '', member: '', thankYou: false, thankYouMessage: '', thankYouSubject: '',
  };
}

async function panelChoices(services: Services, actor: Actor, libraries: Library[]): Promise<PanelChoice[]> {
  const out: PanelChoice[] = [];
  for (const library of libraries) {
    for (const p of await services.panels.listPanels(actor, library.id)) {
      out.push({ value: pairValue(library.id, p.id), name: p.name, members: await services.panels.memberCount(actor, library.id, p.id), library });
    }
  }
  return out;
}

function panelSelect(id: string, label: string, choices: PanelChoice[], current: string, errors: FieldErrors): Html {
  const libraries = [...new Map(choices.map((c) => [c.library.id, c.library])).values()];
  return html`<div class="field${errors.has(id) ? ' field-invalid' : ''}">
    <label for="${id}">${label}</label>
    <p class="hint" id="${id}-hint">Panels of your library and your groups’ libraries. <a href="/contacts">Manage panels</a></p>
    ${fieldError(id, errors)}
    <select id="${id}" name="panel" required${describe(id, errors, true)}>
      ${option('', choices.length === 0 ? 'No panels yet' : 'Choose a panel', current)}
      ${libraries.map((l) => html`<optgroup label="${l.kind === 'group' ? `${l.name || l.id} (group library)` : `${l.name || l.id} (your library)`}">${choices
        .filter((c) => c.library.id === l.id)
        .map((c) => option(c.value, `${c.name} (${c.members} member${c.members === 1 ? '' : 's'})`, current))}</optgroup>`)}
    </select>
  </div>`;
}

function memberLabel(m: { firstName: string | null; lastName: string | null; email: string | null; id: string }): string {
  const name = [m.firstName, m.lastName].filter((x) => x).join(' ');
  return name && m.email ? `${name} <${m.email}>` : name || m.email || m.id;
}

async function previewMembers(services: Services, actor: Actor, panel: string, choices: PanelChoice[]): Promise<RecipientView[]> {
  const pair = splitPair(panel);
  if (!pair || !choices.some((c) => c.value === panel)) return [];
  return (await services.panels.membersPage(actor, pair.libraryId, pair.id, { limit: PREVIEW_MEMBERS })).members;
}

function memberSelect(members: RecipientView[], current: string, errors: FieldErrors): Html {
  return html`<div class="field${errors.has('f-member') ? ' field-invalid' : ''}">
    <label for="f-member">Member to preview</label>
    <p class="hint" id="f-member-hint">The e-mail is rendered for this member of the chosen panel, with their own link.${members.length === PREVIEW_MEMBERS ? ` The first ${PREVIEW_MEMBERS} members are offered.` : ''}</p>
    ${fieldError('f-member', errors)}
    <select id="f-member" name="member"${describe('f-member', errors, true)}>
      ${option('', 'The first member of the panel', current)}
      ${members.map((m) => option(m.id, memberLabel(m), current))}
    </select>
  </div>`;
}

function recipientField(current: string, errors: FieldErrors): Html {
  return input(
    {
      id: 'f-recipient', name: 'recipient', label: 'Send to one member only', value: current, maxlength: 20,
      hint: 'The Recipient ID of a member of the chosen panel, such as MLRP_0Ab1Cd2Ef3Gh4Ij (shown on the member’s page under Contacts). Empty: every member of the panel.',
    },
    errors,
  );
}

function linkTypeFields(current: string, errors: FieldErrors): Html {
  return html`<fieldset${errors.has('f-link-individual') ? html` aria-describedby="f-link-individual-error"` : ''}><legend>Link type</legend>
    ${fieldError('f-link-individual', errors)}
    ${LINK_TYPES.map(([value, label, hint]) => radio('linkType', `f-link-${value.toLowerCase()}`, value, current, label, hint))}
  </fieldset>`;
}

/** The personal links stop at the end of the chosen day. */
function expirationFields(f: DistributeForm, errors: FieldErrors, zone: string, now: number): Html {
  const byDefault = formatDateTime(now + 60 * DAY_MS, zone).slice(0, 10);
  return input(
    {
      id: 'f-expiration', name: 'expiration', label: 'Links expire', value: f.expiration, type: 'date',
      hint: `Personal links stop working at the end of this day (${zone}). Empty: 60 days after the send date — ${byDefault} for a send now.`,
    },
    errors,
  );
}

/** The open-tracking image is left out: a preview opens nothing, and the image is not part of what a reader sees. */
function withoutTrackingImage(markup: string): string {
  return markup.replace(/<img src="[^"]*\/mail\/open\/[^"]*\.gif" width="1" height="1" alt="">$/, '');
}

function previewSection(p: MailPreview & { lang: string }): Html {
  const who = [p.recipient.firstName, p.recipient.lastName].filter((x) => x).join(' ') || p.recipient.email || p.recipient.id;
  const doc = `<!doctype html><html lang="${p.lang}"><head><meta charset="utf-8"><title>E-mail preview</title></head><body>${withoutTrackingImage(p.mail.html)}</body></html>`;
  const skipped = p.recipient.unsubscribed ? 'This member is unsubscribed: a send skips them.' : !p.recipient.email ? 'This member has no e-mail address: a send skips them.' : '';
  return html`<section class="panel mail-preview" aria-labelledby="preview-heading">
    <h2 id="preview-heading">Preview for ${who}</h2>
    <div class="notice" role="status"><p>This is a preview: nothing was sent or saved.${skipped ? ` ${skipped}` : ''}</p></div>
    <dl class="mail-head">
      <dt>Subject</dt><dd>${p.mail.subject}</dd>
      <dt>From</dt><dd>${fromHeader(p.mail)}</dd>
      <dt>To</dt><dd>${p.mail.to || '(no address)'}</dd>
      <dt>Envelope sender</dt><dd>${p.mail.sentFromAddress}</dd>
      <dt>Personal link</dt><dd><code id="preview-link">${p.link}</code></dd>
    </dl>
    <p class="hint">The distribution part of the link is made when the survey is sent, so this link itself does not open the survey. Scripts and unsafe markup are removed, as in every e-mail sent; the invisible open-tracking image is not shown.</p>
    <h3>E-mail body</h3>
    <iframe class="mail-body" sandbox="" title="E-mail body for ${who}" srcdoc="${doc}"></iframe>
    <h3>Text alternative</h3>
    <pre class="mail-text">${p.mail.text}</pre>
  </section>`;
}

function thankYouFields(f: DistributeForm, messages: MessageChoice[], errors: FieldErrors, messagesLink: string): Html {
  const id = 'f-thank-you';
  return html`<fieldset><legend>Thank-you e-mail</legend>
      <div class="field${errors.has(id) ? ' field-invalid' : ''}">
        ${fieldError(id, errors)}
        <div class="check"><input type="checkbox" id="${id}" name="thankYou" value="1"${f.thankYou ? html` checked` : ''}${describe(id, errors, true)}>
          <div><label for="${id}">Send a thank-you e-mail when a recipient finishes</label>
          <p class="hint" id="${id}-hint">Once for each response finished through a personal link of this e-mail (Individual or Multiple links), from the same sender. Not ticked: the survey’s own thank-you settings apply, if it has any.</p></div>
        </div>
      </div>
      ${messageSelect('f-thank-you-message', messages, 'ThankYouEmails', f.thankYouMessage, errors, messagesLink, { name: 'thankYouMessage', label: 'Thank-you message', required: false })}
      ${input(
        {
          id: 'f-thank-you-subject', name: 'thankYouSubject', label: 'Thank-you subject', value: f.thankYouSubject, maxlength: 998, placeholder: DEFAULT_THANK_YOU_SUBJECT,
          hint: `Empty: “${DEFAULT_THANK_YOU_SUBJECT}”. Piped text such as ` + '${m://FirstName} is filled in for each recipient.',
        },
        errors,
      )}
    </fieldset>`;
}

function linksSection(c: DistContext, panels: PanelChoice[], v: View): Html {
  return html`<section class="panel" aria-labelledby="links-heading">
    <h2 id="links-heading">Personal links without e-mail</h2>
    <p>Makes a personal link for every member of a panel, to send by other means. The links are offered as a CSV file and expire after 60 days.</p>
    <form method="post" action="${distributeUrl(c.survey.id)}/links" novalidate>
      ${errorSummary(v.linksErrors, LINKS_LABELS)}
      ${csrf(c.request.csrfToken)}
      ${panelSelect('l-panel', 'Panel for the links', panels, v.links.panel, v.linksErrors)}
      ${input({ id: 'l-description', name: 'description', label: 'Description', value: v.links.description, required: true, maxlength: 255, hint: 'For you: shown in the list of distributions.' }, v.linksErrors)}
      <div class="actions"><button type="submit">Create personal links</button></div>
    </form>
  </section>`;
}

async function formPage(services: Services, c: DistContext, v: View): Promise<FastifyReply> {
  const libraries = await services.accounts.libraries(c.actor);
  const [panels, messages] = await Promise.all([panelChoices(services, c.actor, libraries), messageChoices(services, c.actor, libraries)]);
  const members = await previewMembers(services, c.actor, v.form.panel, panels);
  const now = services.clock.now();
  const f = v.form;
  const messagesLink = `/libraries/${encodeURIComponent(c.actor.userId)}/messages`;
  const inactive = c.survey.status !== 'Active'
    ? html`<div class="warning"><p>This survey is inactive: recipients cannot take it until it is activated on <a href="${SECTION}">your surveys</a>.</p></div>`
    : '';
  return distPage(c, v.status, 'Distribute', 'distribute', html`
    ${inactive}
    ${v.preview ? previewSection(v.preview) : ''}
    <form method="post" action="${distributeUrl(c.survey.id)}" class="distribute-form" novalidate>
      ${errorSummary(v.errors, LABELS)}
      ${csrf(c.request.csrfToken)}
      <fieldset><legend>Recipients</legend>
        ${panelSelect('f-panel', 'Panel', panels, f.panel, v.errors)}
        ${recipientField(f.recipient, v.errors)}
        ${linkTypeFields(f.linkType, v.errors)}
        ${expirationFields(f, v.errors, c.timeZone, now)}
      </fieldset>
      ${senderFields('f', f, v.errors, c.timeZone, now, messageSelect('f-message', messages, 'InviteEmails', f.message, v.errors, messagesLink))}
      ${thankYouFields(f, messages, v.errors, messagesLink)}
      <fieldset><legend>Preview</legend>
        ${memberSelect(members, f.member, v.errors)}
        <div class="actions"><button type="submit" name="action" value="preview" class="secondary">Preview the e-mail</button></div>
      </fieldset>
      <div class="actions"><button type="submit" name="action" value="send">Send or schedule</button></div>
    </form>
    ${linksSection(c, panels, v)}`, v.errors.size > 0 || v.linksErrors.size > 0);
}

/**
 * The thank-you the send asks for: none unless ticked; then a message is needed and the link type
 * must tell who finished. An empty subject leaves the service's default.
 */
function checkThankYou(f: DistributeForm, errors: FieldErrors): ThankYouInput {
  if (!f.thankYou) return {};
  if (f.linkType === 'Anonymous') {
    errors.set('f-thank-you', ANONYMOUS_THANK_YOU);
    return {};
  }
  const message = splitPair(f.thankYouMessage);
  if (!message) errors.set('f-thank-you-message', 'choose the thank-you message, or untick the thank-you e-mail.');
  const subject = f.thankYouSubject.trim();
  if (subject.length > 998) errors.set('f-thank-you-subject', 'use at most 998 characters, or leave it empty.');
  return { thankYouMessageId: message?.id, thankYouLibraryId: message?.libraryId, thankYouSubject: subject === '' ? undefined : subject };
}

/** The form's own checks; a preview ignores the schedule, the expiry, the single recipient and the thank-you, which it does not use. */
function check(f: DistributeForm, zone: string, now: number, forPreview: boolean) {
  const sender = checkSender('f', f, zone, now);
  const errors: FieldErrors = new Map();
  const panel = splitPair(f.panel);
  if (!panel) errors.set('f-panel', 'choose the panel to send to.');
  if (!forPreview && f.recipient !== '' && !isId('MLRP', f.recipient)) errors.set('f-recipient', 'enter a Recipient ID such as MLRP_0Ab1Cd2Ef3Gh4Ij, or leave it empty to send to every member.');
  const thankYou = forPreview ? {} : checkThankYou(f, errors);
  if (!LINK_TYPES.some(([v]) => v === f.linkType)) errors.set('f-link-individual', 'choose one of the link types.');
  let expirationDate: string | undefined;
  if (!forPreview && f.expiration !== '') {
    const at = /^\d{4}-\d{2}-\d{2}$/.test(f.expiration) ? parseLocalDateTime(`${f.expiration} 23:59:59`, zone) : null;
    if (at === null) errors.set('f-expiration', 'enter a day such as 2027-01-31, or leave it empty.');
    else if (sender.sendAt !== undefined && at <= sender.sendAt) errors.set('f-expiration', 'choose a day after the send date.');
    else expirationDate = `${f.expiration} 23:59:59`;
  }
  for (const [id, message] of sender.errors) {
    if (forPreview && (id === 'f-date' || id === 'f-time')) continue;
    errors.set(id, message);
  }
  // In the order the fields appear on the page.
  const ordered: FieldErrors = new Map(Object.keys(LABELS).filter((id) => errors.has(id)).map((id) => [id, errors.get(id) as string]));
  return { errors: ordered, panel, message: sender.message, sendDate: sender.sendDate, expirationDate, thankYou };
}

async function post(services: Services, c: DistContext): Promise<FastifyReply> {
  const f = formOf(c.request.body);
  const forPreview = field(c.request.body, 'action') === 'preview';
  const now = services.clock.now();
  const checked = check(f, c.timeZone, now, forPreview);
  const view: View = { status: 400, form: f, errors: checked.errors, links: { panel: '', description: '' }, linksErrors: new Map() };
  if (checked.errors.size > 0 || !checked.panel || !checked.message) return formPage(services, c, view);
  const common = {
    surveyId: c.survey.id, fromEmail: f.fromEmail, fromName: f.fromName, subject: f.subject, messageId: checked.message.id, messageLibraryId: checked.message.libraryId,
    panelId: checked.panel.id, panelLibraryId: checked.panel.libraryId, sentFromAddress: f.sentFrom || undefined, linkType: f.linkType,
  };
  try {
    if (forPreview) {
      const preview = await services.distributions.preview(c.actor, { ...common, recipientId: f.member || undefined });
      const lang = (await services.messages.get(c.actor, checked.message.libraryId, checked.message.id)).language.toLowerCase();
      return await formPage(services, c, { ...view, status: 200, preview: { ...preview, lang } });
    }
    const send = { ...common, ...checked.thankYou, sendDate: checked.sendDate as string, expirationDate: checked.expirationDate };
    const id = f.recipient === ''
      ? await services.distributions.sendToPanel(c.actor, send)
      : await services.distributions.sendToIndividual(c.actor, { ...send, recipientId: f.recipient });
    return c.reply.redirect(`${distributionUrl(c.survey.id, id)}?done=${f.when === 'later' ? 'scheduled' : 'queued'}`, 303);
  } catch (e) {
    return formPage(services, c, { ...view, errors: serviceFieldError(e, serviceFields(f, forPreview)) });
  }
}

async function postLinks(services: Services, c: DistContext): Promise<FastifyReply> {
  const links: LinksForm = { panel: field(c.request.body, 'panel').trim(), description: field(c.request.body, 'description').trim() };
  const errors: FieldErrors = new Map();
  const panel = splitPair(links.panel);
  if (!panel) errors.set('l-panel', 'choose the panel whose members get links.');
  if (links.description === '') errors.set('l-description', 'describe what the links are for.');
  else if (links.description.length > 255) errors.set('l-description', 'use at most 255 characters.');
  const view: View = { status: 400, form: await emptyForm(services, c.actor), errors: new Map(), links, linksErrors: errors };
  if (errors.size > 0 || !panel) return formPage(services, c, view);
  try {
    const id = await services.distributions.createDistribution(c.actor, { surveyId: c.survey.id, panelId: panel.id, panelLibraryId: panel.libraryId, description: links.description });
    return c.reply.redirect(`${distributionUrl(c.survey.id, id)}?done=links`, 303);
  } catch (e) {
    return formPage(services, c, { ...view, linksErrors: serviceFieldError(e, LINKS_SERVICE_FIELDS) });
  }
}

/** Every distribution page of a survey: this form, the list, one distribution, and their assets. */
export function distributionUiPages(app: FastifyInstance, services: Services): void {
  registerDistributionAssets(app);
  distributePages(app, services);
  distributionListPages(app, services);
  distributionPages(app, services);
}

function distributePages(app: FastifyInstance, services: Services): void {
  app.get(`${SECTION}/:id/distribute`, withDistributions(services, async (c) =>
    formPage(services, c, { status: 200, form: await emptyForm(services, c.actor), errors: new Map(), links: { panel: '', description: '' }, linksErrors: new Map() })));
  app.post(`${SECTION}/:id/distribute`, withDistributions(services, (c) => post(services, c)));
  app.post(`${SECTION}/:id/distribute/links`, withDistributions(services, (c) => postLinks(services, c)));
}

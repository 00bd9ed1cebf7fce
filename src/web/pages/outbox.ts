import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services/index.ts';
import { formatDateTime } from '../../domain/dates.ts';
import { html, raw } from '../html.ts';
import { page } from '../layout.ts';
import { requireActor } from '../session.ts';
import sanitizeHtml from 'sanitize-html';
import { MESSAGE_HTML } from '../../services/messages.ts';

const SECTION = '/outbox';
const CSS_LINK = html`<link rel="stylesheet" href="/assets/admin.css"><link rel="stylesheet" href="/assets/messages.css">`;

/**
 * The built-in outbox: on an installation without SMTP_URL, invitations are kept here instead of
 * being sent, so the whole flow can be tried (and links followed) without a mail server.
 */
export async function outboxPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/outbox', async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const { messages, total } = await services.distributions.outbox(actor, 200);
    const zone = await services.accounts.timeZone(actor.brandId);
    const smtp = services.distributions.transport.kind === 'smtp';
    const body = html`<h1>Outbox</h1>
      ${smtp
        ? html`<p>This installation sends mail through SMTP; the outbox only shows mail recorded before SMTP was configured.</p>`
        : html`<p>No SMTP server is configured (SMTP_URL), so e-mail is kept here instead of being sent. ${total} message${total === 1 ? '' : 's'}; the newest 200 are shown.</p>`}
      ${messages.length === 0
        ? html`<p>The outbox is empty.</p>`
        : html`<div class="table-wrap"><table><caption class="visually-hidden">Messages in the outbox</caption>
          <thead><tr><th scope="col">Created</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Distribution</th></tr></thead>
          <tbody>${messages.map(
            (m) => html`<tr><td>${formatDateTime(m.created_at, zone)}</td><td>${m.to_address}</td>
              <td><a href="${SECTION}/${encodeURIComponent(m.mail_message_id)}">${m.subject}</a></td><td><code>${m.distribution_id ?? ''}</code></td></tr>`,
          )}</tbody></table></div>`}`;
    return reply
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(page({ title: 'Outbox', actor: request.actor, csrfToken: request.csrfToken, current: SECTION, body: html`${CSS_LINK}${body}` }).toString());
  });

  app.get<{ Params: { id: string } }>('/outbox/:id', async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const m = await services.distributions.outboxMessage(actor, request.params.id);
    const title = m ? m.subject : 'Not found';
    const body = m
      ? html`<h1>${m.subject}</h1><dl><dt>From</dt><dd>${m.from_address}</dd><dt>To</dt><dd>${m.to_address}</dd><dt>Message-ID</dt><dd><code>${m.mail_message_id}</code></dd></dl>
        <h2>HTML</h2><div class="message-preview">${raw(sanitizeHtml(m.html, MESSAGE_HTML))}</div>
        <h2>Text</h2><pre>${m.text}</pre><p><a href="${SECTION}">Back to the outbox</a></p>`
      : html`<h1>Not found</h1><p>There is no message with that ID in your brand’s outbox.</p><p><a href="${SECTION}">Back to the outbox</a></p>`;
    return reply
      .code(m ? 200 : 404)
      .header('Cache-Control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(page({ title, actor: request.actor, csrfToken: request.csrfToken, current: SECTION, body: html`${CSS_LINK}${body}` }).toString());
  });
}

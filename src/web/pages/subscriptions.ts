import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatDateTime } from '../../domain/dates.ts';
import { ServiceError } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import type { DeliveryView, SubscriptionView } from '../../services/subscriptions.ts';
import { sendHtml } from '../forms.ts';
import { html, type Html } from '../html.ts';
import { requireActor } from '../session.ts';

/** Event subscriptions of the brand (as the API shows them to this user) and each one's delivery log. */
const SECTION = '/subscriptions';
const CSS_LINK = html`<link rel="stylesheet" href="/assets/admin.css">`;

const subscriptionUrl = (id: string) => `${SECTION}/${encodeURIComponent(id)}`;

function send(request: FastifyRequest, reply: FastifyReply, status: number, title: string, body: Html): FastifyReply {
  return sendHtml(request, reply, status, title, SECTION, html`${CSS_LINK}${body}`);
}

async function timeZone(services: Services, brandId: string): Promise<string> {
  return (await services.accounts.getBrand(brandId))?.time_zone ?? 'America/Denver';
}

const when = (ms: number, tz: string) => html`<time datetime="${new Date(ms).toISOString()}">${formatDateTime(ms, tz)}</time>`;

function listTable(subs: SubscriptionView[], tz: string): Html {
  if (subs.length === 0) return html`<p>There are no subscriptions. Create one with the API request <code>subscribe</code>.</p>`;
  return html`<div class="table-wrap"><table><caption>Subscriptions (${subs.length})</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">URL</th><th scope="col">Topics</th><th scope="col">Encrypted</th><th scope="col">Created</th></tr></thead>
    <tbody>${subs.map((s) => html`<tr><th scope="row"><a href="${subscriptionUrl(s.id)}">${s.name}</a></th><td><code>${s.publicationUrl}</code></td>
      <td>${s.topics.join(', ')}</td><td>${s.encrypt ? 'Yes' : 'No'}</td><td>${when(s.createdAt, tz)}</td></tr>`)}</tbody></table></div>`;
}

const OUTCOME: Record<DeliveryView['outcome'], string> = { delivered: 'Delivered', retry: 'Failed, will retry', failed: 'Failed' };

function deliveryTable(attempts: DeliveryView[], tz: string): Html {
  if (attempts.length === 0) return html`<p>No delivery has been attempted yet.</p>`;
  return html`<div class="table-wrap"><table><caption>Latest delivery attempts</caption>
    <thead><tr><th scope="col">When</th><th scope="col">Topic</th><th scope="col">Attempt</th><th scope="col">Outcome</th><th scope="col">HTTP status</th><th scope="col">Latency</th><th scope="col">Error</th><th scope="col">Message ID</th></tr></thead>
    <tbody>${attempts.map((a) => html`<tr><td>${when(a.at, tz)}</td><td>${a.topic}</td><td>${String(a.attempt)}</td><td>${OUTCOME[a.outcome]}</td>
      <td>${a.httpStatus === null ? '—' : String(a.httpStatus)}</td><td>${String(a.latencyMs)} ms</td><td>${a.error ?? ''}</td><td><code>${a.jobId}</code></td></tr>`)}</tbody></table></div>`;
}

export async function subscriptionsPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get(SECTION, async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const [subs, tz] = await Promise.all([services.subscriptions.list(actor), timeZone(services, actor.brandId)]);
    return send(request, reply, 200, 'Event subscriptions', html`<h1>Event subscriptions</h1>${listTable(subs, tz)}`);
  });

  app.get(`${SECTION}/:id`, async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const { id } = request.params as { id: string };
    try {
      const [sub, log, tz] = await Promise.all([services.subscriptions.get(actor, id), services.subscriptions.deliveries(actor, id), timeZone(services, actor.brandId)]);
      return send(request, reply, 200, sub.name, html`<p><a href="${SECTION}">Back to the subscriptions</a></p>
        <h1>${sub.name}</h1>
        <dl class="ids"><dt>Subscription ID</dt><dd>${sub.id}</dd><dt>URL</dt><dd><code>${sub.publicationUrl}</code></dd>
          <dt>Topics</dt><dd>${sub.topics.join(', ')}</dd><dt>Signed</dt><dd>${sub.hasSharedKey ? 'Yes' : 'No'}</dd><dt>Encrypted</dt><dd>${sub.encrypt ? 'Yes' : 'No'}</dd>
          <dt>Waiting deliveries</dt><dd>${String(log.waiting)}</dd></dl>
        <h2>Delivery log</h2>${deliveryTable(log.attempts, tz)}`);
    } catch (e) {
      if (!(e instanceof ServiceError && e.kind === 'NotFound')) throw e;
      return send(request, reply, 404, 'Not found', html`<h1>Not found</h1><p>There is no subscription with that ID among yours.</p><p><a href="${SECTION}">Back to the subscriptions</a></p>`);
    }
  });
}

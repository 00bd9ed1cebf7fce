/**
 * The survey's distributions: every invitation (newest first) with its reminders under it, and the
 * link-only ones, each with its status and counters. While one is pending the page keeps its
 * numbers current: a small script polls the JSON twin of the page; without scripts the page reloads
 * itself. A scheduled distribution can be cancelled (a confirmation page, then a POST).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../../services/actor.ts';
import type { DistributionView } from '../../../services/distributions.ts';
import type { Services } from '../../../services/index.ts';
import { csrf, notice } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { requireActor } from '../../session.ts';
import { isMissing, SECTION, when } from './common.ts';
import {
  counterList, distPage, distributeUrl, distributionsUrl, distributionUrl, doneOf, isCancellable, isPending, liveJson, liveUpdates, statusText, typeName,
  withDistributions, type DistContext,
} from './distribution-common.ts';

const DONE: Record<string, string> = {
  cancelled: 'The distribution was cancelled: nothing will be sent.',
  'not-cancelled': 'The distribution could not be cancelled: it had already started sending or ended.',
};

/** Panel names by ID, for the panels of the libraries the user can use (others show their ID). */
export async function panelNames(services: Services, actor: Actor): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const lib of await services.accounts.libraries(actor)) {
    for (const p of await services.panels.listPanels(actor, lib.id)) names.set(p.id, p.name);
  }
  return names;
}

export function titleOf(v: DistributionView): string {
  const what = v.row.request_type === 'Links' ? v.row.description : v.row.subject;
  return `${typeName(v)}: ${what || v.row.id}`;
}

function item(c: DistContext, v: DistributionView, children: DistributionView[], panels: Map<string, string>, now: number, level: 2 | 3): Html {
  const id = v.row.id;
  const title = titleOf(v);
  const heading = html`<a href="${distributionUrl(c.survey.id, id)}">${title}</a>`;
  const panel = v.row.panel_id === null ? '' : (panels.get(v.row.panel_id) ?? v.row.panel_id);
  const at = v.row.send_date ?? v.row.created_at;
  return html`<li>
    <article class="distribution" data-distribution="${id}" aria-labelledby="d-${id}">
      ${level === 2 ? html`<h2 id="d-${id}">${heading}</h2>` : html`<h3 id="d-${id}">${heading}</h3>`}
      <p class="dist-status">Status: <strong data-status>${statusText(v, now)}</strong></p>
      <p class="dist-meta">${v.row.request_type === 'Links' ? 'Created' : 'Send date'} ${when(at, c.timeZone)}${panel ? html` · Panel ${panel}` : ''} · ${v.row.link_type} links</p>
      ${counterList(v, `Counters of ${title}`)}
      ${isCancellable(v) ? html`<p><a href="${distributionUrl(c.survey.id, id)}/cancel">Cancel this distribution<span class="visually-hidden">: ${title}</span></a></p>` : ''}
    </article>
    ${children.length > 0
      ? html`<ol class="reminders" aria-label="Reminders of ${title}">${children.map((r) => item(c, r, [], panels, now, 3))}</ol>`
      : ''}
  </li>`;
}

async function listPage(services: Services, c: DistContext): Promise<FastifyReply> {
  const [views, panels] = await Promise.all([services.distributions.listForSurvey(c.actor, c.survey.id), panelNames(services, c.actor)]);
  const now = services.clock.now();
  const ids = new Set(views.map((v) => v.row.id));
  // A reminder whose parent is not listed is shown on its own rather than lost.
  const top = views.filter((v) => v.row.parent_id === null || !ids.has(v.row.parent_id)).reverse();
  const childrenOf = (id: string) => views.filter((v) => v.row.parent_id === id);
  const done = doneOf(c);
  return distPage(c, 200, 'Distributions', 'distributions', html`
    ${notice(done ? DONE[done] : undefined)}
    <p><a class="button" href="${distributeUrl(c.survey.id)}">Distribute the survey</a></p>
    ${liveUpdates(c.survey.id, views.some(isPending))}
    ${top.length === 0
      ? html`<p class="empty-table">This survey has not been distributed yet.</p>`
      : html`<ol class="distributions">${top.map((v) => item(c, v, childrenOf(v.row.id), panels, now, 2))}</ol>`}`);
}

async function cancelConfirm(services: Services, c: DistContext): Promise<FastifyReply> {
  const { did } = c.request.params as { did: string };
  const v = await services.distributions.getOne(c.actor, c.survey.id, did);
  const back = distributionUrl(c.survey.id, did);
  const title = titleOf(v);
  if (!isCancellable(v)) {
    return distPage(c, 409, 'Cancel distribution', 'distributions', html`<p>${title}</p>
      <p>This distribution cannot be cancelled: ${v.row.status === 'Pending' ? 'it has started sending.' : `it is ${(v.row.status ?? 'done').toLowerCase()}.`}</p>
      <p><a href="${back}">Back to the distribution</a></p>`);
  }
  return distPage(c, 200, 'Cancel distribution', 'distributions', html`
    <div class="confirm" id="cancel-warning"><p>Cancel <strong>${title}</strong>, ${statusText(v, services.clock.now()).toLowerCase()}? No e-mail of it will be sent. This cannot be undone.</p></div>
    <form method="post" action="${back}/cancel">${csrf(c.request.csrfToken)}
      <div class="actions"><button type="submit" class="danger" aria-describedby="cancel-warning">Cancel the distribution</button><a class="button secondary" href="${back}">Keep it</a></div>
    </form>`);
}

async function cancelPost(services: Services, c: DistContext): Promise<FastifyReply> {
  const { did } = c.request.params as { did: string };
  const cancelled = await services.distributions.cancel(c.actor, c.survey.id, did);
  return c.reply.redirect(`${distributionsUrl(c.survey.id)}?done=${cancelled ? 'cancelled' : 'not-cancelled'}`, 303);
}

/** The counters as JSON for the live-update script; the same 404 as the pages for a survey that is not the user's. */
async function liveRoute(services: Services, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const actor = requireActor(request, reply);
  if (!actor) return reply;
  const { id } = request.params as { id: string };
  try {
    const views = await services.distributions.listForSurvey(actor, id);
    return reply.header('Cache-Control', 'no-store').send(liveJson(views, services.clock.now()));
  } catch (e) {
    if (isMissing(e)) return reply.code(404).header('Cache-Control', 'no-store').send({ error: 'There is no survey with that ID among your surveys.' });
    throw e;
  }
}

export function distributionListPages(app: FastifyInstance, services: Services): void {
  app.get(`${SECTION}/:id/distributions`, withDistributions(services, (c) => listPage(services, c)));
  app.get(`${SECTION}/:id/distributions.json`, (request, reply) => liveRoute(services, request, reply));
  app.get(`${SECTION}/:id/distributions/:did/cancel`, withDistributions(services, (c) => cancelConfirm(services, c)));
  app.post(`${SECTION}/:id/distributions/:did/cancel`, withDistributions(services, (c) => cancelPost(services, c)));
}

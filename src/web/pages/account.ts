import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Library, UserView } from '../../services/accounts.ts';
import type { Actor } from '../../services/actor.ts';
import { ServiceError } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { requireActor } from '../session.ts';

const IDS = '/account/ids';

export const REGENERATE_WARNING =
  'Generating a new token will invalidate your current token. Any existing integrations that use it will be interrupted and must be updated with the new token.';

/** What the Qualtrics IDs page shows, gathered through the services. */
interface AccountView {
  actor: Actor;
  user: UserView;
  libraries: Library[];
  brandName: string;
  timeZone: string;
}

async function loadView(services: Services, actor: Actor): Promise<AccountView> {
  const [user, libraries, brand] = await Promise.all([
    services.accounts.getUser(actor, actor.userId),
    services.accounts.libraries(actor),
    services.accounts.getBrand(actor.brandId),
  ]);
  return { actor, user, libraries, brandName: brand?.name ?? actor.brandId, timeZone: brand?.time_zone ?? 'UTC' };
}

/** A date people read (in the brand's time zone, zone named), with the exact instant for machines. */
function when(ms: number | null, timeZone: string, unset: string): Html {
  if (ms === null) return html`${unset}`;
  const shown = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  })
    .format(new Date(ms))
    // Newer ICU puts a narrow no-break space before AM/PM; a plain one reads and copies the same everywhere.
    .replace(/\u202f/g, ' ');
  return html`<time datetime="${new Date(ms).toISOString()}">${shown}</time>`;
}

/** The hidden fields every token form carries; `current` names the token the user saw (see tokenPost). */
function tokenFields(request: FastifyRequest, user: UserView): Html {
  return html`<input type="hidden" name="_csrf" value="${request.csrfToken}">
  <input type="hidden" name="current" value="${String(user.tokenCreatedAt ?? 0)}">`;
}

function identityBox(v: AccountView): Html {
  return html`<section aria-labelledby="ids-user">
  <h2 id="ids-user">User</h2>
  <dl class="ids">
    <dt>User ID</dt><dd id="user-id">${v.user.id}</dd>
    <dt>Username</dt><dd id="username">${v.user.username}</dd>
    <dt>Name</dt><dd>${`${v.user.firstName} ${v.user.lastName}`.trim() || '—'}</dd>
    <dt>Brand ID</dt><dd id="brand-id">${v.user.brandId}</dd>
  </dl>
</section>
<section aria-labelledby="ids-libraries">
  <h2 id="ids-libraries">Libraries</h2>
  <div class="table-wrap"><table>
    <caption class="hint">Your own library has your user ID; each of your groups has a library with the group's ID.</caption>
    <thead><tr><th scope="col">Library</th><th scope="col">Kind</th><th scope="col">Library ID</th></tr></thead>
    <tbody>${v.libraries.map(
      (l) => html`<tr><th scope="row">${l.name || l.id}</th><td>${l.kind === 'user' ? 'Your library' : 'Group library'}</td><td><code class="library-id">${l.id}</code></td></tr>`,
    )}</tbody>
  </table></div>
</section>`;
}

function apiBox(request: FastifyRequest, v: AccountView, error?: string): Html {
  const hasToken = v.user.tokenCreatedAt !== null;
  const allowed = v.actor.permissions.accessApi;
  const action = allowed
    ? html`<form method="post" action="/account/token" class="actions">
  ${tokenFields(request, v.user)}
  <button type="submit" id="generate-token">Generate Token</button>
</form>
${hasToken ? html`<p class="hint">${REGENERATE_WARNING} You will be asked to confirm.</p>` : ''}`
    : html`<p id="no-api">Your account does not have API access. Ask a Brand Administrator of ${v.brandName} to grant the API permission.</p>`;
  return html`<section aria-labelledby="ids-api">
  <h2 id="ids-api">API</h2>
  ${error ? html`<p role="alert">${error}</p>` : ''}
  <dl class="ids">
    <dt>Token</dt><dd id="token-status">${hasToken ? 'Generated' : 'None'}</dd>
    <dt>Created</dt><dd id="token-created">${when(v.user.tokenCreatedAt, v.timeZone, 'Never')}</dd>
    <dt>Last used</dt><dd id="token-last-used">${when(v.user.tokenLastUsedAt, v.timeZone, hasToken ? 'Not used yet' : 'Never')}</dd>
  </dl>
  ${action}
</section>`;
}

function send(reply: FastifyReply, status: number, body: Html) {
  // Every account page may carry a token or a CSRF value: no cache may keep it, and reloading never replays it.
  return reply.code(status).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(body.toString());
}

function idsPage(request: FastifyRequest, v: AccountView, error?: string): Html {
  return page({
    title: 'Qualtrics IDs',
    actor: v.actor,
    csrfToken: request.csrfToken,
    current: IDS,
    body: html`<p class="hint">Account Settings</p>
<h1>Qualtrics IDs</h1>
${identityBox(v)}
${apiBox(request, v, error)}`,
  });
}

function confirmPage(request: FastifyRequest, v: AccountView): Html {
  return page({
    title: 'Generate a new API token?',
    actor: v.actor,
    csrfToken: request.csrfToken,
    current: IDS,
    body: html`<h1>Generate a new API token?</h1>
<div class="warning" id="regenerate-warning"><p>${REGENERATE_WARNING}</p>
<p>Your current token was created ${when(v.user.tokenCreatedAt, v.timeZone, 'earlier')}.</p></div>
<form method="post" action="/account/token" class="actions">
  ${tokenFields(request, v.user)}
  <input type="hidden" name="confirm" value="1">
  <button type="submit" class="danger" id="confirm-generate">Generate new token</button>
  <a class="button secondary" href="${IDS}">Cancel</a>
</form>`,
  });
}

function tokenPage(request: FastifyRequest, actor: Actor, token: string): Html {
  return page({
    title: 'Your new API token',
    actor,
    csrfToken: request.csrfToken,
    current: IDS,
    body: html`<h1>Your new API token</h1>
<p>Use it as the <code>Token</code> parameter with the username <code>${actor.username}</code>.</p>
<code class="token" id="api-token">${token}</code>
<div class="actions">
  <button type="button" id="copy-token" data-copy-target="api-token" data-copy-status="copy-status" data-copy-what="Token" hidden>Copy token</button>
  <a class="button secondary" href="${IDS}">Back to Qualtrics IDs</a>
</div>
<p id="copy-status" role="status" aria-live="polite"></p>
<p class="notice">Copy the token now and keep it somewhere safe: it will not be shown again. If you lose it, generate a new one.</p>
<script src="/assets/copy.js" defer></script>`,
  });
}

interface TokenForm {
  confirm?: string;
  current?: string;
}

/**
 * Issues the token only when the user has seen what it replaces: no token yet, or a confirmation
 * naming the token that is current now. A replayed form (reload, double click) names a token that
 * has since been replaced, so it is asked to confirm again instead of silently issuing another.
 */
async function tokenPost(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor) {
  const form = (request.body ?? {}) as TokenForm;
  const v = await loadView(services, actor);
  if (!actor.permissions.accessApi) return send(reply, 403, idsPage(request, v, new ServiceError('NoApiAccess').message));
  const existing = v.user.tokenCreatedAt;
  const confirmed = form.confirm === '1' && form.current === String(existing);
  if (existing !== null && !confirmed) return send(reply, 200, confirmPage(request, v));
  try {
    return send(reply, 200, tokenPage(request, actor, await services.accounts.generateToken(actor)));
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    return send(reply, err.kind === 'NoApiAccess' ? 403 : 400, idsPage(request, v, err.message));
  }
}

export async function accountPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/account', async (_req, reply) => reply.redirect(IDS, 303));

  app.get(IDS, async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    return send(reply, 200, idsPage(request, await loadView(services, actor)));
  });

  // Signing in again after a session ended mid-form lands here; the token is only ever issued by POST.
  app.get('/account/token', async (_req, reply) => reply.redirect(IDS, 303));

  app.post('/account/token', async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    return tokenPost(services, request, reply, actor);
  });
}

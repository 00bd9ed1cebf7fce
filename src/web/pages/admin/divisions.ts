import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../../services/actor.ts';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { html } from '../../html.ts';
import { ADMIN_CSS_LINK, adminOf, asServiceError, csrf, errorSummary, field, formStatus, notice, sendPage, timeZone, when } from './common.ts';
import { textInput } from './forms.ts';

const SECTION = '/admin/divisions';

async function render(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor, status: number, name: string, error?: ServiceError): Promise<FastifyReply> {
  const [divisions, users, tz] = await Promise.all([services.accounts.listDivisions(actor), services.accounts.listUsers(actor), timeZone(services, actor.brandId)]);
  const done = (request.query as Record<string, string | undefined>).done;
  const count = (id: string) => users.filter((u) => u.divisionId === id).length;
  const table = divisions.length === 0
    ? html`<p>There are no divisions yet.</p>`
    : html`<div class="table-wrap"><table>
      <caption>Divisions of your brand (${divisions.length})</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Division ID</th><th scope="col">Users</th><th scope="col">Created</th></tr></thead>
      <tbody>${divisions.map((d) => html`<tr><th scope="row">${d.name}</th><td><code>${d.id}</code></td><td>${count(d.id)}</td><td>${when(d.created_at, tz)}</td></tr>`)}</tbody>
    </table></div>`;
  return sendPage(request, reply, status, 'Divisions', SECTION, html`${ADMIN_CSS_LINK}
    <h1>Divisions</h1>
    <p>Divisions organise the users of your brand. Place a user in a division on the user’s page.</p>
    ${notice(done === 'created' ? 'The division was created.' : undefined)}
    ${table}
    <section aria-labelledby="create-heading" class="panel">
      <h2 id="create-heading">Create division</h2>
      <form method="post" action="${SECTION}" novalidate>
        ${errorSummary(error)}
        ${csrf(request.csrfToken)}
        ${textInput('f-name', 'name', 'Name', name, { required: true, autocomplete: 'off' })}
        <div class="actions"><button type="submit">Create division</button></div>
      </form>
    </section>`);
}

export async function divisionPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get(SECTION, async (request, reply) => {
    const actor = adminOf(request, reply);
    if (!actor) return reply;
    return render(services, request, reply, actor, 200, '');
  });

  app.post(SECTION, async (request, reply) => {
    const actor = adminOf(request, reply);
    if (!actor) return reply;
    const name = field(request.body, 'name');
    try {
      await services.accounts.createDivision(actor, name);
      return reply.redirect(`${SECTION}?done=created`, 303);
    } catch (e) {
      const error = asServiceError(e);
      return render(services, request, reply, actor, formStatus(error), name, error);
    }
  });
}

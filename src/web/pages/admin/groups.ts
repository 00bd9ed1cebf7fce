import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { UserView } from '../../../services/accounts.ts';
import type { Actor } from '../../../services/actor.ts';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { DivisionRow, GroupRow } from '../../../store/accounts.ts';
import { html, type Html } from '../../html.ts';
import { ADMIN_CSS_LINK, adminOf, asServiceError, csrf, errorSummary, field, formStatus, notice, sendPage } from './common.ts';
import { divisionSelect, option, textInput } from './forms.ts';

const SECTION = '/admin/groups';

type Group = GroupRow & { members: UserView[] };

interface View {
  status: number;
  name: string;
  divisionId: string;
  /** A refused create goes with its form; a refused membership change is shown at the top. */
  createError?: ServiceError;
  memberError?: ServiceError;
}

const DONE: Record<string, string> = {
  created: 'The group was created, with its group library.',
  added: 'The user was added to the group.',
  removed: 'The user was removed from the group.',
};

function memberRow(csrfToken: string, group: Group, m: UserView): Html {
  return html`<tr><th scope="row"><a href="/admin/users/${m.id}">${m.username}</a></th><td>${m.firstName} ${m.lastName}</td>
    <td><form method="post" action="${SECTION}/${group.id}/members/remove">${csrf(csrfToken)}<input type="hidden" name="userId" value="${m.id}">
    <button type="submit" class="secondary small" aria-label="Remove ${m.username} from ${group.name}">Remove</button></form></td></tr>`;
}

function addMemberForm(csrfToken: string, group: Group, users: UserView[]): Html {
  const candidates = users.filter((u) => !group.members.some((m) => m.id === u.id));
  if (candidates.length === 0) return html`<p class="hint">Every user of the brand is in this group.</p>`;
  const selectId = `add-${group.id}`;
  return html`<form method="post" action="${SECTION}/${group.id}/members" class="inline-form">${csrf(csrfToken)}
    <label for="${selectId}">Add a user to ${group.name}</label>
    <select id="${selectId}" name="userId">${candidates.map((u) => option(u.id, `${u.username} (${u.firstName} ${u.lastName})`, ''))}</select>
    <button type="submit">Add to group</button></form>`;
}

function groupSection(csrfToken: string, group: Group, users: UserView[], divisions: DivisionRow[]): Html {
  const division = group.division_id ? (divisions.find((d) => d.id === group.division_id)?.name ?? group.division_id) : 'No division';
  const members = group.members.length === 0
    ? html`<p>No members yet.</p>`
    : html`<div class="table-wrap"><table><caption>Members of ${group.name} (${group.members.length})</caption>
      <thead><tr><th scope="col">Username</th><th scope="col">Name</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${group.members.map((m) => memberRow(csrfToken, group, m))}</tbody></table></div>`;
  return html`<section class="panel" aria-labelledby="h-${group.id}">
    <h2 id="h-${group.id}">${group.name}</h2>
    <dl class="ids"><dt>Group ID (library ID)</dt><dd>${group.id}</dd><dt>Division</dt><dd>${division}</dd></dl>
    ${members}
    ${addMemberForm(csrfToken, group, users)}
  </section>`;
}

async function render(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor, v: View): Promise<FastifyReply> {
  const [groups, users, divisions] = await Promise.all([services.accounts.listGroups(actor), services.accounts.listUsers(actor), services.accounts.listDivisions(actor)]);
  const done = (request.query as Record<string, string | undefined>).done;
  const token = request.csrfToken;
  return sendPage(request, reply, v.status, 'Groups', SECTION, html`${ADMIN_CSS_LINK}
    <h1>Groups</h1>
    <p>Each group has a shared library; its members can use the group’s panels, messages and graphics.</p>
    ${notice(done ? DONE[done] : undefined)}
    ${errorSummary(v.memberError)}
    ${groups.length === 0 ? html`<p>There are no groups yet.</p>` : groups.map((g) => groupSection(token, g, users, divisions))}
    <section aria-labelledby="create-heading" class="panel">
      <h2 id="create-heading">Create group</h2>
      <form method="post" action="${SECTION}" novalidate>
        ${errorSummary(v.createError)}
        ${csrf(token)}
        ${textInput('f-name', 'name', 'Name', v.name, { required: true, autocomplete: 'off' })}
        ${divisionSelect('f-division', 'divisionId', divisions, v.divisionId)}
        <div class="actions"><button type="submit">Create group</button></div>
      </form>
    </section>`);
}

type Change = (actor: Actor, groupId: string, userId: string) => Promise<void>;

function membership(services: Services, change: Change, done: string) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = adminOf(request, reply);
    if (!actor) return reply;
    const { id } = request.params as { id: string };
    try {
      await change(actor, id, field(request.body, 'userId'));
      return reply.redirect(`${SECTION}?done=${done}`, 303);
    } catch (e) {
      const error = asServiceError(e);
      return render(services, request, reply, actor, { status: formStatus(error), name: '', divisionId: '', memberError: error });
    }
  };
}

export async function groupPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get(SECTION, async (request, reply) => {
    const actor = adminOf(request, reply);
    if (!actor) return reply;
    return render(services, request, reply, actor, { status: 200, name: '', divisionId: '' });
  });

  app.post(SECTION, async (request, reply) => {
    const actor = adminOf(request, reply);
    if (!actor) return reply;
    const name = field(request.body, 'name');
    const divisionId = field(request.body, 'divisionId');
    try {
      await services.accounts.createGroup(actor, name, divisionId || undefined);
      return reply.redirect(`${SECTION}?done=created`, 303);
    } catch (e) {
      const error = asServiceError(e);
      return render(services, request, reply, actor, { status: formStatus(error), name, divisionId, createError: error });
    }
  });

  app.post(`${SECTION}/:id/members`, membership(services, (a, g, u) => services.accounts.addUserToGroup(a, g, u), 'added'));
  app.post(`${SECTION}/:id/members/remove`, membership(services, (a, g, u) => services.accounts.removeUserFromGroup(a, g, u), 'removed'));
}

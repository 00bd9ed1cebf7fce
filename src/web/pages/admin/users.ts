import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { defaultPermissions, type PermissionSet } from '../../../domain/accounts.ts';
import type { UserView } from '../../../services/accounts.ts';
import type { Actor } from '../../../services/actor.ts';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { DivisionRow } from '../../../store/accounts.ts';
import { html, type Html } from '../../html.ts';
import { ADMIN_CSS_LINK, adminOf, asServiceError, csrf, errorSummary, field, formStatus, notice, sendPage, timeZone, when } from './common.ts';
import { divisionSelect, permissionFieldset, profileValues, textInput, typeSelect } from './forms.ts';
import { userEditPages } from './user-edit.ts';

const SECTION = '/admin/users';

interface CreateValues {
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  typeId: string;
  divisionId: string;
  language: string;
  permissions: PermissionSet;
}

const EMPTY: CreateValues = {
  username: '',
  firstName: '',
  lastName: '',
  email: '',
  typeId: 'UT_STANDARD',
  divisionId: '',
  language: 'EN',
  permissions: defaultPermissions('UT_STANDARD', false),
};

const DONE: Record<string, string> = { deleted: 'The user was deleted.' };

function divisionName(divisions: DivisionRow[], id: string | null): string {
  return id === null ? '—' : (divisions.find((d) => d.id === id)?.name ?? id);
}

function userRow(u: UserView, divisions: DivisionRow[], tz: string): Html {
  return html`<tr>
    <th scope="row"><a href="/admin/users/${u.id}">${u.username}</a></th>
    <td>${u.firstName} ${u.lastName}</td>
    <td>${u.email}</td>
    <td>${u.typeName}</td>
    <td>${divisionName(divisions, u.divisionId)}</td>
    <td><span class="status status-${u.status.toLowerCase()}">${u.status}</span></td>
    <td>${u.permissions.accessApi ? 'Yes' : 'No'}</td>
    <td>${u.tokenCreatedAt === null ? 'No token' : when(u.tokenCreatedAt, tz)}</td>
    <td>${u.tokenCreatedAt === null ? '—' : when(u.tokenLastUsedAt, tz)}</td>
    <td><a href="/admin/users/${u.id}" aria-label="Edit ${u.username}">Edit</a></td>
  </tr>`;
}

function usersTable(users: UserView[], divisions: DivisionRow[], tz: string): Html {
  return html`<div class="table-wrap"><table class="wide">
    <caption>Users of your brand (${users.length})</caption>
    <thead><tr><th scope="col">Username</th><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col">Type</th><th scope="col">Division</th><th scope="col">Status</th><th scope="col">API access</th><th scope="col">Token created</th><th scope="col">Token last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${users.map((u) => userRow(u, divisions, tz))}</tbody>
  </table></div>`;
}

function createForm(csrfToken: string, divisions: DivisionRow[], v: CreateValues, error: ServiceError | undefined): Html {
  return html`<section aria-labelledby="create-heading" class="panel">
    <h2 id="create-heading">Create user</h2>
    <form method="post" action="/admin/users" novalidate>
      ${errorSummary(error)}
      ${csrf(csrfToken)}
      ${textInput('f-username', 'username', 'Username', v.username, { required: true, autocomplete: 'off', hint: 'For example ann; it becomes ann#yourbrand.' })}
      ${textInput('f-first', 'firstName', 'First name', v.firstName, { required: true, autocomplete: 'off' })}
      ${textInput('f-last', 'lastName', 'Last name', v.lastName, { required: true, autocomplete: 'off' })}
      ${textInput('f-email', 'email', 'E-mail address', v.email, { type: 'email', required: true, autocomplete: 'off' })}
      ${textInput('f-password', 'password', 'Password', '', { type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 8 characters. Tell the user in person or by a separate channel.' })}
      ${typeSelect('f-type', v.typeId)}
      ${divisionSelect('f-division', 'divisionId', divisions, v.divisionId)}
      ${textInput('f-language', 'language', 'Language', v.language, { autocomplete: 'off', hint: 'A language code such as EN; EN when empty.' })}
      ${permissionFieldset('create', v.permissions)}
      <div class="actions"><button type="submit">Create user</button></div>
    </form>
  </section>`;
}

async function renderList(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor, status: number, v: CreateValues, error?: ServiceError): Promise<FastifyReply> {
  const [users, divisions, tz] = await Promise.all([services.accounts.listUsers(actor), services.accounts.listDivisions(actor), timeZone(services, actor.brandId)]);
  const done = (request.query as Record<string, string | undefined>).done;
  return sendPage(request, reply, status, 'Users', SECTION, html`${ADMIN_CSS_LINK}
    <h1>Users</h1>
    ${notice(done ? DONE[done] : undefined)}
    ${usersTable(users, divisions, tz)}
    ${createForm(request.csrfToken, divisions, v, error)}`);
}

function createValues(body: unknown): CreateValues {
  return {
    username: field(body, 'username'),
    ...profileValues(body),
  };
}

export async function userPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get(SECTION, async (request, reply) => {
    const actor = adminOf(request, reply);
    if (!actor) return reply;
    return renderList(services, request, reply, actor, 200, EMPTY);
  });

  app.post(SECTION, async (request, reply) => {
    const actor = adminOf(request, reply);
    if (!actor) return reply;
    const v = createValues(request.body);
    try {
      const user = await services.accounts.createUser(actor, actor.brandId, {
        username: v.username,
        password: field(request.body, 'password'),
        firstName: v.firstName,
        lastName: v.lastName,
        email: v.email,
        typeId: v.typeId,
        divisionId: v.divisionId || undefined,
        language: v.language || undefined,
        permissions: v.permissions,
      });
      return reply.redirect(`/admin/users/${user.id}?done=created`, 303);
    } catch (e) {
      const error = asServiceError(e);
      return renderList(services, request, reply, actor, formStatus(error), v, error);
    }
  });

  await userEditPages(app, services);
}

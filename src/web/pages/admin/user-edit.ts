import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PermissionSet } from '../../../domain/accounts.ts';
import type { UserView } from '../../../services/accounts.ts';
import type { Actor } from '../../../services/actor.ts';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { DivisionRow } from '../../../store/accounts.ts';
import { html, type Html } from '../../html.ts';
import { ADMIN_CSS_LINK, adminOf, asServiceError, csrf, errorSummary, field, formStatus, notFoundPage, notice, sendPage, timeZone, when } from './common.ts';
import { divisionSelect, permissionFieldset, profileValues, textInput, typeSelect } from './forms.ts';

const SECTION = '/admin/users';

interface EditValues {
  firstName: string;
  lastName: string;
  email: string;
  typeId: string;
  divisionId: string | null;
  language: string;
  status: string;
  permissions: PermissionSet;
}

const DONE: Record<string, string> = {
  created: 'The user was created.',
  saved: 'Your changes were saved.',
  disabled: 'The account is disabled: the user cannot sign in or use the API, and their sessions have ended.',
  enabled: 'The account is active again.',
};

interface Ctx {
  services: Services;
  request: FastifyRequest;
  reply: FastifyReply;
  actor: Actor;
}

const valuesOf = (u: UserView): EditValues => ({
  firstName: u.firstName,
  lastName: u.lastName,
  email: u.email,
  typeId: u.typeId,
  divisionId: u.divisionId,
  language: u.language,
  status: u.status,
  permissions: u.permissions,
});

function statusFieldset(status: string): Html {
  const radio = (value: string, label: string) =>
    html`<div class="check"><input type="radio" id="f-status-${value.toLowerCase()}" name="status" value="${value}"${status === value ? html` checked` : ''}>
      <label for="f-status-${value.toLowerCase()}">${label}</label></div>`;
  return html`<fieldset><legend>Status</legend>${radio('Active', 'Active')}${radio('Disabled', 'Disabled (cannot sign in or use the API)')}</fieldset>`;
}

function editForm(csrfToken: string, user: UserView, divisions: DivisionRow[], v: EditValues, error: ServiceError | undefined): Html {
  return html`<section aria-labelledby="edit-heading" class="panel">
    <h2 id="edit-heading">Account details</h2>
    <form method="post" action="/admin/users/${user.id}" novalidate>
      ${errorSummary(error)}
      ${csrf(csrfToken)}
      ${textInput('f-first', 'firstName', 'First name', v.firstName, { required: true, autocomplete: 'off' })}
      ${textInput('f-last', 'lastName', 'Last name', v.lastName, { required: true, autocomplete: 'off' })}
      ${textInput('f-email', 'email', 'E-mail address', v.email, { type: 'email', required: true, autocomplete: 'off' })}
      ${typeSelect('f-type', v.typeId)}
      ${divisionSelect('f-division', 'divisionId', divisions, v.divisionId)}
      ${textInput('f-language', 'language', 'Language', v.language, { required: true, autocomplete: 'off', hint: 'A language code such as EN or PT-BR.' })}
      ${permissionFieldset('edit', v.permissions)}
      ${statusFieldset(v.status)}
      ${textInput('f-password', 'password', 'New password', '', { type: 'password', autocomplete: 'new-password', hint: 'Leave empty to keep the current password. At least 8 characters; setting one ends the user’s web sessions.' })}
      <div class="actions"><button type="submit">Save changes</button> <a class="button secondary" href="${SECTION}">Cancel</a></div>
    </form>
  </section>`;
}

function statusForm(csrfToken: string, user: UserView): Html {
  const next = user.status === 'Active' ? 'Disabled' : 'Active';
  return html`<form method="post" action="/admin/users/${user.id}/status">${csrf(csrfToken)}<input type="hidden" name="status" value="${next}">
    <button type="submit" class="secondary">${next === 'Disabled' ? 'Disable account' : 'Enable account'}</button></form>`;
}

function tokenSection(csrfToken: string, user: UserView, tz: string): Html {
  const action = user.permissions.accessApi
    ? html`<form method="post" action="/admin/users/${user.id}/token">${csrf(csrfToken)}<button type="submit" class="secondary">Generate token</button></form>
      ${user.tokenCreatedAt !== null ? html`<p class="hint">Generating a new token revokes the current one immediately.</p>` : ''}`
    : html`<p>This user does not have the “Use the API” permission, so no token can be generated. Grant the permission above first.</p>`;
  return html`<section aria-labelledby="token-heading" class="panel">
    <h2 id="token-heading">API token</h2>
    <dl class="ids"><dt>Created</dt><dd>${user.tokenCreatedAt === null ? 'No token' : when(user.tokenCreatedAt, tz)}</dd>
    <dt>Last used</dt><dd>${user.tokenCreatedAt === null ? '—' : when(user.tokenLastUsedAt, tz)}</dd></dl>
    ${action}
  </section>`;
}

function dangerSection(csrfToken: string, user: UserView): Html {
  return html`<section aria-labelledby="danger-heading" class="panel">
    <h2 id="danger-heading">Disable or delete</h2>
    <div class="actions">${statusForm(csrfToken, user)}
    <form method="post" action="/admin/users/${user.id}/delete">${csrf(csrfToken)}<button type="submit" class="danger">Delete user…</button></form></div>
  </section>`;
}

async function renderEdit(c: Ctx, user: UserView, status: number, v: EditValues, error?: ServiceError, sectionError?: ServiceError): Promise<FastifyReply> {
  const [divisions, tz] = await Promise.all([c.services.accounts.listDivisions(c.actor), timeZone(c.services, c.actor.brandId)]);
  const done = (c.request.query as Record<string, string | undefined>).done;
  return sendPage(c.request, c.reply, status, `Edit ${user.username}`, SECTION, html`${ADMIN_CSS_LINK}
    <p><a href="${SECTION}">← All users</a></p>
    <h1>Edit ${user.username}</h1>
    ${notice(done ? DONE[done] : undefined)}
    ${errorSummary(sectionError)}
    <dl class="ids"><dt>User ID</dt><dd>${user.id}</dd><dt>Status</dt><dd>${user.status}</dd><dt>Created</dt><dd>${when(user.createdAt, tz)}</dd></dl>
    ${editForm(c.request.csrfToken, user, divisions, v, error)}
    ${tokenSection(c.request.csrfToken, user, tz)}
    ${dangerSection(c.request.csrfToken, user)}`);
}

function editValues(body: unknown): EditValues {
  return {
    ...profileValues(body),
    status: field(body, 'status'),
  };
}

/** Loads the user named in the URL; a user of another brand (or none) is a 404 page. */
async function load(c: Ctx): Promise<UserView | undefined> {
  const { id } = c.request.params as { id: string };
  try {
    return await c.services.accounts.getUser(c.actor, id);
  } catch (e) {
    if (asServiceError(e).kind !== 'NotFound') throw e;
    notFoundPage(c.request, c.reply, SECTION, 'user');
    return undefined;
  }
}

type Action = (c: Ctx, user: UserView) => Promise<FastifyReply>;

/** Every /admin/users/:id route: admin check, load the user, run; a refused change shows the edit page with the error. */
function route(services: Services, action: Action) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = adminOf(request, reply);
    if (!actor) return reply;
    const c: Ctx = { services, request, reply, actor };
    const user = await load(c);
    if (!user) return reply;
    try {
      return await action(c, user);
    } catch (e) {
      const error = asServiceError(e);
      if (error.kind === 'NotFound') return notFoundPage(request, reply, SECTION, 'user');
      return renderEdit(c, user, formStatus(error), valuesOf(user), undefined, error);
    }
  };
}

const save: Action = async (c, user) => {
  const v = editValues(c.request.body);
  const password = field(c.request.body, 'password');
  try {
    await c.services.accounts.updateUser(c.actor, user.id, {
      firstName: v.firstName,
      lastName: v.lastName,
      email: v.email,
      // An absent field keeps its value (never "reset to standard", which would demote an admin).
      typeId: v.typeId || undefined,
      divisionId: v.divisionId,
      language: v.language,
      status: v.status || undefined,
      permissions: v.permissions,
      password: password === '' ? undefined : password,
    });
  } catch (e) {
    const error = asServiceError(e);
    if (error.kind === 'NotFound') throw error;
    return renderEdit(c, user, formStatus(error), v, error);
  }
  return c.reply.redirect(`${SECTION}/${user.id}?done=saved`, 303);
};

const setStatus: Action = async (c, user) => {
  const status = field(c.request.body, 'status');
  await c.services.accounts.updateUser(c.actor, user.id, { status });
  return c.reply.redirect(`${SECTION}/${user.id}?done=${status === 'Disabled' ? 'disabled' : 'enabled'}`, 303);
};

function confirmPage(c: Ctx, title: string, action: string, body: Html, button: string, danger: boolean): FastifyReply {
  return sendPage(c.request, c.reply, 200, title, SECTION, html`${ADMIN_CSS_LINK}
    <h1>${title}</h1>
    ${body}
    <form method="post" action="${action}" class="actions">${csrf(c.request.csrfToken)}<input type="hidden" name="confirm" value="1">
      <button type="submit"${danger ? html` class="danger"` : ''}>${button}</button>
      <a class="button secondary" href="${action.replace(/\/(delete|token)$/, '')}">Cancel</a></form>`);
}

const remove: Action = async (c, user) => {
  if (field(c.request.body, 'confirm') !== '1') {
    return confirmPage(c, `Delete ${user.username}?`, `${SECTION}/${user.id}/delete`,
      html`<div class="warning"><p>Deleting <strong>${user.firstName} ${user.lastName}</strong> (${user.username}) cannot be undone. Their API token stops working at once.</p>
      <p>To keep the account but stop its use, disable it instead.</p></div>`, 'Delete user', true);
  }
  await c.services.accounts.deleteUser(c.actor, user.id);
  return c.reply.redirect(`${SECTION}?done=deleted`, 303);
};

const token: Action = async (c, user) => {
  if (user.tokenCreatedAt !== null && field(c.request.body, 'confirm') !== '1') {
    const tz = await timeZone(c.services, c.actor.brandId);
    return confirmPage(c, `Generate a new token for ${user.username}?`, `${SECTION}/${user.id}/token`,
      html`<div class="warning"><p>This user already has a token (created ${when(user.tokenCreatedAt, tz)}). Generating a new one <strong>revokes the current token immediately</strong>: existing integrations that use it will be interrupted until they are given the new token.</p></div>`,
      'Generate new token', true);
  }
  const value = await c.services.accounts.generateToken(c.actor, user.id);
  return sendPage(c.request, c.reply, 200, `New token for ${user.username}`, SECTION, html`${ADMIN_CSS_LINK}
    <h1>New API token for ${user.username}</h1>
    <p>Copy the token now and give it to the user by a safe channel. <strong>It will not be shown again</strong>: only a hash of it is stored.</p>
    <p><label for="new-token">Token</label><input type="text" id="new-token" class="token" readonly value="${value}"></p>
    <div class="warning"><p>Any token this user had before was revoked immediately: integrations that used it stop working now.</p></div>
    <p><a href="${SECTION}/${user.id}">Back to ${user.username}</a></p>`);
};

export async function userEditPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get(`${SECTION}/:id`, route(services, (c, user) => renderEdit(c, user, 200, valuesOf(user))));
  app.post(`${SECTION}/:id`, route(services, save));
  app.post(`${SECTION}/:id/status`, route(services, setStatus));
  app.post(`${SECTION}/:id/delete`, route(services, remove));
  app.post(`${SECTION}/:id/token`, route(services, token));
}

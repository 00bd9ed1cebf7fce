import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RecipientFields } from '../../../domain/recipients.ts';
import type { RecipientView } from '../../../services/panels.ts';
import type { Actor } from '../../../services/actor.ts';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { html, type Html } from '../../html.ts';
import { about, asServiceError, checked, csrf, errorSummary, field, formStatus, isMissing, notFoundPage, notice, option, panelUrl, query, SECTION, sendPage, textInput } from './common.ts';
import type { PanelView } from './load.ts';
import { withPanel } from './panels.ts';

export const PAGE_SIZE = 50;
/** Empty embedded-data rows offered below the existing ones. */
const SPARE_ED_ROWS = 3;
/** The most embedded-data rows a form is read for (the domain allows 200 keys). */
const MAX_ED_ROWS = 250;

type MemberView = RecipientView;

type Filter = 'all' | 'subscribed' | 'unsubscribed';

const DONE: Record<string, string> = {
  created: 'The panel was created. Add members one by one or import a CSV file.',
  added: 'The member was added.',
  updated: 'The member was updated.',
  removed: 'The member was removed from the panel.',
};

function filterOf(value: string | undefined): Filter {
  return value === 'subscribed' || value === 'unsubscribed' ? value : 'all';
}

function listUrl(p: PanelView, params: Record<string, string>): string {
  const qs = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '' && v !== 'all')).toString();
  return panelUrl(p.libraryId, p.id) + (qs ? `?${qs}` : '');
}

function edList(ed: Record<string, string>): Html {
  const entries = Object.entries(ed);
  if (entries.length === 0) return html``;
  return html`<ul class="ed-list">${entries.map(([k, v]) => html`<li><span class="visually-hidden">Embedded data </span>${k}: ${v}</li>`)}</ul>`;
}

function memberRow(p: PanelView, m: MemberView): Html {
  const url = `${panelUrl(p.libraryId, p.id)}/members/${m.id}`;
  const who = m.email ?? m.id;
  return html`<tr><th scope="row">${m.email ?? html`<span class="hint">No e-mail</span>`}</th><td>${m.firstName}</td><td>${m.lastName}</td>
    <td>${m.externalRef}</td><td>${m.language}</td>
    <td>${m.unsubscribed ? html`<span class="status-unsubscribed">Unsubscribed</span>` : 'Subscribed'}</td><td>${edList(m.embeddedData)}</td>
    <td><div class="row-actions"><a href="${url}" aria-label="Edit ${who}">Edit</a><a href="${url}/remove" aria-label="Remove ${who}">Remove</a></div></td></tr>`;
}

function searchForm(p: PanelView, q: string, filter: Filter): Html {
  return html`<form method="get" action="${panelUrl(p.libraryId, p.id)}" class="search-form" role="search" aria-label="Search members">
    <div><label for="f-q">Search by name, e-mail or reference</label><input type="text" id="f-q" name="q" value="${q}" autocomplete="off"></div>
    <div><label for="f-status">Show</label><select id="f-status" name="status">${option('all', 'All members', filter)}${option('subscribed', 'Subscribed only', filter)}${option('unsubscribed', 'Unsubscribed only', filter)}</select></div>
    <div><button type="submit">Search</button></div>
  </form>`;
}

async function membersPage(services: Services, actor: Actor, p: PanelView, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const qs = query(request);
  const q = (qs.q ?? '').trim();
  const filter = filterOf(qs.status);
  const after = qs.after && /^MLRP_[0-9A-Za-z]{15}$/.test(qs.after) ? qs.after : undefined;
  let page: { members: MemberView[]; nextAfterId: string | undefined };
  try {
    page = await services.panels.membersPage(actor, p.libraryId, p.id, { afterId: after, limit: PAGE_SIZE, search: q || undefined, subscribed: filter === 'subscribed', unsubscribed: filter === 'unsubscribed' });
  } catch (e) {
    // A stale ?after= (that member was removed) starts again from the first page.
    if (isMissing(e) && after) return reply.redirect(listUrl(p, { q, status: filter }), 303);
    throw e;
  }
  const shown = page.members;
  const filtered = q !== '' || filter !== 'all';
  const matching = filtered ? await services.panels.memberCount(actor, p.libraryId, p.id, { search: q || undefined, subscribed: filter === 'subscribed', unsubscribed: filter === 'unsubscribed' }) : p.memberCount;
  const url = panelUrl(p.libraryId, p.id);
  const caption = `${filtered ? `${matching} ${matching === 1 ? 'member matches' : 'members match'} your search` : `${matching} members`}${after ? ' (continued)' : ''}`;
  const table = shown.length === 0
    ? html`<p>${filtered ? 'No members match your search.' : after ? 'There are no more members.' : 'This panel has no members yet.'}</p>`
    : html`<div class="table-wrap"><table class="wide"><caption>${caption}</caption>
      <thead><tr><th scope="col">E-mail</th><th scope="col">First name</th><th scope="col">Last name</th><th scope="col">External reference</th><th scope="col">Language</th><th scope="col">Status</th><th scope="col">Embedded data</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${shown.map((m) => memberRow(p, m))}</tbody></table></div>`;
  const pager = html`<nav class="pager" aria-label="Pages of members">
    ${after ? html`<a href="${listUrl(p, { q, status: filter })}">First page</a>` : ''}
    ${page.nextAfterId ? html`<a href="${listUrl(p, { q, status: filter, after: page.nextAfterId })}" rel="next">Next page</a>` : ''}
  </nav>`;
  const done = qs.done;
  return sendPage(request, reply, 200, p.name, html`<p><a href="${SECTION}">All panels</a></p>
    <h1>${p.name}</h1>
    ${notice(done ? DONE[done] : undefined)}
    <dl class="ids"><dt>Panel ID</dt><dd>${p.id}</dd><dt>Library ID</dt><dd>${p.libraryId}</dd><dt>Category</dt><dd>${p.category}</dd><dt>Members</dt><dd class="count">${p.memberCount}</dd></dl>
    <div class="actions"><a class="button" href="${url}/members/new">Add a member</a><a class="button secondary" href="${url}/import">Import CSV</a><a class="button secondary" href="${url}/export.csv">Export CSV</a><a class="button secondary" href="${url}/rename">Rename</a><a class="button secondary" href="${url}/delete">Delete panel</a></div>
    <p class="hint">The CSV export has one column per embedded-data field. Cells that start with = or @, or with + or - not followed by a number, get a leading apostrophe (') so that spreadsheets show them as text instead of running them as formulas.</p>
    ${searchForm(p, q, filter)}
    ${table}
    ${pager}`);
}

// ---- the member form ----

interface FormValues {
  email: string;
  firstName: string;
  lastName: string;
  externalRef: string;
  language: string;
  unsubscribed: boolean;
  ed: Array<[string, string]>;
}

const EMPTY: FormValues = { email: '', firstName: '', lastName: '', externalRef: '', language: '', unsubscribed: false, ed: [] };

function valuesOf(m: MemberView): FormValues {
  return {
    email: m.email ?? '',
    firstName: m.firstName ?? '',
    lastName: m.lastName ?? '',
    externalRef: m.externalRef ?? '',
    language: m.language ?? '',
    unsubscribed: m.unsubscribed,
    ed: Object.entries(m.embeddedData),
  };
}

/** The form as posted. Embedded data comes as numbered rows; a row with an empty name is dropped. */
function formValues(body: unknown): FormValues {
  const ed: Array<[string, string]> = [];
  for (let i = 0; i < MAX_ED_ROWS; i++) {
    const key = field(body, `ed${i}_key`);
    const value = field(body, `ed${i}_value`);
    if (key === '' && value === '' && (body as Record<string, unknown>)[`ed${i}_key`] === undefined) break;
    if (key.trim() !== '') ed.push([key.trim(), value]);
  }
  return {
    email: field(body, 'email'),
    firstName: field(body, 'firstName'),
    lastName: field(body, 'lastName'),
    externalRef: field(body, 'externalRef'),
    language: field(body, 'language'),
    unsubscribed: checked(body, 'unsubscribed'),
    ed,
  };
}

function edRows(ed: Array<[string, string]>): Html {
  const rows = [...ed, ...Array.from({ length: SPARE_ED_ROWS }, (): [string, string] => ['', ''])];
  return html`<fieldset>
    <legend>Embedded data</legend>
    <p class="hint" id="ed-hint">Extra fields for this member, used in messages as \${e://Field/Name}. Clear a row’s name to remove it; save to get more empty rows.</p>
    <table class="ed-rows"><thead><tr><th scope="col">Field name</th><th scope="col">Value</th></tr></thead><tbody>
    ${rows.map(
      ([k, v], i) => html`<tr><td><label class="visually-hidden" for="f-ed${i}-key">Field name ${i + 1}</label><input type="text" id="f-ed${i}-key" name="ed${i}_key" value="${k}" autocomplete="off" aria-describedby="ed-hint"></td>
      <td><label class="visually-hidden" for="f-ed${i}-value">Value ${i + 1}</label><input type="text" id="f-ed${i}-value" name="ed${i}_value" value="${v}" autocomplete="off"></td></tr>`,
    )}
    </tbody></table>
  </fieldset>`;
}

function memberForm(request: FastifyRequest, reply: FastifyReply, p: PanelView, o: { status: number; memberId?: string; v: FormValues; error?: ServiceError }): FastifyReply {
  const url = panelUrl(p.libraryId, p.id);
  const action = o.memberId ? `${url}/members/${o.memberId}` : `${url}/members`;
  const title = o.memberId ? 'Edit member' : 'Add a member';
  const { v, error } = o;
  return sendPage(request, reply, o.status, `${title} · ${p.name}`, html`<p><a href="${url}">Back to ${p.name}</a></p>
    <h1>${title}</h1>
    ${o.memberId ? html`<dl class="ids"><dt>Recipient ID</dt><dd>${o.memberId}</dd></dl>` : ''}
    <form method="post" action="${action}" novalidate>
      ${errorSummary(error)}
      ${csrf(request.csrfToken)}
      ${textInput('f-email', 'email', 'E-mail address', v.email, { type: 'email', required: true, autocomplete: 'off', invalid: about(error, 'Email') })}
      ${textInput('f-first', 'firstName', 'First name', v.firstName, { invalid: about(error, 'FirstName') })}
      ${textInput('f-last', 'lastName', 'Last name', v.lastName, { invalid: about(error, 'LastName') })}
      ${textInput('f-ref', 'externalRef', 'External reference', v.externalRef, { hint: 'An ID from another system, such as a CRM record number.', invalid: about(error, 'ExternalRef', 'ExternalDataRef') })}
      ${textInput('f-language', 'language', 'Language', v.language, { hint: 'A language code such as EN or PT-BR.', invalid: about(error, 'Language') })}
      ${o.memberId
        ? html`<div class="check"><input type="checkbox" id="f-unsubscribed" name="unsubscribed" value="1"${v.unsubscribed ? html` checked` : ''}><label for="f-unsubscribed">Unsubscribed (receives no more invitations)</label></div>`
        : ''}
      ${edRows(v.ed)}
      <div class="actions"><button type="submit">${o.memberId ? 'Save changes' : 'Add member'}</button><a class="button secondary" href="${url}">Cancel</a></div>
    </form>`);
}

function fieldsOf(v: FormValues): RecipientFields {
  return {
    email: v.email,
    firstName: v.firstName,
    lastName: v.lastName,
    externalRef: v.externalRef,
    language: v.language,
    unsubscribed: v.unsubscribed,
    embeddedData: Object.fromEntries(v.ed),
  };
}

type MemberHandler = (actor: Actor, p: PanelView, m: MemberView, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

function withMember(services: Services, handler: MemberHandler) {
  return withPanel(services, async (actor, p, request, reply) => {
    const { memberId } = request.params as { memberId: string };
    let m: MemberView | null = null;
    try {
      m = await services.panels.getRecipient(actor, p.libraryId, memberId);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
    // The recipient must be in this panel, not just in this library.
    if (!m || m.panelId !== p.id) return notFoundPage(request, reply, 'member');
    return handler(actor, p, m, request, reply);
  });
}

function removeConfirm(request: FastifyRequest, reply: FastifyReply, p: PanelView, m: MemberView): FastifyReply {
  const url = panelUrl(p.libraryId, p.id);
  const who = m.email ?? m.id;
  return sendPage(request, reply, 200, `Remove ${who}?`, html`<h1>Remove ${who} from ${p.name}?</h1>
    <div class="confirm" id="remove-warning"><p>The member and their embedded data will be deleted from this panel. This cannot be undone.</p></div>
    <form method="post" action="${url}/members/${m.id}/remove">${csrf(request.csrfToken)}
      <div class="actions"><button type="submit" class="danger" aria-describedby="remove-warning">Remove member</button><a class="button secondary" href="${url}">Keep the member</a></div>
    </form>`);
}

export async function memberPages(app: FastifyInstance, services: Services): Promise<void> {
  const base = `${SECTION}/:libraryId/:panelId`;
  app.get(base, withPanel(services, async (actor, p, request, reply) => membersPage(services, actor, p, request, reply)));
  app.get(`${base}/members/new`, withPanel(services, async (_a, p, request, reply) => memberForm(request, reply, p, { status: 200, v: EMPTY })));
  app.post(
    `${base}/members`,
    withPanel(services, async (actor, p, request, reply) => {
      const v = formValues(request.body);
      try {
        await services.panels.addRecipient(actor, p.libraryId, p.id, fieldsOf(v));
        return reply.redirect(`${panelUrl(p.libraryId, p.id)}?done=added`, 303);
      } catch (e) {
        const error = asServiceError(e);
        return memberForm(request, reply, p, { status: formStatus(error), v, error });
      }
    }),
  );
  app.get(`${base}/members/:memberId`, withMember(services, async (_a, p, m, request, reply) => memberForm(request, reply, p, { status: 200, memberId: m.id, v: valuesOf(m) })));
  app.post(
    `${base}/members/:memberId`,
    withMember(services, async (actor, p, m, request, reply) => {
      const v = formValues(request.body);
      try {
        // The form shows every field, so it replaces them all, embedded data included.
        await services.panels.updateRecipient(actor, p.libraryId, m.id, { ...fieldsOf(v), replaceEmbeddedData: true });
        return reply.redirect(`${panelUrl(p.libraryId, p.id)}?done=updated`, 303);
      } catch (e) {
        const error = asServiceError(e);
        return memberForm(request, reply, p, { status: formStatus(error), memberId: m.id, v, error });
      }
    }),
  );
  app.get(`${base}/members/:memberId/remove`, withMember(services, async (_a, p, m, request, reply) => removeConfirm(request, reply, p, m)));
  app.post(
    `${base}/members/:memberId/remove`,
    withMember(services, async (actor, p, m, _request, reply) => {
      await services.panels.removeRecipient(actor, p.libraryId, p.id, m.id);
      return reply.redirect(`${panelUrl(p.libraryId, p.id)}?done=removed`, 303);
    }),
  );
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Library } from '../../../services/accounts.ts';
import type { Actor } from '../../../services/actor.ts';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { requireActor } from '../../session.ts';
import { html, type Html } from '../../html.ts';
import { about, asServiceError, csrf, errorSummary, field, formStatus, isMissing, notFoundPage, notice, option, panelUrl, query, SECTION, sendPage, textInput } from './common.ts';
import { loadPanel, type PanelView } from './load.ts';

interface View {
  status: number;
  libraryId: string;
  name: string;
  category: string;
  error?: ServiceError;
}

const DONE: Record<string, string> = {
  created: 'The panel was created.',
  renamed: 'The panel was renamed.',
  deleted: 'The panel and its members were deleted.',
};

function panelRow(lib: Library, p: PanelView): Html {
  const url = panelUrl(lib.id, p.id);
  return html`<tr><th scope="row"><a href="${url}">${p.name}</a></th><td>${p.category}</td><td class="count">${p.memberCount}</td>
    <td><div class="row-actions"><a href="${url}/rename" aria-label="Rename ${p.name}">Rename</a><a href="${url}/import" aria-label="Import into ${p.name}">Import</a><a href="${url}/export.csv" aria-label="Export ${p.name} as CSV">Export</a><a href="${url}/delete" aria-label="Delete ${p.name}">Delete</a></div></td></tr>`;
}

function librarySection(lib: Library, panels: PanelView[]): Html {
  const kind = lib.kind === 'user' ? 'Your library' : 'Group library';
  const table = panels.length === 0
    ? html`<p>No panels yet.</p>`
    : html`<div class="table-wrap"><table><caption>Panels in ${lib.name} (${panels.length})</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Category</th><th scope="col">Members</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${panels.map((p) => panelRow(lib, p))}</tbody></table></div>`;
  return html`<section class="library" aria-labelledby="h-${lib.id}">
    <h2 id="h-${lib.id}">${lib.name || kind}</h2>
    <dl class="ids"><dt>${kind} ID</dt><dd>${lib.id}</dd></dl>
    ${table}
    <p><a href="${SECTION}/${lib.id}/import">Import a CSV file into a new panel in ${lib.name || kind}</a></p>
  </section>`;
}

export function librarySelect(libraries: Library[], selected: string): Html {
  return html`<label for="f-library">Library</label>
    <select id="f-library" name="libraryId">${libraries.map((l) => option(l.id, `${l.name || l.id} (${l.kind === 'user' ? 'your library' : 'group'})`, selected))}</select>`;
}

async function render(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor, v: View): Promise<FastifyReply> {
  const libraries = await services.accounts.libraries(actor);
  const sections = await Promise.all(libraries.map(async (lib) => librarySection(lib, await services.panels.listPanels(actor, lib.id).then((ps) => Promise.all(ps.map((p) => panelView(services, actor, lib.id, p)))))));
  const done = query(request).done;
  const token = request.csrfToken;
  return sendPage(request, reply, v.status, 'Contacts', html`<h1>Contacts</h1>
    <p>Panels are the contact lists of your libraries: your own library and the libraries of your groups.</p>
    ${notice(done ? DONE[done] : undefined)}
    ${sections}
    <section aria-labelledby="create-heading" class="library">
      <h2 id="create-heading">Create panel</h2>
      <form method="post" action="${SECTION}" novalidate>
        ${errorSummary(v.error)}
        ${csrf(token)}
        ${librarySelect(libraries, v.libraryId)}
        ${textInput('f-name', 'name', 'Panel name', v.name, { required: true, invalid: about(v.error, 'Name') })}
        ${textInput('f-category', 'category', 'Category', v.category, { hint: 'Panels without a category are listed as “Unassigned”.', invalid: about(v.error, 'Category') })}
        <div class="actions"><button type="submit">Create panel</button></div>
      </form>
    </section>`);
}

async function panelView(services: Services, actor: Actor, libraryId: string, p: { id: string; name: string; category: string }): Promise<PanelView> {
  return { ...p, libraryId, memberCount: await services.panels.memberCount(actor, libraryId, p.id) };
}

function renameForm(request: FastifyRequest, reply: FastifyReply, p: PanelView, status: number, name: string, error?: ServiceError): FastifyReply {
  const url = panelUrl(p.libraryId, p.id);
  return sendPage(request, reply, status, `Rename ${p.name}`, html`<h1>Rename panel</h1>
    <p>Current name: <strong>${p.name}</strong></p>
    <form method="post" action="${url}/rename" novalidate>
      ${errorSummary(error)}
      ${csrf(request.csrfToken)}
      ${textInput('f-name', 'name', 'New name', name, { required: true, invalid: about(error, 'Name') })}
      <div class="actions"><button type="submit">Rename panel</button><a class="button secondary" href="${SECTION}">Cancel</a></div>
    </form>`);
}

function deleteConfirm(request: FastifyRequest, reply: FastifyReply, p: PanelView): FastifyReply {
  const url = panelUrl(p.libraryId, p.id);
  return sendPage(request, reply, 200, `Delete ${p.name}?`, html`<h1>Delete panel “${p.name}”?</h1>
    <div class="confirm" id="delete-warning"><p>The panel and all of its ${p.memberCount} members will be deleted. This cannot be undone.</p></div>
    <form method="post" action="${url}/delete">${csrf(request.csrfToken)}
      <div class="actions"><button type="submit" class="danger" aria-describedby="delete-warning">Delete panel</button><a class="button secondary" href="${SECTION}">Keep the panel</a></div>
    </form>`);
}

type Handler = (actor: Actor, p: PanelView, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** Routes under one panel: the panel must be in one of the actor's libraries, or the page is a 404. */
export function withPanel(services: Services, handler: Handler) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const { libraryId, panelId } = request.params as { libraryId: string; panelId: string };
    const p = await loadPanel(services, actor, libraryId, panelId);
    if (!p) return notFoundPage(request, reply);
    return handler(actor, p, request, reply);
  };
}

export async function panelPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get(SECTION, async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    return render(services, request, reply, actor, { status: 200, libraryId: query(request).library ?? actor.userId, name: '', category: '' });
  });

  app.post(SECTION, async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const v = { libraryId: field(request.body, 'libraryId'), name: field(request.body, 'name'), category: field(request.body, 'category') };
    try {
      const created = await services.panels.createPanel(actor, v.libraryId, v.name, v.category || undefined);
      return reply.redirect(`${panelUrl(v.libraryId, created.id)}?done=created`, 303);
    } catch (e) {
      const error = asServiceError(e);
      return render(services, request, reply, actor, { status: formStatus(error), ...v, error });
    }
  });

  app.get(`${SECTION}/:libraryId/:panelId/rename`, withPanel(services, async (_a, p, request, reply) => renameForm(request, reply, p, 200, p.name)));
  app.post(
    `${SECTION}/:libraryId/:panelId/rename`,
    withPanel(services, async (actor, p, request, reply) => {
      const name = field(request.body, 'name');
      try {
        await services.panels.renamePanel(actor, p.libraryId, p.id, name);
        return reply.redirect(`${SECTION}?done=renamed`, 303);
      } catch (e) {
        const error = asServiceError(e);
        if (isMissing(error)) return notFoundPage(request, reply);
        return renameForm(request, reply, p, formStatus(error), name, error);
      }
    }),
  );

  app.get(`${SECTION}/:libraryId/:panelId/delete`, withPanel(services, async (_a, p, request, reply) => deleteConfirm(request, reply, p)));
  app.post(
    `${SECTION}/:libraryId/:panelId/delete`,
    withPanel(services, async (actor, p, request, reply) => {
      try {
        await services.panels.deletePanel(actor, p.libraryId, p.id);
      } catch (e) {
        if (isMissing(asServiceError(e))) return notFoundPage(request, reply);
        throw e;
      }
      return reply.redirect(`${SECTION}?done=deleted`, 303);
    }),
  );
}

import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Library } from '../../services/accounts.ts';
import type { Actor } from '../../services/actor.ts';
import { ServiceError } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import { MESSAGE_CATEGORIES, type MessageSummary } from '../../services/messages.ts';
import { html, raw, type Html } from '../html.ts';
import { page } from '../layout.ts';
import { requireActor } from '../session.ts';
import { field } from '../forms.ts';
import { option, textInput } from './admin/forms.ts';

const MESSAGES_CSS = readFileSync(new URL('../assets/messages.css', import.meta.url));
const SECTION = '/messages';
const CSS_LINK = html`<link rel="stylesheet" href="/assets/admin.css"><link rel="stylesheet" href="/assets/messages.css">`;

const listUrl = (libraryId: string) => `/libraries/${encodeURIComponent(libraryId)}/messages`;
const messageUrl = (libraryId: string, messageId: string) => `${listUrl(libraryId)}/${encodeURIComponent(messageId)}`;

/** What the message form holds (as typed: a refused form is shown again with the user's values). */
interface Draft {
  category: string;
  name: string;
  language: string;
  body: string;
}

const EMPTY_DRAFT: Draft = { category: 'InviteEmails', name: '', language: 'EN', body: '' };

function draftFrom(body: unknown): Draft {
  return { category: field(body, 'category'), name: field(body, 'name'), language: field(body, 'language'), body: field(body, 'body') };
}

const DONE: Record<string, string> = {
  created: 'The message was created.',
  saved: 'Your changes were saved.',
  deleted: 'The message was deleted.',
};

/** Service parameter names → the form fields, so the error summary can link to the field at fault. */
const FIELD_OF: Record<string, { id: string; label: string; hint: string }> = {
  Category: { id: 'f-category', label: 'Category', hint: 'Choose one of the listed categories.' },
  Name: { id: 'f-name', label: 'Name', hint: 'Up to 255 characters, on one line.' },
  Language: { id: 'f-language', label: 'Language', hint: 'A language code such as EN or PT-BR.' },
  Message: { id: 'f-body', label: 'Message', hint: 'The message cannot be empty and can be at most 1 MB.' },
};

function errorSummary(error: ServiceError | undefined): Html {
  if (!error) return html``;
  const f = error.kind === 'InvalidParameter' && error.param ? FIELD_OF[error.param] : undefined;
  const message = f ? html`<a href="#${f.id}">${f.label}</a>: this value is missing or not valid. ${f.hint}` : html`${error.message}`;
  return html`<div class="error-summary" role="alert" tabindex="-1" id="error-summary">
    <h2>There is a problem</h2><p>${message}</p><p class="hint">Nothing was saved.</p></div>`;
}

function notice(done: string | undefined): Html {
  const text = done ? DONE[done] : undefined;
  return text ? html`<div class="notice" role="status"><p>${text}</p></div>` : html``;
}

const csrf = (token: string) => html`<input type="hidden" name="_csrf" value="${token}">`;

function send(request: FastifyRequest, reply: FastifyReply, status: number, title: string, body: Html): FastifyReply {
  return reply
    .code(status)
    .header('Cache-Control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(page({ title, actor: request.actor, csrfToken: request.csrfToken, current: SECTION, body: html`${CSS_LINK}${body}` }).toString());
}

/** A library the user cannot use and a message that is not in it look the same: not found. */
function isMissing(error: ServiceError): boolean {
  return error.kind === 'InvalidParameter' && (error.param === 'LibraryID' || error.param === 'MessageID');
}

function notFoundPage(request: FastifyRequest, reply: FastifyReply, error: ServiceError): FastifyReply {
  const what = error.param === 'MessageID' ? 'message in this library' : 'library you can use';
  return send(request, reply, 404, 'Not found', html`<h1>Not found</h1>
    <p>There is no ${what} with that ID.</p><p><a href="${SECTION}">Go to your messages</a></p>`);
}

function asServiceError(error: unknown): ServiceError {
  if (error instanceof ServiceError) return error;
  throw error;
}

function libraryName(libraries: Library[], libraryId: string): string {
  return libraries.find((l) => l.id === libraryId)?.name || libraryId;
}

function libraryPicker(libraries: Library[], current: string): Html {
  if (libraries.length < 2) return html``;
  return html`<nav class="libraries" aria-label="Libraries"><ul>
    ${libraries.map((l) => html`<li><a href="${listUrl(l.id)}"${l.id === current ? html` aria-current="page"` : ''}>${l.name || l.id}${l.kind === 'group' ? ' (group)' : ' (own library)'}</a></li>`)}
  </ul></nav>`;
}

function categoryList(libraryId: string, messages: MessageSummary[]): Html {
  return html`${MESSAGE_CATEGORIES.map((c) => {
    const inCategory = messages.filter((m) => m.category === c.name);
    const headingId = `cat-${c.name}`;
    const body = inCategory.length === 0
      ? html`<p>No messages.</p>`
      : html`<div class="table-wrap"><table>
        <caption class="visually-hidden">${c.label} (${inCategory.length})</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Language</th><th scope="col">Message ID</th></tr></thead>
        <tbody>${inCategory.map((m) => html`<tr><th scope="row"><a href="${messageUrl(libraryId, m.id)}">${m.name}</a></th><td>${m.language}</td><td><code>${m.id}</code></td></tr>`)}</tbody>
      </table></div>`;
    return html`<section class="category" aria-labelledby="${headingId}"><h2 id="${headingId}">${c.label} <span class="hint">(${inCategory.length})</span></h2>${body}</section>`;
  })}`;
}

const PIPED_HELP = html`<details><summary>Piped text you can use</summary><dl class="piped-help">
  <dt>\${l://SurveyURL}</dt><dd>The recipient’s survey address.</dd>
  <dt>\${l://SurveyLink?d=Take the survey}</dt><dd>A link to the survey with the text after <code>d=</code>.</dd>
  <dt>\${l://OptOutLink?d=Unsubscribe}</dt><dd>A link that unsubscribes the recipient.</dd>
  <dt>\${m://FirstName}, \${m://LastName}, \${m://Email}, \${m://ExternalDataReference}</dt><dd>The recipient’s own fields.</dd>
  <dt>\${e://Field/Name}</dt><dd>The recipient’s embedded-data field <code>Name</code>.</dd>
</dl></details>`;

function messageFields(d: Draft): Html {
  return html`<fieldset><legend>Message</legend>
    <label for="f-category">Category</label>
    <select id="f-category" name="category">${MESSAGE_CATEGORIES.map((c) => option(c.name, c.label, d.category))}</select>
    ${textInput('f-name', 'name', 'Name', d.name, { required: true, autocomplete: 'off' })}
    ${textInput('f-language', 'language', 'Language', d.language, { required: true, autocomplete: 'off', hint: 'A language code such as EN, DE or PT-BR.' })}
    <label for="f-body">Message</label>
    <p class="hint" id="f-body-hint">HTML or plain text. Piped text such as \${m://FirstName} is filled in for each recipient.</p>
    <textarea id="f-body" name="body" class="message-body" rows="16" required aria-describedby="f-body-hint">${d.body}</textarea>
    ${PIPED_HELP}
  </fieldset>`;
}

interface ListView {
  status: number;
  draft: Draft;
  error?: ServiceError;
}

async function renderList(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor, libraryId: string, v: ListView): Promise<FastifyReply> {
  const [messages, libraries] = await Promise.all([services.messages.list(actor, libraryId), services.accounts.libraries(actor)]);
  const done = (request.query as Record<string, string | undefined>).done;
  const name = libraryName(libraries, libraryId);
  return send(request, reply, v.status, `Messages · ${name}`, html`<h1>Messages</h1>
    <p>Library: <strong>${name}</strong> <code>${libraryId}</code></p>
    ${libraryPicker(libraries, libraryId)}
    ${notice(done)}
    ${categoryList(libraryId, messages)}
    <section aria-labelledby="create-heading" class="panel">
      <h2 id="create-heading">Create message</h2>
      <form method="post" action="${listUrl(libraryId)}" novalidate>
        ${errorSummary(v.error)}
        ${csrf(request.csrfToken)}
        ${messageFields(v.draft)}
        <div class="actions"><button type="submit">Create message</button></div>
      </form>
    </section>`);
}

interface EditView {
  status: number;
  /** Unsaved values being previewed or refused; undefined shows the stored message. */
  draft?: Draft;
  error?: ServiceError;
}

async function renderEdit(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor, libraryId: string, messageId: string, v: EditView): Promise<FastifyReply> {
  const stored = await services.messages.get(actor, libraryId, messageId);
  const d = v.draft ?? { category: stored.category, name: stored.name, language: stored.language, body: stored.body };
  const done = (request.query as Record<string, string | undefined>).done;
  const url = messageUrl(libraryId, messageId);
  const unsaved = v.draft && !v.error ? html`<div class="notice" role="status"><p>The preview shows your unsaved changes. Save them to keep them.</p></div>` : html``;
  // renderMessageHtml sanitises after filling: this is the one place a message body becomes markup.
  const preview = raw(services.messages.samplePreview(d.body));
  return send(request, reply, v.status, `Message · ${stored.name}`, html`<p><a href="${listUrl(libraryId)}">Back to the messages of this library</a></p>
    <h1>Edit message: ${stored.name}</h1>
    <dl class="ids"><dt>Message ID</dt><dd>${stored.id}</dd><dt>Library ID</dt><dd>${stored.libraryId}</dd></dl>
    ${notice(done)}${unsaved}
    <form method="post" action="${url}" novalidate>
      ${errorSummary(v.error)}
      ${csrf(request.csrfToken)}
      ${messageFields(d)}
      <div class="actions"><button type="submit" name="action" value="save">Save changes</button>
      <button type="submit" name="action" value="preview" class="secondary">Preview without saving</button></div>
    </form>
    <section aria-labelledby="preview-heading" class="panel">
      <h2 id="preview-heading">Preview</h2>
      <p class="hint">Piped text is filled with sample data: Jordan Sample, jordan.sample@example.com, a sample survey link. Embedded-data fields show their own names. Scripts and unsafe markup are removed, as they are in every e-mail sent.</p>
      <div class="message-preview">${preview}</div>
    </section>
    <section aria-labelledby="delete-heading" class="panel">
      <h2 id="delete-heading">Delete</h2>
      <p><a class="button secondary" href="${url}/delete">Delete this message…</a></p>
    </section>`);
}

async function renderDelete(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor, libraryId: string, messageId: string): Promise<FastifyReply> {
  const m = await services.messages.get(actor, libraryId, messageId);
  const url = messageUrl(libraryId, messageId);
  return send(request, reply, 200, `Delete · ${m.name}`, html`<h1>Delete message</h1>
    <div class="confirm"><p>Delete the message <strong>${m.name}</strong> (<code>${m.id}</code>)? This cannot be undone.</p>
    <form method="post" action="${url}/delete">${csrf(request.csrfToken)}
      <div class="actions"><button type="submit" class="danger">Delete message</button> <a class="button secondary" href="${url}">Cancel</a></div>
    </form></div>`);
}

type Params = { libraryId: string; messageId?: string };

/** Runs a page action; a missing library or message becomes the 404 page, anything else is rethrown. */
async function guarded(request: FastifyRequest, reply: FastifyReply, action: (actor: Actor, p: Params) => Promise<FastifyReply>): Promise<FastifyReply> {
  const actor = requireActor(request, reply);
  if (!actor) return reply;
  try {
    return await action(actor, request.params as Params);
  } catch (e) {
    const error = asServiceError(e);
    if (isMissing(error)) return notFoundPage(request, reply, error);
    throw error;
  }
}

/** Form errors show the form again; a missing library or message is rethrown to `guarded`. */
function formError(e: unknown): ServiceError {
  const error = asServiceError(e);
  if (isMissing(error)) throw error;
  return error;
}

export async function messagePages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/assets/messages.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(MESSAGES_CSS));

  app.get(SECTION, async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    return reply.redirect(listUrl(actor.userId), 303);
  });

  app.get('/libraries/:libraryId/messages', (request, reply) =>
    guarded(request, reply, (actor, p) => renderList(services, request, reply, actor, p.libraryId, { status: 200, draft: EMPTY_DRAFT })),
  );

  app.post('/libraries/:libraryId/messages', (request, reply) =>
    guarded(request, reply, async (actor, p) => {
      const draft = draftFrom(request.body);
      try {
        const m = await services.messages.create(actor, p.libraryId, { category: draft.category, name: draft.name, language: draft.language, body: draft.body });
        return reply.redirect(`${messageUrl(p.libraryId, m.id)}?done=created`, 303);
      } catch (e) {
        return renderList(services, request, reply, actor, p.libraryId, { status: 400, draft, error: formError(e) });
      }
    }),
  );

  app.get('/libraries/:libraryId/messages/:messageId', (request, reply) =>
    guarded(request, reply, (actor, p) => renderEdit(services, request, reply, actor, p.libraryId, p.messageId ?? '', { status: 200 })),
  );

  app.post('/libraries/:libraryId/messages/:messageId', (request, reply) =>
    guarded(request, reply, async (actor, p) => {
      const messageId = p.messageId ?? '';
      const draft = draftFrom(request.body);
      if (field(request.body, 'action') === 'preview') return renderEdit(services, request, reply, actor, p.libraryId, messageId, { status: 200, draft });
      try {
        await services.messages.update(actor, p.libraryId, messageId, { category: draft.category, name: draft.name, language: draft.language, body: draft.body });
        return reply.redirect(`${messageUrl(p.libraryId, messageId)}?done=saved`, 303);
      } catch (e) {
        return renderEdit(services, request, reply, actor, p.libraryId, messageId, { status: 400, draft, error: formError(e) });
      }
    }),
  );

  app.get('/libraries/:libraryId/messages/:messageId/delete', (request, reply) =>
    guarded(request, reply, (actor, p) => renderDelete(services, request, reply, actor, p.libraryId, p.messageId ?? '')),
  );

  app.post('/libraries/:libraryId/messages/:messageId/delete', (request, reply) =>
    guarded(request, reply, async (actor, p) => {
      await services.messages.delete(actor, p.libraryId, p.messageId ?? '');
      return reply.redirect(`${listUrl(p.libraryId)}?done=deleted`, 303);
    }),
  );
}

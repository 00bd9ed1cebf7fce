import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../../services/actor.ts';
import { ServiceError, invalidParam } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { FieldColumn } from '../../../domain/panel-import.ts';
import type { ImportMapping } from '../../../services/panels.ts';
import { html, type Html } from '../../html.ts';
import { requireActor } from '../../session.ts';
import { about, asServiceError, checked, csrf, errorSummary, field, formStatus, isMissing, notFoundPage, option, panelUrl, SECTION, sendPage, textInput } from './common.ts';
import { guessRoles, MAX_COLUMNS, previewCsv, ROLES, SINGLE_ROLES, type ColumnRole, type Preview } from './csv.ts';
import { loadPanel } from './load.ts';
import { Uploads, type ReceivedFile, type UploadMeta } from './uploads.ts';

/** The web upload limit (the API's importPanel has its own). The whole file is read into memory once, at import. */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

const FIELD_PARAM: Partial<Record<ColumnRole, FieldColumn>> = {
  email: 'Email',
  first: 'FirstName',
  last: 'LastName',
  ref: 'ExternalRef',
  language: 'Language',
  unsubscribed: 'Unsubscribed',
};

interface Target {
  libraryId: string;
  panelId: string | null;
  /** What the page calls the destination. */
  label: string;
  back: string;
}

// ---- step 1: upload ----

function uploadForm(request: FastifyRequest, reply: FastifyReply, t: Target, o: { status: number; name: string; category: string; headers: boolean; error?: ServiceError }): FastifyReply {
  const action = t.panelId ? `${panelUrl(t.libraryId, t.panelId)}/import` : `${SECTION}/${t.libraryId}/import`;
  const { error } = o;
  return sendPage(request, reply, o.status, 'Import a CSV file', html`<p><a href="${t.back}">Back</a></p>
    <h1>Import a CSV file</h1>
    <p>Into: <strong>${t.label}</strong></p>
    <ol class="steps"><li aria-current="step"><strong>Upload the file</strong></li><li>Choose what each column holds</li><li>See the result</li></ol>
    <form method="post" action="${action}" enctype="multipart/form-data" novalidate>
      ${errorSummary(error)}
      ${csrf(request.csrfToken)}
      ${t.panelId ? '' : html`${textInput('f-name', 'name', 'Name of the new panel', o.name, { required: true, invalid: about(error, 'Name') })}
        ${textInput('f-category', 'category', 'Category', o.category, { hint: 'Panels without a category are listed as “Unassigned”.' })}`}
      <label for="f-file">CSV file</label>
      <p class="hint" id="f-file-hint">UTF-8 text, comma-separated, with or without a byte-order mark; at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB. Rows without a valid e-mail address are skipped and counted.</p>
      <input type="file" id="f-file" name="file" accept=".csv,text/csv,text/plain" required aria-describedby="f-file-hint"${about(error, 'File') ? html` aria-invalid="true"` : ''}>
      <div class="check"><input type="checkbox" id="f-headers" name="headers" value="1"${o.headers ? html` checked` : ''}><label for="f-headers">The first row holds column names</label></div>
      <div class="actions"><button type="submit">Upload and continue</button><a class="button secondary" href="${t.back}">Cancel</a></div>
    </form>`);
}

// ---- step 2: mapping ----

function roleSelect(index: number, header: string | undefined, role: ColumnRole): Html {
  const id = `f-col${index + 1}`;
  const name = header ? `Column ${index + 1} (${header})` : `Column ${index + 1}`;
  return html`<label for="${id}"><span class="visually-hidden">${name} becomes</span></label><select id="${id}" name="col${index + 1}">${ROLES.map(([value, label]) => option(value, label, role))}</select>`;
}

function previewTable(preview: Preview, headers: boolean, roles: ColumnRole[]): Html {
  const header = headers ? preview.rows[0] : undefined;
  const body = headers ? preview.rows.slice(1) : preview.rows;
  const cols = Array.from({ length: preview.columns }, (_, i) => i);
  return html`<div class="table-wrap"><table class="preview"><caption>The first rows of the file, and what each column becomes</caption>
    <thead><tr><th scope="col">Column</th>${cols.map((i) => html`<th scope="col">${i + 1}${header?.[i] ? html`: ${header[i]}` : ''}</th>`)}</tr>
    <tr><th scope="row">Becomes</th>${cols.map((i) => html`<td>${roleSelect(i, header?.[i], roles[i] ?? 'ignore')}</td>`)}</tr></thead>
    <tbody>${body.map((r, n) => html`<tr><th scope="row">Row ${n + 1}</th>${cols.map((i) => html`<td>${r[i] ?? ''}</td>`)}</tr>`)}</tbody></table></div>`;
}

interface MappingError {
  message: string;
  /** The select to link to. */
  column?: number;
}

function mappingSummary(e: MappingError | undefined): Html {
  if (!e) return html``;
  return html`<div class="error-summary" role="alert" tabindex="-1" id="error-summary"><h2>There is a problem</h2>
    <p>${e.column ? html`<a href="#f-col${e.column}">${e.message}</a>` : e.message}</p><p class="hint">Nothing was imported.</p></div>`;
}

async function mappingPage(request: FastifyRequest, reply: FastifyReply, uploads: Uploads, meta: UploadMeta, t: Target, o: { status: number; roles?: ColumnRole[]; error?: MappingError }): Promise<FastifyReply> {
  let preview: Preview;
  try {
    preview = await previewCsv(uploads.csvPath(meta.id));
  } catch {
    return uploadAgain(request, reply, meta, t, 'The file could not be read as CSV (for example, a quoted field is never closed or a line is far too long).');
  }
  if (preview.columns > MAX_COLUMNS) return uploadAgain(request, reply, meta, t, `The file has more than ${MAX_COLUMNS} columns; the web import maps at most ${MAX_COLUMNS}. Use the API’s importPanel for wider files.`);
  if (preview.rows.length === 0) return uploadAgain(request, reply, meta, t, 'The file is empty.');
  const roles = o.roles ?? guessRoles(preview, meta.headers);
  const action = `${SECTION}/import/${meta.id}`;
  return sendPage(request, reply, o.status, 'Choose what each column holds', html`<h1>Choose what each column holds</h1>
    <p>Into: <strong>${t.label}</strong> · File: <strong>${meta.filename}</strong> (${meta.size.toLocaleString('en')} bytes)</p>
    <ol class="steps"><li>Upload the file</li><li aria-current="step"><strong>Choose what each column holds</strong></li><li>See the result</li></ol>
    <form method="post" action="${action}" data-import-status="${action}/status" novalidate>
      ${mappingSummary(o.error)}
      ${csrf(request.csrfToken)}
      <p class="hint">${meta.headers ? 'The first row holds column names; embedded-data columns are named by them.' : 'The file has no header row; embedded-data columns are named Column1, Column2, …'} One column must be the e-mail address.</p>
      ${previewTable(preview, meta.headers, roles)}
      <div class="import-progress" id="import-progress" hidden><label for="import-bar">Import progress</label><progress id="import-bar" max="100"></progress><p id="import-progress-text" role="status"></p></div>
      <div class="actions"><button type="submit">Import</button><a class="button secondary" href="${t.back}">Cancel</a></div>
    </form>
    <script src="/assets/contacts.js" defer></script>`);
}

function uploadAgain(request: FastifyRequest, reply: FastifyReply, meta: UploadMeta, t: Target, message: string): FastifyReply {
  const again = meta.panelId ? `${panelUrl(meta.libraryId, meta.panelId)}/import` : `${SECTION}/${meta.libraryId}/import`;
  return sendPage(request, reply, 400, 'The file cannot be imported', html`<h1>The file cannot be imported</h1>
    <div class="error-summary" role="alert" tabindex="-1" id="error-summary"><h2>There is a problem</h2><p>${message}</p><p class="hint">Nothing was imported.</p></div>
    <p>Into: <strong>${t.label}</strong></p>
    <p><a href="${again}">Upload a different file</a></p>`);
}

function alreadyRunning(request: FastifyRequest, reply: FastifyReply, meta: UploadMeta): FastifyReply {
  return sendPage(request, reply, 409, 'Import in progress', html`<h1>This import is already running</h1>
    <p>The file is being imported from an earlier submit of the form. <a href="${SECTION}/import/${meta.id}/done">See the result</a> when it is done.</p>`);
}

/** The posted selects as an importPanel mapping, or what is wrong with them. */
function readRoles(body: unknown, columns: number): ColumnRole[] {
  const valid = new Set(ROLES.map(([r]) => r));
  return Array.from({ length: columns }, (_, i) => {
    const v = field(body, `col${i + 1}`) as ColumnRole;
    return valid.has(v) ? v : 'ignore';
  });
}

function mappingOf(roles: ColumnRole[], headers: boolean): ImportMapping | MappingError {
  for (const role of SINGLE_ROLES) {
    const cols = roles.flatMap((r, i) => (r === role ? [i + 1] : []));
    if (cols.length > 1) return { message: `Only one column can be “${ROLES.find(([r]) => r === role)?.[1]}”; columns ${cols.join(' and ')} both are.`, column: cols[1] };
  }
  const email = roles.indexOf('email') + 1;
  if (email === 0) return { message: 'Choose the column that holds the e-mail address.', column: 1 };
  const fields: ImportMapping['fields'] = { Email: email };
  roles.forEach((r, i) => {
    const param = FIELD_PARAM[r];
    if (param) fields[param] = i + 1;
  });
  const embeddedData = roles.flatMap((r, i) => (r === 'ed' ? [i + 1] : []));
  return { columnHeaders: headers, fields, allEd: false, embeddedData };
}

/** A rough row count for the progress bar: line breaks in the file (quoted newlines make it an upper bound). */
function estimateRows(csv: Buffer, headers: boolean): number {
  let n = 0;
  for (let i = csv.indexOf(10); i !== -1; i = csv.indexOf(10, i + 1)) n++;
  if (csv.length > 0 && csv[csv.length - 1] !== 10) n++;
  return Math.max(1, n - (headers ? 1 : 0));
}

// ---- step 3: result ----

function resultPage(request: FastifyRequest, reply: FastifyReply, meta: UploadMeta, t: Target): FastifyReply {
  const r = meta.result;
  if (!r) return reply.redirect(`${SECTION}/import/${meta.id}`, 303);
  const url = panelUrl(meta.libraryId, r.panelId);
  return sendPage(request, reply, 200, 'Import finished', html`<h1>Import finished</h1>
    <ol class="steps"><li>Upload the file</li><li>Choose what each column holds</li><li aria-current="step"><strong>See the result</strong></li></ol>
    <div class="notice" role="status"><p>Imported <strong id="imported-count">${r.count}</strong> ${r.count === 1 ? 'member' : 'members'} into ${t.label}.</p>
    <p>Ignored <strong id="ignored-count">${r.ignoredCount}</strong> ${r.ignoredCount === 1 ? 'row' : 'rows'} without a valid e-mail address.</p></div>
    <p><a class="button" href="${url}">See the members</a> <a class="button secondary" href="${SECTION}">All panels</a></p>`);
}

// ---- routes ----

export async function importPages(app: FastifyInstance, services: Services): Promise<void> {
  const uploads = new Uploads(services.config.dataDir);
  const received = new WeakMap<FastifyRequest, ReceivedFile[]>();

  async function target(actor: Actor, meta: { libraryId: string; panelId: string | null; panelName: string }): Promise<Target | undefined> {
    if (meta.panelId) {
      const p = await loadPanel(services, actor, meta.libraryId, meta.panelId);
      return p && { libraryId: p.libraryId, panelId: p.id, label: `the panel “${p.name}”`, back: panelUrl(p.libraryId, p.id) };
    }
    try {
      await services.libraries.require(actor, meta.libraryId);
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    return { libraryId: meta.libraryId, panelId: null, label: meta.panelName ? `a new panel “${meta.panelName}”` : 'a new panel', back: SECTION };
  }

  /** Loads the upload (only its owner's) and where it goes; a 404 page otherwise. */
  async function withUpload(request: FastifyRequest, reply: FastifyReply, then: (actor: Actor, meta: UploadMeta, t: Target) => Promise<FastifyReply>): Promise<FastifyReply> {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const { uploadId } = request.params as { uploadId: string };
    const meta = await uploads.load(actor, uploadId);
    const t = meta && (await target(actor, meta));
    if (!meta || !t) return notFoundPage(request, reply, 'upload (uploads are kept for one hour)');
    return then(actor, meta, t);
  }

  async function uploadRoute(request: FastifyRequest, reply: FastifyReply, showForm: boolean): Promise<FastifyReply> {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const { libraryId, panelId } = request.params as { libraryId: string; panelId?: string };
    const t = await target(actor, { libraryId, panelId: panelId ?? null, panelName: '' });
    if (!t) return notFoundPage(request, reply);
    if (showForm) return uploadForm(request, reply, t, { status: 200, name: '', category: '', headers: true });
    const files = received.get(request) ?? [];
    received.delete(request);
    const [file, ...extra] = files;
    await Promise.all(extra.map((f) => uploads.discard(f)));
    const form = { name: field(request.body, 'name'), category: field(request.body, 'category'), headers: checked(request.body, 'headers') };
    const refuse = async (error: ServiceError) => {
      if (file) await uploads.discard(file);
      return uploadForm(request, reply, t, { status: formStatus(error), ...form, error });
    };
    if (!t.panelId && form.name.trim() === '') return refuse(invalidParam('Name'));
    if (!file || file.size === 0 || file.truncated) return refuse(invalidParam('File'));
    // isUtf8 over the whole file is native and fast; a wrong encoding is better said at step 1 than after mapping.
    if (!isUtf8(await readFile(file.path))) return refuse(invalidParam('File'));
    await uploads.sweep();
    const meta = await uploads.adopt(actor, file, { libraryId: t.libraryId, panelId: t.panelId, panelName: form.name.trim(), category: form.category, headers: form.headers });
    return reply.redirect(`${SECTION}/import/${meta.id}`, 303);
  }

  app.get(`${SECTION}/:libraryId/:panelId/import`, (request, reply) => uploadRoute(request, reply, true));
  app.get(`${SECTION}/:libraryId/import`, (request, reply) => uploadRoute(request, reply, true));

  // The upload routes get multipart in a scope of their own; the file streams to disk as it arrives.
  await app.register(async (scope) => {
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 20, fieldSize: 64 * 1024 },
      async onFile(this: FastifyRequest, part: MultipartFile) {
        const file = await uploads.receive(part.file, part.filename);
        received.set(this, [...(received.get(this) ?? []), file]);
      },
    });
    // A refused request (bad CSRF token, an error) never reaches the handler: its file goes here,
    // before the answer is sent, so nothing is left behind once the client has it.
    scope.addHook('onSend', async (request, _reply, payload) => {
      const files = received.get(request);
      received.delete(request);
      if (files) await Promise.all(files.map((f) => uploads.discard(f)));
      return payload;
    });
    scope.post(`${SECTION}/:libraryId/:panelId/import`, (request, reply) => uploadRoute(request, reply, false));
    scope.post(`${SECTION}/:libraryId/import`, (request, reply) => uploadRoute(request, reply, false));
  });

  app.get(`${SECTION}/import/:uploadId`, (request, reply) =>
    withUpload(request, reply, async (_a, meta, t) => (meta.result ? reply.redirect(`${SECTION}/import/${meta.id}/done`, 303) : mappingPage(request, reply, uploads, meta, t, { status: 200 }))),
  );

  app.post(`${SECTION}/import/:uploadId`, (request, reply) =>
    withUpload(request, reply, async (actor, meta, t) => {
      if (meta.result) return reply.redirect(`${SECTION}/import/${meta.id}/done`, 303);
      const preview = await previewCsv(uploads.csvPath(meta.id)).catch(() => undefined);
      if (!preview) return mappingPage(request, reply, uploads, meta, t, { status: 400 });
      const roles = readRoles(request.body, preview.columns);
      const mapping = mappingOf(roles, meta.headers);
      if (!('fields' in mapping)) return mappingPage(request, reply, uploads, meta, t, { status: 400, roles, error: mapping });
      // A second submit of the same form (a double click) must not import the file twice.
      // Marked running before the first await, so a concurrent submit sees it. finish() drops the mark
      // only after the CSV is gone, so a submit that gets past the mark finds no file.
      if (uploads.getProgress(meta.id)) return alreadyRunning(request, reply, meta);
      uploads.setProgress(meta.id, 0, 0);
      let csv: Buffer;
      try {
        csv = await readFile(uploads.csvPath(meta.id));
      } catch {
        uploads.clearProgress(meta.id);
        return reply.redirect(`${SECTION}/import/${meta.id}/done`, 303);
      }
      const total = estimateRows(csv, meta.headers);
      uploads.setProgress(meta.id, 0, total);
      try {
        const result = await services.panels.importPanel(actor, meta.libraryId, csv, mapping, {
          panelId: meta.panelId ?? undefined,
          name: meta.panelName || undefined,
          category: meta.category || undefined,
          sourceParam: 'File',
          onProgress: (stored) => uploads.setProgress(meta.id, stored, total),
        });
        await uploads.finish(meta, { panelId: result.panelId, count: result.count, ignoredCount: result.ignoredCount });
        return reply.redirect(`${SECTION}/import/${meta.id}/done`, 303);
      } catch (e) {
        uploads.clearProgress(meta.id);
        const error = asServiceError(e);
        if (isMissing(error)) return notFoundPage(request, reply);
        if (error.param === 'File') return uploadAgain(request, reply, meta, t, 'The file could not be read as CSV (for example, a quoted field is never closed, a line is far too long, or a row has too many columns).');
        return mappingPage(request, reply, uploads, meta, t, { status: formStatus(error), roles, error: { message: error.message } });
      }
    }),
  );

  app.get(`${SECTION}/import/:uploadId/status`, (request, reply) =>
    withUpload(request, reply, async (_a, meta) => {
      const p = uploads.getProgress(meta.id);
      const state = meta.result ? 'done' : p ? 'running' : 'waiting';
      const done = meta.result ? meta.result.count : (p?.done ?? 0);
      const total = meta.result ? meta.result.count : (p?.total ?? 0);
      return reply.header('Cache-Control', 'no-store').send({ state, done, total, rows: done });
    }),
  );

  app.get(`${SECTION}/import/:uploadId/done`, (request, reply) => withUpload(request, reply, async (_a, meta, t) => resultPage(request, reply, meta, t)));
}

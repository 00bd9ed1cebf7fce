import { readFileSync } from 'node:fs';
import multipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SURVEY_FILE_MAX_BYTES } from '../../../domain/survey/import.ts';
import type { Actor } from '../../../services/actor.ts';
import { conflict, invalidParam, type ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { asServiceError, checked, csrf, field, formStatus, notice } from '../../forms.ts';
import { html } from '../../html.ts';
import { requireActor } from '../../session.ts';
import { isMissing, notFoundPage, SECTION, sendPage, surveyUrl, timeZone, when } from './common.ts';
import { distributionUiPages } from './distribute.ts';
import { listPage } from './list.ts';
import { outlineBody, outlineOf } from './outline.ts';
import { surveyNav } from './response-common.ts';
import { responseDataPages } from './response-pages.ts';

const CSS = readFileSync(new URL('../../assets/surveys.css', import.meta.url));

interface Received {
  data: Buffer;
  truncated: boolean;
}

type SurveyHandler = (actor: Actor, surveyId: string, request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** Signed-in users only; a survey the actor cannot reach is a 404 page, whatever the handler did. */
function withSurvey(services: Services, handler: SurveyHandler) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const { id } = request.params as { id: string };
    try {
      return await handler(actor, id, request, reply);
    } catch (e) {
      if (isMissing(e)) return notFoundPage(request, reply);
      const error = asServiceError(e);
      return listPage(services, request, reply, actor, { status: formStatus(error), name: '', activate: false, actionError: error });
    }
  };
}

/** A file name from the survey name that every browser and file system accepts. */
function fileName(name: string, id: string): string {
  const base = name.replace(/[^A-Za-z0-9 ._-]+/g, '').trim().replace(/\s+/g, '-').slice(0, 60);
  return `${base || 'survey'}-${id}.qsf`;
}

async function outlinePage(services: Services, actor: Actor, id: string, request: FastifyRequest, reply: FastifyReply, imported: boolean): Promise<FastifyReply> {
  const { info, qsf } = await services.surveys.getDefinition(actor, id);
  const tz = await timeZone(services, actor.brandId);
  const link = `${services.config.publicUrl}/jfe/form/${encodeURIComponent(info.id)}`;
  return sendPage(request, reply, 200, info.name, html`<p><a href="${SECTION}">Back to your surveys</a></p>
    <h1>${info.name}</h1>
    ${surveyNav(info.id, 'outline')}
    ${notice(imported ? 'The survey was imported.' : undefined)}
    <dl class="ids"><dt>Survey ID</dt><dd>${info.id}</dd><dt>Status</dt><dd>${info.status}</dd><dt>Modified</dt><dd>${when(info.modifiedAt, tz)}</dd></dl>
    <h2>Anonymous link</h2>
    <div class="anon-link"><code id="anon-link">${link}</code>
      <button type="button" class="secondary" data-copy-target="anon-link" data-copy-status="anon-link-status" data-copy-what="Link" hidden>Copy link</button></div>
    <p id="anon-link-status" role="status" class="hint"></p>
    <p class="hint">Respondents can take the survey at this link while it is active.</p>
    <p><a class="button secondary" href="/jfe/preview/${encodeURIComponent(info.id)}" target="_blank" rel="noopener">Preview the survey</a>
      <span class="hint">Preview responses are recorded with Status 1 and left out of response counts.</span></p>
    ${outlineBody(outlineOf(qsf))}
    <script src="/assets/copy.js" defer></script>`);
}

function deleteConfirm(request: FastifyRequest, reply: FastifyReply, s: { id: string; name: string }): FastifyReply {
  const url = surveyUrl(s.id);
  return sendPage(request, reply, 200, `Delete ${s.name}`, html`<h1>Delete survey</h1>
    <p>Survey: <strong>${s.name}</strong></p>
    <div class="confirm" id="delete-warning"><p>The survey will be deleted and its anonymous link will stop working. This cannot be undone.</p></div>
    <form method="post" action="${url}/delete">${csrf(request.csrfToken)}
      <div class="actions"><button type="submit" class="danger" aria-describedby="delete-warning">Delete survey</button><a class="button secondary" href="${SECTION}">Keep the survey</a></div>
    </form>`);
}

async function importRoute(services: Services, request: FastifyRequest, reply: FastifyReply, file: Received | undefined): Promise<FastifyReply> {
  const actor = requireActor(request, reply);
  if (!actor) return reply;
  const form = { name: field(request.body, 'name'), activate: checked(request.body, 'activate') };
  const refuse = (error: ServiceError) => listPage(services, request, reply, actor, { status: formStatus(error), ...form, importError: error });
  if (!file || file.data.length === 0) return refuse(invalidParam('File'));
  if (file.truncated) return refuse(conflict('Error parsing file: The file does not appear to be a valid survey (it is larger than 50 MB).'));
  try {
    const id = await services.surveys.importSurvey(actor, { format: 'QSF', source: async () => file.data, name: form.name || undefined, activate: form.activate });
    return reply.redirect(`${surveyUrl(id)}?done=imported`, 303);
  } catch (e) {
    return refuse(asServiceError(e));
  }
}

function lifecycleRoutes(app: FastifyInstance, services: Services): void {
  const action = (run: (actor: Actor, id: string) => Promise<unknown>, done: string) =>
    withSurvey(services, async (actor, id, _request, reply) => {
      await run(actor, id);
      return reply.redirect(`${SECTION}?done=${done}`, 303);
    });
  app.post(`${SECTION}/:id/activate`, action((a, id) => services.surveys.activate(a, id), 'activated'));
  app.post(`${SECTION}/:id/deactivate`, action((a, id) => services.surveys.deactivate(a, id), 'deactivated'));
  app.post(`${SECTION}/:id/copy`, action((a, id) => services.surveys.copySurvey(a, id), 'copied'));
  app.post(`${SECTION}/:id/delete`, action((a, id) => services.surveys.delete(a, id), 'deleted'));
  app.get(`${SECTION}/:id/delete`, withSurvey(services, async (actor, id, request, reply) => deleteConfirm(request, reply, await services.surveys.getSurvey(actor, id))));
}

/** The Surveys area: the user's surveys, QSF import and export, the lifecycle and a read-only outline. */
export async function surveysPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/assets/surveys.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(CSS));

  app.get(SECTION, async (request, reply) => {
    const actor = requireActor(request, reply);
    if (!actor) return reply;
    const done = (request.query as Record<string, unknown>).done;
    return listPage(services, request, reply, actor, { status: 200, name: '', activate: false, done: typeof done === 'string' ? done : undefined });
  });

  app.get(`${SECTION}/:id`, withSurvey(services, async (actor, id, request, reply) => {
    const imported = (request.query as Record<string, unknown>).done === 'imported';
    return outlinePage(services, actor, id, request, reply, imported);
  }));

  app.get(`${SECTION}/:id/export.qsf`, withSurvey(services, async (actor, id, _request, reply) => {
    const { name, qsf } = await services.surveys.exportQsf(actor, id);
    return reply
      .header('Cache-Control', 'no-store')
      .header('Content-Disposition', `attachment; filename="${fileName(name, id)}"`)
      .type('application/octet-stream')
      .send(Buffer.from(qsf, 'utf8'));
  }));

  lifecycleRoutes(app, services);
  responseDataPages(app, services);
  distributionUiPages(app, services);

  // Only the upload route parses multipart; the file is held in memory (the service reads it whole anyway).
  const received = new WeakMap<FastifyRequest, Received>();
  await app.register(async (scope) => {
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      throwFileSizeLimit: false,
      limits: { fileSize: SURVEY_FILE_MAX_BYTES, files: 1, fields: 10, fieldSize: 64 * 1024 },
      async onFile(this: FastifyRequest, part: MultipartFile) {
        const data = await part.toBuffer().catch(() => Buffer.alloc(0));
        received.set(this, { data, truncated: part.file.truncated });
      },
    });
    scope.post(`${SECTION}/import`, (request, reply) => importRoute(services, request, reply, received.get(request)));
  });
}

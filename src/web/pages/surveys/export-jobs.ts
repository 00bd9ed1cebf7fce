/**
 * Background exports for sets too big to wait for: a POST queues the job, its page shows the progress
 * (refreshing itself while the job runs; no script needed) and, once done, links the file, which
 * stays downloadable for a day.
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { FILE_FORMATS, type FileFormat } from '../../../domain/export/files.ts';
import type { Services } from '../../../services/index.ts';
import { csrf } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { SECTION, sendPage, surveyUrl } from './common.ts';
import { pageHead, RESPONSES_CSS, withResponseData, type DataContext } from './response-common.ts';

const FORMATS = Object.keys(FILE_FORMATS) as FileFormat[];

const jobUrl = (surveyId: string, jobId: string) => `${surveyUrl(surveyId)}/exports/${encodeURIComponent(jobId)}`;

/** The form on the download page that queues an export of every response in the background. */
export function backgroundExportForm(surveyId: string, csrfToken: string): Html {
  return html`<section aria-labelledby="bg-heading" class="background-export">
    <h2 id="bg-heading">Large export</h2>
    <p>For many thousands of responses, let the server prepare the file while you do something else. It includes every response (no date filter) and stays available for a day.</p>
    <form method="post" action="${surveyUrl(surveyId)}/exports">${csrf(csrfToken)}
      <div class="field"><label for="bg-format">Format</label>
        <select id="bg-format" name="format">${FORMATS.map((f) => html`<option value="${f}">${FILE_FORMATS[f].label}</option>`)}</select></div>
      <div class="check"><input type="checkbox" id="bg-labels" name="labels" value="1" checked><label for="bg-labels">Choice text instead of numeric codes</label></div>
      <div class="actions"><button type="submit" class="secondary">Prepare in the background</button></div>
    </form></section>`;
}

async function start(services: Services, c: DataContext): Promise<FastifyReply> {
  const body = (c.request.body ?? {}) as Record<string, unknown>;
  const format = typeof body.format === 'string' ? body.format : '';
  const job = await services.exportJobs.start(c.actor, c.surveyId, format, { labels: body.labels === '1' });
  return c.reply.redirect(jobUrl(c.surveyId, job.id), 303);
}

async function statusPage(services: Services, c: DataContext, jobId: string): Promise<FastifyReply> {
  const { job, file } = await services.exportJobs.status(c.actor, jobId);
  const name = (await services.responses.responsePage(c.actor, c.surveyId, { size: 1 })).surveyName;
  const total = job.total ?? 0;
  const running = job.status === 'queued' || job.status === 'running';
  const body = file
    ? html`<p role="status">The export is ready: ${job.progress.toLocaleString('en-US')} responses.</p>
        <p><a class="button" href="${jobUrl(c.surveyId, job.id)}/file" download>Download ${file.fileName}</a></p>`
    : job.status === 'failed'
      ? html`<p role="alert">The export failed: ${job.error ?? 'unknown error'}. <a href="${surveyUrl(c.surveyId)}/download">Try again</a>.</p>`
      : html`<p role="status">${job.status === 'queued' ? 'Waiting for a worker…' : 'Writing the file…'} ${job.progress.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} responses.</p>
        <progress max="${String(Math.max(total, 1))}" value="${String(job.progress)}" aria-label="Export progress"></progress>
        <p class="hint">This page refreshes itself every few seconds.</p>`;
  if (running) c.reply.header('Refresh', '3');
  return sendPage(c.request, c.reply, 200, `Export · ${name}`, html`${RESPONSES_CSS}${pageHead(c.surveyId, name, 'Background export', 'download')}${body}`);
}

async function fileOf(services: Services, c: DataContext, jobId: string): Promise<FastifyReply> {
  const { file } = await services.exportJobs.status(c.actor, jobId);
  if (!file) return c.reply.redirect(jobUrl(c.surveyId, jobId), 303);
  const stream = createReadStream(file.path);
  // Swept meanwhile (or removed by hand): back to the status page rather than a broken download.
  try {
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
  } catch {
    return c.reply.redirect(`${surveyUrl(c.surveyId)}/download`, 303);
  }
  return c.reply
    .header('Cache-Control', 'no-store')
    .header('Content-Disposition', `attachment; filename="${file.fileName}"`)
    .type(file.contentType)
    .send(stream);
}

export function exportJobPages(app: FastifyInstance, services: Services): void {
  app.post(`${SECTION}/:id/exports`, withResponseData(services, (c) => start(services, c)));
  app.get(`${SECTION}/:id/exports/:job`, withResponseData(services, (c) => statusPage(services, c, (c.request.params as { job: string }).job)));
  app.get(`${SECTION}/:id/exports/:job/file`, withResponseData(services, (c) => fileOf(services, c, (c.request.params as { job: string }).job)));
}

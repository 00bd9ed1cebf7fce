/**
 * Response downloads: a form (format, labels or codes, EndDate range, finished only) that leads to
 * `/surveys/:id/download.<ext>?…`, which streams the file as it is written.
 *
 * Every check runs before the first byte, so a refusal is still an ordinary error page. Once bytes
 * flow the headers are gone: a failure then cuts the download (the client sees a broken transfer,
 * never a short file that looks complete), and a client that goes away stops the export; either is
 * logged, neither reaches the process as an unhandled error.
 */
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { FILE_FORMATS, isFileFormat, type FileFormat } from '../../../domain/export/files.ts';
import { SinkClosedError } from '../../../domain/export/file-sink.ts';
import { invalidParam, type ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { FileExportRequest } from '../../../services/responses.ts';
import { html, type Html } from '../../html.ts';
import { SECTION, sendPage, surveyUrl } from './common.ts';
import { backgroundExportForm } from './export-jobs.ts';
import {
  dateRangeFields, filterErrors, filterParams, finishedOnlyField, pageHead, queryOf, readFilter, RESPONSES_CSS, withResponseData,
  type DataContext, type FilterForm,
} from './response-common.ts';

const FORMATS = Object.keys(FILE_FORMATS) as FileFormat[];
const EXTENSIONS = [...new Set(FORMATS.map((f) => FILE_FORMATS[f].extension))];

interface DownloadForm {
  format: string;
  /** '1' choice texts, '0' numeric codes. */
  labels: string;
  filter: FilterForm;
}

function downloadUrl(surveyId: string): string {
  return `${surveyUrl(surveyId)}/download`;
}

function fileUrl(surveyId: string, format: FileFormat, f: DownloadForm): string {
  const params = new URLSearchParams([['format', format], ['labels', f.labels], ...filterParams(f.filter)]);
  return `${surveyUrl(surveyId)}/download.${FILE_FORMATS[format].extension}?${params.toString()}`;
}

function formOf(c: DataContext): { form: DownloadForm; read: ReturnType<typeof readFilter> } {
  const q = queryOf(c.request);
  const read = readFilter(q, c.timeZone);
  return { form: { format: q.format ?? '', labels: q.labels === '0' ? '0' : '1', filter: read.form }, read };
}

function radio(name: string, id: string, value: string, current: string, label: Html | string): Html {
  return html`<div class="check"><input type="radio" id="${id}" name="${name}" value="${value}"${value === current ? html` checked` : ''}><label for="${id}">${label}</label></div>`;
}

async function formPage(services: Services, c: DataContext, form: DownloadForm, status: number, error?: ServiceError): Promise<FastifyReply> {
  // The table's smallest page: the survey's name, and the same refusal as a download for someone who may not download.
  const survey = { name: (await services.responses.responsePage(c.actor, c.surveyId, { size: 1 })).surveyName };
  const current = isFileFormat(form.format) ? form.format : 'csv';
  return sendPage(c.request, c.reply, status, `Download responses · ${survey.name}`, html`${RESPONSES_CSS}
    ${pageHead(c.surveyId, survey.name, 'Download responses', 'download')}
    <form method="get" action="${downloadUrl(c.surveyId)}" class="download-form" novalidate>
      ${filterErrors(error)}
      <fieldset><legend>Format</legend>
        ${FORMATS.map((f) => radio('format', `f-format-${f}`, f, current, html`${FILE_FORMATS[f].label} <span class="hint">.${FILE_FORMATS[f].extension}</span>`))}
        <p class="hint">Legacy CSV and TSV have the columns of the old API export; the others have one named column per value with a label row.</p>
      </fieldset>
      <fieldset><legend>Answers as</legend>
        ${radio('labels', 'f-labels-1', '1', form.labels, 'Choice text (labels)')}
        ${radio('labels', 'f-labels-0', '0', form.labels, 'Numeric codes (recodes)')}
      </fieldset>
      ${dateRangeFields(form.filter, c.timeZone, error)}
      ${finishedOnlyField(form.filter)}
      <p class="hint">Preview responses and deleted responses are never included.</p>
      <div class="actions"><button type="submit">Download</button></div>
    </form>
    ${backgroundExportForm(c.surveyId, c.request.csrfToken)}`);
}

/** The form, or (once submitted) a redirect to the file's own address. */
async function downloadPage(services: Services, c: DataContext): Promise<FastifyReply> {
  const { form, read } = formOf(c);
  if (form.format === '') return formPage(services, c, form, 200);
  if (!isFileFormat(form.format)) return formPage(services, c, form, 400, invalidParam('Format'));
  if (read.error) return formPage(services, c, form, 400, read.error);
  return c.reply.redirect(fileUrl(c.surveyId, form.format, form), 303);
}

/** The format a file URL asks for: the one named, if it has this extension, else the plain one. */
function formatFor(extension: string, named: string): FileFormat | undefined {
  if (named !== '') return isFileFormat(named) && FILE_FORMATS[named].extension === extension ? named : undefined;
  return FORMATS.find((f) => FILE_FORMATS[f].extension === extension);
}

async function fileDownload(services: Services, c: DataContext, extension: string): Promise<FastifyReply> {
  const { form, read } = formOf(c);
  const format = formatFor(extension, form.format);
  if (!format) return formPage(services, c, form, 400, invalidParam('Format'));
  if (read.error) return formPage(services, c, form, 400, read.error);
  const name = await services.responses.exportName(c.actor, c.surveyId, format);
  const options: FileExportRequest = { ...read.filter, labels: form.labels === '1' };

  let wrote = false;
  let onFirstByte = (): void => undefined;
  const firstByte = new Promise<void>((resolve) => (onFirstByte = resolve));
  const body = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!wrote) {
        wrote = true;
        onFirstByte();
      }
      callback(null, chunk);
    },
  });
  let failure: unknown;
  const run = services.responses.exportFile(c.actor, c.surveyId, format, options, body).then(
    () => undefined,
    (e: unknown) => {
      failure = e ?? new Error('the export failed');
    },
  );
  await Promise.race([firstByte, run]);
  if (!wrote && failure !== undefined) throw failure;
  void run.then(() => {
    if (failure === undefined) return;
    // A client that cancels a download is ordinary; anything else cut a file short.
    if (failure instanceof SinkClosedError) c.request.log.info({ surveyId: c.surveyId, format }, 'a response download was cancelled by the client');
    else c.request.log.warn({ err: failure, surveyId: c.surveyId, format }, 'a response download stopped before its end');
  });
  return c.reply
    .header('Cache-Control', 'no-store')
    .header('Content-Disposition', `attachment; filename="${name}"`)
    .type(FILE_FORMATS[format].contentType)
    .send(body);
}

export function downloadPages(app: FastifyInstance, services: Services): void {
  app.get(`${SECTION}/:id/download`, withResponseData(services, (c) => downloadPage(services, c)));
  for (const ext of EXTENSIONS) app.get(`${SECTION}/:id/download.${ext}`, withResponseData(services, (c) => fileDownload(services, c, ext)));
}

/** The survey's report: responses over time and a summary per question, for an EndDate range. */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Services } from '../../../services/index.ts';
import { html } from '../../html.ts';
import { renderReport } from '../../report/index.ts';
import { SECTION, sendPage, surveyUrl } from './common.ts';
import { dateRangeFields, filterErrors, finishedOnlyField, pageHead, queryOf, readFilter, RESPONSES_CSS, withResponseData, type DataContext } from './response-common.ts';

const REPORT_CSS = readFileSync(new URL('../../report/report.css', import.meta.url));

async function reportPage(services: Services, c: DataContext): Promise<FastifyReply> {
  const read = readFilter(queryOf(c.request), c.timeZone);
  // An unreadable date is reported on the form; the report then covers every response.
  const report = await services.responses.report(c.actor, c.surveyId, read.error ? {} : read.filter);
  const filtered = !read.error && (read.form.from !== '' || read.form.to !== '' || read.form.finished !== '');
  return sendPage(c.request, c.reply, read.error ? 400 : 200, `Report · ${report.surveyName}`, html`${RESPONSES_CSS}<link rel="stylesheet" href="/assets/report.css">
    ${pageHead(c.surveyId, report.surveyName, 'Report', 'report')}
    <form method="get" action="${surveyUrl(c.surveyId)}/report" class="filters" role="search" aria-label="Filter the report" novalidate>
      ${filterErrors(read.error)}
      ${dateRangeFields(read.form, c.timeZone, read.error)}
      ${finishedOnlyField(read.form)}
      <div class="actions"><button type="submit">Update report</button>${filtered ? html`<a class="button secondary" href="${surveyUrl(c.surveyId)}/report">All responses</a>` : ''}</div>
    </form>
    ${filtered ? html`<p class="hint">The report covers only the responses that match these filters.</p>` : ''}
    ${renderReport(report, { headingLevel: 2 })}`);
}

export function reportPages(app: FastifyInstance, services: Services): void {
  app.get('/assets/report.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(REPORT_CSS));
  app.get(`${SECTION}/:id/report`, withResponseData(services, (c) => reportPage(services, c)));
}

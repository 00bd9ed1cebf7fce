/**
 * One response: its answers question by question (the getSingleResponseHTML content, inside the
 * site's frame), a form to change its embedded data, and deletion after a confirmation step.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { asServiceError, csrf, field, formStatus, notice } from '../../forms.ts';
import { html, raw, type Html } from '../../html.ts';
import { SECTION, sendPage, surveyUrl } from './common.ts';
import { filterErrors, pageHead, queryOf, RESPONSES_CSS, withResponseData, type DataContext } from './response-common.ts';

/** The most embedded-data rows a posted form is read for (the domain keeps at most 200 keys). */
const MAX_ED_ROWS = 250;

const DONE: Record<string, string> = { saved: 'The embedded data was saved.' };

type EdRows = Array<[string, string]>;

function responseId(c: DataContext): string {
  return (c.request.params as { responseId: string }).responseId;
}

function responseUrl(surveyId: string, id: string): string {
  return `${surveyUrl(surveyId)}/responses/${encodeURIComponent(id)}`;
}

/**
 * The body of the single-response document, its headings moved one level down under this page's
 * "Answers". The document is built inert by the domain (every text escaped, no script, no style
 * attribute), which is why its markup may be inserted as it is.
 */
function answersOf(doc: string): Html {
  const start = doc.indexOf('<body>');
  const end = doc.lastIndexOf('</body>');
  const body = start >= 0 && end > start ? doc.slice(start + '<body>'.length, end) : '';
  return raw(body.replace(/<h1>[\s\S]*?<\/h1>/, '<h3>Details</h3>').replace(/<(\/?)h2>/g, '<$1h3>'));
}

function edForm(c: DataContext, rid: string, rows: EdRows, added: [string, string], error: ServiceError | undefined): Html {
  const badNew = error?.kind === 'InvalidParameter' && error.param === 'ED';
  return html`<section aria-labelledby="ed-heading" class="ed-section">
    <h2 id="ed-heading">Edit embedded data</h2>
    <form method="post" action="${responseUrl(c.surveyId, rid)}/embedded-data" novalidate>
      ${filterErrors(error)}
      ${csrf(c.request.csrfToken)}
      ${rows.length === 0
        ? html`<p>This response has no embedded data.</p>`
        : html`<p class="hint" id="ed-hint">Clear a value to remove its field.</p>
          <div class="ed-fields">${rows.map(([k, v], i) => html`<div><input type="hidden" name="ed${i}_key" value="${k}">
            <label for="f-ed-${i}">${k}</label><input type="text" id="f-ed-${i}" name="ed${i}_value" value="${v}" autocomplete="off" aria-describedby="ed-hint"></div>`)}</div>`}
      <fieldset><legend>Add a field</legend>
        <div class="ed-new"><div><label for="f-ed-new-key">New field name</label><input type="text" id="f-ed-new-key" name="new_key" value="${added[0]}" maxlength="200" autocomplete="off"${badNew ? html` aria-invalid="true"` : ''}></div>
        <div><label for="f-ed-new-value">Value</label><input type="text" id="f-ed-new-value" name="new_value" value="${added[1]}" autocomplete="off"></div></div>
      </fieldset>
      <div class="actions"><button type="submit">Save embedded data</button></div>
    </form></section>`;
}

interface ViewOptions {
  status: number;
  rows?: EdRows;
  added?: [string, string];
  error?: ServiceError;
}

async function responseView(services: Services, c: DataContext, o: ViewOptions): Promise<FastifyReply> {
  const rid = responseId(c);
  const doc = await services.responses.singleResponseHtml(c.actor, c.surveyId, rid);
  const [survey, stored] = await Promise.all([services.surveys.getSurvey(c.actor, c.surveyId), services.responses.embeddedData(c.actor, c.surveyId, rid)]);
  const rows = o.rows ?? Object.entries(stored).map(([k, v]): [string, string] => [k, String(v)]);
  const done = queryOf(c.request).done;
  const url = responseUrl(c.surveyId, rid);
  return sendPage(c.request, c.reply, o.status, `Response ${rid} · ${survey.name}`, html`${RESPONSES_CSS}
    ${pageHead(c.surveyId, survey.name, `Response ${rid}`, 'responses')}
    <p><a href="${surveyUrl(c.surveyId)}/responses">Back to the responses</a></p>
    ${notice(done ? DONE[done] : undefined)}
    <section aria-labelledby="answers-heading"><h2 id="answers-heading">Answers</h2><div class="single-response">${answersOf(doc)}</div></section>
    ${edForm(c, rid, rows, o.added ?? ['', ''], o.error)}
    <section aria-labelledby="delete-heading"><h2 id="delete-heading">Delete</h2>
      <p><a class="button secondary" href="${url}/delete">Delete this response</a></p></section>`);
}

/** The posted rows, existing fields first (by their hidden names), then the new one. */
function postedRows(body: unknown): { rows: EdRows; added: [string, string] } {
  const rows: EdRows = [];
  for (let i = 0; i < MAX_ED_ROWS; i++) {
    const key = (body as Record<string, unknown> | undefined)?.[`ed${i}_key`];
    if (key === undefined) break;
    rows.push([field(body, `ed${i}_key`), field(body, `ed${i}_value`)]);
  }
  return { rows, added: [field(body, 'new_key').trim(), field(body, 'new_value')] };
}

async function saveEmbedded(services: Services, c: DataContext): Promise<FastifyReply> {
  const rid = responseId(c);
  const { rows, added } = postedRows(c.request.body);
  const fields: Record<string, string> = Object.fromEntries(rows.filter(([k]) => k !== ''));
  if (added[0] !== '') fields[added[0]] = added[1];
  try {
    await services.responses.updateEmbeddedData(c.actor, c.surveyId, rid, fields);
  } catch (e) {
    const error = asServiceError(e);
    if (error.kind !== 'InvalidParameter' || error.param !== 'ED') throw error;
    return responseView(services, c, { status: formStatus(error), rows, added, error });
  }
  return c.reply.redirect(`${responseUrl(c.surveyId, rid)}?done=saved`, 303);
}

async function deleteConfirm(services: Services, c: DataContext): Promise<FastifyReply> {
  const rid = responseId(c);
  const r = await services.responses.getResponse(c.actor, c.surveyId, rid);
  const survey = await services.surveys.getSurvey(c.actor, c.surveyId);
  const url = responseUrl(c.surveyId, rid);
  return sendPage(c.request, c.reply, 200, `Delete response ${rid}`, html`${RESPONSES_CSS}
    <h1>Delete response</h1>
    <dl class="ids"><dt>Survey</dt><dd>${survey.name}</dd><dt>Response ID</dt><dd>${rid}</dd><dt>Ended</dt><dd>${String(r.EndDate ?? '')}</dd></dl>
    <div class="confirm" id="delete-warning"><p>The response will be left out of the table, the report, downloads and response counts. This cannot be undone here.</p></div>
    <form method="post" action="${url}/delete">${csrf(c.request.csrfToken)}
      <div class="actions"><button type="submit" class="danger" aria-describedby="delete-warning">Delete response</button><a class="button secondary" href="${url}">Keep the response</a></div>
    </form>`);
}

export function responsePages(app: FastifyInstance, services: Services): void {
  const base = `${SECTION}/:id/responses/:responseId`;
  app.get(base, withResponseData(services, (c) => responseView(services, c, { status: 200 })));
  app.post(`${base}/embedded-data`, withResponseData(services, (c) => saveEmbedded(services, c)));
  app.get(`${base}/delete`, withResponseData(services, (c) => deleteConfirm(services, c)));
  app.post(`${base}/delete`, withResponseData(services, async (c) => {
    await services.responses.deleteResponse(c.actor, c.surveyId, responseId(c));
    return c.reply.redirect(`${surveyUrl(c.surveyId)}/responses?done=deleted`, 303);
  }));
}

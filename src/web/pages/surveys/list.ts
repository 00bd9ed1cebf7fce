import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../../services/actor.ts';
import type { ServiceError } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import type { SurveyListEntry } from '../../../services/surveys.ts';
import { csrf, notice } from '../../forms.ts';
import { html, type Html } from '../../html.ts';
import { errorSummary, SECTION, sendPage, surveyUrl, timeZone, when } from './common.ts';

export interface ListView {
  status: number;
  name: string;
  activate: boolean;
  /** A refused import: shown on the import form. */
  importError?: ServiceError;
  /** A refused action on one survey: shown at the top. */
  actionError?: ServiceError;
  done?: string | undefined;
}

const DONE: Record<string, string> = {
  imported: 'The survey was imported.',
  activated: 'The survey was activated.',
  deactivated: 'The survey was deactivated.',
  deleted: 'The survey was deleted.',
  copied: 'The survey was copied; the copy is inactive.',
};

function postButton(token: string, action: string, label: string, aria: string, cls = 'secondary'): Html {
  return html`<form method="post" action="${action}">${csrf(token)}<button type="submit" class="${cls}" aria-label="${aria}">${label}</button></form>`;
}

function surveyRow(s: SurveyListEntry, token: string, tz: string): Html {
  const url = surveyUrl(s.id);
  const toggle = s.status === 'Active'
    ? postButton(token, `${url}/deactivate`, 'Deactivate', `Deactivate ${s.name}`)
    : postButton(token, `${url}/activate`, 'Activate', `Activate ${s.name}`);
  return html`<tr><th scope="row"><a href="${url}">${s.name}</a></th>
    <td class="${s.status === 'Active' ? 'status-active' : ''}">${s.status}</td><td>${when(s.createdAt, tz)}</td><td>${when(s.modifiedAt, tz)}</td>
    <td class="count">${s.responses > 0 ? html`<a href="${url}/responses" aria-label="${s.responses} ${s.responses === 1 ? 'response' : 'responses'} to ${s.name}">${String(s.responses)}</a>` : html`<span aria-hidden="true">—</span><span class="visually-hidden">No responses</span>`}</td>
    <td><div class="row-actions">${toggle}
      <a href="${url}/export.qsf" download aria-label="Export ${s.name} as QSF">Export QSF</a>
      ${postButton(token, `${url}/copy`, 'Copy', `Copy ${s.name}`)}
      <a href="${url}/delete" aria-label="Delete ${s.name}">Delete</a></div></td></tr>`;
}

function surveyTable(surveys: SurveyListEntry[], token: string, tz: string): Html {
  if (surveys.length === 0) return html`<p>You have no surveys yet. Import a QSF file below.</p>`;
  return html`<div class="table-wrap"><table><caption>Your surveys (${surveys.length})</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Modified</th><th scope="col">Responses</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${surveys.map((s) => surveyRow(s, token, tz))}</tbody></table></div>`;
}

function importForm(token: string, v: ListView): Html {
  const fileInvalid = v.importError?.kind === 'Conflict' || v.importError?.param === 'File';
  return html`<section aria-labelledby="import-heading">
    <h2 id="import-heading">Import a survey</h2>
    <form method="post" action="${SECTION}/import" enctype="multipart/form-data" novalidate>
      ${errorSummary(v.importError)}
      ${csrf(token)}
      <label for="f-file">QSF file</label>
      <p class="hint" id="f-file-hint">A survey exported as a .qsf file; at most 50 MB.</p>
      <input type="file" id="f-file" name="file" accept=".qsf,application/json" required aria-describedby="f-file-hint"${fileInvalid ? html` aria-invalid="true"` : ''}>
      <label for="f-name">Survey name <span class="optional">(optional)</span></label>
      <p class="hint" id="f-name-hint">Leave empty to use the name stored in the file.</p>
      <input type="text" id="f-name" name="name" value="${v.name}" autocomplete="off" aria-describedby="f-name-hint">
      <div class="check"><input type="checkbox" id="f-activate" name="activate" value="1"${v.activate ? html` checked` : ''}><label for="f-activate">Activate now</label></div>
      <div class="actions"><button type="submit">Import survey</button></div>
    </form></section>`;
}

export async function listPage(services: Services, request: FastifyRequest, reply: FastifyReply, actor: Actor, v: ListView): Promise<FastifyReply> {
  const [surveys, tz] = await Promise.all([services.surveys.listSurveys(actor), timeZone(services, actor.brandId)]);
  const token = request.csrfToken;
  return sendPage(request, reply, v.status, 'Surveys', html`<h1>Surveys</h1>
    ${errorSummary(v.actionError)}
    ${notice(v.done ? DONE[v.done] : undefined)}
    ${surveyTable(surveys, token, tz)}
    ${importForm(token, v)}`);
}

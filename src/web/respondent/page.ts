/**
 * A survey page as a whole HTML document: one form that posts without script (survey.js only
 * enhances), an error summary that links to the questions at fault, the questions, then the buttons.
 * Next is the first submit button in the document, so Enter in a text box means Next; `action` says
 * which button was used. No inline script or style: the respondent CSP allows neither.
 */
import { plainText } from '../../domain/survey/export-columns.ts';
import { html, raw, type Html } from '../html.ts';
import { ACTION_FIELD, CONFIRM_FIELD, SESSION_FIELD, TOKEN_FIELD } from './form.ts';
import { renderQuestion, type RenderedQuestion } from './questions/index.ts';
import type { PageQuestionView, PageView } from './view.ts';

export type { PageQuestionView, PageView } from './view.ts';

/** How much of a question's text names it in the error summary. */
const SUMMARY_TEXT = 80;
const SPACES = /\s+/g;

function questionName(q: PageQuestionView, index: number): string {
  const text = plainText(q.question.questionText).replace(SPACES, ' ').trim();
  if (text === '') return `Question ${index + 1}`;
  return text.length > SUMMARY_TEXT ? `${text.slice(0, SUMMARY_TEXT - 1)}…` : text;
}

interface Problem {
  href: string;
  name: string;
  message: string;
  soft: boolean;
}

function problems(view: PageView, rendered: Array<RenderedQuestion | undefined>): Problem[] {
  const out: Problem[] = [];
  view.questions.forEach((q, i) => {
    const r = rendered[i];
    if (!r) return;
    for (const issue of q.issues) {
      if (!issue.warning) out.push({ href: `#${r.focus}`, name: questionName(q, i), message: issue.message, soft: issue.soft === true });
    }
  });
  return out;
}

function summary(view: PageView, list: Problem[]): Html {
  if (list.length === 0) return html``;
  const soft = view.softOnly || list.every((p) => p.soft);
  const items = list.map((p) => html`<li><a href="${p.href}">${p.name}: ${p.message}</a></li>`);
  if (soft) {
    return html`<div class="sv-summary sv-soft" role="alert" tabindex="-1" id="sv-summary"><h2>Some questions are not answered</h2><ul>${items}</ul><p>Answer them, or select “${view.nextLabel}” to continue without answering.</p></div>`;
  }
  return html`<div class="sv-summary" role="alert" tabindex="-1" id="sv-summary"><h2>There is a problem</h2><ul>${items}</ul></div>`;
}

function progress(value: number | null): Html {
  if (value === null || !Number.isFinite(value)) return html``;
  const p = Math.min(Math.max(Math.round(value), 0), 100);
  return html`<div class="sv-progress"><label for="sv-progress">Progress</label> <progress id="sv-progress" max="100" value="${p}">${p}%</progress> <span aria-hidden="true">${p}%</span></div>`;
}

function buttons(view: PageView): Html {
  const back = view.backButton ? html`<button type="submit" class="sv-btn sv-back" name="${ACTION_FIELD}" value="back">${view.backLabel || 'Back'}</button>` : '';
  return html`<div class="sv-nav"><button type="submit" class="sv-btn sv-next" name="${ACTION_FIELD}" value="next">${view.nextLabel || 'Next'}</button>${back}</div>`;
}

export function renderSurveyPage(view: PageView): string {
  const rendered = view.questions.map((q) => renderQuestion(view, q));
  const list = problems(view, rendered);
  const blocking = list.some((p) => !p.soft) && !view.softOnly;
  const title = `${blocking ? 'Error: ' : ''}${view.title}`;
  return html`<!doctype html>
<html lang="${view.lang || 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title}</title>
<link rel="stylesheet" href="${view.assetBase}/survey.css">
<script src="${view.assetBase}/survey.js" defer></script>
</head>
<body>
${view.headerHtml ? html`<header class="sv-header">${raw(view.headerHtml)}</header>` : ''}
<main id="main" class="sv-main">
<h1 class="sv-title">${view.title}</h1>
<form class="sv-form" method="post" action="${view.action}" novalidate>
<input type="hidden" name="${SESSION_FIELD}" value="${view.sessionId}">
<input type="hidden" name="${TOKEN_FIELD}" value="${view.pageToken}">
${view.softOnly ? html`<input type="hidden" name="${CONFIRM_FIELD}" value="1">` : ''}
${summary(view, list)}
${progress(view.progress)}
${rendered.map((r) => (r ? r.html : ''))}
${buttons(view)}
</form>
</main>
${view.footerHtml ? html`<footer class="sv-footer">${raw(view.footerHtml)}</footer>` : ''}
</body>
</html>`.value;
}

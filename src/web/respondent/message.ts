/**
 * The pages without a form: end of survey, survey closed or not found, link expired. The body is
 * already safe HTML (the caller sanitizes the QSF or library message); an empty body gets the default
 * end-of-survey text.
 */
import { html, raw } from '../html.ts';

export interface MessagePage {
  title: string;
  bodyHtml: string;
  lang: string;
  /** Where survey.css is served; the respondent app's default. */
  assetBase?: string;
}

export const DEFAULT_END_MESSAGE = '<p>We thank you for your time spent taking this survey. Your response has been recorded.</p>';

export function renderMessagePage(o: MessagePage): string {
  const body = o.bodyHtml.trim() === '' ? DEFAULT_END_MESSAGE : o.bodyHtml;
  return html`<!doctype html>
<html lang="${o.lang || 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${o.title}</title>
<link rel="stylesheet" href="${o.assetBase ?? '/jfe/assets'}/survey.css">
</head>
<body>
<main id="main" class="sv-main sv-message">
<h1 class="sv-title">${o.title}</h1>
<div class="sv-message-body">${raw(body)}</div>
</main>
</body>
</html>`.value;
}

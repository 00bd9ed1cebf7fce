/**
 * Meta info: nothing visible. Browser, version and operating system come from the request's user agent
 * on the server; the screen resolution only the browser knows, so survey.js writes it into this field.
 */
import { html } from '../../html.ts';
import { RESOLUTION_FIELD } from '../form.ts';
import type { QuestionContext, Rendered } from './common.ts';

export function renderMeta(_c: QuestionContext): Rendered {
  return { body: html`<input type="hidden" class="sv-res" name="${RESOLUTION_FIELD}" value="">` };
}

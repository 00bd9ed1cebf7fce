/**
 * Timing: nothing visible. Hidden fields survey.js fills with the page's first and last click (seconds
 * since the page was shown) and click count; the page-submit time is measured on the server.
 */
import { html } from '../../html.ts';
import { TIMING_PARTS, timingField } from '../form.ts';
import type { QuestionContext, Rendered } from './common.ts';

export function renderTiming(c: QuestionContext): Rendered {
  return { body: html`${TIMING_PARTS.map((part) => html`<input type="hidden" class="sv-timing" data-part="${part}" name="${timingField(c.q.qid, part)}" value="">`)}` };
}

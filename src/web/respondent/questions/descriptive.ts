/** Descriptive text / graphic: the text only, no controls (index.ts gives it a plain block, not a fieldset). */
import { html } from '../../html.ts';
import type { QuestionContext, Rendered } from './common.ts';

export function renderDescriptive(_c: QuestionContext): Rendered {
  return { body: html`` };
}

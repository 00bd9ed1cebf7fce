/**
 * Text entry: one box (SL single line, ML multi line, ESTB essay, PW password) labelled by the question
 * text, or a form of labelled boxes (FORM, one per choice). The validation content type only picks the
 * on-screen keyboard (inputmode): the input type stays text so the browser never rewrites the value.
 */
import { html, type Html } from '../../html.ts';
import { textField } from '../form.ts';
import { shownChoices } from '../shape.ts';
import { described, display, idPart, textValue, textarea, type QuestionContext, type Rendered } from './common.ts';

const INPUT_MODE: Record<string, string> = { ValidEmail: 'email', ValidNumber: 'decimal', ValidUSPhone: 'tel', ValidZip: 'numeric' };
const AUTOCOMPLETE: Record<string, string> = { ValidEmail: 'email', ValidUSPhone: 'tel', ValidZip: 'postal-code' };

function contentType(c: QuestionContext): string {
  const v = c.q.payload.Validation;
  const s = typeof v === 'object' && v !== null ? (v as Record<string, unknown>).Settings : undefined;
  const t = typeof s === 'object' && s !== null ? (s as Record<string, unknown>).ContentType : undefined;
  return typeof t === 'string' ? t : '';
}

function keyboard(c: QuestionContext): Html {
  const type = contentType(c);
  const mode = Object.prototype.hasOwnProperty.call(INPUT_MODE, type) ? INPUT_MODE[type] : undefined;
  const auto = Object.prototype.hasOwnProperty.call(AUTOCOMPLETE, type) ? AUTOCOMPLETE[type] : undefined;
  return html`${mode ? html` inputmode="${mode}"` : ''}${auto ? html` autocomplete="${auto}"` : ''}`;
}

function single(c: QuestionContext): Rendered {
  const id = `${c.id}-text`;
  const name = textField(c.q.qid, '');
  const value = textValue(c, '');
  const common = html` id="${id}" name="${name}" aria-labelledby="${c.textId}" maxlength="20000"${described(c)}`;
  switch (c.q.question.selector) {
    case 'ML':
      return { body: textarea(html` class="sv-textarea"${common} rows="4"`, value), focus: id };
    case 'ESTB':
      return { body: textarea(html` class="sv-textarea sv-essay"${common} rows="10"`, value), focus: id };
    case 'PW':
      return { body: html`<input type="password" class="sv-text"${common} autocomplete="off" value="${value}">`, focus: id };
    default:
      return { body: html`<input type="text" class="sv-text"${common}${keyboard(c)} value="${value}">`, focus: id };
  }
}

function form(c: QuestionContext): Rendered {
  const fields = shownChoices(c.q);
  const q = c.q.question;
  const ids = fields.map((f) => `${c.id}-f-${idPart(f)}`);
  const body = html`<div class="sv-form-fields">${fields.map((f, i) => html`<div class="sv-form-row"><label for="${ids[i]}">${display(c, q.choices.get(f)?.display ?? '')}</label><input type="text" class="sv-text" id="${ids[i]}" name="${textField(c.q.qid, f)}" value="${textValue(c, f)}" maxlength="20000"${keyboard(c)}${described(c)}></div>`)}</div>`;
  return { body, focus: ids[0] };
}

export function renderTextEntry(c: QuestionContext): Rendered {
  return c.q.question.selector === 'FORM' ? form(c) : single(c);
}

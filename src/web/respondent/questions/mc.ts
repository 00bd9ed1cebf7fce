/**
 * Multiple choice: radios (SAVR/SAHR/SACOL/NPS), checkboxes (MAVR/MAHR/MACOL), a dropdown (DL), list
 * boxes (SB single, MSB multiple). A choice with TextEntry gets its own text box; an ExclusiveAnswer
 * choice is marked for survey.js, which unchecks the others (validation refuses the mix without it).
 */
import { html, raw, type Html } from '../../html.ts';
import { selectedField, textField } from '../form.ts';
import { isMultiMc, shownChoices } from '../shape.ts';
import {
  CHECKED, SELECTED, configuration, described, display, entryFlag, idPart, isSelected, numberOf, optionText, textValue,
  type QuestionContext, type Rendered,
} from './common.ts';

const LAYOUT: Record<string, string> = { SAHR: 'sv-h', MAHR: 'sv-h', NPS: 'sv-h sv-nps', SACOL: 'sv-cols', MACOL: 'sv-cols' };

function choiceId(c: QuestionContext, choice: string): string {
  return `${c.id}-c-${idPart(choice)}`;
}

/** The "other, please specify" box of a text-entry choice, labelled by the choice's own label. */
function otherBox(c: QuestionContext, choice: string, labelId: string): Html {
  const id = `${choiceId(c, choice)}-t`;
  return html`<input type="text" class="sv-other" id="${id}" name="${textField(c.q.qid, choice)}" value="${textValue(c, choice)}" maxlength="20000" aria-labelledby="${labelId}"${described(c)}>`;
}

function columns(c: QuestionContext): Html {
  const n = Math.min(Math.max(Math.round(numberOf(configuration(c).NumColumns) ?? 2), 2), 4);
  return raw(` sv-cols-${n}`);
}

function buttons(c: QuestionContext, choices: string[]): Html {
  const q = c.q.question;
  const type = isMultiMc(q) ? 'checkbox' : 'radio';
  const name = selectedField(c.q.qid);
  const layout = LAYOUT[q.selector] ?? 'sv-v';
  return html`<div class="sv-choices ${layout}${layout === 'sv-cols' ? columns(c) : ''}">${choices.map((choice) => {
    const id = choiceId(c, choice);
    const excl = entryFlag(c.q.payload, 'Choices', choice, 'ExclusiveAnswer');
    const text = q.choices.get(choice)?.textEntry === true;
    return html`<div class="sv-choice"><input type="${type}" id="${id}" name="${name}" value="${choice}"${excl ? raw(' class="sv-excl"') : ''}${isSelected(c, choice) ? CHECKED : ''}${described(c)}><label for="${id}" id="${id}-l">${display(c, q.choices.get(choice)?.display ?? '')}</label>${text ? otherBox(c, choice, `${id}-l`) : ''}</div>`;
  })}</div>`;
}

function list(c: QuestionContext, choices: string[]): Html {
  const q = c.q.question;
  const id = `${c.id}-select`;
  const multi = isMultiMc(q);
  const dropdown = q.selector === 'DL';
  const size = dropdown ? '' : html` size="${Math.min(Math.max(choices.length, 2), 10)}"`;
  const options = choices.map((choice) => html`<option value="${choice}"${isSelected(c, choice) ? SELECTED : ''}>${optionText(c, q.choices.get(choice)?.display ?? '')}</option>`);
  const others = choices.filter((choice) => q.choices.get(choice)?.textEntry);
  return html`<select id="${id}" name="${selectedField(c.q.qid)}" aria-labelledby="${c.textId}"${multi ? raw(' multiple') : ''}${size}${described(c)}>${dropdown ? html`<option value="">Select…</option>` : ''}${options}</select>${others.map((choice) => {
    const labelId = `${choiceId(c, choice)}-l`;
    return html`<div class="sv-other-row"><label id="${labelId}" for="${choiceId(c, choice)}-t">${display(c, q.choices.get(choice)?.display ?? '')}</label> ${otherBox(c, choice, labelId)}</div>`;
  })}`;
}

export function renderMc(c: QuestionContext): Rendered {
  const choices = shownChoices(c.q);
  const selector = c.q.question.selector;
  if (selector === 'DL' || selector === 'SB' || selector === 'MSB') return { body: list(c, choices), focus: `${c.id}-select` };
  return { body: buttons(c, choices), focus: choices.length > 0 ? choiceId(c, choices[0]) : undefined };
}

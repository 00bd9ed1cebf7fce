/**
 * Sliders (HSLIDER and the other slider selectors). Without script each item is a number box with the
 * slider's range; survey.js adds a range control beside it (keyboard and drag) that writes into the
 * box, so an untouched slider stays unanswered, as in Qualtrics. Step: the grid when SnapToGrid, else
 * 10^-NumDecimals. Labels (the scale words above the track) are shown for sighted users; the range
 * itself is said in the hint every box points to.
 */
import { html, type Html } from '../../html.ts';
import { numericField } from '../form.ts';
import { shownChoices } from '../shape.ts';
import { configuration, described, display, idPart, numberOf, numberValue, truthy, type QuestionContext, type Rendered } from './common.ts';

interface Scale {
  min: number;
  max: number;
  step: number;
  grid: number;
}

function scale(c: QuestionContext): Scale {
  const cfg = configuration(c);
  let min = numberOf(cfg.CSSliderMin) ?? 0;
  let max = numberOf(cfg.CSSliderMax) ?? 100;
  if (max < min) [min, max] = [max, min];
  const grid = Math.max(0, Math.round(numberOf(cfg.GridLines) ?? 0));
  const decimals = Math.min(Math.max(Math.round(numberOf(cfg.NumDecimals) ?? 0), 0), 6);
  const snap = truthy(cfg.SnapToGrid) && grid > 0 && max > min;
  return { min, max, grid, step: snap ? (max - min) / grid : 10 ** -decimals };
}

function labels(c: QuestionContext): Html {
  const raw = c.q.payload.Labels;
  if (typeof raw !== 'object' || raw === null) return html``;
  const texts = Object.values(raw as Record<string, unknown>)
    .map((l) => (typeof l === 'object' && l !== null ? (l as Record<string, unknown>).Display : undefined))
    .filter((d): d is string => typeof d === 'string' && d !== '');
  if (texts.length === 0) return html``;
  return html`<ul class="sv-slider-labels" aria-hidden="true">${texts.map((t) => html`<li>${display(c, t)}</li>`)}</ul>`;
}

export function renderSlider(c: QuestionContext): Rendered {
  const items = shownChoices(c.q);
  const s = scale(c);
  const hint = `${c.id}-hint`;
  const ids = items.map((item) => `${c.id}-s-${idPart(item)}`);
  const body = html`<p class="sv-hint" id="${hint}">Enter a number from ${s.min} to ${s.max}.</p>${labels(c)}<div class="sv-sliders">${items.map((item, i) => html`<div class="sv-slider" data-grid="${s.grid}"><label for="${ids[i]}">${display(c, c.q.question.choices.get(item)?.display ?? '')}</label><input type="number" class="sv-num" id="${ids[i]}" name="${numericField(c.q.qid, item)}" min="${s.min}" max="${s.max}" step="${s.step}" value="${numberValue(c, item)}"${described(c, hint)}></div>`)}</div>`;
  return { body, focus: ids[0] };
}

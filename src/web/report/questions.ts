/** One section per question family: a chart with its data table, or a heat table, or text. */
import { formatDateTime } from '../../domain/dates.ts';
import type {
  ChoiceReport, MatrixReport, MatrixSummary, NumericReport, QuestionReport, SideBySideReport, TextSummary,
} from '../../domain/report/types.ts';
import { html, type Html } from '../html.ts';
import { barChart } from './charts.ts';
import { heading, type RenderContext } from './context.ts';
import { label } from './format.ts';
import { dataTable, heatClass } from './tables.ts';

export function questionSection(q: QuestionReport, c: RenderContext): Html {
  const id = c.id();
  const title = questionTitle(q);
  const counts = html`<p class="rp-meta">Shown to ${c.fmt.count(q.displayed)} · answered by ${c.fmt.count(q.answered)}</p>`;
  return html`<section class="rp-question" aria-labelledby="${id}">
${heading(c.level + 1, id, html`<span class="rp-tag">${q.tag || q.qid}</span> ${title}`)}
${counts}
${body(q, title, c)}
</section>`;
}

export function questionTitle(q: { text: string; tag: string; qid: string }): string {
  return label(q.text, q.tag || q.qid);
}

function body(q: QuestionReport, title: string, c: RenderContext): Html {
  switch (q.family) {
    case 'choice':
      return choiceBody(q, title, c);
    case 'matrix':
      return matrixTable(q, title, c);
    case 'numeric':
      return numericBody(q, title, c);
    case 'text':
      return textBody(q, title, c.level + 2, c);
    case 'side-by-side':
      return sideBySideBody(q, title, c);
  }
}

/** A chart with its table; `stacked` keeps a wide table under the chart at every width. */
function figure(chart: Html, table: Html, stacked = false): Html {
  return html`<figure class="rp-figure${stacked ? ' rp-stacked' : ''}">${chart}${table}</figure>`;
}

function choiceBody(q: ChoiceReport, title: string, c: RenderContext): Html {
  const { fmt } = c;
  const rows = q.choices.map((ch) => ({ ch, name: label(ch.label, ch.id), count: fmt.count(ch.count), pct: fmt.percent(ch.percentOfAnswered) }));
  const table = dataTable({
    id: c.id(),
    caption: title,
    corner: 'Choice',
    head: ['Count', '% of answered', '% of shown'],
    rows: rows.map((r) => ({ header: r.name, cells: [r.count, r.pct, fmt.percent(r.ch.percentOfDisplayed)] })),
  });
  const chart = barChart(c.id(), `${title}: share of respondents who answered`, rows.map((r) => ({ label: r.name, value: r.ch.percentOfAnswered, text: `${r.pct} (${r.count})` })), 'Bar chart; each bar is a choice, with its share and count. The table below gives the same figures.');
  const notes = [
    q.multi ? html`<p class="rp-note">Respondents could choose more than one answer, so the shares can add up to more than 100%.</p>` : '',
    q.unrecognised > 0 ? html`<p class="rp-note">${fmt.count(q.unrecognised)} answers match no choice of the current survey.</p>` : '',
  ];
  return html`${q.answered > 0 ? figure(chart, table) : html`<p class="rp-empty">No answers yet.</p>${table}`}${notes}${q.nps ? npsPart(q, title, c) : ''}`;
}

function npsPart(q: ChoiceReport, title: string, c: RenderContext): Html {
  const nps = q.nps!;
  const scored = nps.promoters + nps.passives + nps.detractors;
  const share = (n: number): string => c.fmt.percent(scored === 0 ? 0 : (n / scored) * 100);
  const table = dataTable({
    id: c.id(),
    caption: `${title}: Net Promoter groups`,
    corner: 'Group',
    head: ['Count', '% of scored'],
    rows: [
      { header: 'Promoters (9–10)', cells: [c.fmt.count(nps.promoters), share(nps.promoters)] },
      { header: 'Passives (7–8)', cells: [c.fmt.count(nps.passives), share(nps.passives)] },
      { header: 'Detractors (0–6)', cells: [c.fmt.count(nps.detractors), share(nps.detractors)] },
    ],
  });
  return html`<p class="rp-score">Net Promoter Score: <strong>${nps.score === null ? '–' : c.fmt.stat(nps.score)}</strong></p>${table}`;
}

function heatTable(m: MatrixSummary, caption: string, c: RenderContext): Html {
  const { fmt } = c;
  return dataTable({
    id: c.id(),
    caption,
    cls: 'rp-heat',
    corner: 'Statement',
    head: [...m.points.map((p) => label(p.label, p.id)), 'Respondents'],
    rows: m.rows.map((r) => ({
      header: label(r.label, r.id),
      cells: [...r.percents.map((p, i) => ({ text: fmt.percent(p), sub: fmt.count(r.counts[i]), cls: heatClass(p) })), fmt.count(r.answered)],
    })),
  });
}

function matrixNotes(m: MatrixSummary, c: RenderContext): Html {
  return html`<p class="rp-note">Each cell: share of the statement's respondents (count below it); darker cells hold larger shares.${m.multi ? ' Respondents could choose more than one answer per statement.' : ''}</p>${m.unrecognised > 0 ? html`<p class="rp-note">${c.fmt.count(m.unrecognised)} answers match no scale point of the current survey.</p>` : ''}`;
}

function matrixTable(q: MatrixReport, title: string, c: RenderContext): Html {
  return html`${heatTable(q, title, c)}${matrixNotes(q, c)}`;
}

const KIND_NOTE: Record<NumericReport['kind'], string> = {
  slider: '',
  'constant-sum': '',
  number: '',
  matrix: '',
  rank: 'Ranks: 1 is the first place, so a lower mean means ranked higher.',
};

function numericBody(q: NumericReport, title: string, c: RenderContext): Html {
  const { fmt } = c;
  const items = q.items.map((i) => ({ i, name: label(i.label, title) }));
  const table = dataTable({
    id: c.id(),
    caption: title,
    corner: 'Item',
    head: ['N', 'Mean', 'Median', 'Std deviation', 'Minimum', 'Maximum'],
    rows: items.map(({ i, name }) => ({
      header: name,
      cells: [fmt.count(i.stats.n), fmt.stat(i.stats.mean), `${i.stats.medianApproximate ? '≈ ' : ''}${fmt.stat(i.stats.median)}`, fmt.stat(i.stats.sd), fmt.stat(i.stats.min), fmt.stat(i.stats.max)],
    })),
  });
  const chart = barChart(c.id(), `${title}: mean per item`, items.map(({ i, name }) => ({ label: name, value: i.stats.mean ?? 0, text: fmt.stat(i.stats.mean) })), 'Bar chart of the mean of each item. The table below gives the same means with more statistics.');
  const approximate = q.items.some((i) => i.stats.medianApproximate);
  const notNumeric = q.items.reduce((s, i) => s + i.notNumeric, 0);
  return html`${q.items.some((i) => i.stats.n > 0) ? figure(chart, table, true) : html`<p class="rp-empty">No answers yet.</p>${table}`}
${KIND_NOTE[q.kind] ? html`<p class="rp-note">${KIND_NOTE[q.kind]}</p>` : ''}
${approximate ? html`<p class="rp-note">≈ marks a median estimated from a compressed histogram (too many distinct values to keep them all).</p>` : ''}
${notNumeric > 0 ? html`<p class="rp-note">${fmt.count(notNumeric)} answers are not numbers and are left out.</p>` : ''}`;
}

function textBody(t: TextSummary, title: string, level: number, c: RenderContext): Html {
  if (t.withheld) return html`<p class="rp-note">Answers to password fields are counted but never shown.</p>`;
  return html`${t.items.map((item) => {
    const name = label(item.label);
    const itemTitle = name === '' ? title : `${title} – ${name}`;
    const id = c.id();
    const words = item.words.length === 0 ? html`<p class="rp-empty">No words to count yet.</p>` : dataTable({
      id: c.id(),
      caption: `Most frequent words: ${itemTitle}`,
      corner: 'Word',
      head: ['Count'],
      rows: item.words.map((w) => ({ header: w.word, cells: [c.fmt.count(w.count)] })),
    });
    const named = t.items.length > 1 || name !== '';
    // Under the item's own heading when it has one; otherwise directly under the question's (no skipped level).
    const latest = item.latest.length === 0 ? '' : html`<div class="rp-latest">${heading(named ? level + 1 : level, c.id(), 'Latest answers')}<ol>${item.latest.map((a) => html`<li><p class="rp-answer">${a.text}</p><p class="rp-when"><time datetime="${new Date(a.at).toISOString()}">${formatDateTime(a.at, c.timeZone)}</time></p></li>`)}</ol></div>`;
    const head = named ? heading(level, id, name || title) : '';
    // A lone unnamed box has as many answers as the question, which the section already says.
    const count = named ? html`<p class="rp-meta">${c.fmt.count(item.count)} answers</p>` : '';
    return html`<div class="rp-text-item">${head}${count}${words}${item.wordsApproximate ? html`<p class="rp-note">Word counts are approximate: rare words were dropped along the way to bound memory.</p>` : ''}${latest}</div>`;
  })}`;
}

function sideBySideBody(q: SideBySideReport, title: string, c: RenderContext): Html {
  return html`${q.columns.map((col) => {
    const name = label(col.label, `Column ${col.n}`);
    const id = c.id();
    const part = col.kind === 'matrix' ? html`${heatTable(col, `${title} – ${name}`, c)}${matrixNotes(col, c)}` : textBody(col, `${title} – ${name}`, c.level + 3, c);
    return html`<div class="rp-sbs-column">${heading(c.level + 2, id, name)}<p class="rp-meta">Answered by ${c.fmt.count(col.answered)}</p>${part}</div>`;
  })}`;
}

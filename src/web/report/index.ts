/**
 * The per-survey report as a server-rendered HTML fragment (the route puts it in the page frame and
 * links report.css). Every survey text is reduced to plain text and escaped; respondents' answers are
 * escaped; nothing uses inline styles.
 */
import type { DayCount, SurveyReport } from '../../domain/report/types.ts';
import { html, type Html } from '../html.ts';
import { columnChart } from './charts.ts';
import { heading, type RenderContext } from './context.ts';
import { formats } from './format.ts';
import { idMaker } from './ids.ts';
import { questionSection, questionTitle } from './questions.ts';
import { dataTable } from './tables.ts';

export interface RenderReportOptions {
  /** Number formatting locale (BCP 47); default 'en'. */
  locale?: string;
  /** Prefix of generated element ids, for pages holding more than one report. */
  idPrefix?: string;
  /** Level of the report's section headings (questions get the next one); default 2. */
  headingLevel?: number;
  /** Days without responses are drawn as empty columns when the whole range spans at most this many days. */
  maxFilledDays?: number;
}

export const DEFAULT_MAX_FILLED_DAYS = 400;

export function renderReport(report: SurveyReport, opts: RenderReportOptions = {}): Html {
  const c: RenderContext = { fmt: formats(opts.locale), id: idMaker(opts.idPrefix), level: opts.headingLevel ?? 2, timeZone: report.timeZone };
  const questionsId = c.id();
  return html`<div class="rp-report">
${responsesSection(report, c, opts.maxFilledDays ?? DEFAULT_MAX_FILLED_DAYS)}
<section class="rp-questions" aria-labelledby="${questionsId}">
${heading(c.level, questionsId, 'Questions')}
${report.questions.length === 0 ? html`<p class="rp-empty">This survey has no questions to summarise.</p>` : report.questions.map((q) => questionSection(q, c))}
${notSummarised(report, c)}
</section>
</div>`;
}

function responsesSection(report: SurveyReport, c: RenderContext, maxFilled: number): Html {
  const { fmt } = c;
  const id = c.id();
  const r = report.responses;
  const days = fillDays(report.timeline, maxFilled);
  const table = dataTable({
    id: c.id(),
    caption: `Responses per day (${report.timeZone})`,
    corner: 'Date',
    head: ['Finished', 'In progress', 'Total'],
    rows: days.map((d) => ({ header: d.date, cells: [fmt.count(d.finished), fmt.count(d.inProgress), fmt.count(d.finished + d.inProgress)] })),
  });
  const chart = columnChart(
    c.id(),
    `Responses per day (${report.timeZone})`,
    days.map((d) => ({
      label: d.date,
      parts: [{ value: d.finished, cls: 'rp-bar' }, { value: d.inProgress, cls: 'rp-bar-alt' }],
      text: fmt.count(d.finished + d.inProgress),
    })),
    'Column chart; each column is a day, finished responses at the bottom and responses in progress stacked on top. The table below gives the same counts.',
  );
  return html`<section class="rp-responses" aria-labelledby="${id}">
${heading(c.level, id, 'Responses')}
<dl class="rp-totals">
<div><dt>Responses</dt><dd>${fmt.count(r.total)}</dd></div>
<div><dt>Finished</dt><dd>${fmt.count(r.finished)}</dd></div>
<div><dt>In progress</dt><dd>${fmt.count(r.inProgress)}</dd></div>
${r.previewsExcluded > 0 ? html`<div><dt>Previews (not counted)</dt><dd>${fmt.count(r.previewsExcluded)}</dd></div>` : ''}
</dl>
${days.length === 0 ? html`<p class="rp-empty">No responses yet.</p>` : html`<figure class="rp-figure"><div class="rp-chart-box">${chart}<ul class="rp-legend"><li><span class="rp-swatch rp-swatch-finished"></span>Finished</li><li><span class="rp-swatch rp-swatch-progress"></span>In progress</li></ul></div>${table}</figure>`}
</section>`;
}

/** The listed days plus the empty days between them, unless the range is too long to draw them all. */
export function fillDays(days: DayCount[], maxFilled: number): DayCount[] {
  if (days.length < 2) return days;
  const start = Date.parse(`${days[0].date}T00:00:00Z`);
  const end = Date.parse(`${days[days.length - 1].date}T00:00:00Z`);
  const span = Math.round((end - start) / 86_400_000) + 1;
  if (!Number.isFinite(span) || span > maxFilled) return days;
  const byDate = new Map(days.map((d) => [d.date, d]));
  const out: DayCount[] = [];
  for (let t = start; t <= end; t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    out.push(byDate.get(date) ?? { date, finished: 0, inProgress: 0 });
  }
  return out;
}

function notSummarised(report: SurveyReport, c: RenderContext): Html {
  if (report.notSummarised.length === 0) return html``;
  const id = c.id();
  return html`<div class="rp-not-summarised">${heading(c.level + 1, id, 'Not summarised here')}<p class="rp-note">These questions record data this report does not chart (timing, browser details and similar); the response export has it.</p><ul>${report.notSummarised.map((q) => html`<li><span class="rp-tag">${q.tag || q.qid}</span> ${questionTitle(q)} (${q.type})</li>`)}</ul></div>`;
}

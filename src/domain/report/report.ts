/**
 * The per-survey report, built incrementally: a route feeds stored responses one by one from a
 * database cursor and asks for the result at the end, so memory depends on the survey (questions,
 * choices, days), not on the number of responses.
 *
 *   const report = createReport(survey, { timeZone: 'Europe/Paris' });
 *   for await (const r of cursor) report.add(r);
 *   const data = report.result();
 *
 * Which answers count: a question's cells count only for responses it was displayed to (so answers
 * left from a branch the respondent backed out of are not counted). Responses that carry no display
 * record at all (an empty `displayed`, as data imported from elsewhere may have) count every
 * question they hold a value for as displayed. Stored values never hold UnansweredRecode, so an empty
 * cell is simply unanswered.
 */
import { isValidTimeZone } from '../dates.ts';
import type { StoredResponse } from '../export/legacy-export.ts';
import type { QsfSurvey } from '../survey/qsf.ts';
import { cell, header, type QuestionAggregator } from './cells.ts';
import { choiceAggregator } from './choice.ts';
import { matrixAggregator } from './matrix.ts';
import { numericAggregator } from './numeric.ts';
import { planQuestions, type QuestionPlan } from './plan.ts';
import { sideBySideAggregator } from './side-by-side.ts';
import { textAggregator } from './text.ts';
import { Timeline } from './timeline.ts';
import type { QuestionHeader, SurveyReport } from './types.ts';

/** Preview responses (status 1, api-v2.md §3.2). */
export const PREVIEW_STATUS = 1;

export interface ReportOptions {
  /** IANA zone for the responses-per-day counts; default UTC. */
  timeZone?: string;
  /** Count preview responses too (default: left out). */
  includePreviews?: boolean;
  /** Which date places a response on a day: when it was recorded (endDate, default) or started. */
  dateField?: 'endDate' | 'startDate';
  /** Text-entry questions that take numbers; see numericTextQuestions(qsfDoc). */
  numericText?: Iterable<string>;
  /** Memory bounds (tests lower them to reach the approximate modes). */
  limits?: { medianDistinct?: number; words?: number };
}

export interface ReportBuilder {
  add(r: StoredResponse): void;
  result(): SurveyReport;
}

export class ReportOptionError extends Error {}

interface Tracked {
  plan: QuestionPlan;
  agg: QuestionAggregator;
}

export function createReport(survey: QsfSurvey, options: ReportOptions = {}): ReportBuilder {
  const timeZone = options.timeZone ?? 'UTC';
  if (!isValidTimeZone(timeZone)) throw new ReportOptionError(`Unknown time zone ${timeZone}`);
  const dateField = options.dateField ?? 'endDate';
  const plans = planQuestions(survey, { numericText: new Set(options.numericText ?? []) });
  const tracked: Tracked[] = [];
  const notSummarised: QuestionHeader[] = [];
  for (const plan of plans) {
    const agg = aggregatorFor(plan, options.limits ?? {});
    if (agg) tracked.push({ plan, agg });
    else notSummarised.push(header(plan.q));
  }
  const timeline = new Timeline(timeZone);
  const counts = { total: 0, finished: 0, inProgress: 0, previewsExcluded: 0 };

  return {
    add(r) {
      if (r.status === PREVIEW_STATUS && !options.includePreviews) {
        counts.previewsExcluded++;
        return;
      }
      counts.total++;
      if (r.finished === 1) counts.finished++;
      else counts.inProgress++;
      const at = r[dateField];
      if (Number.isFinite(at) && Math.abs(at) <= 8.64e15) timeline.add(at, r.finished === 1);
      const shown = r.displayed.length > 0 ? new Set(r.displayed) : undefined;
      for (const t of tracked) {
        const seen = shown ? shown.has(t.plan.q.questionId) : t.plan.cells.some((c) => cell(r.values, c.key) !== undefined);
        if (seen) t.agg.add(r);
      }
    },
    result() {
      return {
        surveyId: survey.surveyId,
        surveyName: survey.surveyName,
        timeZone,
        responses: { ...counts },
        timeline: timeline.result(),
        questions: tracked.map((t) => t.agg.result()),
        notSummarised,
      };
    },
  };
}

function aggregatorFor(plan: QuestionPlan, limits: NonNullable<ReportOptions['limits']>): QuestionAggregator | undefined {
  const how = plan.how;
  switch (how.family) {
    case 'choice':
      return choiceAggregator(plan);
    case 'matrix':
      return matrixAggregator(plan);
    case 'numeric':
      return numericAggregator(plan, how.kind, { medianDistinct: limits.medianDistinct });
    case 'text':
      return textAggregator(plan, how.withheld, { words: limits.words });
    case 'side-by-side':
      return sideBySideAggregator(plan, { words: limits.words });
    case 'none':
      return undefined;
  }
}

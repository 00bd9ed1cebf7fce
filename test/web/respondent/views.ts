/**
 * Page views for the respondent page tests, built from QSF documents the way the respondent service
 * builds them: the parsed question, its raw payload, and the displayed choice/answer orders.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readQsf } from '../../../src/domain/survey/qsf.ts';
import type { QuestionAnswer } from '../../../src/domain/survey/session-state.ts';
import { sanitizeSurveyHtml } from '../../../src/web/respondent/sanitize.ts';
import type { PageQuestionView, PageView } from '../../../src/web/respondent/view.ts';

export const FIXTURES = '/work/shared/fixtures/qsf';

export interface SurveyDoc {
  name: string;
  doc: Record<string, unknown>;
}

export function fixtureSurveys(): SurveyDoc[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ name: d.name, doc: JSON.parse(readFileSync(`${FIXTURES}/${d.name}/survey.qsf`, 'utf8')) as Record<string, unknown> }));
}

/** Every question of a QSF document as a page question, in document order. */
export function questionViews(doc: Record<string, unknown>): PageQuestionView[] {
  const survey = readQsf(doc);
  const out: PageQuestionView[] = [];
  for (const el of doc.SurveyElements as Array<Record<string, unknown>>) {
    if (el.Element !== 'SQ') continue;
    const payload = el.Payload as Record<string, unknown>;
    const question = survey.questions.get(String(payload.QuestionID ?? el.PrimaryAttribute));
    if (!question) continue;
    out.push({
      qid: question.questionId,
      question,
      payload,
      choiceOrder: question.choiceOrder.filter((id) => question.choices.has(id)),
      answerOrder: question.answerOrder.filter((id) => question.answers.has(id)),
      issues: [],
    });
  }
  return out;
}

export function withAnswer(v: PageQuestionView, answer: QuestionAnswer | undefined): PageQuestionView {
  return { ...v, answer };
}

export function pageView(questions: PageQuestionView[], over: Partial<PageView> = {}): PageView {
  return {
    lang: 'en',
    title: 'Fruit survey',
    action: '/jfe/form/SV_test',
    sessionId: 'FS_abcdefghijklmno',
    pageToken: 'tok-123',
    questions,
    html: sanitizeSurveyHtml,
    backButton: true,
    nextLabel: 'Next',
    backLabel: 'Back',
    progress: 40,
    softOnly: false,
    assetBase: '/jfe/assets',
    ...over,
  };
}

/** What a respondent page is rendered from: the service's page model plus what only the web layer knows. */
import type { QsfQuestion } from '../../domain/survey/qsf.ts';
import type { QuestionAnswer } from '../../domain/survey/session-state.ts';
import type { ValidationIssue } from '../../domain/survey/validation.ts';

/** One question on the page (= one entry of the respondent service's PageModel.questions). */
export interface PageQuestionView {
  qid: string;
  question: QsfQuestion;
  /** The question's raw QSF payload, for what QsfQuestion leaves out (Configuration, Labels, flags). */
  payload: Record<string, unknown>;
  /** Choice / row ids to show, in display order. */
  choiceOrder: string[];
  /** Answer / scale point ids to show, in display order. */
  answerOrder: string[];
  answer?: QuestionAnswer;
  issues: ValidationIssue[];
}

export interface PageView {
  /** BCP 47 tag of the survey's language. */
  lang: string;
  /** Survey name, plain text. */
  title: string;
  /** URL the form posts to. */
  action: string;
  sessionId: string;
  pageToken: string;
  questions: PageQuestionView[];
  /** QSF text → safe HTML (sanitized, then piped). */
  html(raw: string): string;
  /** Already safe HTML. */
  headerHtml?: string;
  footerHtml?: string;
  backButton: boolean;
  nextLabel: string;
  backLabel: string;
  /** 0..100, or null when the survey shows no progress bar. */
  progress: number | null;
  /** The page came back only for "request response" notices: Next now goes on anyway. */
  softOnly: boolean;
  /** Where survey.css and survey.js are served, e.g. '/jfe/assets'. */
  assetBase: string;
}

/** What a respondent page is rendered from: the service's page model plus what only the web layer knows. */
import type { PageQuestionModel } from '../../services/respondent.ts';

/** One question on the page: exactly an entry of the respondent service's PageModel.questions. */
export type PageQuestionView = PageQuestionModel;

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
  /**
   * Whether `html` would pipe something into this text (its output may differ between sessions).
   * Given, questions shown fresh whose texts need none are rendered once and kept.
   */
  needsPiping?(raw: string): boolean;
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

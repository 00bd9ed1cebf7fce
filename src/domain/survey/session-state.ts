/**
 * The serialisable state of one respondent's pass through a survey. Everything here is plain JSON
 * (no Maps, no class instances, no undefined-vs-missing distinctions that matter), so a session can
 * be stored as text, reloaded after a refresh and continued identically.
 */

/** One question's answer, independent of how it was rendered. */
export interface QuestionAnswer {
  /** Selected choice IDs (multiple choice, in selection order as submitted). */
  selected?: string[];
  /** Text entered: key '' for the question's own box, a choice ID for a choice box, 'row/answer' for a matrix cell. */
  text?: Record<string, string>;
  /** Matrix: row (statement) ID → selected answer (scale point) IDs. */
  matrix?: Record<string, string[]>;
  /** Numbers entered (slider, constant sum, numeric matrix), keyed like `text`. */
  numeric?: Record<string, number>;
}

export interface PageQuestion {
  qid: string;
  /** Choice IDs to show, in display order, after randomization and choice display logic. */
  choiceOrder: string[];
  /** Answer (scale point) IDs to show, in display order. */
  answerOrder: string[];
}

/** Where the walk stands: a block leaf of the flow tree and a page within it. */
export interface FlowCursor {
  /** Raw child indices from the flow root down to the block element. */
  path: number[];
  page: number;
  /** Skip logic target: questions of the page before this one are not shown. */
  fromQuestion?: string;
  /** Set by skip logic: this is the next page to show, not the last one shown. */
  pending?: boolean;
}

export interface ShownPage {
  cursor: FlowCursor;
  pageId: string;
  blockId: string;
  questions: PageQuestion[];
  /** Length of `displayedQuestions` before this page was shown, so going back can undo it. */
  displayedBefore: number;
}

export interface EndOfSurvey {
  /** End-of-survey message: a library message ID (`MS_…`) or text, when the survey names one. */
  message?: string;
  /** The library holding `message`, when the QSF says. */
  messageLibrary?: string;
  redirectUrl?: string;
}

export interface SessionState {
  version: 1;
  seed: string;
  startedAt: number;
  embeddedData: Record<string, string>;
  answers: Record<string, QuestionAnswer>;
  /** Question IDs shown so far on the current path, in display order. */
  displayedQuestions: string[];
  displayedChoices: Record<string, string[]>;
  displayedAnswers: Record<string, string[]>;
  /** Flow node key → raw child indices a BlockRandomizer chose, in presentation order. */
  randomizers: Record<string, number[]>;
  /** Flow node key of a block → its pages of question IDs after question randomization. */
  blockLayouts: Record<string, string[][]>;
  /** Question ID → randomized choice and answer orders (before choice display logic). */
  choiceOrders: Record<string, { choices: string[]; answers: string[] }>;
  /** Position after the last submitted page; null before the first page. */
  cursor: FlowCursor | null;
  /** The page on screen, or null when the next one still has to be found. */
  current: ShownPage | null;
  /** Pages submitted before the current one, oldest first, for the back button. */
  history: ShownPage[];
  ended: EndOfSurvey | null;
  /** Presentation counts given at the start, for EvenPresentation randomizers. */
  presentationCounts: Record<string, number>;
  warnings: string[];
}

// A page once shown is never changed (the engine replaces, never edits, what a state holds), and a
// long survey's history is most of its state's text: each page's JSON is kept with the page.
const pageText = new WeakMap<ShownPage, string>();

function shownPageJson(page: ShownPage): string {
  let text = pageText.get(page);
  if (text === undefined) {
    text = JSON.stringify(page);
    pageText.set(page, text);
  }
  return text;
}

/** The state as stored: the same value as JSON.stringify(state), without serialising the history again on every page. */
export function stateJson(state: SessionState): string {
  const { history, ...rest } = state;
  const head = JSON.stringify(rest);
  if (history.length === 0) return `${head.slice(0, -1)},"history":[]}`;
  let pages = shownPageJson(history[0] as ShownPage);
  for (let i = 1; i < history.length; i++) pages += `,${shownPageJson(history[i] as ShownPage)}`;
  return `${head.slice(0, -1)},"history":[${pages}]}`;
}

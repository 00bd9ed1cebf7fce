/**
 * The per-survey report as plain data: what `createReport(...).result()` returns and what the web
 * renderer draws. Labels are the survey's own texts exactly as the QSF holds them (HTML included, and
 * possibly hostile): whoever shows them must reduce them to plain text and escape them.
 */

export interface SurveyReport {
  surveyId: string;
  surveyName: string;
  /** IANA zone the days of `timeline` are counted in. */
  timeZone: string;
  responses: ResponseCounts;
  /** Responses per local day, ascending; only days with at least one response are listed. */
  timeline: DayCount[];
  questions: QuestionReport[];
  /** Questions with answers this report does not summarise (timing, meta info, file upload, …). */
  notSummarised: QuestionHeader[];
}

export interface ResponseCounts {
  /** Responses counted (previews left out unless asked for). */
  total: number;
  finished: number;
  /** Stored responses with Finished=0: partial responses closed before the end of the survey. */
  inProgress: number;
  /** Preview responses (status 1) seen and left out. */
  previewsExcluded: number;
}

export interface DayCount {
  /** Local calendar day, `YYYY-MM-DD`. */
  date: string;
  finished: number;
  inProgress: number;
}

export interface QuestionHeader {
  qid: string;
  /** DataExportTag, e.g. `Q1`. */
  tag: string;
  /** QuestionText as the QSF holds it (HTML). */
  text: string;
  /** QuestionType / Selector, e.g. `MC`, `SAVR`. */
  type: string;
  selector: string;
}

export interface QuestionTotals {
  /** Respondents the question was shown to. */
  displayed: number;
  /** Respondents who gave it any answer. */
  answered: number;
}

export type QuestionReport = ChoiceReport | MatrixReport | NumericReport | TextReport | SideBySideReport;

export interface Labelled {
  id: string;
  /** Survey HTML (see the file comment). */
  label: string;
}

export interface ChoiceCount extends Labelled {
  count: number;
  /** Share of the respondents who answered the question, 0–100. */
  percentOfAnswered: number;
  /** Share of the respondents who were shown the question, 0–100. */
  percentOfDisplayed: number;
}

export interface NpsSummary {
  /** Scores 9–10, 7–8 and 0–6. */
  promoters: number;
  passives: number;
  detractors: number;
  /** % promoters − % detractors, −100…100; null when nobody gave a score. */
  score: number | null;
}

export interface ChoiceReport extends QuestionHeader, QuestionTotals {
  family: 'choice';
  multi: boolean;
  choices: ChoiceCount[];
  /** Answers whose stored value matches no choice of the current definition (e.g. a deleted choice). */
  unrecognised: number;
  nps?: NpsSummary;
}

export interface MatrixRow extends Labelled {
  /** Respondents who answered this row. */
  answered: number;
  /** Per scale point, in `points` order. */
  counts: number[];
  /** Per scale point: share of this row's respondents, 0–100. */
  percents: number[];
}

export interface MatrixSummary {
  multi: boolean;
  points: Labelled[];
  rows: MatrixRow[];
  unrecognised: number;
}

export interface MatrixReport extends QuestionHeader, QuestionTotals, MatrixSummary {
  family: 'matrix';
}

export interface NumericStats {
  n: number;
  /** All null when n is 0. */
  mean: number | null;
  median: number | null;
  /** Sample standard deviation (n − 1); null when n < 2. */
  sd: number | null;
  min: number | null;
  max: number | null;
  /** True once the item had more distinct values than the median keeps exactly (see median.ts). */
  medianApproximate: boolean;
}

export interface NumericItem extends Labelled {
  stats: NumericStats;
  /** Answers that are not numbers (left out of the statistics). */
  notNumeric: number;
}

export type NumericKind = 'slider' | 'constant-sum' | 'rank' | 'number' | 'matrix';

export interface NumericReport extends QuestionHeader, QuestionTotals {
  family: 'numeric';
  kind: NumericKind;
  items: NumericItem[];
}

export interface WordCount {
  word: string;
  count: number;
}

export interface LatestAnswer {
  text: string;
  /** The response's end date, epoch ms. */
  at: number;
  responseId: string;
}

export interface TextItem extends Labelled {
  /** Non-empty answers. */
  count: number;
  /** Most frequent words (stop words left out), most frequent first. */
  words: WordCount[];
  /** True once rare words had to be dropped to bound memory (see words.ts). */
  wordsApproximate: boolean;
  /** Most recent answers first. */
  latest: LatestAnswer[];
}

export interface TextSummary {
  /** Password fields: only counted, their text is never kept. */
  withheld: boolean;
  items: TextItem[];
}

export interface TextReport extends QuestionHeader, QuestionTotals, TextSummary {
  family: 'text';
}

export type SideBySideColumn =
  | ({ kind: 'matrix'; n: number; label: string; answered: number } & MatrixSummary)
  | ({ kind: 'text'; n: number; label: string; answered: number } & TextSummary);

export interface SideBySideReport extends QuestionHeader, QuestionTotals {
  family: 'side-by-side';
  columns: SideBySideColumn[];
}

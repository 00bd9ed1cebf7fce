/** The per-survey report: an incremental, memory-bounded aggregation of stored responses. */
export { createReport, PREVIEW_STATUS, ReportOptionError, type ReportBuilder, type ReportOptions } from './report.ts';
export { numericTextQuestions } from './numeric-text.ts';
export { npsScore } from './choice.ts';
export { MedianSketch, DEFAULT_DISTINCT_LIMIT } from './median.ts';
export { WordCounter, words, STOP_WORDS, DEFAULT_WORD_LIMIT } from './words.ts';
export { LATEST_ANSWERS, MAX_KEPT_CHARS } from './latest.ts';
export { TOP_WORDS } from './text.ts';
export type * from './types.ts';

import { fileURLToPath } from 'node:url';
import type { LegacyDialect } from '../../../src/domain/survey/export-columns.ts';

export const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/qsf/', import.meta.url));

/**
 * Which legacy dialect each recorded export was produced in. The survey definition cannot tell
 * (their creation dates interleave), so this is stated per fixture rather than sniffed from the file.
 */
export const DIALECT: Record<string, LegacyDialect> = {
  'comment-coding': 'named',
  'many-different-question-types': 'v',
  'matrix-single-answer-survey': 'named',
  'multiple-answer-matrix-questions': 'v',
  'multiple-answer-multiple-choices-questions': 'v',
  'no-basis-for-evaluation': 'v',
  'sample-survey': 'named',
  'single-answer-matrix-questions': 'v',
  'single-answer-multiple-choice-questions': 'v',
  'test-getting-choice-text-from-response-columns': 'named',
  'user-notes-survey': 'named',
};

/**
 * Reading an uploaded survey file (importSurvey). Only the structure every QSF shares is checked
 * (SurveyEntry, SurveyElements of {Element, PrimaryAttribute, Payload}); everything else, including
 * element and question types we do not know, is kept as it came so that an export gives back the
 * same bytes.
 */
import { z } from 'zod';

export const SURVEY_FILE_MAX_BYTES = 50 * 1024 * 1024;

export const IMPORT_FORMATS = ['QSF', 'TXT', 'DOC', 'MSQ'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
/** Formats of the spec this server cannot read yet (a clear refusal rather than an empty survey). */
export const UNSUPPORTED_IMPORT_FORMATS: readonly ImportFormat[] = ['DOC', 'MSQ'];

export const INVALID_SURVEY_FILE = 'Error parsing file: The file does not appear to be a valid survey';

export class SurveyFileError extends Error {
  constructor(message = INVALID_SURVEY_FILE) {
    super(message);
    this.name = 'SurveyFileError';
  }
}

const nullableText = z.string().nullable().optional();

const surveyEntry = z.looseObject({
  SurveyName: nullableText,
  SurveyDescription: nullableText,
});

const surveyElement = z.looseObject({
  Element: z.string(),
  PrimaryAttribute: z.unknown(),
  Payload: z.unknown(),
});

const qsfSchema = z.looseObject({
  SurveyEntry: surveyEntry,
  SurveyElements: z.array(surveyElement),
});

export type Qsf = z.infer<typeof qsfSchema>;

export interface ParsedSurveyFile {
  /** The file as text, exactly as uploaded (a BOM included): what export gives back. */
  text: string;
  qsf: Qsf;
  /** SurveyEntry.SurveyName, trimmed; '' when absent. */
  name: string;
  description: string | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses a QSF upload; any failure (size, encoding, JSON, shape) is a SurveyFileError. */
export function parseQsf(data: Buffer): ParsedSurveyFile {
  if (data.length > SURVEY_FILE_MAX_BYTES) throw new SurveyFileError(`${INVALID_SURVEY_FILE} (it is larger than 50 MB).`);
  let text: string;
  let json: unknown;
  try {
    text = utf8.decode(data);
    json = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    throw new SurveyFileError();
  }
  const parsed = qsfSchema.safeParse(json);
  if (!parsed.success) throw new SurveyFileError();
  const entry = parsed.data.SurveyEntry;
  const description = entry.SurveyDescription?.trim() ?? '';
  return { text, qsf: parsed.data, name: entry.SurveyName?.trim() ?? '', description: description === '' ? null : description };
}

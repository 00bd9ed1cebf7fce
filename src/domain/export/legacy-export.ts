/**
 * One getLegacyResponseData export, prepared once per request: the stored-response record the
 * store hands over, the options that shape the output (api-v2.md §3.1), and the column plan every
 * writer (CSV, JSON, XML, HTML) shares.
 */
import { isValidTimeZone } from '../dates.ts';
import type { LegacyDialect } from '../survey/export-columns.ts';
import type { QsfSurvey } from '../survey/qsf.ts';
import { legacyColumns, type LegacyColumn } from './legacy-columns.ts';
import { cellPlan, type CellPlan } from './legacy-cells.ts';

export interface StoredLocation {
  latitude: number | string;
  longitude: number | string;
  accuracy: number | string;
}

/** One stored response as the store gives it to an export. */
export interface StoredResponse {
  responseId: string;
  responseSetId: string;
  /** "Last, First" of the panel member; null for anonymous responses ("Anonymous"). */
  name: string | null;
  externalRef: string | null;
  email: string | null;
  /** Null for generated and imported responses (JSON `null`, an empty CSV cell). */
  ipAddress: string | null;
  /** 0 normal, 1 preview, 2 test, 4 imported, 8 spam, 16 offline (§3.2). */
  status: number;
  /** Epoch milliseconds. */
  startDate: number;
  endDate: number;
  finished: 0 | 1;
  /** Question cells keyed by `columnKey` (the ExportQuestionIDs name), without UnansweredRecode. */
  values: Record<string, string | number>;
  /** Embedded data by field name. */
  embedded: Record<string, string>;
  /** IDs of the questions shown to the respondent (UnansweredRecode applies only to these). */
  displayed: string[];
  location?: StoredLocation;
}

export interface LegacyExportOptions {
  /** Which recorded export format to reproduce (see export-columns.ts); default 'v'. */
  dialect?: LegacyDialect;
  /** Labels=1: choice and scale-point text instead of recodes. */
  labels?: boolean;
  /** ExportTags (default on). Off: question and embedded columns become V11, V12, … */
  exportTags?: boolean;
  /** ExportQuestionIDs=1: question columns named `QID1`, `QID3_2`, … */
  exportQuestionIds?: boolean;
  /** Questions: keep only these question IDs' columns. */
  questions?: readonly string[];
  /** UnansweredRecode: the value for displayed questions left unanswered; blank when unset. */
  unansweredRecode?: string;
  /** LocalTime=1: StartDate/EndDate in `timeZone` (an IANA zone) instead of UTC. */
  localTime?: boolean;
  timeZone?: string;
  /** LocationData (default on, as in every recorded export). */
  locationData?: boolean;
  /** The response set's name for the ResponseSet cell; default "Default Response Set". */
  responseSetName?: (responseSetId: string) => string;
  /** Format=JSON with no responses: `{}` (default) or PHP's empty-array `[]` (§3.2). */
  emptyJson?: '{}' | '[]';
}

export type Cell = string | number | null;

export interface LegacyExport {
  dialect: LegacyDialect;
  columns: LegacyColumn[];
  cells: CellPlan;
  options: LegacyExportOptions;
}

export class LegacyExportOptionError extends Error {}

export function prepareLegacyExport(survey: QsfSurvey, options: LegacyExportOptions = {}): LegacyExport {
  const zone = options.localTime ? options.timeZone ?? 'UTC' : 'UTC';
  if (!isValidTimeZone(zone)) throw new LegacyExportOptionError(`Unknown time zone ${zone}`);
  const dialect = options.dialect ?? 'v';
  const columns = legacyColumns(survey, { ...options, dialect });
  return {
    dialect,
    columns,
    cells: cellPlan(survey, columns, { ...options, timeZone: zone }),
    options,
  };
}

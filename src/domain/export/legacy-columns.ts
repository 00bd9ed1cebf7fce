/**
 * Which columns a getLegacyResponseData export holds, under which names, and where each cell's
 * value is stored. Builds on `exportColumns` (the column model with export-tag names) and applies
 * the request options that change the column set or its names. Spec: api-v2.md §3.1, §3.3, §3.5.
 */
import { exportColumns, type ExportColumn, type LegacyDialect } from '../survey/export-columns.ts';
import type { QsfQuestion, QsfSurvey } from '../survey/qsf.ts';

export interface LegacyColumnOptions {
  dialect?: LegacyDialect;
  /** ExportTags (default on): question and embedded columns named by export tag; off: V11, V12, … */
  exportTags?: boolean;
  /** ExportQuestionIDs: question columns named by QID (`QID1`, `QID3_2`); wins over exportTags. */
  exportQuestionIds?: boolean;
  /** Questions: only these question IDs get columns; fixed, embedded and location columns stay. */
  questions?: readonly string[];
  /** LocationData (default on, as in every recorded export): the three location columns. */
  locationData?: boolean;
}

export interface LegacyColumn {
  kind: ExportColumn['kind'];
  /** CSV row 1. */
  name: string;
  /** CSV row 2. */
  label: string;
  /** The key in JSON objects and the element in XML: the label for fixed columns, else the name. */
  key: string;
  /**
   * Where the value lives in a stored response: `values[cellKey]` for questions (see columnKey),
   * `embedded[cellKey]` for embedded data, the location field for location columns, the fixed
   * field's label for meta columns.
   */
  cellKey: string;
  /** The 'named' dialect's third header row (`{'ImportId': '…'}`). */
  importId: string;
  source: ExportColumn;
}

export function legacyColumns(survey: QsfSurvey, options: LegacyColumnOptions = {}): LegacyColumn[] {
  const dialect = options.dialect ?? 'v';
  const only = options.questions === undefined ? undefined : new Set(options.questions);
  const kept = exportColumns(survey, { dialect }).filter(
    (c) => (c.kind !== 'question' || only === undefined || only.has(c.qid ?? '')) && (c.kind !== 'location' || options.locationData !== false),
  );
  return kept.map((col, i) => {
    const cellKey = col.kind === 'question' ? columnKey(col, survey) : col.kind === 'meta' ? col.label : col.name;
    const name = columnName(col, i, cellKey, options);
    const key = col.kind === 'meta' ? col.label : name;
    return { kind: col.kind, name, label: col.label, key, cellKey, importId: importId(col, survey), source: col };
  });
}

function columnName(col: ExportColumn, index: number, cellKey: string, options: LegacyColumnOptions): string {
  if (col.kind === 'meta' || col.kind === 'location') return col.name;
  if (col.kind === 'question' && options.exportQuestionIds) return cellKey;
  // Without export tags the V numbering of the fixed columns goes on by position (§3.3).
  if (options.exportTags === false) return `V${index + 1}`;
  return col.name;
}

/**
 * A question column's stable identity, independent of export tags and dialect: the QID, the
 * side-by-side column (`#n`), the row or choice, the scale point, and `_TEXT` for text boxes —
 * exactly the ExportQuestionIDs name (§3.5). Export-tag names are not unique (a survey may reuse a
 * row tag in several matrices: single-answer-matrix-questions has three `question_one`), so stored
 * values are keyed by this instead.
 */
export function columnKey(col: ExportColumn, survey: QsfSurvey): string {
  const qid = col.qid ?? '';
  if (col.choice === undefined && col.answer === undefined && col.sbsColumn === undefined) {
    return qid + ownSuffix(col, survey.questions.get(qid), '_');
  }
  let key = qid;
  if (col.sbsColumn !== undefined) key += `#${col.sbsColumn}`;
  if (col.choice !== undefined) key += `_${col.choice}`;
  if (col.answer !== undefined) key += `_${col.answer}`;
  if (col.text && col.name.endsWith('_TEXT')) key += '_TEXT';
  return key;
}

/**
 * What follows the export tag in a whole-question column: '' (`Q1`), `_TEXT` (`Q1_TEXT`), or a
 * fixed part (`Q5_FIRST_CLICK`), with the separator the caller uses.
 */
function ownSuffix(col: ExportColumn, q: QsfQuestion | undefined, sep: string): string {
  const tag = q?.dataExportTag ?? '';
  const rest = tag !== '' && col.name.startsWith(tag) ? col.name.slice(tag.length) : col.text && col.name.endsWith('_TEXT') ? '_TEXT' : '';
  return rest === '' ? '' : sep + rest.replace(/^_/, '');
}

const META_IMPORT_IDS: Record<string, string> = {
  ResponseID: 'responseId',
  ResponseSet: 'responseSetId',
  IPAddress: 'ipAddress',
  StartDate: 'startDate',
  EndDate: 'endDate',
  RecipientLastName: 'panel-RecipientLastName',
  RecipientFirstName: 'panel-RecipientFirstName',
  RecipientEmail: 'panel-RecipientEmail',
  ExternalDataReference: 'panel-ExternalDataReference',
  Finished: 'finished',
  Status: 'status',
};

/**
 * Import IDs as the recorded 'named' exports write them: `QID1`, `QID1-TEXT` (also for text-entry
 * questions), `QID4-1-2` (row, scale point), `QID6#1-3` (side-by-side column 1, row 3),
 * `Location-LocationLatitude`. Embedded data uses the field name (no recorded example).
 */
export function importId(col: ExportColumn, survey: QsfSurvey): string {
  if (col.kind === 'meta') return META_IMPORT_IDS[col.label] ?? col.label;
  if (col.kind === 'location') return `Location-${col.name}`;
  if (col.kind === 'embedded') return col.name;
  const qid = col.qid ?? '';
  let id = qid;
  if (col.sbsColumn !== undefined) id += `#${col.sbsColumn}`;
  if (col.choice !== undefined) id += `-${col.choice}`;
  if (col.answer !== undefined) id += `-${col.answer}`;
  if (col.text) return `${id}-TEXT`;
  if (col.choice === undefined && col.answer === undefined && col.sbsColumn === undefined) return id + ownSuffix(col, survey.questions.get(qid), '_');
  return id;
}

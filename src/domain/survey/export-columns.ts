/**
 * The legacy response-export column model (getLegacyResponseData, ExportTags=1), computed from a
 * survey definition alone: the two CSV header rows (names, labels) and what each column holds.
 * Spec: api-v2.md §3.3, §3.5; the paired fixtures in shared/fixtures/qsf win where they disagree.
 *
 * Two legacy dialects exist in the recorded exports and the survey definition does not say which
 * one an account produced, so the caller picks it:
 *  - 'v'     : fixed columns named V1…V10 (labels ResponseID…Finished), UTF-8 BOM, trailing comma.
 *  - 'named' : fixed columns named by their label (ResponseID, …, Recipient*, Finished, Status),
 *              no BOM, no trailing comma, and matrix row tags are prefixed with the question tag.
 */
import type { QsfQuestion, QsfSurvey } from './qsf.ts';

export type LegacyDialect = 'v' | 'named';

export type ColumnKind = 'meta' | 'embedded' | 'question' | 'location';

export interface ExportColumn {
  name: string;
  label: string;
  kind: ColumnKind;
  qid?: string;
  /** Matrix row / MC choice / slider item id this column belongs to. */
  choice?: string;
  /** Matrix scale point (answer id) for multi-answer, text-entry (2+ points) and constant-sum matrices. */
  answer?: string;
  /** MC multiple answer: the choice's recode value (the column itself holds 1 when selected). */
  recode?: string;
  /** Side-by-side column number. */
  sbsColumn?: number;
  /** True for free-text columns (`…_TEXT`, TE questions, cells of text-entry matrices with 2+ points). */
  text?: boolean;
}

export interface ExportColumnsOptions {
  dialect?: LegacyDialect;
}

const V_META_LABELS = [
  'ResponseID', 'ResponseSet', 'Name', 'ExternalDataReference', 'EmailAddress',
  'IPAddress', 'Status', 'StartDate', 'EndDate', 'Finished',
];

const NAMED_META = [
  'ResponseID', 'ResponseSet', 'IPAddress', 'StartDate', 'EndDate', 'RecipientLastName',
  'RecipientFirstName', 'RecipientEmail', 'ExternalDataReference', 'Finished', 'Status',
];

const LOCATION = ['LocationLatitude', 'LocationLongitude', 'LocationAccuracy'];

/** Labels keep at most this many characters of question text before "...". */
const LABEL_CUT = 97;
const LABEL_MAX = 100;

export function exportColumns(survey: QsfSurvey, options: ExportColumnsOptions = {}): ExportColumn[] {
  const dialect = options.dialect ?? 'v';
  const cols: ExportColumn[] = metaColumns(dialect);
  for (const field of embeddedFields(survey)) cols.push({ name: field, label: field, kind: 'embedded' });
  for (const q of questionsInOrder(survey)) cols.push(...questionColumns(q, dialect));
  for (const name of LOCATION) cols.push({ name, label: name, kind: 'location' });
  return cols;
}

function metaColumns(dialect: LegacyDialect): ExportColumn[] {
  if (dialect === 'named') return NAMED_META.map((n) => ({ name: n, label: n, kind: 'meta' }));
  return V_META_LABELS.map((label, i) => ({ name: `V${i + 1}`, label, kind: 'meta' }));
}

/** Embedded-data fields declared anywhere in the flow, first declaration wins. */
function embeddedFields(survey: QsfSurvey): string[] {
  const seen = new Set<string>();
  const walk = (items: QsfSurvey['flow']): void => {
    for (const item of items) {
      for (const f of item.embeddedData) if (f.field !== '') seen.add(f.field);
      walk(item.flow);
    }
  };
  walk(survey.flow);
  return [...seen];
}

/** Questions in survey-flow order; blocks the flow never reaches (the trash) are left out. */
function questionsInOrder(survey: QsfSurvey): QsfQuestion[] {
  const blocks = new Map(survey.blocks.map((b) => [b.id, b]));
  const out: QsfQuestion[] = [];
  const seen = new Set<string>();
  const walk = (items: QsfSurvey['flow']): void => {
    for (const item of items) {
      const block = item.id === undefined ? undefined : blocks.get(item.id);
      if (block && block.type !== 'Trash') {
        for (const el of block.elements) {
          const q = el.questionId === undefined ? undefined : survey.questions.get(el.questionId);
          if (q && !seen.has(q.questionId)) {
            seen.add(q.questionId);
            out.push(q);
          }
        }
      }
      walk(item.flow);
    }
  };
  walk(survey.flow);
  return out;
}

function questionColumns(q: QsfQuestion, dialect: LegacyDialect): ExportColumn[] {
  const text = questionLabel(q);
  const base = { kind: 'question' as const, qid: q.questionId };
  switch (q.questionType) {
    case 'DB':
      return [];
    case 'MC':
      return isMultiAnswer(q) ? mcMultiColumns(q, text) : mcSingleColumns(q, text, dialect);
    case 'Matrix':
      return matrixColumns(q, text, dialect);
    case 'TE':
      if (q.selector === 'FORM') return choiceColumns(q, text).map((c) => ({ ...c, text: true }));
      return [{ ...base, name: q.dataExportTag, label: text, text: true }];
    case 'Timing':
      return fixedParts(q, text, TIMING_PARTS);
    case 'Meta':
      return fixedParts(q, text, META_PARTS);
    case 'SBS':
      return q.additionalQuestions.flatMap((col, i) => sbsColumns(q, col, i + 1, text, dialect));
    default:
      return choiceColumns(q, text);
  }
}

/** Timing and meta-info questions have fixed sub-columns (not in the recorded fixtures; Qualtrics' names). */
const TIMING_PARTS = ['FIRST_CLICK', 'LAST_CLICK', 'PAGE_SUBMIT', 'CLICK_COUNT'];
const META_PARTS = ['BROWSER', 'VERSION', 'OS', 'RESOLUTION'];

/**
 * Each part reads answer key '1'..'4' (the engine stores timing figures in `numeric` and meta
 * info in `text` under those keys), so the parts are told apart by `choice`.
 */
function fixedParts(q: QsfQuestion, text: string, parts: string[]): ExportColumn[] {
  return parts.map((part, i) => ({ kind: 'question', qid: q.questionId, name: `${q.dataExportTag}_${part}`, label: `${text}-${part}`, choice: String(i + 1) }));
}

function isMultiAnswer(q: QsfQuestion): boolean {
  return q.selector.startsWith('MA') || q.selector === 'MSB' || q.subSelector === 'MultipleAnswer';
}

function byNumericId(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

function mcSingleColumns(q: QsfQuestion, text: string, dialect: LegacyDialect): ExportColumn[] {
  const base = { kind: 'question' as const, qid: q.questionId };
  const cols: ExportColumn[] = [{ ...base, name: q.dataExportTag, label: text }];
  // The recorded exports hold one text column per question however many choices take text.
  if ([...q.choices.values()].some((c) => c.textEntry)) {
    cols.push({ ...base, name: `${q.dataExportTag}_TEXT`, label: dialect === 'v' ? `${text}-TEXT` : text, text: true });
  }
  return cols;
}

function mcMultiColumns(q: QsfQuestion, text: string): ExportColumn[] {
  const base = { kind: 'question' as const, qid: q.questionId };
  const cols: ExportColumn[] = [];
  for (const id of byNumericId(q.choices.keys())) {
    const choice = q.choices.get(id)!;
    const label = `${text}-${choice.display}`;
    cols.push({ ...base, name: `${q.dataExportTag}_${id}`, label, choice: id, recode: q.recodeValues.get(id) ?? id });
    if (choice.textEntry) cols.push({ ...base, name: `${q.dataExportTag}_${id}_TEXT`, label: `${label}-TEXT`, choice: id, text: true });
  }
  return cols;
}

function rowName(q: QsfQuestion, id: string, dialect: LegacyDialect): string {
  const tag = q.choiceDataExportTags.get(id);
  if (tag === undefined || tag === '') return `${q.dataExportTag}_${id}`;
  // Recorded exports turn dashes in matrix row tags into underscores (`orange-ish` → `orange_ish`),
  // while question tags keep theirs (`are-dashes-in-dexps_1`).
  const safe = tag.replace(/-/g, '_');
  return dialect === 'named' ? `${q.dataExportTag}_${safe}` : safe;
}

/** The scale points the definition has, in its order. */
function answerIds(q: QsfQuestion): string[] {
  return q.answerOrder.filter((a) => q.answers.has(a));
}

/**
 * Text-entry matrices with two or more scale points and every constant-sum matrix hold one value per
 * row and scale point, so they export one column per cell, named like multi-answer matrix cells
 * (§3.5 "Matrix TE: `Qn_<row>_<col>`"). A text matrix with one scale point keeps one column per row.
 */
export function hasMatrixCells(q: QsfQuestion): boolean {
  if (q.questionType !== 'Matrix') return false;
  return q.selector === 'CS' || (q.selector === 'TE' && answerIds(q).length >= 2);
}

/**
 * Where a cell of a text or constant-sum matrix is kept in the answer's `text` / `numeric`: the
 * row alone when the matrix has at most one scale point, else `<row>/<answer>` (what the page posts).
 */
export function matrixCellKey(q: QsfQuestion, row: string, answer: string): string {
  return answerIds(q).length >= 2 ? `${row}/${answer}` : row;
}

function matrixColumns(q: QsfQuestion, text: string, dialect: LegacyDialect): ExportColumn[] {
  const base = { kind: 'question' as const, qid: q.questionId };
  const perAnswer = isMultiAnswer(q) || hasMatrixCells(q);
  // Typed text, like side-by-side text cells: never recoded or relabelled.
  const textCells = q.selector === 'TE' ? { text: true } : {};
  const cols: ExportColumn[] = [];
  for (const id of q.choiceOrder) {
    const row = q.choices.get(id);
    if (!row) continue;
    const name = rowName(q, id, dialect);
    const label = `${text}-${row.display}`;
    if (perAnswer) {
      for (const a of q.answerOrder) {
        const answer = q.answers.get(a);
        if (!answer) continue;
        cols.push({ ...base, name: `${name}_${a}`, label: `${label}-${answer.display}`, choice: id, answer: a, ...textCells });
      }
    } else {
      cols.push({ ...base, name, label, choice: id });
    }
    if (row.textEntry) cols.push({ ...base, name: `${q.dataExportTag}${name}_TEXT`, label: `${label}-TEXT`, choice: id, text: true });
  }
  return cols;
}

/**
 * One side-by-side column (a nested matrix). Rows come from the parent's order; a row export tag
 * turns the name into `<rowtag>: <column tag>`. Multi-answer and text cells add the scale point,
 * which the 'named' dialect writes as its recode.
 */
function sbsColumns(parent: QsfQuestion, col: QsfQuestion, n: number, text: string, dialect: LegacyDialect): ExportColumn[] {
  const base = { kind: 'question' as const, qid: parent.questionId, sbsColumn: n };
  const colLabel = questionLabel(col);
  const head = dialect === 'v' ? `${text} : ${colLabel}` : `${text}-${colLabel}`;
  const multi = isMultiAnswer(col);
  const textCells = col.selector === 'TE';
  const cols: ExportColumn[] = [];
  for (const id of parent.choiceOrder) {
    const row = col.choices.get(id) ?? parent.choices.get(id);
    if (!row) continue;
    const rowTag = col.choiceDataExportTags.get(id) || parent.choiceDataExportTags.get(id);
    const name = rowTag ? `${rowTag}: ${col.answerDataExportTag || n}` : `${col.dataExportTag || `${parent.dataExportTag}#${n}`}_${id}`;
    const label = `${head}-${row.display}`;
    if (!multi && !textCells) {
      cols.push({ ...base, name, label, choice: id });
      continue;
    }
    for (const a of col.answerOrder) {
      const answer = col.answers.get(a);
      if (!answer) continue;
      const code = dialect === 'named' ? (col.recodeValues.get(a) ?? a) : a;
      const cell = { ...base, name: `${name}_${code}`, label: `${label}-${answer.display}`, choice: id, answer: a };
      cols.push(textCells ? { ...cell, name: `${cell.name}_TEXT`, text: true } : cell);
    }
  }
  return cols;
}

/** Slider, rank order, constant sum and other per-item questions: one column per choice. */
function choiceColumns(q: QsfQuestion, text: string): ExportColumn[] {
  const base = { kind: 'question' as const, qid: q.questionId };
  if (q.choices.size === 0) return [{ ...base, name: q.dataExportTag, label: text }];
  return q.choiceOrder
    .filter((id) => q.choices.has(id))
    .map((id) => ({ ...base, name: `${q.dataExportTag}_${id}`, label: `${text}-${q.choices.get(id)!.display}`, choice: id }));
}

/**
 * The export shows the question description (Qualtrics stores it already as plain text cut to
 * 100 characters); older definitions without one fall back to the question text.
 */
function questionLabel(q: QsfQuestion): string {
  if (q.questionDescription !== '') return q.questionDescription;
  const text = plainText(q.questionText).replace(/\s+/g, ' ').trim();
  return text.length > LABEL_MAX ? `${text.slice(0, LABEL_CUT)}...` : text;
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'" };

/** Question and choice HTML reduced to the plain text the legacy export shows. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(#?\w+);/g, (m, name: string) => {
      if (ENTITIES[name] !== undefined) return ENTITIES[name];
      if (/^#\d+$/.test(name)) {
        // A reference past Unicode (&#99999999;) is left as written rather than failing every export.
        const code = Number(name.slice(1));
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return m;
    });
}

/** The two header rows as the legacy CSV export writes them. */
export function legacyCsvHeader(columns: ExportColumn[], options: ExportColumnsOptions = {}): string {
  const dialect = options.dialect ?? 'v';
  const end = dialect === 'v' ? ',\n' : '\n';
  const row = (cells: string[]): string => cells.map(csvCell).join(',') + end;
  return row(columns.map((c) => c.name)) + row(columns.map((c) => c.label));
}

/** The byte-order mark the 'v' dialect starts with. */
export function legacyCsvPreamble(options: ExportColumnsOptions = {}): string {
  return (options.dialect ?? 'v') === 'v' ? '\uFEFF' : '';
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

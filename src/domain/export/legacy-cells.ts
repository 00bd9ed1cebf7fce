/**
 * The cells of one export row, in column order, from a stored response: fixed fields, embedded
 * data, question cells (with Labels and UnansweredRecode applied) and location. The per-column
 * work (label tables, recode eligibility) is done once in `cellPlan`, so a row costs one pass.
 *
 * UnansweredRecode follows the rule response-values.ts documents, decided here from the stored
 * cells because the recode is an export option, not part of the stored answer: a displayed
 * question's empty choice cells get the recode, except text cells and the unselected choices of a
 * multi-answer unit (an MC question, a matrix or side-by-side row) that has any selection.
 */
import type { QsfQuestion, QsfSurvey } from '../survey/qsf.ts';
import type { LegacyColumn } from './legacy-columns.ts';
import type { Cell, StoredLocation, StoredResponse } from './legacy-export.ts';
import { metaReader, type MetaContext, type MetaReader } from './response-meta.ts';

type Relabel = (value: string | number) => string | number;

interface PlannedCell {
  kind: LegacyColumn['kind'];
  key: string;
  meta?: MetaReader;
  location?: keyof StoredLocation;
  qid?: string;
  /** Set when an empty cell may receive UnansweredRecode. */
  recodable: boolean;
  /** Multi-answer unit whose any selection keeps this cell blank. */
  unit?: string;
  relabel?: Relabel;
}

/** One column's cell of a response. */
export type CellReader = (r: StoredResponse) => Cell;

export interface CellPlan {
  cells: PlannedCell[];
  /** The typed UnansweredRecode, or undefined when unset. */
  recode?: string | number;
  /**
   * Without UnansweredRecode a cell depends on its own column only: one reader per column, with
   * the column's decisions (which field, which label table) taken once. Undefined with a recode.
   */
  readers?: CellReader[];
}

export interface CellPlanOptions extends MetaContext {
  labels?: boolean;
  unansweredRecode?: string;
}

const LOCATION_FIELDS: Record<string, keyof StoredLocation> = {
  LocationLatitude: 'latitude',
  LocationLongitude: 'longitude',
  LocationAccuracy: 'accuracy',
};

export function cellPlan(survey: QsfSurvey, columns: LegacyColumn[], options: CellPlanOptions): CellPlan {
  const recode = options.unansweredRecode === undefined || options.unansweredRecode === '' ? undefined : typed(options.unansweredRecode);
  const cells = columns.map((col): PlannedCell => {
    const base = { kind: col.kind, key: col.cellKey, recodable: false };
    if (col.kind === 'meta') return { ...base, meta: metaReader(col.label, options) };
    if (col.kind === 'location') return { ...base, location: LOCATION_FIELDS[col.name] };
    if (col.kind !== 'question') return base;
    const q = survey.questions.get(col.source.qid ?? '');
    if (!q) return base;
    return {
      ...base,
      qid: q.questionId,
      recodable: !col.source.text,
      unit: unitOf(q, col),
      relabel: options.labels ? relabeler(q, col) : undefined,
    };
  });
  return { cells, recode, readers: recode === undefined ? cells.map(cellReader) : undefined };
}

export function rowCells(plan: CellPlan, r: StoredResponse): Cell[] {
  const out: Cell[] = new Array(plan.cells.length);
  if (plan.readers) {
    for (let i = 0; i < out.length; i++) out[i] = plan.readers[i](r);
    return out;
  }
  const answered = plan.recode === undefined ? undefined : answeredUnits(plan, r);
  const shown = plan.recode === undefined ? undefined : new Set(r.displayed);
  for (let i = 0; i < plan.cells.length; i++) {
    const c = plan.cells[i];
    switch (c.kind) {
      case 'meta':
        out[i] = c.meta ? c.meta(r) : '';
        break;
      case 'embedded':
        out[i] = Object.hasOwn(r.embedded, c.key) ? r.embedded[c.key] : '';
        break;
      case 'location':
        out[i] = r.location && c.location ? String(r.location[c.location]) : '';
        break;
      default:
        out[i] = questionCell(plan, c, r, answered, shown);
    }
  }
  return out;
}

function questionCell(plan: CellPlan, c: PlannedCell, r: StoredResponse, answered?: Set<string>, shown?: Set<string>): Cell {
  const v = Object.hasOwn(r.values, c.key) ? r.values[c.key] : '';
  if (v !== '') return c.relabel ? c.relabel(v) : v;
  if (plan.recode === undefined || !c.recodable || !shown?.has(c.qid ?? '')) return '';
  return c.unit !== undefined && answered?.has(c.unit) ? '' : plan.recode;
}

/** What rowCells computes for this column when there is no UnansweredRecode. */
function cellReader(c: PlannedCell): CellReader {
  const key = c.key;
  switch (c.kind) {
    case 'meta':
      return c.meta ?? (() => '');
    case 'embedded':
      if (needsOwnCheck(key)) return (r) => (Object.hasOwn(r.embedded, key) ? r.embedded[key] : '');
      return (r) => {
        const v = r.embedded[key];
        return v === undefined ? '' : v;
      };
    case 'location': {
      const field = c.location;
      return field ? (r) => (r.location ? String(r.location[field]) : '') : () => '';
    }
    default: {
      const relabel = c.relabel;
      const own = needsOwnCheck(key);
      return (r) => {
        const v = own ? (Object.hasOwn(r.values, key) ? r.values[key] : '') : r.values[key];
        if (v === undefined || v === '') return '';
        return relabel ? relabel(v) : v;
      };
    }
  }
}

/**
 * Whether reading `key` from a parsed JSON object needs an own-property check: plain lookup is
 * enough unless Object.prototype has a property of that name (`constructor`, `__proto__`, …).
 */
function needsOwnCheck(key: string): boolean {
  return key in Object.prototype;
}

function answeredUnits(plan: CellPlan, r: StoredResponse): Set<string> {
  const units = new Set<string>();
  for (const c of plan.cells) {
    if (c.unit !== undefined && !units.has(c.unit) && Object.hasOwn(r.values, c.key) && r.values[c.key] !== '') units.add(c.unit);
  }
  return units;
}

/** The multi-answer unit a choice cell belongs to: the MC question, or the matrix / SBS row. */
function unitOf(q: QsfQuestion, col: LegacyColumn): string | undefined {
  const s = col.source;
  if (s.text) return undefined;
  if (s.answer !== undefined) return `${q.questionId}#${s.sbsColumn ?? ''}/${s.choice ?? ''}`;
  if (q.questionType === 'MC' && s.choice !== undefined) return q.questionId;
  return undefined;
}

/**
 * Labels=1. Cells holding a recode get the text of the choice or scale point with that recode;
 * cells that only flag a selection (MC multi, multi-answer matrix and SBS cells) get the text of
 * their own choice or scale point. Text, numbers (sliders, rank) and unknown recodes stay as they are.
 * The text is the definition's Display, HTML included, as the header row shows it.
 */
function relabeler(q: QsfQuestion, col: LegacyColumn): Relabel | undefined {
  const s = col.source;
  if (s.text) return undefined;
  if (s.sbsColumn !== undefined) {
    const sub = q.additionalQuestions[s.sbsColumn - 1];
    if (!sub || sub.selector === 'TE') return undefined;
    return s.answer !== undefined ? fixed(sub.answers.get(s.answer)?.display) : byRecode(sub, sub.answers.keys(), sub.answers);
  }
  if (q.questionType === 'MC') {
    return s.choice !== undefined ? fixed(q.choices.get(s.choice)?.display) : byRecode(q, q.choices.keys(), q.choices);
  }
  // Text and constant-sum matrix cells hold what was typed, not a scale point to name.
  if (q.questionType === 'Matrix' && q.selector !== 'TE' && q.subSelector !== 'TE' && q.selector !== 'CS') {
    return s.answer !== undefined ? fixed(q.answers.get(s.answer)?.display) : byRecode(q, q.answers.keys(), q.answers);
  }
  return undefined;
}

function fixed(text: string | undefined): Relabel | undefined {
  return text === undefined ? undefined : () => text;
}

function byRecode(q: QsfQuestion, ids: Iterable<string>, texts: Map<string, { display: string }>): Relabel {
  const table = new Map<string, string>();
  for (const id of ids) table.set(q.recodeValues.get(id) ?? id, texts.get(id)!.display);
  return (v) => table.get(String(v)) ?? v;
}

/** Recodes are JSON numbers when numeric (§3.2), as response-values.ts writes them. */
function typed(value: string): string | number {
  return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
}

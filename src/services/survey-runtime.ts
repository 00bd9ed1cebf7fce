/**
 * A survey as the respondent engine runs it: the QSF parsed once into everything a page needs
 * (engine view, export columns, raw question payloads, options), cached by (survey ID, modified_at)
 * so that serving a page never parses QSF.
 */
import { exportColumns, type ExportColumn } from '../domain/survey/export-columns.ts';
import { readFlowSurvey, type FlowNode, type FlowSurvey } from '../domain/survey/flow.ts';
import { isObj, str, type Obj } from '../domain/survey/loose-json.ts';
import { readSurveyOptions, surveyOptionsSource, type SurveyOptions } from '../domain/survey/options.ts';
import { readQsf, type QsfSurvey } from '../domain/survey/qsf.ts';
import type { SurveyHeadRow } from '../store/surveys.ts';

export interface SurveyRuntime {
  id: string;
  modifiedAt: number;
  qsf: QsfSurvey;
  flow: FlowSurvey;
  /** Every legacy export column ('v' dialect names). */
  columns: ExportColumn[];
  /** The question columns only, in export order: what a response stores. */
  questionColumns: ExportColumn[];
  /** QuestionID → the SQ element's raw Payload (validation and rendering read it). */
  payloads: Map<string, Obj>;
  options: SurveyOptions;
  /** Embedded-data fields declared anywhere in the flow (only these take URL/panel values). */
  embeddedFields: Set<string>;
  /** QuestionID → position in flow order, for the progress bar. */
  questionPosition: Map<string, number>;
  questionCount: number;
  /** The brand's time zone (for `${date://…}` and the survey's dates). */
  timeZone: string;
}

/** Parses the stored QSF text; throws when it is not a survey (the caller treats that as not found). */
export function buildRuntime(head: SurveyHeadRow, qsfText: string, timeZone: string): SurveyRuntime {
  const doc: unknown = JSON.parse(qsfText.charCodeAt(0) === 0xfeff ? qsfText.slice(1) : qsfText);
  const qsf = readQsf(doc);
  const flow = readFlowSurvey(doc);
  const columns = exportColumns(qsf);
  const payloads = new Map<string, Obj>();
  const elements = isObj(doc) && Array.isArray(doc.SurveyElements) ? doc.SurveyElements : [];
  for (const el of elements) {
    if (isObj(el) && str(el.Element) === 'SQ' && isObj(el.Payload)) payloads.set(str(el.Payload.QuestionID) || str(el.PrimaryAttribute), el.Payload);
  }
  const source = surveyOptionsSource(doc);
  const questionPosition = new Map<string, number>();
  for (const qid of flowQuestionOrder(flow)) if (!questionPosition.has(qid)) questionPosition.set(qid, questionPosition.size);
  return {
    id: head.id,
    modifiedAt: head.modified_at,
    qsf,
    flow,
    columns,
    questionColumns: columns.filter((c) => c.kind === 'question'),
    payloads,
    options: readSurveyOptions(source.so, { entry: source.entry, timeZone }),
    embeddedFields: declaredFields(flow.flow),
    questionPosition,
    questionCount: questionPosition.size,
    timeZone,
  };
}

function declaredFields(nodes: FlowNode[], out = new Set<string>()): Set<string> {
  for (const n of nodes) {
    for (const f of n.embeddedData) if (f.field !== '') out.add(f.field);
    declaredFields(n.children, out);
  }
  return out;
}

/** Question IDs in the order the flow's blocks list them (randomization aside). */
function flowQuestionOrder(flow: FlowSurvey): string[] {
  const out: string[] = [];
  const walk = (nodes: FlowNode[]): void => {
    for (const n of nodes) {
      const block = flow.blocks.get(n.blockId);
      if (block && n.children.length === 0) for (const page of block.pages) out.push(...page);
      walk(n.children);
    }
  };
  walk(flow.flow);
  return out;
}

/** A bounded map that forgets the least recently used entry first. */
export class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}

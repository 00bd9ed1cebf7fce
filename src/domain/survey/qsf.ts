/**
 * The parts of a QSF (Qualtrics Survey Format) file that the legacy export column model needs,
 * with a lenient reader. Real QSF files are inconsistent (ids as numbers or strings, lists
 * serialised as objects keyed "0","1",…, `false` where an object is expected), so the reader
 * normalises them instead of rejecting them. Spec: api-v2.md §4.2.
 */

import { isObj, list, type Obj } from './loose-json.ts';

export interface QsfChoice {
  display: string;
  textEntry: boolean;
}

export interface QsfQuestion {
  questionId: string;
  questionText: string;
  questionDescription: string;
  dataExportTag: string;
  questionType: string;
  selector: string;
  subSelector: string;
  /** Choice id → choice; for matrices these are the rows (statements). */
  choices: Map<string, QsfChoice>;
  choiceOrder: string[];
  /** Answer id → answer; for matrices these are the scale points (columns). */
  answers: Map<string, QsfChoice>;
  answerOrder: string[];
  /** Choice id → recode value. */
  recodeValues: Map<string, string>;
  /** Choice id → choice export tag; empty when the survey has none. */
  choiceDataExportTags: Map<string, string>;
  /** Side-by-side column questions only: the tag that replaces the column number in names. */
  answerDataExportTag: string;
  /** Side-by-side columns in order: each is a nested question. */
  additionalQuestions: QsfQuestion[];
}

export interface QsfBlockElement {
  type: string;
  questionId?: string;
}

export interface QsfBlock {
  id: string;
  type: string;
  description: string;
  elements: QsfBlockElement[];
}

export interface QsfEmbeddedField {
  field: string;
  type: string;
  value?: string;
}

export interface QsfFlowItem {
  type: string;
  id?: string;
  flowId?: string;
  flow: QsfFlowItem[];
  embeddedData: QsfEmbeddedField[];
}

export interface QsfSurvey {
  surveyId: string;
  surveyName: string;
  blocks: QsfBlock[];
  flow: QsfFlowItem[];
  questions: Map<string, QsfQuestion>;
}

export class QsfFormatError extends Error {}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1' || v === 'ON';
}

function readChoices(v: unknown): Map<string, QsfChoice> {
  const out = new Map<string, QsfChoice>();
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((c, i) => [String(i + 1), c]) : isObj(v) ? Object.entries(v) : [];
  for (const [id, c] of entries) {
    if (!isObj(c)) continue;
    out.set(id, { display: str(c.Display), textEntry: truthy(c.TextEntry) });
  }
  return out;
}

function readOrder(v: unknown, fallback: Map<string, unknown>): string[] {
  const order = list(v).map(str).filter((s) => s !== '');
  return order.length > 0 ? order : [...fallback.keys()];
}

function readStringMap(v: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!isObj(v)) return out;
  for (const [k, val] of Object.entries(v)) out.set(k, str(val));
  return out;
}

export function readQsfQuestion(p: Obj, fallbackId = ''): QsfQuestion {
  const choices = readChoices(p.Choices);
  const answers = readChoices(p.Answers);
  return {
    questionId: str(p.QuestionID) || fallbackId,
    questionText: str(p.QuestionText),
    questionDescription: str(p.QuestionDescription),
    dataExportTag: str(p.DataExportTag),
    questionType: str(p.QuestionType),
    selector: str(p.Selector),
    subSelector: str(p.SubSelector),
    choices,
    choiceOrder: readOrder(p.ChoiceOrder, choices),
    answers,
    answerOrder: readOrder(p.AnswerOrder, answers),
    recodeValues: readStringMap(p.RecodeValues),
    choiceDataExportTags: readStringMap(p.ChoiceDataExportTags),
    answerDataExportTag: str(p.AnswerDataExportTag),
    additionalQuestions: readAdditional(p.AdditionalQuestions),
  };
}

function readAdditional(v: unknown): QsfQuestion[] {
  if (!isObj(v) && !Array.isArray(v)) return [];
  const entries: [string, unknown][] = Array.isArray(v) ? v.map((q, i) => [String(i + 1), q]) : Object.entries(v);
  // Keys are column numbers; numeric order is the display order.
  entries.sort((a, b) => Number(a[0]) - Number(b[0]));
  return entries.filter((e): e is [string, Obj] => isObj(e[1])).map(([, q]) => readQsfQuestion(q));
}

function readBlock(v: unknown): QsfBlock | undefined {
  if (!isObj(v)) return undefined;
  return {
    id: str(v.ID),
    type: str(v.Type),
    description: str(v.Description),
    elements: list(v.BlockElements)
      .filter(isObj)
      .map((e) => ({ type: str(e.Type), questionId: e.QuestionID === undefined ? undefined : str(e.QuestionID) })),
  };
}

/** Real flows nest a few levels; a hostile file must not exhaust the stack. Deeper items are left out. */
export const MAX_FLOW_DEPTH = 32;

function readFlowItem(v: Obj, depth = 0): QsfFlowItem {
  return {
    type: str(v.Type),
    id: v.ID === undefined ? undefined : str(v.ID),
    flowId: v.FlowID === undefined ? undefined : str(v.FlowID),
    flow: depth >= MAX_FLOW_DEPTH ? [] : list(v.Flow).filter(isObj).map((child) => readFlowItem(child, depth + 1)),
    embeddedData: list(v.EmbeddedData)
      .filter(isObj)
      .map((f) => ({ field: str(f.Field), type: str(f.Type), value: f.Value === undefined ? undefined : str(f.Value) })),
  };
}

/** Reads an already-parsed QSF document. Throws QsfFormatError only when the basic shape is missing. */
export function readQsf(doc: unknown): QsfSurvey {
  if (!isObj(doc) || !Array.isArray(doc.SurveyElements)) throw new QsfFormatError('SurveyElements is missing');
  const entry = isObj(doc.SurveyEntry) ? doc.SurveyEntry : {};
  const survey: QsfSurvey = {
    surveyId: str(entry.SurveyID),
    surveyName: str(entry.SurveyName),
    blocks: [],
    flow: [],
    questions: new Map(),
  };
  for (const el of doc.SurveyElements) {
    if (!isObj(el)) continue;
    const kind = str(el.Element);
    if (kind === 'BL') survey.blocks = list(el.Payload).map(readBlock).filter((b): b is QsfBlock => b !== undefined);
    else if (kind === 'FL' && isObj(el.Payload)) survey.flow = readFlowItem(el.Payload).flow;
    else if (kind === 'SQ' && isObj(el.Payload)) {
      const q = readQsfQuestion(el.Payload, str(el.PrimaryAttribute));
      survey.questions.set(q.questionId, q);
    }
  }
  return survey;
}

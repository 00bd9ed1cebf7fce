/**
 * The `<SurveyDefinition>` document of getSurvey (spec api-v2.md §4.1), built from a stored QSF.
 * Pure: the caller supplies the survey's metadata (already formatted) and the parsed QSF.
 *
 * Structural decisions (the getSurvey Request's docs repeat them for API users):
 * - Root children in the recorded order: SurveyName, OwnerID, isActive, CreationDate,
 *   LastModifiedDate, StartDate, ExpirationDate, Languages, Questions, Blocks, SurveyFlow, EmbeddedData.
 *   Name, owner, status and dates are the stored survey's, not the QSF's SurveyEntry (which is a
 *   snapshot from the system the file came from); the language is SurveyEntry.SurveyLanguage or EN.
 * - Questions in the QSF's element order, including those in the Trash block (every ID of the file
 *   is listed; the Trash block itself carries Type="Trash"). Children in the recorded order: Type,
 *   Selector, SubSelector, QuestionText, QuestionDescription, ExportTag, Validation, Choices,
 *   Answers; Answers only when the question has answers (matrix columns). Side-by-side columns
 *   follow as AdditionalQuestions/Question[@Column] with the same children.
 * - Recode: for matrices the QSF's RecodeValues belong to the answers (columns), otherwise to the
 *   choices; without a recode value an item's ID is its recode.
 * - Free text (question, description, export tag, choice and answer text, logic descriptions) is
 *   CDATA; a `]]>` inside is split across two CDATA sections, and characters XML 1.0 forbids are
 *   dropped, so hostile text stays well-formed and inert text.
 * - Blocks: Block[@Description,@ID] with BlockElements of Question[@QuestionID] and PageBreak; a
 *   block without elements is a bare `<Block …/>` as recorded for an empty survey.
 * - SurveyFlow: the FL_n items nested as in the QSF. Block and Standard items are
 *   Block[@FlowID,@ID] (Standard adds Type="Standard"); Branch, BlockRandomizer (SubSet,
 *   EvenPresentation), Group, EmbeddedData (its fields as Field children) and EndSurvey keep their
 *   QSF type as the element name; any other type is FlowElement[@Type].
 * - EmbeddedData: every field set anywhere in the flow, first definition of a name wins.
 * - exportLogic: questions gain DisplayLogic and SkipLogic (from the question, or from its block
 *   element where Qualtrics exports keep it), choices DisplayLogic, branches
 *   BranchLogic. A logic tree becomes ExpressionSet[@Index] (conjunction sets) of
 *   Expression[@Index]; skip logic becomes Skip[@Index]; each scalar property of the QSF is a child
 *   element of the same name.
 */

import { xmlText as esc } from '../xml.ts';
import { readQsf, type QsfBlock, type QsfChoice, type QsfQuestion, type QsfSurvey } from './qsf.ts';

export interface DefinitionMeta {
  name: string;
  ownerId: string;
  active: boolean;
  /** Dates already formatted the v2 way (`YYYY-MM-DD HH:MM:SS`, 0000-00-00 00:00:00 when unset). */
  creationDate: string;
  lastModifiedDate: string;
  startDate: string;
  expirationDate: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : isObj(v) ? Object.values(v) : []);

const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A CDATA section that cannot be closed early by its content. */
export function cdata(value: string): string {
  return `<![CDATA[${value.replace(FORBIDDEN, '').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const isXmlName = (name: string) => XML_NAME.test(name) && !/^xml/i.test(name);

function attrs(pairs: [string, string | undefined][]): string {
  return pairs
    .filter((p): p is [string, string] => p[1] !== undefined)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('');
}

/** `<name a="…">inner</name>`, or self-closing when there is no inner text. */
function el(name: string, attributes: [string, string | undefined][], inner: string): string {
  return inner === '' ? `<${name}${attrs(attributes)}/>` : `<${name}${attrs(attributes)}>${inner}</${name}>`;
}

/** Scalar properties as child elements; numeric keys as `childNames[0]` elements one level down. */
function logicXml(name: string, value: unknown, childNames: string[], index?: string): string {
  const attributes: [string, string | undefined][] = [['Index', index]];
  const parts: string[] = [];
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : isObj(value) ? Object.entries(value) : [];
  for (const [key, v] of entries) {
    if (/^\d+$/.test(key)) {
      parts.push(logicXml(childNames[0] ?? 'Item', v, childNames.slice(1), key));
    } else if (!isXmlName(key)) {
      continue;
    } else if (isObj(v) || Array.isArray(v)) {
      parts.push(logicXml(key, v, childNames));
    } else if (v !== null && v !== undefined) {
      const text = v === true ? '1' : v === false ? '0' : str(v);
      parts.push(`<${key}>${/Description/.test(key) ? cdata(text) : esc(text)}</${key}>`);
    }
  }
  return el(name, attributes, parts.join(''));
}

const hasLogic = (v: unknown) => (isObj(v) && Object.keys(v).length > 0) || (Array.isArray(v) && v.length > 0);
const displayLogic = (v: unknown) => (hasLogic(v) ? logicXml('DisplayLogic', v, ['ExpressionSet', 'Expression']) : '');

interface QuestionContext {
  raw: Obj;
  exportLogic: boolean;
  /** Skip logic kept on the question's block element (where Qualtrics exports put it). */
  skipLogic?: unknown;
}

function itemXml(tag: string, id: string, item: QsfChoice, recode: string, rawItem: unknown, ctx: QuestionContext): string {
  const logic = ctx.exportLogic && isObj(rawItem) ? displayLogic(rawItem.DisplayLogic) : '';
  const attributes: [string, string | undefined][] = [['ID', id], ['Recode', recode], ['TextEntry', item.textEntry ? '1' : undefined]];
  return el(tag, attributes, `<Description>${cdata(item.display)}</Description>${logic}`);
}

/** The ordered IDs, then any item the order leaves out (a lenient reader keeps everything). */
function ordered(order: string[], items: Map<string, unknown>): string[] {
  const seen = new Set(order.filter((id) => items.has(id)));
  return [...seen, ...[...items.keys()].filter((id) => !seen.has(id))];
}

function itemsXml(q: QsfQuestion, ctx: QuestionContext): string {
  const matrix = q.questionType === 'Matrix';
  const rawChoices = isObj(ctx.raw.Choices) ? ctx.raw.Choices : {};
  const rawAnswers = isObj(ctx.raw.Answers) ? ctx.raw.Answers : {};
  const choices = ordered(q.choiceOrder, q.choices).map((id) =>
    itemXml('Choice', id, q.choices.get(id)!, matrix ? id : (q.recodeValues.get(id) ?? id), rawChoices[id], ctx),
  );
  let out = el('Choices', [], choices.join(''));
  if (q.answers.size > 0) {
    const answers = ordered(q.answerOrder, q.answers).map((id) =>
      itemXml('Answer', id, q.answers.get(id)!, matrix ? (q.recodeValues.get(id) ?? id) : id, rawAnswers[id], ctx),
    );
    out += el('Answers', [], answers.join(''));
  }
  return out;
}

function forceResponse(raw: Obj): string {
  const settings = isObj(raw.Validation) && isObj(raw.Validation.Settings) ? raw.Validation.Settings : {};
  return settings.ForceResponse === 'ON' || settings.ForceResponse === true ? '1' : '0';
}

function questionBody(q: QsfQuestion, ctx: QuestionContext): string {
  const parts = [
    `<Type>${esc(q.questionType)}</Type>`,
    el('Selector', [], esc(q.selector)),
    el('SubSelector', [], esc(q.subSelector)),
    `<QuestionText>${cdata(q.questionText)}</QuestionText>`,
    `<QuestionDescription>${cdata(q.questionDescription)}</QuestionDescription>`,
    `<ExportTag>${cdata(q.dataExportTag)}</ExportTag>`,
    `<Validation><ForceResponse>${forceResponse(ctx.raw)}</ForceResponse></Validation>`,
    itemsXml(q, ctx),
  ];
  if (ctx.exportLogic) {
    parts.push(displayLogic(ctx.raw.DisplayLogic));
    const skip = hasLogic(ctx.raw.SkipLogic) ? ctx.raw.SkipLogic : ctx.skipLogic;
    if (hasLogic(skip)) parts.push(logicXml('SkipLogic', skip, ['Skip']));
  }
  if (q.additionalQuestions.length > 0) parts.push(additionalXml(q, ctx));
  return parts.join('');
}

function additionalXml(q: QsfQuestion, ctx: QuestionContext): string {
  const raw = isObj(ctx.raw.AdditionalQuestions) || Array.isArray(ctx.raw.AdditionalQuestions) ? list(ctx.raw.AdditionalQuestions) : [];
  const columns = q.additionalQuestions.map((col, i) => {
    const rawCol = raw[i];
    const body = questionBody(col, { raw: isObj(rawCol) ? rawCol : {}, exportLogic: ctx.exportLogic });
    return el('Question', [['Column', String(i + 1)], ['QuestionID', col.questionId || undefined]], body);
  });
  return el('AdditionalQuestions', [], columns.join(''));
}

function blockXml(b: QsfBlock): string {
  const elements = b.elements.map((e) => {
    if (e.type === 'Question' && e.questionId !== undefined) return el('Question', [['QuestionID', e.questionId]], '');
    if (e.type === 'Page Break') return '<PageBreak/>';
    return el('Element', [['Type', e.type]], '');
  });
  const inner = elements.length > 0 ? el('BlockElements', [], elements.join('')) : '';
  return el('Block', [['Description', b.description], ['ID', b.id], ['Type', b.type === 'Trash' ? 'Trash' : undefined]], inner);
}

interface Field {
  name: string;
  type: string;
  value: string;
}

function fieldsOf(item: Obj): Field[] {
  return list(item.EmbeddedData)
    .filter(isObj)
    .map((f) => ({ name: str(f.Field), type: str(f.Type), value: str(f.Value) }));
}

function fieldXml(f: Field): string {
  return el('Field', [['Type', f.type]], `<Name>${esc(f.name)}</Name>${el('Value', [], esc(f.value))}`);
}

const FLOW_NAMES = new Set(['Branch', 'BlockRandomizer', 'Group', 'EmbeddedData', 'EndSurvey']);

function flowXml(item: Obj, exportLogic: boolean, depth: number): string {
  const type = str(item.Type);
  const flowId = str(item.FlowID) || undefined;
  if (type === 'Block' || type === 'Standard') {
    return el('Block', [['FlowID', flowId], ['ID', str(item.ID)], ['Type', type === 'Standard' ? 'Standard' : undefined]], '');
  }
  const name = FLOW_NAMES.has(type) ? type : 'FlowElement';
  const attributes: [string, string | undefined][] = [
    ['FlowID', flowId],
    ['Type', name === 'FlowElement' ? type : undefined],
    ['Description', item.Description === undefined ? undefined : str(item.Description)],
    ['SubSet', item.SubSet === undefined ? undefined : str(item.SubSet)],
    ['EvenPresentation', item.EvenPresentation === undefined ? undefined : item.EvenPresentation === true ? '1' : item.EvenPresentation === false ? '0' : str(item.EvenPresentation)],
  ];
  const parts: string[] = [];
  if (type === 'EmbeddedData') parts.push(...fieldsOf(item).map(fieldXml));
  if (exportLogic && hasLogic(item.BranchLogic)) parts.push(logicXml('BranchLogic', item.BranchLogic, ['ExpressionSet', 'Expression']));
  // Nesting is bounded: a hostile file must not make the renderer recurse without end.
  if (depth < 50) parts.push(...list(item.Flow).filter(isObj).map((child) => flowXml(child, exportLogic, depth + 1)));
  return el(name, attributes, parts.join(''));
}

function collectFields(items: unknown[], out: Map<string, Field>, depth = 0): void {
  if (depth > 50) return;
  for (const item of items) {
    if (!isObj(item)) continue;
    if (str(item.Type) === 'EmbeddedData') for (const f of fieldsOf(item)) if (f.name !== '' && !out.has(f.name)) out.set(f.name, f);
    collectFields(list(item.Flow), out, depth + 1);
  }
}

/** Question ID → the SkipLogic on its block element. */
function blockSkipLogic(payload: unknown, out: Map<string, unknown>): void {
  for (const block of list(payload).filter(isObj)) {
    for (const e of list(block.BlockElements).filter(isObj)) if (hasLogic(e.SkipLogic)) out.set(str(e.QuestionID), e.SkipLogic);
  }
}

/** The raw pieces readQsf does not keep: question payloads, skip logic, flow root, language. */
function rawParts(doc: unknown): { payloads: Map<string, Obj>; skips: Map<string, unknown>; flow: unknown[]; language: string } {
  const payloads = new Map<string, Obj>();
  const skips = new Map<string, unknown>();
  let flow: unknown[] = [];
  const elements = isObj(doc) && Array.isArray(doc.SurveyElements) ? doc.SurveyElements : [];
  for (const e of elements) {
    if (!isObj(e)) continue;
    // The block list may be an array or an object keyed "0","1",…; the others are objects.
    if (e.Element === 'BL') blockSkipLogic(e.Payload, skips);
    if (!isObj(e.Payload)) continue;
    if (e.Element === 'SQ') payloads.set(str(e.Payload.QuestionID) || str(e.PrimaryAttribute), e.Payload);
    else if (e.Element === 'FL') flow = list(e.Payload.Flow);
  }
  const entry = isObj(doc) && isObj(doc.SurveyEntry) ? doc.SurveyEntry : {};
  return { payloads, skips, flow, language: str(entry.SurveyLanguage) || 'EN' };
}

/** The getSurvey document for a parsed QSF (anything unreadable gives an empty definition). */
export function surveyDefinitionXml(meta: DefinitionMeta, doc: unknown, options: { exportLogic?: boolean } = {}): string {
  const exportLogic = options.exportLogic ?? false;
  let survey: Pick<QsfSurvey, 'blocks' | 'questions'>;
  try {
    survey = readQsf(doc);
  } catch {
    survey = { blocks: [], questions: new Map<string, QsfQuestion>() };
  }
  const { payloads, skips, flow, language } = rawParts(doc);
  const questions = [...survey.questions.values()].map((q) =>
    el('Question', [['QuestionID', q.questionId]], questionBody(q, { raw: payloads.get(q.questionId) ?? {}, exportLogic, skipLogic: skips.get(q.questionId) })),
  );
  const fields = new Map<string, Field>();
  collectFields(flow, fields);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>\n<SurveyDefinition>',
    `<SurveyName>${esc(meta.name)}</SurveyName>`,
    `<OwnerID>${esc(meta.ownerId)}</OwnerID>`,
    `<isActive>${meta.active ? 1 : 0}</isActive>`,
    `<CreationDate>${esc(meta.creationDate)}</CreationDate>`,
    `<LastModifiedDate>${esc(meta.lastModifiedDate)}</LastModifiedDate>`,
    `<StartDate>${esc(meta.startDate)}</StartDate>`,
    `<ExpirationDate>${esc(meta.expirationDate)}</ExpirationDate>`,
    `<Languages><Language Default="1">${esc(language)}</Language></Languages>`,
    el('Questions', [], questions.join('')),
    el('Blocks', [], survey.blocks.map(blockXml).join('')),
    el('SurveyFlow', [], flow.filter(isObj).map((item) => flowXml(item, exportLogic, 0)).join('')),
    el('EmbeddedData', [], [...fields.values()].map(fieldXml).join('')),
    '</SurveyDefinition>',
  ].join('');
}

/**
 * The survey flow engine: which page a respondent sees next, given the QSF and what they have
 * answered so far. Pure and deterministic: every random choice comes from the session seed and the
 * name of the decision (so evaluation order cannot change it) and is recorded in the state, and the
 * state is plain JSON, so a stored session continues identically after a refresh.
 *
 * Spec: api-v2.md §4.2 (flow, blocks, questions). Anything the engine does not understand (unknown
 * flow element or question type, broken logic) is skipped with a warning, never a crash.
 */
import {
  evaluateLogic, evaluateSkipLogic, readLogic, readSkipLogic, stateFromSnapshot,
  type LogicState, type LogicTree, type SkipRule,
} from './logic.ts';
import { QsfFormatError, readQsf, type QsfQuestion } from './qsf.ts';
import type {
  EndOfSurvey, FlowCursor, PageQuestion, QuestionAnswer, SessionState, ShownPage,
} from './session-state.ts';
import { isObj, list, str, type Obj } from './loose-json.ts';
import { seededRandom } from './seeded-random.ts';

export { seededRandom };

export type { EndOfSurvey, PageQuestion, QuestionAnswer, SessionState } from './session-state.ts';

/** Flow nesting deeper than this is dropped: real surveys nest three or four levels. */
export const MAX_FLOW_DEPTH = 32;
/** Flow elements beyond this many are dropped, bounding every walk. */
export const MAX_FLOW_ELEMENTS = 5000;
/** Text answers are cut to this many characters. */
export const MAX_TEXT_ANSWER = 20000;

/** Question types a page can show; anything else is left off pages with a warning. */
const KNOWN_QUESTION_TYPES = new Set([
  'MC', 'Matrix', 'TE', 'Slider', 'RO', 'CS', 'SBS', 'DB', 'Timing', 'Meta', 'PGR', 'Captcha', 'Draw',
  'FileUpload', 'DD', 'HeatMap', 'HotSpot', 'GAP', 'Highlight', 'SS',
]);

export type ChoiceRandomization =
  | { kind: 'all' }
  | { kind: 'subset'; count: number }
  | { kind: 'advanced'; fixed: string[]; randomize: string[]; subset: string[]; subsetCount: number; undisplayed: string[] };

export interface FlowQuestion {
  qid: string;
  type: string;
  choiceOrder: string[];
  answerOrder: string[];
  displayLogic: LogicTree;
  /** Choice ID → that choice's DisplayLogic (only choices that have one). */
  choiceLogic: Record<string, LogicTree>;
  answerLogic: Record<string, LogicTree>;
  skipRules: SkipRule[];
  randomization: ChoiceRandomization | null;
  recodes: Record<string, string>;
  /** Side by side: each column's answer IDs (column n is index n-1); empty for other questions. */
  sbsColumns: string[][];
}

export type BlockRandomization = { kind: 'all' | 'subset'; count: number; perPage: number };

export interface FlowBlock {
  id: string;
  /** Question IDs split into pages at the block's page breaks. */
  pages: string[][];
  randomization: BlockRandomization | null;
}

export interface FlowNode {
  /** Path of raw child indices ("0.2.1"): unique, and stable for a stored survey. */
  key: string;
  flowId: string;
  type: string;
  blockId: string;
  branchLogic: LogicTree;
  /** BlockRandomizer: how many children to present; null = all. */
  subSet: number | null;
  evenPresentation: boolean;
  embeddedData: { field: string; type: string; value?: string }[];
  /** EndSurvey with its own options; null = the survey's default ending. */
  end: EndOfSurvey | null;
  children: FlowNode[];
}

export interface FlowSurvey {
  surveyId: string;
  flow: FlowNode[];
  blocks: Map<string, FlowBlock>;
  questions: Map<string, FlowQuestion>;
  defaultEnd: EndOfSurvey;
  warnings: string[];
}

/** Keys used on plain-object records; `__proto__` would reach the prototype instead. */
function safeKey(k: string): boolean {
  return k !== '__proto__';
}

function truthy(v: unknown): boolean {
  return v === true || v === 1 || v === 'true' || v === '1' || v === 'ON';
}

/** A non-negative integer count, or null when absent/unreadable. */
function count(v: unknown): number | null {
  const n = typeof v === 'number' ? v : Number(str(v).trim() || NaN);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : null;
}

// ---------------------------------------------------------------------------------------------
// Reading the survey

/** Builds the engine's view of an already-parsed QSF document. Throws only when readQsf does. */
export function readFlowSurvey(doc: unknown): FlowSurvey {
  // readQsf recurses through the flow without a depth limit, so it gets the document without it;
  // the flow is read here, with caps.
  if (!isObj(doc) || !Array.isArray(doc.SurveyElements)) throw new QsfFormatError('SurveyElements is missing');
  const all = doc.SurveyElements.filter(isObj);
  const base = readQsf({ ...doc, SurveyElements: all.filter((e) => str(e.Element) !== 'FL') });
  const warnings: string[] = [];
  const elements = all;
  const questions = new Map<string, FlowQuestion>();
  const payloads = new Map<string, Obj>();
  for (const el of elements) {
    if (str(el.Element) === 'SQ' && isObj(el.Payload)) payloads.set(str(el.Payload.QuestionID) || str(el.PrimaryAttribute), el.Payload);
  }
  for (const [qid, q] of base.questions) questions.set(qid, readQuestion(q, payloads.get(qid) ?? {}, warnings));
  const blocks = new Map<string, FlowBlock>();
  const rawBlocks = elements.find((e) => str(e.Element) === 'BL')?.Payload;
  for (const b of list(rawBlocks).filter(isObj)) {
    const block = readBlock(b);
    if (block.id) blocks.set(block.id, block);
  }
  const so = elements.find((e) => str(e.Element) === 'SO')?.Payload;
  const fl = elements.find((e) => str(e.Element) === 'FL')?.Payload;
  const budget = { left: MAX_FLOW_ELEMENTS };
  const flow = isObj(fl) ? readFlowChildren(fl.Flow, '', 1, budget, warnings) : [];
  return { surveyId: base.surveyId, flow, blocks, questions, defaultEnd: readEnd(isObj(so) ? so : {}, warnings), warnings };
}

function readQuestion(q: QsfQuestion, p: Obj, warnings: string[]): FlowQuestion {
  const display = readLogic(p.DisplayLogic);
  warnings.push(...display.warnings.map((w) => `${q.questionId} display logic: ${w}`));
  const skip = readSkipLogic(p.SkipLogic);
  warnings.push(...skip.warnings.map((w) => `${q.questionId} skip logic: ${w}`));
  return {
    qid: q.questionId,
    type: q.questionType,
    choiceOrder: q.choiceOrder.filter((c) => q.choices.has(c)),
    answerOrder: q.answerOrder.filter((a) => q.answers.has(a)),
    displayLogic: display,
    choiceLogic: readItemLogic(p.Choices, `${q.questionId} choice`, warnings),
    answerLogic: readItemLogic(p.Answers, `${q.questionId} answer`, warnings),
    skipRules: skip.rules,
    randomization: readChoiceRandomization(p.Randomization),
    recodes: Object.fromEntries(q.recodeValues),
    sbsColumns: q.additionalQuestions.map((c) => c.answerOrder.filter((a) => c.answers.has(a))),
  };
}

function readItemLogic(raw: unknown, label: string, warnings: string[]): Record<string, LogicTree> {
  const out: Record<string, LogicTree> = {};
  if (!isObj(raw)) return out;
  for (const [id, c] of Object.entries(raw)) {
    if (!isObj(c) || c.DisplayLogic === undefined) continue;
    const tree = readLogic(c.DisplayLogic);
    warnings.push(...tree.warnings.map((w) => `${label} ${id} display logic: ${w}`));
    if (tree.root) out[id] = tree;
  }
  return out;
}

function readChoiceRandomization(raw: unknown): ChoiceRandomization | null {
  if (!isObj(raw)) return null;
  const type = str(raw.Type);
  if (type === 'All') return { kind: 'all' };
  if (type === 'RandomSubset') return { kind: 'subset', count: count(raw.TotalRandSubset) ?? 0 };
  if (type !== 'Advanced' || !isObj(raw.Advanced)) return null;
  const a = raw.Advanced;
  const ids = (v: unknown): string[] => list(v).map(str).filter((s) => s !== '');
  return {
    kind: 'advanced', fixed: ids(a.FixedOrder), randomize: ids(a.RandomizeAll), subset: ids(a.RandomSubSet),
    subsetCount: count(a.TotalRandSubset) ?? 0, undisplayed: ids(a.Undisplayed),
  };
}

function readBlock(b: Obj): FlowBlock {
  const pages: string[][] = [[]];
  for (const e of list(b.BlockElements).filter(isObj)) {
    const type = str(e.Type);
    if (type === 'Page Break') pages.push([]);
    else if (type === 'Question' && str(e.QuestionID)) pages[pages.length - 1].push(str(e.QuestionID));
  }
  return { id: str(b.ID), pages: pages.filter((p) => p.length > 0), randomization: readBlockRandomization(b.Options) };
}

function readBlockRandomization(options: unknown): BlockRandomization | null {
  if (!isObj(options)) return null;
  const mode = str(options.RandomizeQuestions);
  const r = isObj(options.Randomization) ? options.Randomization : {};
  const perPage = count(r.QuestionsPerPage) ?? 0;
  if (mode === 'RandomWithXPerPage' || mode === 'true') return { kind: 'all', count: 0, perPage };
  if (mode === 'RandomWithOnlyX') return { kind: 'subset', count: count(r.TotalRandSubset) ?? 0, perPage };
  return null;
}

function readEnd(o: Obj, warnings: string[]): EndOfSurvey {
  const termination = str(o.SurveyTermination);
  if (termination === 'Redirect') {
    const url = str(o.EOSRedirectURL).trim();
    if (/^https?:\/\//i.test(url)) return { redirectUrl: url };
    if (url) warnings.push(`end-of-survey redirect "${url.slice(0, 80)}" is not an http(s) URL`);
    return {};
  }
  if (termination === 'DisplayMessage' && str(o.EOSMessage)) {
    const library = str(o.EOSMessageLibrary);
    return library ? { message: str(o.EOSMessage), messageLibrary: library } : { message: str(o.EOSMessage) };
  }
  return {};
}

function readFlowChildren(raw: unknown, prefix: string, depth: number, budget: { left: number }, warnings: string[]): FlowNode[] {
  const items = list(raw);
  if (items.length > 0 && depth > MAX_FLOW_DEPTH) {
    warnings.push(`flow nested deeper than ${MAX_FLOW_DEPTH} levels: inner elements ignored`);
    return [];
  }
  const out: FlowNode[] = [];
  items.forEach((item, i) => {
    if (!isObj(item)) return;
    if (budget.left <= 0) {
      if (budget.left === 0) warnings.push(`more than ${MAX_FLOW_ELEMENTS} flow elements: the rest ignored`);
      budget.left -= 1;
      return;
    }
    budget.left -= 1;
    out.push(readFlowNode(item, prefix ? `${prefix}.${i}` : String(i), depth, budget, warnings));
  });
  return out;
}

function readFlowNode(o: Obj, key: string, depth: number, budget: { left: number }, warnings: string[]): FlowNode {
  const type = str(o.Type);
  const branch = readLogic(o.BranchLogic);
  warnings.push(...branch.warnings.map((w) => `branch ${str(o.FlowID) || key}: ${w}`));
  const options = isObj(o.Options) ? o.Options : {};
  return {
    key,
    flowId: str(o.FlowID),
    type,
    blockId: str(o.ID),
    branchLogic: branch,
    subSet: count(o.SubSet),
    evenPresentation: truthy(o.EvenPresentation),
    embeddedData: list(o.EmbeddedData).filter(isObj)
      .map((f) => ({ field: str(f.Field), type: str(f.Type), value: f.Value === undefined ? undefined : str(f.Value) })),
    end: type === 'EndSurvey' && truthy(options.Advanced) ? readEnd(options, warnings) : null,
    children: readFlowChildren(o.Flow, key, depth + 1, budget, warnings),
  };
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness

function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sessions

export interface StartOptions {
  seed: string | number;
  /** Values from URL query parameters and the panel member; flow EmbeddedData elements may set more. */
  embeddedData?: Record<string, string>;
  now: number;
  /**
   * How often each randomizer child (by FlowID, else block ID) has been presented so far, e.g.
   * from the survey's `BR` elements. With it, an EvenPresentation randomizer picks the least
   * presented children; without it every subset is equally likely, which evens out over many.
   */
  presentationCounts?: Record<string, number>;
}

export function startSession(_survey: FlowSurvey, options: StartOptions): SessionState {
  return {
    version: 1,
    seed: String(options.seed),
    startedAt: options.now,
    embeddedData: Object.fromEntries(Object.entries(options.embeddedData ?? {}).filter(([k, v]) => safeKey(k) && typeof v === 'string')),
    answers: {},
    displayedQuestions: [],
    displayedChoices: {},
    displayedAnswers: {},
    randomizers: {},
    blockLayouts: {},
    choiceOrders: {},
    cursor: null,
    current: null,
    history: [],
    ended: null,
    presentationCounts: Object.fromEntries(Object.entries(options.presentationCounts ?? {})
      .filter(([k, v]) => safeKey(k) && typeof v === 'number' && Number.isFinite(v))),
    warnings: [],
  };
}

export type NextPage =
  | { kind: 'page'; pageId: string; blockId: string; questions: PageQuestion[]; state: SessionState }
  | { kind: 'end'; endSurvey: EndOfSurvey; state: SessionState };

/**
 * The page to show now. The returned `state` has it as `current` with every random choice made
 * for it recorded; calling again with that state returns the same page (a refresh).
 */
export function nextPage(survey: FlowSurvey, state: SessionState): NextPage {
  if (state.ended) return { kind: 'end', endSurvey: state.ended, state };
  if (state.current) return pageResult(state.current, state);
  const s = clone(state);
  let cursor: Step = s.cursor === null ? firstCursor(survey, s)
    : s.cursor.pending ? { path: s.cursor.path, page: s.cursor.page, fromQuestion: s.cursor.fromQuestion }
      : advanceCursor(survey, s, s.cursor);
  // Each iteration moves strictly forward through a finite flow, so this cannot loop forever;
  // the cap only bounds the cost of a huge survey whose pages are all hidden.
  for (let guard = 0; guard < MAX_FLOW_ELEMENTS * 64; guard++) {
    if (!cursor || 'end' in cursor) {
      s.ended = cursor && 'end' in cursor ? cursor.end : survey.defaultEnd;
      s.cursor = null;
      return { kind: 'end', endSurvey: s.ended, state: s };
    }
    const shown = showPage(survey, s, cursor);
    if (shown) {
      s.current = shown;
      return pageResult(shown, s);
    }
    s.cursor = cursor;
    cursor = advanceCursor(survey, s, cursor);
  }
  s.warnings.push('flow walk stopped: too many hidden pages');
  s.ended = survey.defaultEnd;
  return { kind: 'end', endSurvey: s.ended, state: s };
}

function pageResult(p: ShownPage, state: SessionState): NextPage {
  return { kind: 'page', pageId: p.pageId, blockId: p.blockId, questions: p.questions, state };
}

/**
 * Records the answers to the page on screen and moves past it (skip logic included). Answers to
 * questions not on that page, and choices or rows not shown, are dropped.
 */
export function submitPage(survey: FlowSurvey, state: SessionState, answers: Record<string, QuestionAnswer>): SessionState {
  const shown = nextPage(survey, state);
  if (shown.kind === 'end') return shown.state;
  const s = clone(shown.state);
  const page = s.current as ShownPage;
  for (const pq of page.questions) {
    const given = Object.prototype.hasOwnProperty.call(answers, pq.qid) ? answers[pq.qid] : undefined;
    if (given) s.answers[pq.qid] = cleanAnswer(given, pq, survey.questions.get(pq.qid)?.sbsColumns ?? []);
    else delete s.answers[pq.qid];
  }
  s.history.push(page);
  s.current = null;
  s.cursor = page.cursor;
  const skip = skipDestination(survey, s, page);
  if (skip) applySkip(survey, s, page, skip);
  return s;
}

/** Back to the page before the one on screen; answers stay. Without history nothing changes. */
export function previousPage(state: SessionState): SessionState {
  if (state.history.length === 0 || state.ended) return state;
  const s = clone(state);
  const target = s.history.pop() as ShownPage;
  s.displayedQuestions = s.displayedQuestions.slice(0, target.displayedBefore);
  for (const q of target.questions) if (!s.displayedQuestions.includes(q.qid)) s.displayedQuestions.push(q.qid);
  s.current = target;
  s.cursor = s.history.length > 0 ? s.history[s.history.length - 1].cursor : null;
  return s;
}

/**
 * A copy safe to change: every collection the engine writes to is copied one level deep. Nothing in
 * this module changes a nested value in place (answers, pages and cursors are replaced whole), so the
 * rest is shared with the original, which makes a page step cost microseconds rather than a deep copy.
 */
function clone(s: SessionState): SessionState {
  return {
    ...s,
    embeddedData: { ...s.embeddedData },
    answers: { ...s.answers },
    displayedQuestions: [...s.displayedQuestions],
    displayedChoices: { ...s.displayedChoices },
    displayedAnswers: { ...s.displayedAnswers },
    randomizers: { ...s.randomizers },
    blockLayouts: { ...s.blockLayouts },
    choiceOrders: { ...s.choiceOrders },
    presentationCounts: { ...s.presentationCounts },
    history: [...s.history],
    warnings: [...s.warnings],
  };
}

/**
 * Keeps only what the page offered. Matrix answers are keyed by row; side-by-side answers by
 * `<column number>/<row>` (the shape domain/survey/response-values.ts exports from).
 */
function cleanAnswer(a: QuestionAnswer, pq: PageQuestion, sbsColumns: string[][]): QuestionAnswer {
  const out: QuestionAnswer = {};
  const choices = new Set(pq.choiceOrder);
  const answers = new Set(pq.answerOrder);
  if (Array.isArray(a.selected)) out.selected = [...new Set(a.selected.map(String))].filter((c) => choices.has(c));
  if (isObj(a.text)) {
    out.text = {};
    for (const [k, v] of Object.entries(a.text)) if (safeKey(k) && typeof v === 'string') out.text[k] = v.slice(0, MAX_TEXT_ANSWER);
  }
  if (isObj(a.matrix)) {
    out.matrix = {};
    for (const [key, v] of Object.entries(a.matrix)) {
      if (!safeKey(key) || !Array.isArray(v)) continue;
      const allowed = allowedAnswers(key, choices, answers, sbsColumns);
      if (allowed) out.matrix[key] = [...new Set(v.map(String))].filter((x) => allowed.has(x));
    }
  }
  if (isObj(a.numeric)) {
    out.numeric = {};
    for (const [k, v] of Object.entries(a.numeric)) if (safeKey(k) && typeof v === 'number' && Number.isFinite(v)) out.numeric[k] = v;
  }
  return out;
}

/** The answers a matrix key may hold: a row of this page, or `<column>/<row>` of a side-by-side column. */
function allowedAnswers(key: string, rows: Set<string>, answers: Set<string>, sbsColumns: string[][]): Set<string> | undefined {
  if (sbsColumns.length === 0) return rows.has(key) ? answers : undefined;
  const m = /^(\d+)\/(.+)$/.exec(key);
  const column = m ? sbsColumns[Number(m[1]) - 1] : undefined;
  return m && column && rows.has(m[2] as string) ? new Set(column) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Logic over the session

export function logicStateOf(survey: FlowSurvey, s: SessionState): LogicState {
  const shown = new Set(s.displayedQuestions);
  const pick = <T>(f: (a: QuestionAnswer) => T | undefined): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [q, a] of Object.entries(s.answers)) {
      const v = shown.has(q) ? f(a) : undefined;
      if (v !== undefined) out[q] = v;
    }
    return out;
  };
  const recodes: Record<string, Record<string, string>> = {};
  for (const q of shown) {
    const fq = survey.questions.get(q);
    if (fq) recodes[q] = fq.recodes;
  }
  return stateFromSnapshot({
    displayedQuestions: s.displayedQuestions,
    displayedChoices: s.displayedChoices,
    displayedAnswers: s.displayedAnswers,
    selected: pick((a) => a.selected),
    matrix: pick((a) => a.matrix),
    text: pick((a) => a.text),
    numeric: pick((a) => a.numeric),
    recodes,
    embedded: s.embeddedData,
  });
}

// ---------------------------------------------------------------------------------------------
// Walking the flow

type Step = FlowCursor | { end: EndOfSurvey } | null;

function nodeAt(survey: FlowSurvey, path: readonly number[]): FlowNode | undefined {
  let nodes = survey.flow;
  let node: FlowNode | undefined;
  for (const i of path) {
    node = nodes[i];
    if (!node) return undefined;
    nodes = node.children;
  }
  return node;
}

function firstCursor(survey: FlowSurvey, s: SessionState): Step {
  return descend(survey, s, survey.flow, null, [], []);
}

function advanceCursor(survey: FlowSurvey, s: SessionState, c: FlowCursor): Step {
  const node = nodeAt(survey, c.path);
  if (node && c.page + 1 < blockLayout(survey, s, node).length) return { path: c.path, page: c.page + 1 };
  return descend(survey, s, survey.flow, null, [], c.path);
}

/**
 * The first page-bearing position in `nodes` (children of `parent`) after `after` (a path
 * relative to `nodes`; empty = from the start). Applies EmbeddedData elements and evaluates
 * branches as it passes them, which is why it takes the state.
 */
function descend(survey: FlowSurvey, s: SessionState, nodes: FlowNode[], parent: FlowNode | null, prefix: number[], after: number[]): Step {
  const order = parent && parent.type === 'BlockRandomizer' ? randomizerOrder(s, parent) : nodes.map((_, i) => i);
  let start = 0;
  if (after.length > 0) {
    start = order.indexOf(after[0]);
    if (start < 0) return null;
    if (after.length > 1) {
      const child = nodes[after[0]];
      const inner = descend(survey, s, child.children, child, [...prefix, after[0]], after.slice(1));
      if (inner) return inner;
    }
    start += 1;
  }
  for (let i = start; i < order.length; i++) {
    const step = enter(survey, s, nodes[order[i]], [...prefix, order[i]]);
    if (step) return step;
  }
  return null;
}

function enter(survey: FlowSurvey, s: SessionState, node: FlowNode, path: number[]): Step {
  switch (node.type) {
    case 'Block':
    case 'Standard':
    case 'Default':
      if (!survey.blocks.has(node.blockId)) warnOnce(s, `flow names unknown block "${node.blockId}"`);
      return blockLayout(survey, s, node).length > 0 ? { path, page: 0 } : null;
    case 'EmbeddedData':
      for (const f of node.embeddedData) {
        // Fields without a value are filled from the URL or panel member; never clear what came in.
        if (!safeKey(f.field)) continue;
        if (f.value !== undefined && f.value !== '') s.embeddedData[f.field] = f.value;
        else if (!Object.prototype.hasOwnProperty.call(s.embeddedData, f.field)) s.embeddedData[f.field] = '';
      }
      return null;
    case 'EndSurvey':
      return { end: node.end ?? survey.defaultEnd };
    case 'Branch':
      if (node.branchLogic.root !== null && !evaluateLogic(node.branchLogic, logicStateOf(survey, s))) return null;
      return descend(survey, s, node.children, node, path, []);
    case 'Group':
    case 'BlockRandomizer':
      return descend(survey, s, node.children, node, path, []);
    default:
      warnOnce(s, `flow element type "${node.type}" skipped`);
      return null;
  }
}

function warnOnce(s: SessionState, w: string): void {
  if (!s.warnings.includes(w) && s.warnings.length < 100) s.warnings.push(w);
}

/** The children a randomizer presents, chosen once per session and remembered. */
function randomizerOrder(s: SessionState, node: FlowNode): number[] {
  const known = s.randomizers[node.key];
  if (known) return known;
  const n = node.children.length;
  const take = node.subSet === null || node.subSet === 0 || node.subSet > n ? n : node.subSet;
  const rand = seededRandom(s.seed, `randomizer:${node.key}`);
  let pool = shuffle(node.children.map((_, i) => i), rand);
  if (node.evenPresentation) {
    const counts = s.presentationCounts;
    const seen = (i: number): number => counts[node.children[i].flowId] ?? counts[node.children[i].blockId] ?? 0;
    // A stable sort of the shuffled pool: least presented first, ties in random order.
    pool = pool.sort((a, b) => seen(a) - seen(b));
  }
  const chosen = shuffle(pool.slice(0, take), rand);
  s.randomizers[node.key] = chosen;
  return chosen;
}

/** A block's pages after question randomization, decided once per session and remembered. */
function blockLayout(survey: FlowSurvey, s: SessionState, node: FlowNode): string[][] {
  const known = s.blockLayouts[node.key];
  if (known) return known;
  const block = survey.blocks.get(node.blockId);
  if (!block) return [];
  let pages = block.pages;
  const r = block.randomization;
  if (r) {
    const all = shuffle(block.pages.flat(), seededRandom(s.seed, `block:${node.key}`));
    const picked = r.kind === 'subset' && r.count > 0 ? all.slice(0, r.count) : all;
    const size = r.perPage > 0 ? r.perPage : picked.length;
    pages = [];
    for (let i = 0; i < picked.length; i += size) pages.push(picked.slice(i, i + size));
  }
  s.blockLayouts[node.key] = pages;
  return pages;
}

function choiceOrderOf(s: SessionState, q: FlowQuestion): { choices: string[]; answers: string[] } {
  const known = s.choiceOrders[q.qid];
  if (known) return known;
  const choices = randomizeChoices(q, seededRandom(s.seed, `choices:${q.qid}`));
  const order = { choices, answers: q.answerOrder };
  if (q.randomization) s.choiceOrders[q.qid] = order;
  return order;
}

function randomizeChoices(q: FlowQuestion, rand: () => number): string[] {
  const r = q.randomization;
  if (!r) return q.choiceOrder;
  if (r.kind === 'all') return shuffle(q.choiceOrder, rand);
  if (r.kind === 'subset') {
    const all = shuffle(q.choiceOrder, rand);
    return r.count > 0 ? all.slice(0, r.count) : all;
  }
  const valid = new Set(q.choiceOrder);
  const randomized = shuffle(r.randomize, rand);
  const subset = shuffle(r.subset, rand).slice(0, r.subsetCount > 0 ? r.subsetCount : undefined);
  const out: string[] = [];
  for (const id of r.fixed) {
    const filled = id === '{~Randomized~}' ? randomized.shift() : id === '{~SubSet~}' ? subset.shift() : id;
    if (filled !== undefined) out.push(filled);
  }
  out.push(...randomized);
  const hidden = new Set(r.undisplayed);
  const result = [...new Set(out)].filter((c) => valid.has(c) && !hidden.has(c));
  return result.length > 0 ? result : q.choiceOrder;
}

/** Shows the page at `c` if any question on it is displayed; records what was displayed. */
function showPage(survey: FlowSurvey, s: SessionState, c: FlowCursor): ShownPage | null {
  const node = nodeAt(survey, c.path);
  if (!node) return null;
  let qids = blockLayout(survey, s, node)[c.page] ?? [];
  if (c.fromQuestion) qids = qids.slice(Math.max(0, qids.indexOf(c.fromQuestion)));
  const questions: PageQuestion[] = [];
  const displayedBefore = s.displayedQuestions.length;
  for (const qid of qids) {
    const q = safeKey(qid) ? survey.questions.get(qid) : undefined;
    if (!q) {
      warnOnce(s, `block ${node.blockId} names unknown question "${qid}"`);
      continue;
    }
    if (!KNOWN_QUESTION_TYPES.has(q.type)) {
      warnOnce(s, `question ${qid} of unknown type "${q.type}" skipped`);
      continue;
    }
    // Each question sees those displayed above it on the same page, as in Qualtrics. Building that
    // state costs more than the rest of the page step, so a question without logic skips it.
    const logic = hasLogic(q) ? logicStateOf(survey, s) : undefined;
    if (logic && !evaluateLogic(q.displayLogic, logic)) continue;
    const order = choiceOrderOf(s, q);
    const pq: PageQuestion = {
      qid,
      choiceOrder: order.choices.filter((id) => !q.choiceLogic[id] || evaluateLogic(q.choiceLogic[id], logic as LogicState)),
      answerOrder: order.answers.filter((id) => !q.answerLogic[id] || evaluateLogic(q.answerLogic[id], logic as LogicState)),
    };
    questions.push(pq);
    if (!s.displayedQuestions.includes(qid)) s.displayedQuestions.push(qid);
    s.displayedChoices[qid] = pq.choiceOrder;
    s.displayedAnswers[qid] = pq.answerOrder;
  }
  if (questions.length === 0) return null;
  const pageId = `PG_${c.path.join('.')}_${c.page}${c.fromQuestion ? `_${c.fromQuestion}` : ''}`;
  return { cursor: c, pageId, blockId: node.blockId, questions, displayedBefore };
}

/** Whether a question has display logic, or choices or answers with display logic of their own. */
function hasLogic(q: FlowQuestion): boolean {
  if (q.displayLogic.root !== null) return true;
  for (const _ in q.choiceLogic) return true;
  for (const _ in q.answerLogic) return true;
  return false;
}

function skipDestination(survey: FlowSurvey, s: SessionState, page: ShownPage): string | null {
  if (!page.questions.some((pq) => (survey.questions.get(pq.qid)?.skipRules.length ?? 0) > 0)) return null;
  const logic = logicStateOf(survey, s);
  for (const pq of page.questions) {
    const q = survey.questions.get(pq.qid);
    const dest = q ? evaluateSkipLogic(q.skipRules, logic) : null;
    if (dest) return dest;
  }
  return null;
}

function applySkip(survey: FlowSurvey, s: SessionState, page: ShownPage, dest: string): void {
  if (dest === 'ENDOFSURVEY') {
    s.ended = survey.defaultEnd;
    return;
  }
  const node = nodeAt(survey, page.cursor.path);
  const layout = node ? blockLayout(survey, s, node) : [];
  if (dest === 'ENDOFBLOCK') {
    s.cursor = { path: page.cursor.path, page: layout.length - 1 };
    return;
  }
  const target = layout.findIndex((p) => p.includes(dest));
  if (target <= page.cursor.page) {
    warnOnce(s, `skip to "${dest}" ignored: not on a later page of the same block`);
    return;
  }
  s.cursor = { path: page.cursor.path, page: target, fromQuestion: dest, pending: true };
}

/**
 * Display, skip and branch logic of a QSF survey: a lenient reader for the stored JSON and a pure
 * evaluator over the respondent's current answers. Spec: api-v2.md §4.2 (DisplayLogic shape).
 *
 * QSF logic is `{ "0": { "0": expr, "1": expr, Type: "If" }, "1": {…}, Type: "BooleanExpression" }`
 * where each expr is `{ LogicType, Operator, LeftOperand, RightOperand?, ChoiceLocator?, Conjuction? }`
 * (Qualtrics' own spelling). Within a group, expression i > 0 says how it joins the one before it.
 * Between groups ("logic sets"), the conjunction is carried by the group itself or, as Qualtrics
 * writes it, by the first expression of the later group.
 *
 * Precedence: Qualtrics' "Using Logic" page says "And conjunctions connect statements, while Or
 * conjunctions separate them", i.e. `A or B and C` is `A or (B and C)`: And binds tighter than Or,
 * as in most languages. The same rule joins the groups of a tree.
 *
 * The reader never throws: anything it cannot understand becomes a node that evaluates to false and
 * a line in `warnings`, so an odd survey shows less rather than crashing the respondent's page.
 */

import { isObj, str, type Obj } from './loose-json.ts';

export type Conjunction = 'And' | 'Or';

/** What a `q://…` locator (or an embedded-data operand) points at. */
export type Locator =
  | { kind: 'choice'; questionId: string; choiceId: string }
  | { kind: 'answer'; questionId: string; answerId: string }
  | { kind: 'cell'; questionId: string; rowId: string; answerId: string }
  | { kind: 'questionDisplayed'; questionId: string }
  | { kind: 'choiceDisplayed'; questionId: string; choiceId: string }
  | { kind: 'answerDisplayed'; questionId: string; answerId: string }
  | { kind: 'text'; questionId: string; key: string }
  | { kind: 'numeric'; questionId: string; key: string }
  | { kind: 'answerRecode'; questionId: string; rowId: string }
  | { kind: 'choiceRecode'; questionId: string }
  | { kind: 'selectedCount'; questionId: string }
  | { kind: 'embedded'; field: string }
  | { kind: 'device'; device: string };

export interface LogicExpression {
  kind: 'expression';
  operator: Operator;
  locator: Locator;
  /** Literal or piped (`${e://Field/X}`) comparison value; '' when the operator takes none. */
  rightOperand: string;
  ignoreCase: boolean;
}

export interface LogicItem {
  /** How this item joins the previous one; ignored on the first item of a group. */
  conjunction: Conjunction;
  node: LogicNode;
}

export type LogicNode =
  | LogicExpression
  | { kind: 'group'; items: LogicItem[] }
  | { kind: 'invalid'; reason: string };

export interface LogicTree {
  /** null = no logic at all (the element is always shown / the branch always taken). */
  root: LogicNode | null;
  warnings: string[];
}

export const OPERATORS = [
  'Selected', 'NotSelected', 'Displayed', 'NotDisplayed',
  'EqualTo', 'NotEqualTo', 'GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual',
  'Contains', 'DoesNotContain', 'MatchesRegex', 'Empty', 'NotEmpty', 'Is', 'IsNot',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** Nested sub-expressions deeper than this are refused; real surveys use two levels. */
export const MAX_LOGIC_DEPTH = 8;
/** Expressions beyond this many in one tree are refused, bounding evaluation cost. */
export const MAX_LOGIC_EXPRESSIONS = 500;
/** Regex patterns and the values they are run against are capped, bounding backtracking. */
export const MAX_REGEX_LENGTH = 200;
export const MAX_REGEX_INPUT = 2000;

/** The respondent's answers so far, as the evaluator needs them. Question IDs may carry `#n`. */
export interface LogicState {
  questionDisplayed(questionId: string): boolean;
  choiceDisplayed(questionId: string, choiceId: string): boolean;
  answerDisplayed(questionId: string, answerId: string): boolean;
  /** Selected choice ids of a multiple-choice question (one for single answer). */
  selectedChoices(questionId: string): readonly string[];
  /** Matrix: row (statement) id → selected answer (scale point) ids. */
  selectedAnswers(questionId: string): ReadonlyMap<string, readonly string[]>;
  /** Text entered: key '' for the question's own box, 'c' for choice c, 'r/a' for a matrix cell. */
  textValue(questionId: string, key: string): string | undefined;
  /** Numbers entered (constant sum, slider, numeric matrix), keyed like textValue. */
  numericValue(questionId: string, key: string): string | undefined;
  /** The recode value of a choice or answer id (defaults to the id itself). */
  recode(questionId: string, id: string): string;
  embedded(field: string): string | undefined;
  deviceType?(): string;
  /** Resolves piped text in right operands; without it `${…}` is compared literally. */
  pipe?(text: string): string;
}

/** Numbered children of a QSF object ("0","1",… keys, or an array) in numeric order. */
function numberedChildren(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (!isObj(v)) return [];
  return Object.keys(v)
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => v[k]);
}

function conjunctionOf(v: unknown): Conjunction | null {
  const s = str(v).toLowerCase();
  if (s === 'and') return 'And';
  if (s === 'or') return 'Or';
  return null;
}

interface ReadCtx {
  warnings: string[];
  expressions: number;
}

/** Reads DisplayLogic / BranchLogic JSON; `undefined`, `null`, `false` and `{}` mean "no logic". */
export function readLogic(raw: unknown): LogicTree {
  const ctx: ReadCtx = { warnings: [], expressions: 0 };
  if (raw === undefined || raw === null || raw === false || raw === '') return { root: null, warnings: [] };
  if (!isObj(raw) && !Array.isArray(raw)) return { root: invalid(ctx, 'logic is not an object'), warnings: ctx.warnings };
  // `{}` or a bare `{Type:"BooleanExpression"}` is what editors leave behind when logic is removed.
  if (numberedChildren(raw).length === 0 && !isExpressionLike(raw)) return { root: null, warnings: [] };
  return { root: readNode(raw, 0, ctx), warnings: ctx.warnings };
}

function isExpressionLike(o: unknown): boolean {
  return isObj(o) && (o.Type === 'Expression' || 'LogicType' in o || 'Operator' in o);
}

function invalid(ctx: ReadCtx, reason: string): LogicNode {
  ctx.warnings.push(reason);
  return { kind: 'invalid', reason };
}

function readNode(raw: unknown, depth: number, ctx: ReadCtx): LogicNode {
  if (depth > MAX_LOGIC_DEPTH) return invalid(ctx, `logic nested deeper than ${MAX_LOGIC_DEPTH} levels`);
  if (isExpressionLike(raw)) return readExpression(raw as Obj, ctx);
  if (Array.isArray(raw)) return readGroup(raw, depth, ctx);
  if (!isObj(raw)) return invalid(ctx, 'logic item is not an object');
  const type = str(raw.Type);
  if (type !== '' && type !== 'If' && type !== 'BooleanExpression') {
    return invalid(ctx, `unknown logic node type "${type}"`);
  }
  return readGroup(raw, depth, ctx);
}

function readGroup(raw: Obj | unknown[], depth: number, ctx: ReadCtx): LogicNode {
  const items: LogicItem[] = [];
  for (const child of numberedChildren(raw)) {
    items.push({ conjunction: itemConjunction(child), node: readNode(child, depth + 1, ctx) });
  }
  if (items.length === 0) return invalid(ctx, 'logic group has no conditions');
  return { kind: 'group', items };
}

/** A group's own Conjuction, else that of its first expression (Qualtrics' placement), else And. */
function itemConjunction(child: unknown): Conjunction {
  if (!isObj(child)) return 'And';
  const own = conjunctionOf(child.Conjuction ?? child.Conjunction);
  if (own) return own;
  if (isExpressionLike(child)) return 'And';
  const first = numberedChildren(child)[0];
  return (isObj(first) && conjunctionOf(first.Conjuction ?? first.Conjunction)) || 'And';
}

function readExpression(o: Obj, ctx: ReadCtx): LogicNode {
  ctx.expressions += 1;
  if (ctx.expressions > MAX_LOGIC_EXPRESSIONS) return invalid(ctx, `more than ${MAX_LOGIC_EXPRESSIONS} conditions`);
  const operator = str(o.Operator);
  if (!(OPERATORS as readonly string[]).includes(operator)) return invalid(ctx, `unknown operator "${operator}"`);
  const locator = readLocatorOf(o, operator as Operator);
  if (typeof locator === 'string') return invalid(ctx, locator);
  const expr: LogicExpression = {
    kind: 'expression',
    operator: operator as Operator,
    locator,
    rightOperand: str(o.RightOperand),
    ignoreCase: o.IgnoreCase === 1 || o.IgnoreCase === true || o.IgnoreCase === '1',
  };
  const problem = compatibility(expr);
  return problem ? invalid(ctx, problem) : expr;
}

/** The locator an expression reads, or a reason it has none we understand. */
function readLocatorOf(o: Obj, operator: Operator): Locator | string {
  const logicType = str(o.LogicType) || 'Question';
  if (logicType === 'EmbeddedField') {
    const left = str(o.LeftOperand);
    const field = left.startsWith('e://Field/') ? decode(left.slice('e://Field/'.length)) : left;
    return field ? { kind: 'embedded', field } : 'embedded-data condition without a field name';
  }
  if (logicType === 'DeviceType') {
    const device = str(o.RightOperand) || str(o.LeftOperand);
    return device ? { kind: 'device', device } : 'device condition without a device type';
  }
  if (logicType !== 'Question') return `unsupported logic type "${logicType}"`;
  const left = str(o.LeftOperand);
  const source = left.startsWith('q://') ? left : str(o.ChoiceLocator) || str(o.Locator);
  const loc = parseLocator(source);
  if (!loc) return `unrecognised locator "${source}"`;
  return adaptToOperator(loc, operator);
}

/** "Displayed" written against a selectable locator means that choice/answer being shown. */
function adaptToOperator(loc: Locator, operator: Operator): Locator {
  if (operator !== 'Displayed' && operator !== 'NotDisplayed') return loc;
  if (loc.kind === 'choice') return { kind: 'choiceDisplayed', questionId: loc.questionId, choiceId: loc.choiceId };
  if (loc.kind === 'answer') return { kind: 'answerDisplayed', questionId: loc.questionId, answerId: loc.answerId };
  return loc;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Parses `q://QID5/SelectableChoice/1`, `q://QID2/SelectableChoice/1/4` (matrix row 1, column 4),
 * `q://QID9/SelectableAnswer/1[/2]`, `q://QID4%231/AnswerDisplayed/3` (side-by-side column 1),
 * `…/ChoiceTextEntryValue[/c[/a]]`, `…/ChoiceNumericEntryValue/c[/a]`, `…/SelectedAnswerRecode/r`,
 * `…/SelectedChoicesRecode`, `…/SelectedChoicesCount`, `…/QuestionDisplayed`, `e://Field/Name`.
 */
export function parseLocator(raw: string): Locator | null {
  if (raw.startsWith('e://Field/')) {
    const field = decode(raw.slice('e://Field/'.length));
    return field ? { kind: 'embedded', field } : null;
  }
  const m = /^q:\/\/([^/]+)\/([A-Za-z]+)((?:\/[^/]+)*)$/.exec(raw);
  if (!m) return null;
  const questionId = decode(m[1]);
  const parts = m[3] ? m[3].slice(1).split('/').map(decode) : [];
  return locatorFromParts(questionId, m[2], parts);
}

function locatorFromParts(questionId: string, what: string, p: string[]): Locator | null {
  switch (what) {
    case 'SelectableChoice':
      if (p.length === 1) return { kind: 'choice', questionId, choiceId: p[0] };
      return p.length === 2 ? { kind: 'cell', questionId, rowId: p[0], answerId: p[1] } : null;
    case 'SelectableAnswer':
      if (p.length === 1) return { kind: 'answer', questionId, answerId: p[0] };
      return p.length === 2 ? { kind: 'cell', questionId, rowId: p[0], answerId: p[1] } : null;
    case 'ChoiceDisplayed':
      return p.length === 1 ? { kind: 'choiceDisplayed', questionId, choiceId: p[0] } : null;
    case 'AnswerDisplayed':
      return p.length === 1 ? { kind: 'answerDisplayed', questionId, answerId: p[0] } : null;
    case 'QuestionDisplayed':
      return p.length === 0 ? { kind: 'questionDisplayed', questionId } : null;
    case 'ChoiceTextEntryValue':
      return p.length <= 2 ? { kind: 'text', questionId, key: p.join('/') } : null;
    case 'ChoiceNumericEntryValue':
      return p.length >= 1 && p.length <= 2 ? { kind: 'numeric', questionId, key: p.join('/') } : null;
    case 'SelectedAnswerRecode':
      return p.length === 1 ? { kind: 'answerRecode', questionId, rowId: p[0] } : null;
    case 'SelectedChoicesRecode':
      return p.length === 0 ? { kind: 'choiceRecode', questionId } : null;
    case 'SelectedChoicesCount':
      return p.length === 0 ? { kind: 'selectedCount', questionId } : null;
    default:
      return null;
  }
}

const SELECTION_KINDS = new Set<Locator['kind']>(['choice', 'answer', 'cell']);
const DISPLAY_KINDS = new Set<Locator['kind']>(['questionDisplayed', 'choiceDisplayed', 'answerDisplayed']);

function operatorClass(op: Operator): 'selection' | 'display' | 'device' | 'value' {
  if (op === 'Selected' || op === 'NotSelected') return 'selection';
  if (op === 'Displayed' || op === 'NotDisplayed') return 'display';
  if (op === 'Is' || op === 'IsNot') return 'device';
  return 'value';
}

/** Why an operator cannot apply to its locator (or an unusable regex), or null when it can. */
function compatibility(e: LogicExpression): string | null {
  const cls = operatorClass(e.operator);
  const kind = e.locator.kind;
  const ok =
    cls === 'selection' ? SELECTION_KINDS.has(kind)
      : cls === 'display' ? DISPLAY_KINDS.has(kind)
        : cls === 'device' ? kind === 'device'
          : !SELECTION_KINDS.has(kind) && !DISPLAY_KINDS.has(kind) && kind !== 'device';
  if (!ok) return `operator ${e.operator} does not apply to ${kind}`;
  if (e.operator === 'MatchesRegex' && !e.rightOperand.includes('${') && !safeRegex(e.rightOperand)) {
    return `unusable regular expression "${e.rightOperand.slice(0, 50)}"`;
  }
  return null;
}

/**
 * Compiles a respondent-facing pattern only when it is short and free of nested quantifiers such as
 * `(a+)+`, the shape behind catastrophic backtracking (JavaScript regexes cannot be given a timeout).
 */
export function safeRegex(pattern: string): RegExp | null {
  if (pattern.length === 0 || pattern.length > MAX_REGEX_LENGTH) return null;
  if (/\([^()]*[+*}][^()]*\)\s*[+*{]/.test(pattern)) return null;
  try {
    return new RegExp(pattern);
  } catch {
    return null;
  }
}

/** True when the logic holds; a tree without logic holds, an invalid node does not. */
export function evaluateLogic(logic: LogicTree, state: LogicState): boolean {
  return logic.root === null ? true : evalNode(logic.root, state);
}

function evalNode(node: LogicNode, state: LogicState): boolean {
  if (node.kind === 'invalid') return false;
  if (node.kind === 'expression') return evalExpression(node, state);
  return evalItems(node.items, state);
}

/** Or-separated runs of And-connected items: true when every item of some run is true. */
function evalItems(items: LogicItem[], state: LogicState): boolean {
  let run = true;
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && items[i].conjunction === 'Or') {
      if (run) return true;
      run = true;
    }
    if (run) run = evalNode(items[i].node, state);
  }
  return run;
}

function evalExpression(e: LogicExpression, state: LogicState): boolean {
  switch (operatorClass(e.operator)) {
    case 'selection':
      return isSelected(e.locator, state) === (e.operator === 'Selected');
    case 'display':
      return isDisplayed(e.locator, state) === (e.operator === 'Displayed');
    case 'device': {
      const device = (state.deviceType?.() ?? '').toLowerCase();
      const wanted = e.locator.kind === 'device' ? e.locator.device.toLowerCase() : '';
      return (device === wanted) === (e.operator === 'Is');
    }
    default:
      return compareValue(e, valueOf(e.locator, state), state);
  }
}

function isSelected(loc: Locator, state: LogicState): boolean {
  if (loc.kind === 'choice') return state.selectedChoices(loc.questionId).includes(loc.choiceId);
  if (loc.kind === 'cell') return (state.selectedAnswers(loc.questionId).get(loc.rowId) ?? []).includes(loc.answerId);
  if (loc.kind === 'answer') {
    for (const answers of state.selectedAnswers(loc.questionId).values()) if (answers.includes(loc.answerId)) return true;
    return state.selectedChoices(loc.questionId).includes(loc.answerId);
  }
  return false;
}

function isDisplayed(loc: Locator, state: LogicState): boolean {
  if (loc.kind === 'questionDisplayed') return state.questionDisplayed(loc.questionId);
  if (loc.kind === 'choiceDisplayed') return state.choiceDisplayed(loc.questionId, loc.choiceId);
  if (loc.kind === 'answerDisplayed') return state.answerDisplayed(loc.questionId, loc.answerId);
  return false;
}

function valueOf(loc: Locator, state: LogicState): string | undefined {
  switch (loc.kind) {
    case 'text': return state.textValue(loc.questionId, loc.key);
    case 'numeric': return state.numericValue(loc.questionId, loc.key);
    case 'embedded': return state.embedded(loc.field);
    case 'selectedCount': return String(state.selectedChoices(loc.questionId).length);
    case 'choiceRecode': {
      const first = state.selectedChoices(loc.questionId)[0];
      return first === undefined ? undefined : state.recode(loc.questionId, first);
    }
    case 'answerRecode': {
      const first = state.selectedAnswers(loc.questionId).get(loc.rowId)?.[0];
      return first === undefined ? undefined : state.recode(loc.questionId, first);
    }
    default: return undefined;
  }
}

function toNumber(s: string): number | null {
  const t = s.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function compareValue(e: LogicExpression, value: string | undefined, state: LogicState): boolean {
  const left = value ?? '';
  if (e.operator === 'Empty') return left.trim() === '';
  if (e.operator === 'NotEmpty') return left.trim() !== '';
  const right = state.pipe && e.rightOperand.includes('${') ? state.pipe(e.rightOperand) : e.rightOperand;
  const l = e.ignoreCase ? left.toLowerCase() : left;
  const r = e.ignoreCase ? right.toLowerCase() : right;
  const ln = toNumber(left);
  const rn = toNumber(right);
  switch (e.operator) {
    case 'EqualTo': return ln !== null && rn !== null ? ln === rn : l === r;
    case 'NotEqualTo': return ln !== null && rn !== null ? ln !== rn : l !== r;
    case 'GreaterThan': return ln !== null && rn !== null && ln > rn;
    case 'GreaterThanOrEqual': return ln !== null && rn !== null && ln >= rn;
    case 'LessThan': return ln !== null && rn !== null && ln < rn;
    case 'LessThanOrEqual': return ln !== null && rn !== null && ln <= rn;
    case 'Contains': return l.includes(r);
    case 'DoesNotContain': return !l.includes(r);
    case 'MatchesRegex': {
      const re = safeRegex(right);
      return re !== null && left.length <= MAX_REGEX_INPUT && re.test(left);
    }
    default: return false;
  }
}

export interface LogicDependencies {
  /** Question IDs read (side-by-side `QID4#1` reported as `QID4`), sorted. */
  questions: string[];
  embeddedFields: string[];
}

/** What a tree reads, including `${q://…}` / `${e://Field/…}` piped into right operands. */
export function logicDependencies(logic: LogicTree | readonly LogicTree[]): LogicDependencies {
  const questions = new Set<string>();
  const fields = new Set<string>();
  const visit = (node: LogicNode): void => {
    if (node.kind === 'group') node.items.forEach((i) => visit(i.node));
    if (node.kind !== 'expression') return;
    const loc = node.locator;
    if (loc.kind === 'embedded') fields.add(loc.field);
    else if ('questionId' in loc) questions.add(baseQuestionId(loc.questionId));
    for (const m of node.rightOperand.matchAll(/\$\{q:\/\/([^/}]+)/g)) questions.add(baseQuestionId(decode(m[1])));
    for (const m of node.rightOperand.matchAll(/\$\{e:\/\/Field\/([^}]+)\}/g)) fields.add(decode(m[1]));
  };
  for (const tree of Array.isArray(logic) ? logic : [logic as LogicTree]) if (tree.root) visit(tree.root);
  return { questions: [...questions].sort(), embeddedFields: [...fields].sort() };
}

function baseQuestionId(id: string): string {
  const hash = id.indexOf('#');
  return hash < 0 ? id : id.slice(0, hash);
}

/** One rule of a question's SkipLogic: when `condition` holds after the question, go to `destination`. */
export interface SkipRule {
  /** `ENDOFBLOCK`, `ENDOFSURVEY` or a question ID of the same block. */
  destination: string;
  condition: LogicTree;
}

/** Reads SkipLogic: `[{ Locator|ChoiceLocator, Condition, SkipToDestination, QuestionID, RightOperand? }]`. */
export function readSkipLogic(raw: unknown): { rules: SkipRule[]; warnings: string[] } {
  const rules: SkipRule[] = [];
  const warnings: string[] = [];
  for (const item of numberedChildren(raw)) {
    if (!isObj(item)) {
      warnings.push('skip logic rule is not an object');
      continue;
    }
    const destination = str(item.SkipToDestination);
    if (!destination) warnings.push('skip logic rule without a destination');
    const locator = str(item.Locator) || str(item.ChoiceLocator);
    const condition = readLogic({
      LogicType: 'Question',
      Operator: str(item.Condition),
      LeftOperand: locator,
      RightOperand: item.RightOperand ?? item.Value,
      Type: 'Expression',
    });
    warnings.push(...condition.warnings);
    if (destination) rules.push({ destination, condition });
  }
  return { rules, warnings };
}

/** The destination of the first skip rule that holds, or null to carry on normally. */
export function evaluateSkipLogic(rules: readonly SkipRule[], state: LogicState): string | null {
  for (const rule of rules) if (evaluateLogic(rule.condition, state)) return rule.destination;
  return null;
}

/** Plain answers, as stored in a response session, from which a LogicState is built. */
export interface LogicSnapshot {
  displayedQuestions?: readonly string[];
  displayedChoices?: Record<string, readonly string[]>;
  displayedAnswers?: Record<string, readonly string[]>;
  selected?: Record<string, readonly string[]>;
  matrix?: Record<string, Record<string, readonly string[]>>;
  text?: Record<string, Record<string, string>>;
  numeric?: Record<string, Record<string, number | string>>;
  recodes?: Record<string, Record<string, string | number>>;
  embedded?: Record<string, string>;
  device?: string;
}

export function stateFromSnapshot(s: LogicSnapshot, pipe?: (text: string) => string): LogicState {
  const own = <T>(rec: Record<string, T> | undefined, key: string): T | undefined =>
    rec && Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
  const displayed = new Set(s.displayedQuestions ?? []);
  return {
    questionDisplayed: (q) => displayed.has(q),
    choiceDisplayed: (q, c) => displayed.has(q) && (own(s.displayedChoices, q) ?? []).includes(c),
    answerDisplayed: (q, a) => displayed.has(q) && (own(s.displayedAnswers, q) ?? []).includes(a),
    selectedChoices: (q) => own(s.selected, q) ?? [],
    selectedAnswers: (q) => new Map(Object.entries(own(s.matrix, q) ?? {})),
    textValue: (q, k) => own(own(s.text, q), k),
    numericValue: (q, k) => {
      const v = own(own(s.numeric, q), k);
      return v === undefined ? undefined : String(v);
    },
    recode: (q, id) => {
      const v = own(own(s.recodes, q), id);
      return v === undefined ? id : String(v);
    },
    embedded: (f) => own(s.embedded, f),
    deviceType: () => s.device ?? '',
    pipe,
  };
}

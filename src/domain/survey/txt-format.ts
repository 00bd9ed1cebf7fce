/**
 * The Qualtrics "Advanced Format" text file (importSurvey ImportFormat=TXT, spec api-v2.md §4.3),
 * converted to a QSF document (§4.2) so that the rest of the system stores, exports and renders it
 * like any imported QSF. Pure apart from the id generator, which the caller may replace.
 *
 * Reading rules (decisions where §4.3 is silent):
 * - Tags are whole lines `[[…]]`, matched case-insensitively; any other line is text. The first
 *   non-blank line must be `[[AdvancedFormat]]`. Unknown tags are an error, not ignored text.
 * - Question text: the text lines after the question's tag lines up to the next tag; lines of one
 *   paragraph are joined with `<br>`, paragraphs with `<br><br>`. Text is kept as HTML, as QSF
 *   question text is. A question without text is an error.
 * - `[[ID:tag]]` must directly follow the question tag; tags are unique in the file. Questions
 *   without one get Q<n> (n = position in the file, skipping numbers a custom tag already took).
 * - `[[Choices]]`: one choice per non-blank line. `[[Choice:<recode>]]` and `[[Answer:<n>]]` set
 *   RecodeValues (answers for matrices, choices otherwise); recodes are integers.
 * - MC and TE:Form need choices, Matrix needs choices and answers; DB/Text and other TE
 *   questions take none; answers belong to matrices only.
 * - No name in the format: SurveyEntry.SurveyName is '' and the caller's Name (or its default) applies.
 * - Not supported (not in §4.3): Slider, Rank order, embedded data (`[[ED:…]]`), display logic,
 *   `[[Question:MC:Select]]`/MultiSelect boxes; each is an "unknown tag" error.
 */
import { formatDateTime } from '../dates.ts';
import { newId, type IdPrefix } from '../ids.ts';
import { INVALID_SURVEY_FILE, SURVEY_FILE_MAX_BYTES, SurveyFileError, type ParsedSurveyFile, type Qsf } from './import.ts';

/** Longer lines are refused: no survey text needs them, and they are the cheap way to hog memory. */
export const TXT_LINE_MAX_CHARS = 100_000;

export interface TxtOptions {
  ownerId?: string;
  brandId?: string;
  /** Epoch ms for the SurveyEntry dates. */
  now?: number;
  newId?: (prefix: IdPrefix) => string;
}

interface Item {
  text: string;
  recode?: string;
}

interface TxtQuestion {
  line: number;
  type: string;
  selector: string;
  subSelector?: string;
  tag?: string;
  paragraphs: string[][];
  choices: Item[];
  answers: Item[];
}

type BlockEntry = { kind: 'question'; q: TxtQuestion } | { kind: 'pageBreak' };

interface TxtBlock {
  name?: string;
  entries: BlockEntry[];
}

type Mode = 'text' | 'choices' | 'answers' | 'advChoices' | 'advAnswers';

const QUESTION_TYPES: Record<string, { type: string; selector: string; subSelector?: string }> = {
  'text': { type: 'DB', selector: 'TB' },
  'db': { type: 'DB', selector: 'TB' },
  'mc': { type: 'MC', selector: 'SAVR', subSelector: 'TX' },
  'mc:singleanswer': { type: 'MC', selector: 'SAVR', subSelector: 'TX' },
  'mc:singleanswer:vertical': { type: 'MC', selector: 'SAVR', subSelector: 'TX' },
  'mc:singleanswer:horizontal': { type: 'MC', selector: 'SAHR', subSelector: 'TX' },
  'mc:multipleanswer': { type: 'MC', selector: 'MAVR', subSelector: 'TX' },
  'mc:multipleanswer:vertical': { type: 'MC', selector: 'MAVR', subSelector: 'TX' },
  'mc:multipleanswer:horizontal': { type: 'MC', selector: 'MAHR', subSelector: 'TX' },
  'mc:dropdown': { type: 'MC', selector: 'DL' },
  'te': { type: 'TE', selector: 'SL' },
  'te:singleline': { type: 'TE', selector: 'SL' },
  'te:multiline': { type: 'TE', selector: 'ML' },
  'te:essay': { type: 'TE', selector: 'ESTB' },
  'te:form': { type: 'TE', selector: 'FORM' },
  'matrix': { type: 'Matrix', selector: 'Likert', subSelector: 'SingleAnswer' },
  'matrix:singleanswer': { type: 'Matrix', selector: 'Likert', subSelector: 'SingleAnswer' },
  'matrix:multipleanswer': { type: 'Matrix', selector: 'Likert', subSelector: 'MultipleAnswer' },
};

const TAG = /^\s*\[\[(.*)\]\]\s*$/;
const EXPORT_TAG = /^[A-Za-z0-9_.-]{1,100}$/;
const RECODE = /^-?\d{1,9}$/;
// NUL and the other C0 controls (tab, CR, LF aside) never belong in a text survey.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fail(line: number, why: string): never {
  throw new SurveyFileError(`${INVALID_SURVEY_FILE} (line ${line}: ${why}).`);
}

/** A tag as it may be quoted back in an error: short and printable. */
const shown = (tag: string) => `[[${tag.length > 40 ? `${tag.slice(0, 40)}…` : tag}]]`;

function decode(data: Buffer): string[] {
  if (data.length > SURVEY_FILE_MAX_BYTES) throw new SurveyFileError(`${INVALID_SURVEY_FILE} (it is larger than 50 MB).`);
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new SurveyFileError(`${INVALID_SURVEY_FILE} (it is not UTF-8 text).`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((l, i) => {
    if (l.length > TXT_LINE_MAX_CHARS) fail(i + 1, `longer than ${TXT_LINE_MAX_CHARS} characters`);
    if (CONTROL.test(l)) fail(i + 1, 'control character');
  });
  return lines;
}

/** Builds the survey's blocks and questions from the lines, checking each as it goes. */
class Reader {
  blocks: TxtBlock[] = [];
  private q: TxtQuestion | undefined;
  private mode: Mode = 'text';
  /** Set while tag lines directly follow the question tag (where [[ID:…]] may stand). */
  private awaitingId = false;
  private paragraphOpen = false;
  private current: Item | undefined;

  private block(): TxtBlock {
    if (this.blocks.length === 0) this.blocks.push({ entries: [] });
    return this.blocks[this.blocks.length - 1]!;
  }

  read(lines: string[]): void {
    const first = lines.findIndex((l) => l.trim() !== '');
    if (first < 0 || lines[first]!.trim().toLowerCase() !== '[[advancedformat]]') fail(first < 0 ? 1 : first + 1, 'the file must start with [[AdvancedFormat]]');
    for (let i = first + 1; i < lines.length; i++) {
      const line = lines[i]!;
      const tag = TAG.exec(line);
      if (tag) this.tag(tag[1]!.trim(), i + 1);
      else this.text(line.trim(), i + 1);
    }
    this.finish(lines.length);
  }

  private tag(tag: string, line: number): void {
    const lower = tag.toLowerCase();
    const [head, ...rest] = tag.split(':');
    const arg = rest.join(':').trim();
    const wasAwaitingId = this.awaitingId;
    this.awaitingId = false;
    this.paragraphOpen = false;
    if (lower === 'block' || lower.startsWith('block:')) {
      this.finish(line);
      this.blocks.push({ entries: [], ...(arg !== '' ? { name: arg } : {}) });
    } else if (lower === 'pagebreak') {
      this.finish(line);
      this.block().entries.push({ kind: 'pageBreak' });
    } else if (lower.startsWith('question:')) {
      this.finish(line);
      this.startQuestion(lower.slice('question:'.length).replace(/\s+/g, ''), tag, line);
    } else if (head!.toLowerCase() === 'id' && rest.length > 0) {
      if (!this.q || !wasAwaitingId) fail(line, '[[ID:…]] must directly follow a question tag');
      if (!EXPORT_TAG.test(arg)) fail(line, 'a question ID is 1 to 100 letters, digits, "_", "." or "-"');
      this.q.tag = arg;
    } else if (lower === 'choices' || lower === 'advancedchoices') {
      this.needQuestion(line, tag).choices.length = 0;
      this.mode = lower === 'choices' ? 'choices' : 'advChoices';
    } else if (lower === 'answers' || lower === 'advancedanswers') {
      this.needQuestion(line, tag).answers.length = 0;
      this.mode = lower === 'answers' ? 'answers' : 'advAnswers';
    } else if (head!.toLowerCase() === 'choice' || head!.toLowerCase() === 'answer') {
      this.advancedItem(head!.toLowerCase() === 'choice', rest.length > 0 ? arg : undefined, tag, line);
    } else fail(line, `unknown tag ${shown(tag)}`);
  }

  private needQuestion(line: number, tag: string): TxtQuestion {
    if (!this.q) fail(line, `${shown(tag)} outside a question`);
    return this.q;
  }

  private startQuestion(kind: string, tag: string, line: number): void {
    const type = Object.hasOwn(QUESTION_TYPES, kind) ? QUESTION_TYPES[kind] : undefined;
    if (!type) fail(line, `unknown tag ${shown(tag)}`);
    this.q = { line, ...type, paragraphs: [], choices: [], answers: [] };
    this.block().entries.push({ kind: 'question', q: this.q });
    this.mode = 'text';
    this.awaitingId = true;
  }

  private advancedItem(isChoice: boolean, recode: string | undefined, tag: string, line: number): void {
    const q = this.needQuestion(line, tag);
    if (this.mode !== (isChoice ? 'advChoices' : 'advAnswers')) fail(line, `${shown(tag)} outside [[Advanced${isChoice ? 'Choices' : 'Answers'}]]`);
    if (recode !== undefined && !RECODE.test(recode)) fail(line, `${shown(tag)}: a recode is a whole number`);
    this.closeItem(line);
    this.current = { text: '', ...(recode !== undefined ? { recode } : {}) };
    (isChoice ? q.choices : q.answers).push(this.current);
  }

  private closeItem(line: number): void {
    if (this.current && this.current.text === '') fail(line, 'a choice or answer without text');
    this.current = undefined;
  }

  private text(text: string, line: number): void {
    if (text === '') {
      this.paragraphOpen = false;
      return;
    }
    this.awaitingId = false;
    if (!this.q) fail(line, 'text outside a question');
    if (this.mode === 'text') {
      if (this.paragraphOpen) this.q.paragraphs[this.q.paragraphs.length - 1]!.push(text);
      else this.q.paragraphs.push([text]);
      this.paragraphOpen = true;
    } else if (this.mode === 'choices' || this.mode === 'answers') {
      (this.mode === 'choices' ? this.q.choices : this.q.answers).push({ text });
    } else {
      if (!this.current) fail(line, `text before the first [[${this.mode === 'advChoices' ? 'Choice' : 'Answer'}]]`);
      this.current.text = this.current.text === '' ? text : `${this.current.text}<br>${text}`;
    }
  }

  /** Ends the open question, checking that it is complete for its type. */
  private finish(line: number): void {
    this.closeItem(line);
    const q = this.q;
    this.q = undefined;
    this.mode = 'text';
    if (!q) return;
    if (q.paragraphs.length === 0) fail(q.line, 'a question without text');
    const needsChoices = q.type === 'MC' || q.type === 'Matrix' || q.selector === 'FORM';
    if (needsChoices && q.choices.length === 0) fail(q.line, 'a question without choices');
    if (!needsChoices && q.choices.length > 0) fail(q.line, 'this question type takes no choices');
    if (q.type === 'Matrix' && q.answers.length === 0) fail(q.line, 'a matrix without answers');
    if (q.type !== 'Matrix' && q.answers.length > 0) fail(q.line, 'answers belong to matrix questions only');
    const recodes = q.type === 'Matrix' ? q.choices : q.answers;
    if (recodes.some((c) => c.recode !== undefined)) fail(q.line, q.type === 'Matrix' ? 'a matrix recodes its answers, not its choices' : 'answers belong to matrix questions only');
  }
}

/** Plain text of HTML question text, as QSF's QuestionDescription and the SQ SecondaryAttribute carry it. */
function describe(html: string): string {
  const plain = html
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > 100 ? `${plain.slice(0, 100)}...` : plain;
}

function itemsPayload(items: Item[]) {
  const map: Record<string, { Display: string }> = {};
  const recodes: Record<string, string> = {};
  items.forEach((c, i) => {
    map[String(i + 1)] = { Display: c.text };
    if (c.recode !== undefined) recodes[String(i + 1)] = c.recode;
  });
  return { map, order: items.map((_, i) => String(i + 1)), recodes };
}

function questionPayload(q: TxtQuestion, qid: string, tag: string) {
  const text = q.paragraphs.map((p) => p.join('<br>')).join('<br><br>');
  const choices = itemsPayload(q.choices);
  const answers = itemsPayload(q.answers);
  const recodes = q.type === 'Matrix' ? answers.recodes : choices.recodes;
  return {
    QuestionText: text,
    DataExportTag: tag,
    QuestionType: q.type,
    Selector: q.selector,
    ...(q.subSelector !== undefined ? { SubSelector: q.subSelector } : {}),
    Configuration: { QuestionDescriptionOption: 'UseText' },
    QuestionDescription: describe(text),
    ...(q.choices.length > 0 ? { Choices: choices.map, ChoiceOrder: choices.order } : {}),
    ...(q.type === 'Matrix' ? { Answers: answers.map, AnswerOrder: answers.order, ChoiceDataExportTags: false } : {}),
    ...(Object.keys(recodes).length > 0 ? { RecodeValues: recodes } : {}),
    Validation: { Settings: { ForceResponse: 'OFF', ForceResponseType: 'ON', Type: 'None' } },
    Language: [],
    QuestionID: qid,
  };
}

/** Export tags: the custom ones as given (unique), the others Q<n> avoiding them. */
function exportTags(questions: TxtQuestion[]): string[] {
  const taken = new Set<string>();
  for (const q of questions) {
    if (q.tag === undefined) continue;
    if (taken.has(q.tag.toLowerCase())) fail(q.line, `the question ID ${q.tag} is used twice`);
    taken.add(q.tag.toLowerCase());
  }
  let n = 0;
  return questions.map((q) => {
    if (q.tag !== undefined) return q.tag;
    do n++;
    while (taken.has(`q${n}`));
    return `Q${n}`;
  });
}

function buildQsf(blocks: TxtBlock[], options: TxtOptions): Qsf {
  const id = options.newId ?? newId;
  const surveyId = id('SV');
  const responseSet = id('RS');
  const now = formatDateTime(options.now ?? Date.now(), 'UTC');
  if (blocks.length === 0) blocks.push({ entries: [] });
  const questions = blocks.flatMap((b) => b.entries.flatMap((e) => (e.kind === 'question' ? [e.q] : [])));
  const tags = exportTags(questions);
  const qids = new Map(questions.map((q, i) => [q, `QID${i + 1}`]));
  const blockIds = blocks.map(() => id('BL'));
  const element = (Element: string, PrimaryAttribute: string, SecondaryAttribute: string | null, Payload: unknown) => ({ SurveyID: surveyId, Element, PrimaryAttribute, SecondaryAttribute, TertiaryAttribute: null, Payload });
  const blockPayload = blocks.map((b, i) => ({
    Type: i === 0 ? 'Default' : 'Standard',
    Description: b.name ?? (i === 0 ? 'Default Question Block' : `Block ${i}`),
    ID: blockIds[i]!,
    BlockElements: b.entries.map((e) => (e.kind === 'pageBreak' ? { Type: 'Page Break' } : { Type: 'Question', QuestionID: qids.get(e.q)! })),
  }));
  blockPayload.push({ Type: 'Trash', Description: 'Trash / Unused Questions', ID: id('BL'), BlockElements: [] });
  const flow = blocks.map((_, i) => ({ ID: blockIds[i]!, Type: i === 0 ? 'Block' : 'Standard', FlowID: `FL_${i + 2}` }));
  return {
    SurveyEntry: {
      SurveyID: surveyId,
      SurveyName: '',
      SurveyDescription: null,
      SurveyOwnerID: options.ownerId ?? null,
      SurveyBrandID: options.brandId ?? null,
      DivisionID: null,
      SurveyLanguage: 'EN',
      SurveyActiveResponseSet: responseSet,
      SurveyStatus: 'Inactive',
      SurveyStartDate: '0000-00-00 00:00:00',
      SurveyExpirationDate: '0000-00-00 00:00:00',
      SurveyCreationDate: now,
      CreatorID: options.ownerId ?? null,
      LastModified: now,
      LastAccessed: '0000-00-00 00:00:00',
      LastActivated: '0000-00-00 00:00:00',
      Deleted: null,
    },
    SurveyElements: [
      element('BL', 'Survey Blocks', null, blockPayload),
      element('FL', 'Survey Flow', null, { Flow: flow, Properties: { Count: blocks.length + 1 }, FlowID: 'FL_1', Type: 'Root' }),
      element('SO', 'Survey Options', null, {
        BackButton: 'false', SaveAndContinue: 'true', SurveyProtection: 'PublicSurvey', BallotBoxStuffingPrevention: 'false', NoIndex: 'Yes',
        SecureResponseFiles: 'true', SurveyExpiration: 'None', SurveyTermination: 'DefaultMessage', Header: '', Footer: '',
        ProgressBarDisplay: 'None', PartialData: '+1 week', ValidationMessage: '', PreviousButton: '  <<  ', NextButton: '  >>  ', NewScoring: 1,
      }),
      element('SCO', 'Scoring', null, {
        ScoringCategories: [], ScoringCategoryGroups: [], ScoringSummaryCategory: null, ScoringSummaryAfterQuestions: 0,
        ScoringSummaryAfterSurvey: 0, DefaultScoringCategory: null, AutoScoringCategory: null,
      }),
      element('STAT', 'Survey Statistics', null, { MobileCompatible: true, ID: 'Survey Statistics' }),
      element('QC', 'Survey Question Count', String(questions.length), null),
      element('RS', responseSet, 'Default Response Set', null),
      ...questions.map((q, i) => {
        const payload = questionPayload(q, qids.get(q)!, tags[i]!);
        return element('SQ', payload.QuestionID, payload.QuestionDescription, payload);
      }),
    ],
  };
}

/** Converts an Advanced Format upload; any failure (size, encoding, tags, structure) is a SurveyFileError. */
export function parseAdvancedFormat(data: Buffer, options: TxtOptions = {}): ParsedSurveyFile {
  const reader = new Reader();
  reader.read(decode(data));
  const qsf = buildQsf(reader.blocks, options);
  return { text: JSON.stringify(qsf), qsf, name: '', description: null };
}

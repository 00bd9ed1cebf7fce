import sanitizeHtml from 'sanitize-html';
import { newId } from '../domain/ids.ts';
import { fillPipedText, findPipedText, type PipingContext } from '../domain/piping.ts';
import type { Store } from '../store/db.ts';
import { messagesStore, type MessageRow, type MessageSummaryRow } from '../store/messages.ts';
import type { Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { invalidParam } from './errors.ts';
import type { LibrariesService } from './libraries.ts';

/**
 * Library message categories: the name createLibraryMessage takes, and the key getLibraryMessages
 * lists it under. The order is getLibraryMessages' key order. Validation messages have no key: the
 * recorded getLibraryMessages output has none, so they are listed only by the Insight additions
 * (getLibraryMessage, the web pages).
 */
export const MESSAGE_CATEGORIES = [
  { name: 'InviteEmails', key: 'INVITE', label: 'Invitations' },
  { name: 'ReminderEmails', key: 'REMINDER', label: 'Reminders' },
  { name: 'ThankYouEmails', key: 'THANKYOU', label: 'Thank-you e-mails' },
  { name: 'EndOfSurveyMessages', key: 'ENDOFSURVEY', label: 'End-of-survey messages' },
  { name: 'InactiveSurveyMessages', key: 'INACTIVESURVEY', label: 'Inactive-survey messages' },
  { name: 'GeneralMessages', key: 'GENERAL', label: 'General messages' },
  { name: 'LookAndFeelMessages', key: 'LOOKANDFEEL', label: 'Look-and-feel messages' },
  { name: 'ValidationMessages', key: null, label: 'Validation messages' },
] as const;

export type MessageCategory = (typeof MESSAGE_CATEGORIES)[number]['name'];
export type ListedCategoryKey = NonNullable<(typeof MESSAGE_CATEGORIES)[number]['key']>;

/**
 * The category a client sent, as its canonical create-time name. The create-time names are matched
 * without regard to case, and the upper-case getLibraryMessages keys are accepted too, so a client
 * can send back what it read. Anything else: ESRV35|Category.
 */
export function parseCategory(value: string | undefined): MessageCategory {
  const v = (value ?? '').trim().toLowerCase();
  const found = MESSAGE_CATEGORIES.find((c) => c.name.toLowerCase() === v || (c.key !== null && c.key.toLowerCase() === v));
  if (!found) throw invalidParam('Category');
  return found.name;
}

/** A body is stored as given, up to this many UTF-8 bytes. */
export const MESSAGE_MAX_BYTES = 1024 * 1024;
const NAME_MAX = 255;
const LANGUAGE = /^[A-Za-z]{2}(?:[-_][A-Za-z0-9]{2,8})?$/;
const MESSAGE_ID = /^MS_[0-9A-Za-z]{15}$/;

export interface MessageSummary {
  id: string;
  libraryId: string;
  category: MessageCategory;
  name: string;
  language: string;
  createdAt: number;
  updatedAt: number;
}

export interface MessageView extends MessageSummary {
  /** The body exactly as stored: untrusted HTML; render it with renderMessageHtml. */
  body: string;
}

export interface MessageInput {
  category: string;
  name: string;
  body: string;
  language?: string | undefined;
}

export type MessagePatch = Partial<MessageInput>;

function cleanName(value: string | undefined): string {
  const v = (value ?? '').trim();
  if (v === '' || v.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(v)) throw invalidParam('Name');
  return v;
}

function cleanLanguage(value: string | undefined): string {
  const v = (value ?? '').trim();
  if (v === '') return 'EN';
  if (!LANGUAGE.test(v)) throw invalidParam('Language');
  return v.toUpperCase().replace('_', '-');
}

/** Stored as given; only emptiness, size and NUL (which PostgreSQL text cannot hold) are refused. */
function cleanBody(value: string | undefined): string {
  const v = value ?? '';
  if (v.trim() === '' || v.includes('\u0000') || Buffer.byteLength(v, 'utf8') > MESSAGE_MAX_BYTES) throw invalidParam('Message');
  return v;
}

function toSummary(row: MessageSummaryRow): MessageSummary {
  return {
    id: row.id,
    libraryId: row.library_id,
    category: row.category as MessageCategory,
    name: row.name,
    language: row.language,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const toView = (row: MessageRow): MessageView => ({ ...toSummary(row), body: row.body });

/** Name order (case-insensitive, then exact), then ID: the order the recorded listing shows. */
function byName(a: MessageSummary, b: MessageSummary): number {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Library messages: invitation, reminder, thank-you… texts with piped text. Every operation starts
 * with the library rule (ESRV35|LibraryID for a library the caller cannot use), and a message is
 * only ever found inside its library, so another library's or brand's MessageID is ESRV35|MessageID.
 */
export class MessagesService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly libraries: LibrariesService,
    /** Where sample links in previews point (the configured PUBLIC_URL). */
    private readonly publicUrl: string,
  ) {}

  private get db() {
    return this.store.db;
  }

  async create(actor: Actor, libraryId: string | undefined, input: MessageInput): Promise<MessageView> {
    const library = await this.libraries.require(actor, libraryId);
    const now = this.clock.now();
    const row: MessageRow = {
      id: newId('MS'),
      brand_id: actor.brandId,
      library_id: library,
      category: parseCategory(input.category),
      name: cleanName(input.name),
      language: cleanLanguage(input.language),
      body: cleanBody(input.body),
      created_at: now,
      updated_at: now,
    };
    await messagesStore.insert(this.db, row);
    return toView(row);
  }

  /** The library's messages (without bodies), optionally of one category, in name order. */
  async list(actor: Actor, libraryId: string | undefined, category?: string): Promise<MessageSummary[]> {
    const library = await this.libraries.require(actor, libraryId);
    const only = category === undefined ? undefined : parseCategory(category);
    return (await messagesStore.list(this.db, actor.brandId, library, only)).map(toSummary).sort(byName);
  }

  /** getLibraryMessages: `{KEY: {MessageID: name}}` for every listed category, in key order. */
  async listByKey(actor: Actor, libraryId: string | undefined): Promise<Record<ListedCategoryKey, MessageSummary[]>> {
    const all = await this.list(actor, libraryId);
    const out = {} as Record<ListedCategoryKey, MessageSummary[]>;
    for (const c of MESSAGE_CATEGORIES) {
      if (c.key !== null) out[c.key] = all.filter((m) => m.category === c.name);
    }
    return out;
  }

  async get(actor: Actor, libraryId: string | undefined, messageId: string | undefined): Promise<MessageView> {
    const library = await this.libraries.require(actor, libraryId);
    return toView(await this.find(actor, library, messageId));
  }

  /** Changes only what the patch holds. */
  async update(actor: Actor, libraryId: string | undefined, messageId: string | undefined, patch: MessagePatch): Promise<MessageView> {
    const library = await this.libraries.require(actor, libraryId);
    const current = await this.find(actor, library, messageId);
    const next: MessageRow = {
      ...current,
      category: patch.category === undefined ? current.category : parseCategory(patch.category),
      name: patch.name === undefined ? current.name : cleanName(patch.name),
      language: patch.language === undefined ? current.language : cleanLanguage(patch.language),
      body: patch.body === undefined ? current.body : cleanBody(patch.body),
      updated_at: this.clock.now(),
    };
    const set = { category: next.category, name: next.name, language: next.language, body: next.body, updated_at: next.updated_at };
    if (!(await messagesStore.update(this.db, actor.brandId, library, next.id, set))) throw invalidParam('MessageID');
    return toView(next);
  }

  async delete(actor: Actor, libraryId: string | undefined, messageId: string | undefined): Promise<void> {
    const library = await this.libraries.require(actor, libraryId);
    const id = messageId ?? '';
    if (!MESSAGE_ID.test(id) || !(await messagesStore.delete(this.db, actor.brandId, library, id))) throw invalidParam('MessageID');
  }

  /** The message as it would look to a sample recipient: piped text filled, sanitised. */
  samplePreview(body: string): string {
    return renderMessageHtml(body, sampleContext(this.publicUrl, body));
  }

  private async find(actor: Actor, library: string, messageId: string | undefined): Promise<MessageRow> {
    const id = messageId ?? '';
    const row = MESSAGE_ID.test(id) ? await messagesStore.find(this.db, actor.brandId, library, id) : undefined;
    if (!row) throw invalidParam('MessageID');
    return row;
  }
}

/** Sample data for previews: a made-up recipient, and each embedded-data field showing its own name. */
export function sampleContext(publicUrl: string, body: string): PipingContext {
  // No prototype: a field named `__proto__` or `constructor` is just a field.
  const embeddedData: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const t of findPipedText(body)) {
    if (t.scheme === 'e' && t.path.startsWith('Field/')) embeddedData[t.path.slice(6)] = `[${t.path.slice(6)}]`;
  }
  return {
    surveyUrl: `${publicUrl}/jfe/form/SV_sample`,
    optOutUrl: `${publicUrl}/optout/sample`,
    recipient: { firstName: 'Jordan', lastName: 'Sample', email: 'jordan.sample@example.com', externalDataReference: 'SAMPLE-0001' },
    embeddedData,
  };
}

const COLOR = [/^#[0-9a-f]{3,8}$/i, /^rgba?\(\s*\d{1,3}%?\s*(,\s*\d{1,3}%?\s*){2}(,\s*(0|1|0?\.\d+)\s*)?\)$/i, /^[a-z]{3,20}$/i];
const LENGTH = [/^-?\d{1,4}(\.\d{1,3})?(px|pt|em|rem|%)?$/];
const LENGTHS = [/^(-?\d{1,4}(\.\d{1,3})?(px|pt|em|rem|%)?|auto)(\s+(-?\d{1,4}(\.\d{1,3})?(px|pt|em|rem|%)?|auto)){0,3}$/];

/**
 * What a message body may keep when it is shown: the HTML of ordinary e-mails. No script, no
 * event handlers, no forms or frames, links only to http(s)/mailto, images only from http(s),
 * styles only from a short list with values that cannot carry url() or expressions.
 */
export const MESSAGE_HTML: sanitizeHtml.IOptions = {
  allowedTags: [
    'p', 'br', 'a', 'b', 'i', 'u', 's', 'strong', 'em', 'small', 'sub', 'sup', 'blockquote', 'hr', 'pre', 'code',
    'ul', 'ol', 'li', 'h1', 'h2', 'h3', 'h4', 'span', 'div', 'font', 'center',
    'table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'img',
  ],
  allowedAttributes: {
    '*': ['style', 'align', 'dir', 'lang', 'title'],
    a: ['href', 'name', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    table: ['width', 'border', 'cellpadding', 'cellspacing'],
    td: ['colspan', 'rowspan', 'valign', 'width'],
    th: ['colspan', 'rowspan', 'valign', 'width', 'scope'],
    font: ['color', 'size', 'face'],
  },
  allowedStyles: {
    '*': {
      color: COLOR,
      'background-color': COLOR,
      'text-align': [/^(left|right|center|justify)$/i],
      'font-weight': [/^(normal|bold|[1-9]00)$/i],
      'font-style': [/^(normal|italic)$/i],
      'text-decoration': [/^(none|underline|line-through)$/i],
      'font-size': LENGTH,
      'font-family': [/^[\w\s,-]{1,100}$/],
      width: LENGTH,
      height: LENGTH,
      margin: LENGTHS,
      padding: LENGTHS,
    },
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer' }),
    // A relative image address means nothing in an e-mail, and in a preview it would fetch from this site.
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      return { tagName, attribs: src !== undefined && /^https?:\/\//i.test(src.trim()) ? attribs : rest };
    },
  },
};

/** Fills the piped text (values HTML-escaped), then sanitises the whole: the sanitiser has the last word. */
export function renderMessageHtml(body: string, ctx: PipingContext): string {
  return sanitizeHtml(fillPipedText(body, ctx, 'html'), MESSAGE_HTML);
}

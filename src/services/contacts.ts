import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Transaction } from 'kysely';
import ipaddr from 'ipaddr.js';
import { csvRecords, fieldsByHeader, headerColumn, planColumns, readCells, type FieldColumn, type ImportCells, type ImportMapping } from '../domain/csv-import.ts';
import { formatDateTime } from '../domain/dates.ts';
import { newId } from '../domain/ids.ts';
import { ED_KEYS_MAX, ED_KEY_MAX, ED_VALUE_MAX, cleanField, isValidEmail, parseEmbeddedData, serializeEmbeddedData, type RecipientFields } from '../domain/recipients.ts';
import type { Store } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { contactsStore, type ContactRow, type SubscriptionFilter } from '../store/contacts.ts';
import { jobsStore } from '../store/jobs.ts';
import type { AccountsService } from './accounts.ts';
import type { Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError, invalidParam } from './errors.ts';
import type { JobContext, JobsService, JobStatus } from './jobs.ts';
import type { LibrariesService } from './libraries.ts';
import { recipientFieldsOf } from './recipients.ts';

export const IMPORT_JOB = 'contacts.import';
/** The recorded limit of the original importContacts. */
export const IMPORT_MAX_BYTES = 50 * 1024 * 1024;
export const DIRECTORY_PAGE_MAX = 5000;
const MEMBER_PAGE = 500;
const PROGRESS_EVERY = 1000;
const INFO_MATCH_MAX = 1000;

export interface ContactView extends RecipientFields {
  id: string;
  updatedAt: number;
}

export interface ListView {
  id: string;
  name: string;
  count: number;
}

/** importContacts' column mapping: the importPanel parameters (1-based column numbers). */
export interface ColumnMapping {
  columnHeaders: boolean;
  email?: number;
  firstName?: number;
  lastName?: number;
  externalRef?: number;
  language?: number;
  unsubscribed?: number;
  allEd: boolean;
  embeddedData: number[];
}

export interface ImportRequest {
  libraryId: string | undefined;
  name?: string;
  listId?: string;
  mapping: ColumnMapping;
  url?: string;
  data?: Buffer;
}

export interface ImportStatus {
  status: 'Queued' | 'Running' | 'Complete' | 'Failed';
  percent: number;
  listId: string;
  count: number;
  ignored: number;
  error: string | null;
}

export interface ContactFields {
  firstName?: string;
  lastName?: string;
  email?: string;
  externalRef?: string;
  language?: string;
  unsubscribed?: boolean;
  embeddedData: Map<string, string>;
}

interface ImportPayload {
  libraryId: string;
  listId: string;
  mapping: ColumnMapping;
  url?: string;
}

interface ImportResult {
  listId: string;
  count: number;
  ignored: number;
}

const STATUS_NAMES: Record<JobStatus, ImportStatus['status']> = { queued: 'Queued', running: 'Running', done: 'Complete', failed: 'Failed' };

export function toContactView(row: ContactRow): ContactView {
  return {
    id: row.id,
    ...recipientFieldsOf(row),
    updatedAt: row.updated_at,
  };
}

/**
 * The Contacts (Target Audience) product: one directory of contacts per brand, and lists (`CG_…`)
 * that live in libraries and hold directory contacts in order.
 *
 * Who may: list Requests start with library access (own library, group libraries, brand admins all
 * of the brand's). Anything that changes contacts or lists, and every directory-wide read, also
 * needs the `manageContacts` permission. Unknown, malformed and other brands' IDs all answer
 * ESRV35|<the parameter>, so nothing tells them apart.
 *
 * Directory rule: one contact per e-mail address (compared without case). importContacts and
 * createContact merge into the existing contact with that address (the oldest, should several
 * share it) instead of creating a second one.
 */
export class ContactsService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly accounts: AccountsService,
    private readonly libraries: LibrariesService,
    private readonly jobs: JobsService,
    private readonly allowPrivateUrls = false,
  ) {
    jobs.register(IMPORT_JOB, (ctx) => this.runImport(ctx));
  }

  private get db() {
    return this.store.db;
  }

  private requireManage(actor: Actor): void {
    if (!actor.permissions.manageContacts) throw new ServiceError('Forbidden');
  }

  private async requireList(actor: Actor, libraryId: string | undefined, listId: string | undefined): Promise<{ libraryId: string; listId: string }> {
    const library = await this.libraries.require(actor, libraryId);
    if (!listId || !(await contactsStore.findList(this.db, actor.brandId, library, listId))) throw invalidParam('ListID');
    return { libraryId: library, listId };
  }

  // ---- lists ----

  async createList(actor: Actor, libraryId: string | undefined, name: string): Promise<string> {
    this.requireManage(actor);
    const library = await this.libraries.require(actor, libraryId);
    const clean = cleanField(name);
    if (!clean) throw invalidParam('Name');
    const id = newId('CG');
    await contactsStore.insertList(this.db, { id, brand_id: actor.brandId, library_id: library, name: clean, created_at: this.clock.now() });
    return id;
  }

  async lists(actor: Actor, libraryId: string | undefined): Promise<ListView[]> {
    const library = await this.libraries.require(actor, libraryId);
    return (await contactsStore.listsWithCounts(this.db, actor.brandId, library)).map((l) => ({ id: l.id, name: l.name, count: l.count }));
  }

  async deleteList(actor: Actor, libraryId: string | undefined, listId: string | undefined): Promise<void> {
    this.requireManage(actor);
    const list = await this.requireList(actor, libraryId, listId);
    await this.db.transaction().execute((trx) => contactsStore.deleteList(trx, actor.brandId, list.listId));
  }

  async removeFromList(actor: Actor, libraryId: string | undefined, listId: string | undefined, contactId: string | undefined): Promise<void> {
    this.requireManage(actor);
    const list = await this.requireList(actor, libraryId, listId);
    if (!contactId || (await contactsStore.removeMember(this.db, actor.brandId, list.listId, contactId)) === 0) throw invalidParam('RecipientID');
  }

  /**
   * A list's members in list order, page by page from the database. Everything that can fail is
   * checked before the first page, so errors still get the envelope.
   */
  async listMembers(
    actor: Actor,
    q: { libraryId?: string; listId?: string; lastRecipientId?: string; numberOfRecords?: number; filter: SubscriptionFilter },
  ): Promise<AsyncGenerator<ContactView[]>> {
    const list = await this.requireList(actor, q.libraryId, q.listId);
    let after = 0;
    if (q.lastRecipientId !== undefined) {
      const position = await contactsStore.memberPosition(this.db, actor.brandId, list.listId, q.lastRecipientId);
      if (position === undefined) throw invalidParam('LastRecipientID');
      after = position;
    }
    return this.memberPages(actor.brandId, list.listId, after, q.numberOfRecords ?? Number.POSITIVE_INFINITY, q.filter);
  }

  private async *memberPages(brandId: string, listId: string, after: number, limit: number, filter: SubscriptionFilter): AsyncGenerator<ContactView[]> {
    let left = limit;
    while (left > 0) {
      const size = Math.min(MEMBER_PAGE, left);
      const rows = await contactsStore.membersPage(this.db, brandId, listId, after, size, filter);
      if (rows.length > 0) yield rows.map(toContactView);
      if (rows.length < size) return;
      after = (rows[rows.length - 1] as { position: number }).position;
      left -= rows.length;
    }
  }

  // ---- single contacts ----

  /**
   * Adds a contact to the directory (and to a list when ListID is given). An address the directory
   * already has merges into that contact: the fields sent replace its values, ED keys are merged.
   */
  async createContact(actor: Actor, input: { libraryId?: string; listId?: string; fields: ContactFields }): Promise<string> {
    this.requireManage(actor);
    const list = input.listId !== undefined || input.libraryId !== undefined ? await this.requireList(actor, input.libraryId, input.listId) : undefined;
    const fields = checkFields(input.fields);
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      const existing = fields.email ? (await contactsStore.findContactsByEmails(trx, actor.brandId, [fields.email.toLowerCase()])).get(fields.email.toLowerCase()) : undefined;
      let id: string;
      if (existing) {
        id = existing.id;
        await contactsStore.updateContact(trx, actor.brandId, id, { ...patchOf(fields, existing), updated_at: now });
      } else {
        id = newId('CID');
        await contactsStore.insertContacts(trx, [{ ...blankContact(id, actor.brandId, now), ...patchOf(fields, undefined) }]);
      }
      if (list && (await contactsStore.memberPosition(trx, actor.brandId, list.listId, id)) === undefined) {
        const position = (await contactsStore.maxPosition(trx, list.listId)) + 1;
        await contactsStore.insertMembers(trx, [{ list_id: list.listId, contact_id: id, brand_id: actor.brandId, position, added_at: now }]);
      }
      return id;
    });
  }

  /** Only the fields sent change; ED keys are merged (an empty value removes the key). */
  async updateContact(actor: Actor, contactId: string, fields: ContactFields): Promise<void> {
    this.requireManage(actor);
    const checked = checkFields(fields);
    const row = await contactsStore.findContact(this.db, actor.brandId, contactId);
    if (!row) throw invalidParam('ContactID');
    await contactsStore.updateContact(this.db, actor.brandId, contactId, { ...patchOf(checked, row), updated_at: this.clock.now() });
  }

  async findByInfo(actor: Actor, by: { email?: string; externalRef?: string }): Promise<Array<ContactView & { listIds: string[] }>> {
    this.requireManage(actor);
    if (by.email === undefined && by.externalRef === undefined) throw invalidParam('Email');
    const rows = await contactsStore.findContactsByInfo(
      this.db,
      actor.brandId,
      { ...(by.email !== undefined ? { lowerEmail: by.email.trim().toLowerCase() } : {}), ...(by.externalRef !== undefined ? { externalRef: by.externalRef.trim() } : {}) },
      INFO_MATCH_MAX,
    );
    const lists = await contactsStore.listIdsOf(this.db, actor.brandId, rows.map((r) => r.id));
    return rows.map((r) => ({ ...toContactView(r), listIds: lists.get(r.id) ?? [] }));
  }

  /**
   * One page of the directory in ContactID order. `startAfter` is exclusive: a client passes the
   * last ContactID of the previous page. `modifiedOnOrAfter` is a wall time in the brand's zone.
   */
  async directoryPage(
    actor: Actor,
    q: { filter: SubscriptionFilter; modifiedOnOrAfter?: string; startAfter?: string; limit: number },
  ): Promise<{ contacts: ContactView[]; timeZone: string }> {
    this.requireManage(actor);
    const timeZone = await this.timeZone(actor.brandId);
    let since: number | undefined;
    if (q.modifiedOnOrAfter !== undefined) {
      since = parseWallTime(q.modifiedOnOrAfter, timeZone);
      if (since === undefined) throw invalidParam('ModifiedOnOrAfter');
    }
    const rows = await contactsStore.directoryPage(this.db, actor.brandId, {
      filter: q.filter,
      limit: q.limit,
      ...(q.startAfter !== undefined ? { afterId: q.startAfter } : {}),
      ...(since !== undefined ? { modifiedSince: since } : {}),
    });
    return { contacts: rows.map(toContactView), timeZone };
  }

  async timeZone(brandId: string): Promise<string> {
    return (await this.accounts.getBrand(brandId))?.time_zone ?? 'America/Denver';
  }

  // ---- import ----

  /**
   * Checks the parameters, creates the list when none is named, queues the import and answers at
   * once. The file itself is checked by the job: its problems show in checkImportContactsStatus.
   */
  async startImport(actor: Actor, input: ImportRequest): Promise<{ jobId: string; listId: string }> {
    this.requireManage(actor);
    const library = await this.libraries.require(actor, input.libraryId);
    if (input.mapping.email === undefined && !input.mapping.columnHeaders) throw invalidParam('Email');
    if (input.url !== undefined && !/^https?:\/\//i.test(input.url)) throw invalidParam('URL');
    if (input.url === undefined && (!input.data || input.data.length === 0)) throw invalidParam('Body');
    if (input.data && input.data.length > IMPORT_MAX_BYTES) throw invalidParam('Body');
    let listId: string;
    if (input.listId !== undefined) listId = (await this.requireList(actor, library, input.listId)).listId;
    else if (input.name !== undefined) listId = await this.createList(actor, library, input.name);
    else throw invalidParam('Name');
    const payload: ImportPayload = { libraryId: library, listId, mapping: input.mapping, ...(input.url !== undefined ? { url: input.url } : {}) };
    const job = await this.jobs.enqueue(IMPORT_JOB, actor.brandId, payload, input.url === undefined && input.data ? { blob: input.data } : {});
    return { jobId: job.id, listId };
  }

  async importStatus(actor: Actor, jobId: string | undefined, param: string): Promise<ImportStatus> {
    this.requireManage(actor);
    const job = jobId ? await jobsStore.find(this.db, actor.brandId, jobId) : undefined;
    if (!job || job.kind !== IMPORT_JOB) throw invalidParam(param);
    const payload = JSON.parse(job.payload) as ImportPayload;
    if (!(await this.accounts.canUseLibrary(actor, payload.libraryId))) throw invalidParam(param);
    const status = STATUS_NAMES[job.status as JobStatus];
    const result = job.result === null ? undefined : (JSON.parse(job.result) as ImportResult);
    return {
      status,
      percent: status === 'Complete' ? 100 : job.total ? Math.min(99, Math.floor((job.progress * 100) / job.total)) : 0,
      listId: payload.listId,
      count: result?.count ?? 0,
      ignored: result?.ignored ?? 0,
      error: status === 'Failed' ? job.error : null,
    };
  }

  private async runImport(ctx: JobContext): Promise<ImportResult> {
    const payload = ctx.payload as ImportPayload;
    const brandId = ctx.job.brand_id;
    const data = payload.url !== undefined ? await fetchPublicUrl(payload.url, { allowPrivate: this.allowPrivateUrls, maxBytes: IMPORT_MAX_BYTES }) : await ctx.blob();
    if (!data) throw new Error('The import file is missing.');
    const { rows, ignored } = await readImportFile(data, payload.mapping, ctx);
    const unknown = await this.writeImport(ctx, brandId, payload.listId, rows, rows.length + ignored);
    await reportProgress(ctx, rows.length + ignored, rows.length + ignored);
    return { listId: payload.listId, count: rows.length - unknown, ignored: ignored + unknown };
  }

  /**
   * All or nothing: every batch is written in one transaction, so other requests wait only for
   * this write phase (the file was read and checked before it began). On PostgreSQL progress is
   * recorded between batches over another pooled connection, which keeps the job's lease; on
   * SQLite the one connection is inside the transaction, so the job row is written after it.
   * Answers the number of rows ignored for an unknown ContactID.
   */
  private async writeImport(ctx: JobContext, brandId: string, listId: string, rows: readonly ImportRow[], read: number): Promise<number> {
    const reportBetween = this.store.dialect === 'postgres';
    return this.db.transaction().execute(async (trx) => {
      if (!(await contactsStore.lockList(trx, brandId, listId))) throw new Error('The list was deleted before the import finished.');
      const position = await contactsStore.maxPosition(trx, listId);
      const state: WriteState = { brandId, listId, now: this.clock.now(), position, hadMembers: position > 0, listed: new Set(), ignored: 0 };
      for (let at = 0; at < rows.length; at += WRITE_BATCH) {
        await writeBatch(trx, rows.slice(at, at + WRITE_BATCH), state);
        const written = Math.min(at + WRITE_BATCH, rows.length);
        // While writing, the count stays at the rows read (PercentComplete stays at 99).
        if (reportBetween && written % WRITE_PROGRESS_EVERY === 0 && written < rows.length) await reportProgress(ctx, read, read);
      }
      return state.ignored;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Field rules shared by createContact and updateContact.
// ---------------------------------------------------------------------------------------------

interface CheckedFields {
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
  externalRef?: string | null;
  language?: string | null;
  unsubscribed?: boolean;
  embeddedData: Map<string, string>;
}

function checkFields(f: ContactFields): CheckedFields {
  const email = f.email === undefined ? undefined : cleanField(f.email);
  if (email !== undefined && (email === null || !isValidEmail(email))) throw invalidParam('Email');
  if (f.embeddedData.size > ED_KEYS_MAX) throw invalidParam('ED');
  for (const [k, v] of f.embeddedData) if (k.length > ED_KEY_MAX || v.length > ED_VALUE_MAX) throw invalidParam('ED');
  const out: CheckedFields = { embeddedData: f.embeddedData };
  if (f.firstName !== undefined) out.firstName = cleanField(f.firstName);
  if (f.lastName !== undefined) out.lastName = cleanField(f.lastName);
  if (email !== undefined) out.email = email;
  if (f.externalRef !== undefined) out.externalRef = cleanField(f.externalRef);
  if (f.language !== undefined) out.language = cleanField(f.language, 20);
  if (f.unsubscribed !== undefined) out.unsubscribed = f.unsubscribed;
  return out;
}

/** The columns that change: only the fields sent; ED merged key by key, an empty value removes a key. */
function patchOf(f: CheckedFields, existing: ContactRow | undefined): Partial<ContactRow> {
  const patch: Partial<ContactRow> = {};
  if (f.firstName !== undefined) patch.first_name = f.firstName;
  if (f.lastName !== undefined) patch.last_name = f.lastName;
  if (f.email !== undefined) patch.email = f.email;
  if (f.externalRef !== undefined) patch.external_ref = f.externalRef;
  if (f.language !== undefined) patch.language = f.language;
  if (f.unsubscribed !== undefined) patch.unsubscribed = f.unsubscribed ? 1 : 0;
  if (f.embeddedData.size > 0) {
    const ed = parseEmbeddedData(existing?.embedded_data ?? null);
    for (const [k, v] of f.embeddedData) {
      const value = cleanField(v, ED_VALUE_MAX);
      if (value === null) delete ed[k];
      else ed[k] = value;
    }
    patch.embedded_data = serializeEmbeddedData(ed);
  }
  return patch;
}

function blankContact(id: string, brandId: string, now: number): ContactRow {
  return {
    id,
    brand_id: brandId,
    first_name: null,
    last_name: null,
    email: null,
    external_ref: null,
    language: null,
    unsubscribed: 0,
    embedded_data: null,
    created_at: now,
    updated_at: now,
  };
}

/** `YYYY-MM-DD[ HH:MM:SS]` read as a wall-clock time in `timeZone`, as epoch ms; undefined when malformed. */
export function parseWallTime(value: string, timeZone: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$/.exec(value.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(wall);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  // Two rounds settle the offset on either side of a daylight-saving change.
  const first = wall - offsetAt(wall, timeZone);
  return wall - offsetAt(first, timeZone);
}

function offsetAt(t: number, timeZone: string): number {
  const whole = Math.floor(t / 1000) * 1000;
  const [date, time] = formatDateTime(whole, timeZone).split(' ') as [string, string];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = time.split(':').map(Number) as [number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) - whole;
}

// ---------------------------------------------------------------------------------------------
// The import job: read and check the whole file first, with no transaction open, then write it in
// one transaction, a batch of rows at a time.
// ---------------------------------------------------------------------------------------------

/** importContacts' recorded column limit (importPanel allows more). */
const IMPORT_MAX_COLUMNS = 1000;
/** Rows per write batch: one lookup per key kind, one multi-row INSERT, one batched UPDATE. */
const WRITE_BATCH = 500;
/** Rows written between progress reports in the write phase (only where the job row can be written meanwhile). */
const WRITE_PROGRESS_EVERY = 10_000;
const CONTACT_ID = /^CID_[0-9A-Za-z]{15}$/;

/**
 * One checked CSV row. null = the cell is empty or not mapped: the contact keeps its value. Embedded
 * data is kept as its JSON text: a whole file of rows is held until the write, and one string per
 * row costs far less than an object per row.
 */
interface ImportRow extends Omit<ImportCells, 'embeddedData'> {
  contactId: string | null;
  ed: string | null;
}

/** The shared mapping plus importContacts' extras: fields found by header name, the ContactID column. */
interface ImportPlan {
  mapping: ImportMapping;
  ed: Array<[number, string]>;
  /** 1-based. */
  contactId: number | undefined;
}

function givenColumns(mapping: ColumnMapping): Partial<Record<FieldColumn, number>> {
  const given: Partial<Record<FieldColumn, number>> = {};
  const pairs = [
    ['Email', mapping.email],
    ['FirstName', mapping.firstName],
    ['LastName', mapping.lastName],
    ['ExternalRef', mapping.externalRef],
    ['Language', mapping.language],
    ['Unsubscribed', mapping.unsubscribed],
  ] as const;
  for (const [name, col] of pairs) if (col !== undefined) given[name] = col;
  return given;
}

/**
 * Column numbers from the parameters; with ColumnHeaders=1 a field whose number was not given is
 * found by its header name, and a `ContactID` header marks rows that update that contact.
 */
function planImport(mapping: ColumnMapping, first: string[]): ImportPlan {
  const header = mapping.columnHeaders ? first : undefined;
  const fields = fieldsByHeader(givenColumns(mapping), header);
  if (fields.Email === undefined) throw new Error('No Email column: give its number in the Email parameter or name a column "Email" in the header row.');
  const shared: ImportMapping = { columnHeaders: mapping.columnHeaders, fields: { ...fields, Email: fields.Email }, allEd: mapping.allEd, embeddedData: mapping.embeddedData };
  const contactId = header ? headerColumn(header, ['contactid']) : undefined;
  return { mapping: shared, contactId, ed: planColumns(shared, first.length, header, contactId === undefined ? [] : [contactId]) };
}

/** A row to store, or null when it is to be ignored (no valid e-mail and no ContactID, malformed ContactID). */
function toImportRow(record: string[], plan: ImportPlan): ImportRow | null {
  const cells = readCells(record, plan.mapping, plan.ed);
  const contactId = plan.contactId === undefined ? null : cleanField(record[plan.contactId - 1]);
  if (cells.email !== null && !isValidEmail(cells.email)) return null;
  if (contactId !== null ? !CONTACT_ID.test(contactId) : cells.email === null) return null;
  return {
    contactId,
    email: cells.email,
    firstName: cells.firstName,
    lastName: cells.lastName,
    externalRef: cells.externalRef,
    language: cells.language,
    unsubscribed: cells.unsubscribed,
    ed: serializeEmbeddedData(cells.embeddedData),
  };
}

function countLines(data: Buffer): number {
  let n = 0;
  for (let at = data.indexOf(10); at !== -1; at = data.indexOf(10, at + 1)) n++;
  return data.length > 0 && data[data.length - 1] !== 10 ? n + 1 : n;
}

async function reportProgress(ctx: JobContext, done: number, total: number): Promise<void> {
  if (!(await ctx.progress(done, total))) throw new Error('The import was stopped: its worker lost the job to another.');
}

/** Parses and checks the whole file; progress counts rows read against the file's line count. */
async function readImportFile(data: Buffer, mapping: ColumnMapping, ctx: JobContext): Promise<{ rows: ImportRow[]; ignored: number }> {
  const estimate = countLines(data) - (mapping.columnHeaders ? 1 : 0);
  let plan: ImportPlan | undefined;
  const rows: ImportRow[] = [];
  let ignored = 0;
  for await (const record of csvRecords(data, { maxColumns: IMPORT_MAX_COLUMNS })) {
    if (!plan) {
      plan = planImport(mapping, record);
      if (mapping.columnHeaders) continue;
    }
    const row = toImportRow(record, plan);
    if (row) rows.push(row);
    else ignored++;
    const done = rows.length + ignored;
    if (done % PROGRESS_EVERY === 0) {
      await reportProgress(ctx, done, Math.max(estimate, done));
      // The parser and the progress write only ever await resolved work: without a real turn of the
      // event loop the server would answer no request until the whole file is read.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return { rows, ignored };
}

type Trx = Transaction<Database>;

function mergeRow(base: ContactRow, row: ImportRow, now: number): ContactRow {
  let ed = base.embedded_data;
  if (row.ed !== null) ed = ed === null ? row.ed : serializeEmbeddedData({ ...parseEmbeddedData(ed), ...parseEmbeddedData(row.ed) });
  return {
    ...base,
    first_name: row.firstName ?? base.first_name,
    last_name: row.lastName ?? base.last_name,
    external_ref: row.externalRef ?? base.external_ref,
    language: row.language ?? base.language,
    unsubscribed: row.unsubscribed === null ? base.unsubscribed : row.unsubscribed ? 1 : 0,
    embedded_data: ed,
    updated_at: now,
  };
}

interface WriteState {
  brandId: string;
  listId: string;
  now: number;
  /** The list's last position so far. */
  position: number;
  hadMembers: boolean;
  /** Contacts this import put on the list, or found there already. */
  listed: Set<string>;
  /** Rows whose ContactID is unknown. */
  ignored: number;
}

const present = (xs: Array<string | null | undefined>) => [...new Set(xs.filter((x): x is string => typeof x === 'string'))];

/**
 * Writes one batch: rows with a ContactID update that contact (an unknown one is ignored and
 * counted); other rows merge into the directory contact with the same address, or create one.
 * Empty cells never erase. Each contact joins the list once, at the position of its first row;
 * contacts already on the list keep their place. Earlier batches are already written in this
 * transaction, so the lookups see them: a repeated address merges across batches too.
 */
async function writeBatch(trx: Trx, rows: readonly ImportRow[], state: WriteState): Promise<void> {
  const { brandId, now } = state;
  const byId = await contactsStore.findContactsByIds(trx, brandId, present(rows.map((r) => r.contactId)));
  const byEmail = await contactsStore.findContactsByEmails(trx, brandId, present(rows.map((r) => (r.contactId === null ? r.email?.toLowerCase() : null))));
  const current = new Map<string, ContactRow>([...byId, ...[...byEmail.values()].map((r) => [r.id, r] as const)]);
  const idByEmail = new Map([...byEmail].map(([k, r]) => [k, r.id]));
  const created = new Set<string>();
  const changed = new Set<string>();
  const order = new Set<string>();
  for (const row of rows) {
    const key = row.email?.toLowerCase();
    const id = row.contactId ?? (key !== undefined ? idByEmail.get(key) : undefined);
    const base = id !== undefined ? current.get(id) : undefined;
    if (row.contactId !== null && !base) {
      state.ignored++;
      continue;
    }
    const next = mergeRow(base ?? blankContact(newId('CID'), brandId, now), row, now);
    next.email = row.contactId !== null ? (row.email ?? next.email) : (base?.email ?? row.email);
    if (!base) created.add(next.id);
    else if (!created.has(next.id)) changed.add(next.id);
    order.add(next.id);
    current.set(next.id, next);
    if (key !== undefined && !idByEmail.has(key)) idByEmail.set(key, next.id);
  }
  const rowOf = (id: string) => current.get(id) as ContactRow;
  await contactsStore.insertContacts(trx, [...created].map(rowOf));
  await contactsStore.updateContacts(trx, brandId, [...changed].map(rowOf));
  await appendToList(trx, [...order], created, state);
}

/** Appends the batch's contacts (in first-row order) that are not on the list yet. */
async function appendToList(trx: Trx, order: readonly string[], created: ReadonlySet<string>, state: WriteState): Promise<void> {
  const fresh = order.filter((id) => !state.listed.has(id));
  // Only a list that had members before this import can hold a contact this import has not listed,
  // and never one this batch created.
  const already = state.hadMembers ? await contactsStore.memberIds(trx, state.listId, fresh.filter((id) => !created.has(id))) : new Set<string>();
  const members = fresh
    .filter((id) => !already.has(id))
    .map((id) => ({ list_id: state.listId, contact_id: id, brand_id: state.brandId, position: ++state.position, added_at: state.now }));
  for (const id of fresh) state.listed.add(id);
  await contactsStore.insertMembers(trx, members);
}

// ---------------------------------------------------------------------------------------------
// URL= imports: http(s) only; private, loopback and link-local addresses are refused (also after
// a redirect and whatever DNS answers at connect time) unless the operator allows them.
// ---------------------------------------------------------------------------------------------

const MAX_REDIRECTS = 3;
const FETCH_TIMEOUT_MS = 60_000;

function isPublicAddress(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A DNS lookup for http.request that refuses non-public answers, so the checked address is the one connected to. */
function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const bad = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (bad) return callback(Object.assign(new Error(`The URL's host ${hostname} is a private or loopback address.`), { code: 'EPRIVATE' }), []);
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

export async function fetchPublicUrl(url: string, opts: { allowPrivate: boolean; maxBytes: number }, hops = 0): Promise<Buffer> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('The URL must use http or https.');
  const host = target.hostname.replace(/^\[|\]$/g, '');
  // Literal addresses never reach the lookup: check them here.
  if (!opts.allowPrivate && ipaddr.isValid(host) && !isPublicAddress(host)) throw new Error(`The URL's host ${host} is a private or loopback address.`);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Buffer>((resolve, reject) => {
    const req = send(target, { lookup: guardedLookup(opts.allowPrivate), timeout: FETCH_TIMEOUT_MS }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hops >= MAX_REDIRECTS) return reject(new Error('The URL redirects too many times.'));
        return resolve(fetchPublicUrl(new URL(res.headers.location, target).toString(), opts, hops + 1));
      }
      if (status < 200 || status >= 300) {
        res.resume();
        return reject(new Error(`Fetching the URL failed: HTTP ${status}.`));
      }
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > opts.maxBytes) {
          req.destroy();
          reject(new Error(`The file at the URL is larger than ${opts.maxBytes / (1024 * 1024)} MB.`));
        } else parts.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('Fetching the URL timed out.')));
    req.on('error', (e) => reject(new Error(e.message.startsWith('The URL') || e.message.startsWith('Fetching') ? e.message : `Fetching the URL failed: ${e.message}`)));
    req.end();
  });
}

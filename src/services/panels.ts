import { csvLine } from '../domain/csv-output.ts';
import { newId, isId } from '../domain/ids.ts';
import { ImportInputError, csvRecords, mapRow, planColumns, readMapping, type ImportMapping, type MappingInput } from '../domain/panel-import.ts';
import {
  ED_KEY_MAX,
  ED_KEYS_MAX,
  ED_VALUE_MAX,
  cleanField,
  isValidEmail,
  parseEmbeddedData,
  serializeEmbeddedData,
  type RecipientFields,
} from '../domain/recipients.ts';
import type { Kysely } from 'kysely';
import type { Store } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { panelsStore, type MemberQuery, type MemberRow, type PanelRow } from '../store/panels.ts';
import type { Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { invalidParam } from './errors.ts';
import type { LibrariesService } from './libraries.ts';
import { recipientFieldsOf } from './recipients.ts';

export type { ImportMapping, MappingInput } from '../domain/panel-import.ts';

export const DEFAULT_CATEGORY = 'Unassigned';

export interface PanelInfo {
  id: string;
  libraryId: string;
  name: string;
  category: string;
  createdAt: number;
  updatedAt: number;
}

export interface RecipientView extends RecipientFields {
  id: string;
  panelId: string;
  createdAt: number;
  updatedAt: number;
}

/** Fields of a new recipient; anything absent is unset (null). */
export type RecipientInput = Partial<RecipientFields>;

/**
 * A change to a recipient: only the keys present change; null clears a field. Embedded data is
 * merged key by key (an empty value removes that key) unless `replaceEmbeddedData` is set.
 */
export type RecipientPatch = Partial<Omit<RecipientFields, 'embeddedData'>> & {
  embeddedData?: Record<string, string>;
  replaceEmbeddedData?: boolean;
};

export type MemberFilter = MemberQuery;

export interface MembersOptions extends MemberFilter {
  /** Start after this member (keyset paging); an ID that is not in the panel is ESRV35|LastRecipientID. */
  afterId?: string;
  /** At most this many members; default all. */
  limit?: number;
  /** Rows fetched per query; memory holds one batch at a time. */
  batchSize?: number;
}

export interface ImportTarget {
  /** Append to this panel; otherwise a new panel is created. */
  panelId?: string;
  /** Name of the new panel; default "Imported <date>". */
  name?: string;
  category?: string;
  /** The parameter to blame for a malformed file: `Body` (raw body or upload) or `URL`. */
  sourceParam?: string;
  /** Called after each stored batch, e.g. to update a job's progress. */
  onProgress?: (stored: number) => void | Promise<void>;
}

export interface ImportResult {
  panelId: string;
  count: number;
  ignoredCount: number;
  /** [RecipientID, email] in file order. */
  recipients: Array<[string, string]>;
}

export interface CsvExportOptions extends MemberFilter {
  afterId?: string;
  limit?: number;
  /** Embedded-data keys to add as columns, in this order. */
  embeddedData?: string[];
  exportLanguage?: boolean;
}

const IMPORT_BATCH = 500;

function toPanel(row: PanelRow): PanelInfo {
  return { id: row.id, libraryId: row.library_id, name: row.name, category: row.category, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toRecipient(row: MemberRow): RecipientView {
  return {
    id: row.id,
    panelId: row.panel_id,
    ...recipientFieldsOf(row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Keys and values cleaned to the limits; an empty value becomes '' so a merge can remove the key. */
function cleanEmbeddedData(ed: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ed)) {
    const key = cleanField(k, ED_KEY_MAX);
    if (key === null) continue;
    out[key] = cleanField(v, ED_VALUE_MAX) ?? '';
  }
  return out;
}

function checkEmail(email: string | null | undefined): string | null {
  const v = cleanField(email ?? null);
  if (v !== null && !isValidEmail(v)) throw invalidParam('Email');
  return v;
}

function withoutEmpty(ed: Record<string, string>): Record<string, string> {
  const out = Object.fromEntries(Object.entries(ed).filter(([, v]) => v !== ''));
  if (Object.keys(out).length > ED_KEYS_MAX) throw invalidParam('ED');
  return out;
}


/**
 * Panels (contact lists) and their recipients. Every method starts with the library check; a panel
 * or recipient of another library or brand answers exactly like one that does not exist.
 */
/** A change to a panel, as a `mailinglist.*` event (created, deleted, recipientAdded/Updated/Removed, imported). */
export interface PanelEvent {
  brandId: string;
  topic: string;
  msg: Record<string, unknown>;
}

export class PanelsService {
  /**
   * Runs inside the transaction of every panel change (the webhook outbox write of the
   * `mailinglist.*` events), so an event is stored exactly when its change is.
   */
  onPanelEvent: ((trx: Kysely<Database>, event: PanelEvent) => Promise<void>) | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly libraries: LibrariesService,
  ) {}

  private get db() {
    return this.store.db;
  }

  /** The panel, in this library of the actor's brand, or ESRV35|PanelID. */
  private async requirePanel(actor: Actor, libraryId: string, panelId: string): Promise<PanelRow> {
    const lib = await this.libraries.require(actor, libraryId);
    if (!isId('ML', panelId)) throw invalidParam('PanelID');
    const panel = await panelsStore.findPanel(this.db, actor.brandId, lib, panelId);
    if (!panel) throw invalidParam('PanelID');
    return panel;
  }

  async createPanel(actor: Actor, libraryId: string, name: string, category?: string): Promise<PanelInfo> {
    const lib = await this.libraries.require(actor, libraryId);
    const row = this.newPanelRow(actor, lib, name, category);
    await this.db.transaction().execute(async (trx) => {
      await panelsStore.insertPanel(trx, row);
      await this.event(trx, actor, 'created', { PanelID: row.id, LibraryID: lib, Name: row.name });
    });
    return toPanel(row);
  }

  private async event(trx: Kysely<Database>, actor: Actor, change: string, msg: Record<string, unknown>): Promise<void> {
    await this.onPanelEvent?.(trx, { brandId: actor.brandId, topic: `mailinglist.${change}`, msg: { ...msg, BrandID: actor.brandId } });
  }

  private newPanelRow(actor: Actor, libraryId: string, name: string, category: string | undefined): PanelRow {
    const cleanName = cleanField(name);
    if (cleanName === null) throw invalidParam('Name');
    const now = this.clock.now();
    return { id: newId('ML'), brand_id: actor.brandId, library_id: libraryId, name: cleanName, category: cleanField(category) ?? DEFAULT_CATEGORY, created_at: now, updated_at: now };
  }

  /** Insight addition (web UI): rename a panel and/or move it to another category. */
  async renamePanel(actor: Actor, libraryId: string, panelId: string, name: string, category?: string): Promise<PanelInfo> {
    const panel = await this.requirePanel(actor, libraryId, panelId);
    const cleanName = cleanField(name);
    if (cleanName === null) throw invalidParam('Name');
    const patch = { name: cleanName, category: category === undefined ? panel.category : (cleanField(category) ?? DEFAULT_CATEGORY), updated_at: this.clock.now() };
    await panelsStore.updatePanel(this.db, actor.brandId, panel.id, patch);
    return toPanel({ ...panel, ...patch });
  }

  async deletePanel(actor: Actor, libraryId: string, panelId: string): Promise<void> {
    const panel = await this.requirePanel(actor, libraryId, panelId);
    await this.db.transaction().execute(async (trx) => {
      await panelsStore.deletePanel(trx, actor.brandId, panel.id);
      await this.event(trx, actor, 'deleted', { PanelID: panel.id, LibraryID: panel.library_id });
    });
  }

  /**
   * The library's panels in getPanels order: `Unassigned` first, then the other categories in the
   * order they were first used (creation time of their oldest panel, then name), and within a
   * category by PanelID compared case-insensitively (as the recorded server listed them).
   */
  async listPanels(actor: Actor, libraryId: string): Promise<PanelInfo[]> {
    const lib = await this.libraries.require(actor, libraryId);
    const rows = await panelsStore.listPanels(this.db, actor.brandId, lib);
    const firstUse = new Map<string, number>();
    for (const r of rows) firstUse.set(r.category, Math.min(firstUse.get(r.category) ?? Infinity, r.created_at));
    const rank = (c: string) => (c === DEFAULT_CATEGORY ? -Infinity : (firstUse.get(c) as number));
    return rows
      .sort((a, b) => rank(a.category) - rank(b.category) || cmp(a.category, b.category) || cmp(a.id.toLowerCase(), b.id.toLowerCase()) || cmp(a.id, b.id))
      .map(toPanel);
  }

  async getPanelInfo(actor: Actor, libraryId: string, panelId: string): Promise<PanelInfo> {
    return toPanel(await this.requirePanel(actor, libraryId, panelId));
  }

  async memberCount(actor: Actor, libraryId: string, panelId: string, filter: MemberFilter = {}): Promise<number> {
    const panel = await this.requirePanel(actor, libraryId, panelId);
    return panelsStore.countMembers(this.db, actor.brandId, panel.id, filter);
  }

  async addRecipient(actor: Actor, libraryId: string, panelId: string, fields: RecipientInput): Promise<RecipientView> {
    const panel = await this.requirePanel(actor, libraryId, panelId);
    const email = checkEmail(fields.email);
    const now = this.clock.now();
    const ed = withoutEmpty(cleanEmbeddedData(fields.embeddedData ?? {}));
    return this.db.transaction().execute(async (trx) => {
      await panelsStore.lockPanel(trx, this.store.dialect, actor.brandId, libraryId, panel.id);
      const row: MemberRow = {
        id: newId('MLRP'),
        brand_id: actor.brandId,
        panel_id: panel.id,
        position: (await panelsStore.maxPosition(trx, actor.brandId, panel.id)) + 1,
        first_name: cleanField(fields.firstName),
        last_name: cleanField(fields.lastName),
        email,
        external_ref: cleanField(fields.externalRef),
        language: cleanField(fields.language, 20),
        unsubscribed: fields.unsubscribed ? 1 : 0,
        embedded_data: serializeEmbeddedData(ed),
        created_at: now,
        updated_at: now,
      };
      await panelsStore.insertMembers(trx, [row]);
      await this.event(trx, actor, 'recipientAdded', { PanelID: panel.id, RecipientID: row.id });
      return toRecipient(row);
    });
  }

  /** The recipient, or null when the ID is unknown, removed, or in another library or brand. */
  async getRecipient(actor: Actor, libraryId: string, recipientId: string): Promise<RecipientView | null> {
    const row = await this.findRecipientRow(actor, libraryId, recipientId);
    return row ? toRecipient(row) : null;
  }

  private async findRecipientRow(actor: Actor, libraryId: string, recipientId: string): Promise<MemberRow | undefined> {
    const lib = await this.libraries.require(actor, libraryId);
    if (!isId('MLRP', recipientId)) throw invalidParam('RecipientID');
    const row = await panelsStore.findMember(this.db, actor.brandId, recipientId);
    if (!row) return undefined;
    return (await panelsStore.findPanel(this.db, actor.brandId, lib, row.panel_id)) ? row : undefined;
  }

  /** Changes only the fields present in the patch; an unknown recipient is ESRV35|RecipientID. */
  async updateRecipient(actor: Actor, libraryId: string, recipientId: string, patch: RecipientPatch): Promise<RecipientView> {
    const row = await this.findRecipientRow(actor, libraryId, recipientId);
    if (!row) throw invalidParam('RecipientID');
    const set: Partial<MemberRow> = { updated_at: this.clock.now() };
    if (patch.email !== undefined) set.email = checkEmail(patch.email);
    if (patch.firstName !== undefined) set.first_name = cleanField(patch.firstName);
    if (patch.lastName !== undefined) set.last_name = cleanField(patch.lastName);
    if (patch.externalRef !== undefined) set.external_ref = cleanField(patch.externalRef);
    if (patch.language !== undefined) set.language = cleanField(patch.language, 20);
    if (patch.unsubscribed !== undefined) set.unsubscribed = patch.unsubscribed ? 1 : 0;
    if (patch.embeddedData !== undefined || patch.replaceEmbeddedData) {
      const base = patch.replaceEmbeddedData ? {} : parseEmbeddedData(row.embedded_data);
      set.embedded_data = serializeEmbeddedData(withoutEmpty({ ...base, ...cleanEmbeddedData(patch.embeddedData ?? {}) }));
    }
    await this.db.transaction().execute(async (trx) => {
      await panelsStore.updateMember(trx, actor.brandId, row.id, set);
      await this.event(trx, actor, 'recipientUpdated', { PanelID: row.panel_id, RecipientID: row.id });
    });
    return toRecipient({ ...row, ...set });
  }

  /** Removes a recipient of this panel; unknown (or in another panel) is ESRV35|RecipientID. */
  async removeRecipient(actor: Actor, libraryId: string, panelId: string, recipientId: string): Promise<void> {
    const panel = await this.requirePanel(actor, libraryId, panelId);
    if (!isId('MLRP', recipientId)) throw invalidParam('RecipientID');
    await this.db.transaction().execute(async (trx) => {
      if (!(await panelsStore.deleteMember(trx, actor.brandId, panel.id, recipientId))) throw invalidParam('RecipientID');
      await this.event(trx, actor, 'recipientRemoved', { PanelID: panel.id, RecipientID: recipientId });
    });
  }

  /**
   * The panel's members in order, as an async iterator fetching keyset batches by position, so
   * memory stays flat however large the panel. Checks run when iteration starts; a caller that
   * must not fail half-way (a streamed HTTP answer) uses openMembers instead.
   */
  members(actor: Actor, libraryId: string, panelId: string, options: MembersOptions = {}): AsyncIterable<RecipientView> {
    const open = () => this.openMembers(actor, libraryId, panelId, options);
    return (async function* () {
      yield* await open();
    })();
  }

  /** Like members(), but every permission and paging check is done before this resolves. */
  async openMembers(actor: Actor, libraryId: string, panelId: string, options: MembersOptions = {}): Promise<AsyncIterable<RecipientView>> {
    const batches = await this.openMemberBatches(actor, libraryId, panelId, options);
    return (async function* () {
      for await (const batch of batches) yield* batch;
    })();
  }

  /** The members in keyset batches (one query each): exports work a batch at a time, not a member at a time. */
  async openMemberBatches(actor: Actor, libraryId: string, panelId: string, options: MembersOptions = {}): Promise<AsyncIterable<RecipientView[]>> {
    const panel = await this.requirePanel(actor, libraryId, panelId);
    let after = 0;
    if (options.afterId !== undefined) {
      const from = isId('MLRP', options.afterId) ? await panelsStore.findMember(this.db, actor.brandId, options.afterId) : undefined;
      if (!from || from.panel_id !== panel.id) throw invalidParam('LastRecipientID');
      after = from.position;
    }
    if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) throw invalidParam('NumberOfRecords');
    const db = this.db;
    const { brandId } = actor;
    const batch = options.batchSize ?? 1000;
    const filter: MemberQuery = { subscribed: options.subscribed, unsubscribed: options.unsubscribed, search: options.search };
    let left = options.limit ?? Infinity;
    return (async function* () {
      while (left > 0) {
        const size = Math.min(batch, left);
        const rows = await panelsStore.pageMembers(db, brandId, panel.id, after, size, filter);
        if (rows.length > 0) yield rows.map(toRecipient);
        if (rows.length < size) return;
        left -= rows.length;
        after = (rows[rows.length - 1] as MemberRow).position;
      }
    })();
  }

  /** One page for a members table: the page and the ID to continue after (undefined at the end). */
  async membersPage(actor: Actor, libraryId: string, panelId: string, options: MembersOptions & { limit: number }): Promise<{ members: RecipientView[]; nextAfterId: string | undefined }> {
    const members: RecipientView[] = [];
    for await (const m of await this.openMembers(actor, libraryId, panelId, { ...options, limit: options.limit + 1 })) members.push(m);
    const more = members.length > options.limit;
    if (more) members.pop();
    return { members, nextAfterId: more ? members[members.length - 1]?.id : undefined };
  }

  /**
   * The panel as CSV text chunks (UTF-8 BOM, header row, one row per member), streamed in batches.
   * Columns: RecipientID, FirstName, LastName, Email, ExternalDataReference, [Language], Unsubscribed,
   * then the requested embedded-data keys. Cells that a spreadsheet would run as formulas are defused.
   */
  async csvExport(actor: Actor, libraryId: string, panelId: string, options: CsvExportOptions = {}): Promise<AsyncIterable<string>> {
    const keys = options.embeddedData ?? [];
    const batches = await this.openMemberBatches(actor, libraryId, panelId, { ...options, batchSize: 2000 });
    const header = ['RecipientID', 'FirstName', 'LastName', 'Email', 'ExternalDataReference', ...(options.exportLanguage ? ['Language'] : []), 'Unsubscribed', ...keys];
    const line = (m: RecipientView): string =>
      csvLine([m.id, m.firstName, m.lastName, m.email, m.externalRef, ...(options.exportLanguage ? [m.language] : []), m.unsubscribed ? '1' : '0', ...keys.map((k) => m.embeddedData[k])]);
    return (async function* () {
      yield '\ufeff' + csvLine(header);
      for await (const batch of batches) {
        let chunk = '';
        for (const m of batch) chunk += line(m);
        yield chunk;
      }
    })();
  }

  /**
   * Imports a CSV into a new panel or (with `target.panelId`) appends to one. All or nothing: the
   * panel creation and every member are one transaction, written in multi-row batches while the file
   * is parsed, so a malformed line anywhere leaves no trace. Rows without a valid e-mail are counted
   * in ignoredCount. Duplicate e-mails become separate members.
   */
  async importPanel(actor: Actor, libraryId: string, csv: Buffer, mapping: ImportMapping, target: ImportTarget = {}): Promise<ImportResult> {
    const lib = await this.libraries.require(actor, libraryId);
    let existing: PanelRow | undefined;
    if (target.panelId !== undefined) existing = await this.requirePanel(actor, lib, target.panelId);
    const newPanel = existing ? undefined : this.newPanelRow(actor, lib, target.name ?? `Imported ${new Date(this.clock.now()).toISOString().slice(0, 10)}`, target.category);
    try {
      return await this.db.transaction().execute(async (trx) => {
        let panelId: string;
        let position = 0;
        if (newPanel) {
          await panelsStore.insertPanel(trx, newPanel);
          panelId = newPanel.id;
        } else {
          panelId = (existing as PanelRow).id;
          if (!(await panelsStore.lockPanel(trx, this.store.dialect, actor.brandId, lib, panelId))) throw invalidParam('PanelID');
          position = await panelsStore.maxPosition(trx, actor.brandId, panelId);
        }
        const result: ImportResult = { panelId, count: 0, ignoredCount: 0, recipients: [] };
        const now = this.clock.now();
        let plan: Array<[number, string]> | undefined;
        let batch: MemberRow[] = [];
        for await (const record of csvRecords(csv)) {
          if (!plan) {
            plan = planColumns(mapping, record.length, mapping.columnHeaders ? record : undefined);
            if (mapping.columnHeaders) continue;
          }
          const fields = mapRow(record, mapping, plan);
          if (!fields) {
            result.ignoredCount++;
            continue;
          }
          const id = newId('MLRP');
          batch.push({
            id,
            brand_id: actor.brandId,
            panel_id: panelId,
            position: ++position,
            first_name: fields.firstName,
            last_name: fields.lastName,
            email: fields.email,
            external_ref: fields.externalRef,
            language: fields.language,
            unsubscribed: fields.unsubscribed ? 1 : 0,
            embedded_data: serializeEmbeddedData(fields.embeddedData),
            created_at: now,
            updated_at: now,
          });
          result.recipients.push([id, fields.email as string]);
          if (batch.length >= IMPORT_BATCH) {
            await panelsStore.insertMembers(trx, batch);
            result.count += batch.length;
            batch = [];
            await target.onProgress?.(result.count);
          }
        }
        await panelsStore.insertMembers(trx, batch);
        result.count += batch.length;
        // One event per import (not per row): a 100k-row import is one change to the panel.
        await this.event(trx, actor, 'imported', { PanelID: panelId, LibraryID: lib, Count: result.count, IgnoredCount: result.ignoredCount });
        return result;
      });
    } catch (error) {
      if (error instanceof ImportInputError) throw invalidParam(error.param === 'Body' ? (target.sourceParam ?? 'Body') : error.param);
      throw error;
    }
  }

  /** readMapping with its errors as ESRV35|<param>. */
  readMapping(input: MappingInput): ImportMapping {
    try {
      return readMapping(input);
    } catch (error) {
      if (error instanceof ImportInputError) throw invalidParam(error.param);
      throw error;
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

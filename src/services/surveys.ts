import { newId } from '../domain/ids.ts';
import { IMPORT_FORMATS, SurveyFileError, UNSUPPORTED_IMPORT_FORMATS, parseQsf, type ImportFormat } from '../domain/survey/import.ts';
import { parseAdvancedFormat } from '../domain/survey/txt-format.ts';
import type { Kysely } from 'kysely';
import type { Store } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import { accountsStore } from '../store/accounts.ts';
import { responsesStore } from '../store/responses.ts';
import { surveysStore, type SurveyListRow, type SurveyRow } from '../store/surveys.ts';
import { isBrandAdmin, type Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError, conflict, invalidParam } from './errors.ts';

export type SurveyStatus = 'Active' | 'Inactive';

export interface SurveyInfo {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  status: SurveyStatus;
  createdAt: number;
  modifiedAt: number;
  lastActivatedAt: number | null;
  startDate: number | null;
  expirationDate: number | null;
}

export interface SurveyListEntry extends SurveyInfo {
  ownerFirstName: string;
  ownerLastName: string;
  /** Recorded responses, previews and deleted ones left out. */
  responses: number;
}

export interface ImportSurveyInput {
  format: string;
  /** Reads the file; called only once the caller has passed every other check. */
  source: () => Promise<Buffer>;
  name?: string | undefined;
  activate: boolean;
  ownerId?: string | undefined;
}

/** Used when neither Name nor the file's SurveyEntry.SurveyName gives one. */
export const DEFAULT_SURVEY_NAME = 'Imported survey';
const NAME_MAX = 500;

const unknownSurvey = () => new ServiceError('UnknownSurvey');

function toInfo(row: Omit<SurveyRow, 'qsf'>): SurveyInfo {
  return {
    id: row.id,
    ownerId: row.owner_id,
    name: row.name,
    description: row.description,
    status: row.status === 'Active' ? 'Active' : 'Inactive',
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
    lastActivatedAt: row.last_activated_at,
    startDate: row.start_date,
    expirationDate: row.expiration_date,
  };
}

const toListEntry = (row: SurveyListRow, responses: number): SurveyListEntry => ({
  ...toInfo(row),
  ownerFirstName: row.owner_first_name ?? '',
  ownerLastName: row.owner_last_name ?? '',
  responses,
});

/**
 * Surveys: import, listing and the lifecycle. A user reaches the surveys they own and those shared
 * with them or their groups; brand administrators have no wider view (a survey is its owner's
 * work). Anything else — unknown, another brand's, another user's, deleted — is ESRV18. Status
 * changes are open to everyone with access; deleting is the owner's alone.
 */
export class SurveysService {
  /** Told after a survey's status changes or it is deleted (the respondent engine drops its cache). */
  onSurveyChanged: ((surveyId: string) => void) | undefined;
  /** Runs inside the transaction that changes a survey's status (the webhook outbox write). */
  onStatusChanged: ((trx: Kysely<Database>, brandId: string, surveyId: string, status: SurveyStatus) => Promise<void>) | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private get db() {
    return this.store.db;
  }

  private requireCreate(actor: Actor): void {
    if (!actor.permissions.createSurveys) throw new ServiceError('Forbidden');
  }

  /** The survey row if the actor may reach it, ESRV18 otherwise. */
  private async accessible(actor: Actor, surveyId: string): Promise<SurveyRow> {
    const row = await surveysStore.find(this.db, actor.brandId, surveyId);
    if (!row) throw unknownSurvey();
    if (row.owner_id !== actor.userId && !(await surveysStore.isSharedWith(this.db, actor.brandId, surveyId, actor.userId))) throw unknownSurvey();
    return row;
  }

  private async ownerFor(actor: Actor, ownerId: string | undefined): Promise<string> {
    if (ownerId === undefined || ownerId === actor.userId) return actor.userId;
    if (!isBrandAdmin(actor)) throw new ServiceError('AdminOnly');
    if (!(await accountsStore.findUserById(this.db, actor.brandId, ownerId))) throw invalidParam('OwnerID');
    return ownerId;
  }

  /** Checks the ImportFormat: unknown → ESRV35|ImportFormat; known but not readable yet → a clear refusal. */
  private checkFormat(format: string): ImportFormat {
    const known = IMPORT_FORMATS.find((f) => f === format.toUpperCase());
    if (!known) throw invalidParam('ImportFormat');
    if (UNSUPPORTED_IMPORT_FORMATS.includes(known)) throw conflict(`ImportFormat ${known} is not supported by this server yet.`);
    return known;
  }

  /** Imports a QSF file as a new survey; all or nothing. Returns the new SurveyID. */
  async importSurvey(actor: Actor, input: ImportSurveyInput): Promise<string> {
    this.requireCreate(actor);
    const format = this.checkFormat(input.format);
    const ownerId = await this.ownerFor(actor, input.ownerId);
    let file;
    try {
      const data = await input.source();
      // A TXT (Advanced Format) file becomes a QSF here; from then on it is stored like any QSF.
      file = format === 'TXT' ? parseAdvancedFormat(data, { ownerId, brandId: actor.brandId, now: this.clock.now() }) : parseQsf(data);
    } catch (error) {
      if (error instanceof SurveyFileError) throw conflict(error.message);
      throw error;
    }
    const name = (input.name?.trim() || file.name || DEFAULT_SURVEY_NAME).slice(0, NAME_MAX);
    return this.insert(actor.brandId, { ownerId, name, description: file.description, qsf: file.text, activate: input.activate });
  }

  private async insert(brandId: string, s: { ownerId: string; name: string; description: string | null; qsf: string; activate: boolean }): Promise<string> {
    const now = this.clock.now();
    const row: SurveyRow = {
      id: newId('SV'),
      brand_id: brandId,
      owner_id: s.ownerId,
      name: s.name,
      description: s.description,
      status: s.activate ? 'Active' : 'Inactive',
      qsf: s.qsf,
      created_at: now,
      modified_at: now,
      last_activated_at: s.activate ? now : null,
      start_date: null,
      expiration_date: null,
      deleted_at: null,
    };
    await this.db.transaction().execute(async (trx) => {
      if (s.activate) await this.checkActiveLimit(trx, brandId);
      await surveysStore.insert(trx, row);
    });
    return row.id;
  }

  /** ESEC27 when the brand already has its maximum of active surveys (the brand row is locked meanwhile). */
  private async checkActiveLimit(trx: Parameters<typeof surveysStore.countActive>[0], brandId: string): Promise<void> {
    const brand = await accountsStore.lockBrand(trx, this.store.dialect, brandId);
    const max = brand?.max_active_surveys ?? null;
    if (max !== null && (await surveysStore.countActive(trx, brandId)) >= max) throw new ServiceError('SurveyLimit');
  }

  async listSurveys(actor: Actor): Promise<SurveyListEntry[]> {
    const rows = await surveysStore.listVisible(this.db, actor.brandId, actor.userId);
    const counts = await responsesStore.countBySurvey(this.db, actor.brandId, rows.map((r) => r.id));
    return rows.map((row) => toListEntry(row, counts.get(row.id) ?? 0));
  }

  async getSurvey(actor: Actor, surveyId: string): Promise<SurveyInfo> {
    return toInfo(await this.accessible(actor, surveyId));
  }

  /** The QSF exactly as it was imported. */
  async exportQsf(actor: Actor, surveyId: string): Promise<{ name: string; qsf: string }> {
    const row = await this.accessible(actor, surveyId);
    return { name: row.name, qsf: row.qsf };
  }

  /** The survey's details with its stored QSF text (getSurvey builds its XML from both). */
  async getDefinition(actor: Actor, surveyId: string): Promise<{ info: SurveyInfo; qsf: string }> {
    const row = await this.accessible(actor, surveyId);
    return { info: toInfo(row), qsf: row.qsf };
  }

  /** A new inactive survey of the actor's, with the same definition. */
  async copySurvey(actor: Actor, surveyId: string, name?: string): Promise<string> {
    this.requireCreate(actor);
    const row = await this.accessible(actor, surveyId);
    const copyName = (name?.trim() || `${row.name} - Copy`).slice(0, NAME_MAX);
    return this.insert(actor.brandId, { ownerId: actor.userId, name: copyName, description: row.description, qsf: row.qsf, activate: false });
  }

  /** Activating an active survey changes nothing (and is not counted against the limit). */
  async activate(actor: Actor, surveyId: string): Promise<void> {
    const row = await this.accessible(actor, surveyId);
    if (row.status === 'Active') return;
    await this.db.transaction().execute(async (trx) => {
      await this.checkActiveLimit(trx, actor.brandId);
      await surveysStore.update(trx, actor.brandId, surveyId, { status: 'Active', last_activated_at: this.clock.now() });
      await this.onStatusChanged?.(trx, actor.brandId, surveyId, 'Active');
    });
    this.onSurveyChanged?.(surveyId);
  }

  async deactivate(actor: Actor, surveyId: string): Promise<void> {
    const row = await this.accessible(actor, surveyId);
    if (row.status !== 'Inactive') {
      await this.db.transaction().execute(async (trx) => {
        await surveysStore.update(trx, actor.brandId, surveyId, { status: 'Inactive' });
        await this.onStatusChanged?.(trx, actor.brandId, surveyId, 'Inactive');
      });
    }
    this.onSurveyChanged?.(surveyId);
  }

  /** Marks the survey deleted: from now on its ID is unknown (ESRV18) everywhere. */
  async delete(actor: Actor, surveyId: string): Promise<void> {
    const row = await this.accessible(actor, surveyId);
    if (row.owner_id !== actor.userId) throw new ServiceError('Forbidden');
    await surveysStore.update(this.db, actor.brandId, surveyId, { status: 'Inactive', deleted_at: this.clock.now() });
    this.onSurveyChanged?.(surveyId);
  }

  /** The owner shares the survey with one user or one group of the brand (sharing twice changes nothing). */
  async shareWith(actor: Actor, surveyId: string, target: { userId?: string | undefined; groupId?: string | undefined }): Promise<void> {
    const row = await this.accessible(actor, surveyId);
    if (row.owner_id !== actor.userId) throw new ServiceError('Forbidden');
    if ((target.userId === undefined) === (target.groupId === undefined)) throw invalidParam(target.userId === undefined ? 'UserID' : 'GroupID');
    if (target.userId !== undefined && (target.userId === actor.userId || !(await accountsStore.findUserById(this.db, actor.brandId, target.userId)))) throw invalidParam('UserID');
    if (target.groupId !== undefined && !(await accountsStore.findGroup(this.db, actor.brandId, target.groupId))) throw invalidParam('GroupID');
    if (await surveysStore.findShare(this.db, surveyId, target.userId ?? null, target.groupId ?? null)) return;
    await surveysStore.insertShare(this.db, {
      survey_id: surveyId,
      brand_id: actor.brandId,
      user_id: target.userId ?? null,
      group_id: target.groupId ?? null,
      created_at: this.clock.now(),
    });
  }
}

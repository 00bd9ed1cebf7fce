import * as nodeCrypto from 'node:crypto';
import {
  DEFAULT_USER_TYPE,
  MIN_PASSWORD_LENGTH,
  PERMISSION_NAMES,
  USER_TYPES,
  defaultPermissions,
  isBrandId,
  isUserTypeId,
  parsePermissions,
  qualifyUsername,
  type Permission,
  type PermissionSet,
  type UserStatus,
  type UserTypeId,
} from '../domain/accounts.ts';
import { newApiToken, newId, randomPassword } from '../domain/ids.ts';
import { accountsStore, type BrandRow, type DivisionRow, type GroupRow, type UserRow } from '../store/accounts.ts';
import { readTogether, type Store } from '../store/db.ts';
import { authStore } from '../store/auth.ts';
import { accountsVersionFor } from './accounts-version.ts';
import { isBrandAdmin, requireBrandAdmin, type Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError, conflict, invalidParam, notFound } from './errors.ts';
import { hashPassword } from './passwords.ts';

function activeActor(u: UserView | undefined): Actor | undefined {
  if (!u || u.status !== 'Active') return undefined;
  return { userId: u.id, brandId: u.brandId, username: u.username, typeId: u.typeId, permissions: u.permissions };
}

export interface UserView {
  id: string;
  brandId: string;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  typeId: UserTypeId;
  typeName: string;
  divisionId: string | null;
  language: string;
  status: UserStatus;
  permissions: PermissionSet;
  createdAt: number;
  passwordChangedAt: number | null;
  tokenCreatedAt: number | null;
  tokenLastUsedAt: number | null;
}

export interface NewUser {
  username: string;
  password: string;
  firstName: string;
  lastName: string;
  email: string;
  typeId?: string;
  divisionId?: string;
  language?: string;
  /** Grants the API permission to a standard user (brand administrators always have it). */
  api?: boolean;
  permissions?: Partial<PermissionSet>;
}

export interface UserPatch {
  firstName?: string;
  lastName?: string;
  email?: string;
  typeId?: string;
  divisionId?: string | null;
  language?: string;
  status?: string;
  permissions?: Partial<PermissionSet>;
  password?: string;
}

/** What getUserInfo shows; shared between calls (AccountsService.userInfo remembers it), so read-only. */
export interface UserInfo {
  readonly user: Readonly<UserView>;
  readonly libraries: readonly Library[];
  readonly loginHistory: readonly number[];
  readonly timeZone: string;
}

/** Remembered getUserInfo answers (one per user; see AccountsService.userInfo). */
const USER_INFO_MAX = 10_000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

export interface Library {
  id: string;
  name: string;
  kind: 'user' | 'group';
}

function librariesFrom(me: UserRow, groups: GroupRow[]): Library[] {
  return [
    { id: me.id, name: `${me.first_name} ${me.last_name}`.trim(), kind: 'user' as const },
    ...groups.map((g) => ({ id: g.id, name: g.name, kind: 'group' as const })),
  ];
}

// Every API call hashes its token: crypto.hash (Node ≥ 20.12) does it without building a Hash object.
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string) => string }).hash;
export const hashToken = (token: string): string => (oneShotHash ? oneShotHash('sha256', token) : nodeCrypto.createHash('sha256').update(token).digest('hex'));

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LANGUAGE = /^[A-Za-z]{2}(?:[-_][A-Za-z0-9]{2,8})?$/;
const MAX_TEXT = 200;

function text(value: string | undefined, param: string, required: boolean): string {
  const v = (value ?? '').trim();
  if ((required && v === '') || v.length > MAX_TEXT || /[\u0000-\u001f]/.test(v)) throw invalidParam(param);
  return v;
}

function email(value: string | undefined, param: string, required: boolean): string {
  const v = text(value, param, required);
  if (v !== '' && !EMAIL.test(v)) throw invalidParam(param);
  return v;
}

function password(value: string | undefined, param: string): string {
  if (value === undefined || value.length < MIN_PASSWORD_LENGTH || value.length > 1024) throw invalidParam(param);
  return value;
}

function typeIdOf(value: string | undefined, param: string): UserTypeId {
  if (value === undefined || value === '') return DEFAULT_USER_TYPE;
  if (!isUserTypeId(value)) throw invalidParam(param);
  return value;
}

export function toUserView(row: UserRow): UserView {
  const typeId = isUserTypeId(row.type_id) ? row.type_id : DEFAULT_USER_TYPE;
  return {
    id: row.id,
    brandId: row.brand_id,
    username: row.username,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    typeId,
    typeName: USER_TYPES[typeId],
    divisionId: row.division_id,
    language: row.language,
    status: row.status === 'Disabled' ? 'Disabled' : 'Active',
    permissions: parsePermissions(row.permissions, typeId),
    createdAt: row.created_at,
    passwordChangedAt: row.password_changed_at,
    tokenCreatedAt: row.api_token_hash ? row.api_token_created_at : null,
    tokenLastUsedAt: row.api_token_hash ? row.api_token_last_used_at : null,
  };
}

function mergePermissions(typeId: UserTypeId, base: PermissionSet, patch: Partial<PermissionSet> | undefined): PermissionSet {
  const out = { ...base };
  for (const name of PERMISSION_NAMES) if (typeof patch?.[name] === 'boolean') out[name] = patch[name] as boolean;
  return typeId === 'UT_BRANDADMIN' ? defaultPermissions('UT_BRANDADMIN', true) : out;
}

/**
 * Brands, users, divisions, groups, libraries and API tokens. Brand administrators manage their own
 * brand only; the operator (the CLI, `actor` undefined) manages every brand.
 */
export class AccountsService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  private get db() {
    return this.store.db;
  }

  // ---- brands (operator) ----

  async createBrand(input: { id: string; name: string; maxUsers?: number | null; maxActiveSurveys?: number | null }): Promise<BrandRow> {
    if (!isBrandId(input.id)) throw invalidParam('BrandID');
    const name = text(input.name, 'Name', true);
    for (const [key, value] of [['MaxUsers', input.maxUsers], ['MaxActiveSurveys', input.maxActiveSurveys]] as const) {
      if (value != null && (!Number.isInteger(value) || value < 0)) throw invalidParam(key);
    }
    const row: BrandRow = {
      id: input.id,
      name,
      max_users: input.maxUsers ?? null,
      max_active_surveys: input.maxActiveSurveys ?? null,
      time_zone: 'America/Denver',
      created_at: this.clock.now(),
    };
    const res = await accountsStore.insertBrand(this.db, row);
    if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) throw conflict(`The brand ${input.id} already exists.`);
    return row;
  }

  getBrand(brandId: string): Promise<BrandRow | undefined> {
    return accountsStore.findBrand(this.db, brandId);
  }

  /**
   * On an empty database, creates the bootstrap brand and its administrator with a generated
   * password and returns the login (to print once). Returns undefined when any user exists, and
   * in every process but one when several start at once (the brand insert decides).
   */
  async bootstrap(brandId: string): Promise<{ username: string; password: string } | undefined> {
    if ((await accountsStore.countUsersAnywhere(this.db)) > 0) return undefined;
    const now = this.clock.now();
    const inserted = await accountsStore.insertBrand(this.db, {
      id: brandId,
      name: 'Default brand',
      max_users: null,
      max_active_surveys: null,
      time_zone: 'America/Denver',
      created_at: now,
    });
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
    const pw = randomPassword();
    const user = await this.createUser(undefined, brandId, {
      username: 'admin',
      password: pw,
      firstName: 'Brand',
      lastName: 'Administrator',
      email: `admin@${brandId}.invalid`,
      typeId: 'UT_BRANDADMIN',
    });
    return { username: user.username, password: pw };
  }

  // ---- users ----

  /** Creates a user in `brandId`. A brand administrator may only create in their own brand. */
  async createUser(actor: Actor | undefined, brandId: string, input: NewUser): Promise<UserView> {
    if (actor) {
      requireBrandAdmin(actor);
      if (brandId !== actor.brandId) throw new ServiceError('Forbidden');
    }
    const username = qualifyUsername(input.username.toLowerCase(), brandId);
    if (!username) throw invalidParam('NewUsername');
    const pw = password(input.password, 'NewPassword');
    // Names and e-mail are required by the createUser Request; the operator's CLI may leave them out.
    const first = text(input.firstName, 'FirstName', actor !== undefined);
    const last = text(input.lastName, 'LastName', actor !== undefined);
    const mail = email(input.email, 'Email', actor !== undefined);
    const typeId = typeIdOf(input.typeId, 'Type');
    const language = text(input.language ?? 'EN', 'Language', true).toUpperCase();
    if (!LANGUAGE.test(language)) throw invalidParam('Language');
    const permissions = mergePermissions(typeId, defaultPermissions(typeId, input.api ?? false), input.permissions);
    const passwordHash = await hashPassword(pw);
    const now = this.clock.now();
    const row: UserRow = {
      id: newId('UR'),
      brand_id: brandId,
      username,
      password_hash: passwordHash,
      first_name: first,
      last_name: last,
      email: mail,
      type_id: typeId,
      division_id: null,
      language,
      status: 'Active',
      permissions: JSON.stringify(permissions),
      api_token_hash: null,
      api_token_created_at: null,
      api_token_last_used_at: null,
      password_changed_at: now,
      created_at: now,
      updated_at: now,
    };
    await this.db.transaction().execute(async (trx) => {
      const brand = await accountsStore.lockBrand(trx, this.store.dialect, brandId);
      if (!brand) throw invalidParam('Organization');
      if (input.divisionId) {
        if (!(await accountsStore.findDivision(trx, brandId, input.divisionId))) throw invalidParam('DivisionID');
        row.division_id = input.divisionId;
      }
      if (brand.max_users !== null && (await accountsStore.countUsers(trx, brandId)) >= brand.max_users) throw new ServiceError('UserLimit');
      if (await accountsStore.findUserByUsername(trx, username)) throw conflict(`The username ${username} is already taken.`);
      await accountsStore.insertUser(trx, row);
    });
    return toUserView(row);
  }

  private async userInBrand(brandId: string, userId: string): Promise<UserRow> {
    const row = await accountsStore.findUserById(this.db, brandId, userId);
    if (!row) throw notFound('UserID');
    return row;
  }

  /** A user sees themself; a brand administrator sees every user of the brand. */
  async getUser(actor: Actor, userId: string): Promise<UserView> {
    if (userId !== actor.userId) requireBrandAdmin(actor);
    return toUserView(await this.userInBrand(actor.brandId, userId));
  }

  async listUsers(actor: Actor): Promise<UserView[]> {
    requireBrandAdmin(actor);
    return (await accountsStore.listUsers(this.db, actor.brandId)).map(toUserView);
  }

  async findByUsername(username: string): Promise<UserView | undefined> {
    const row = await accountsStore.findUserByUsername(this.db, username.toLowerCase());
    return row && toUserView(row);
  }

  /** Who an operator at the command line acts as: an active user, by name (their permissions apply). */
  async actorForUsername(username: string): Promise<Actor | undefined> {
    return activeActor(await this.findByUsername(username));
  }

  /** Who a background job acts as: the active user who queued it, with their permissions as they are now. */
  async actorForUserId(brandId: string, userId: string): Promise<Actor | undefined> {
    const row = await accountsStore.findUserById(this.db, brandId, userId);
    return activeActor(row && toUserView(row));
  }

  async updateUser(actor: Actor, userId: string, patch: UserPatch): Promise<UserView> {
    requireBrandAdmin(actor);
    const row = await this.userInBrand(actor.brandId, userId);
    const current = toUserView(row);
    const set: Partial<UserRow> = {};
    if (patch.firstName !== undefined) set.first_name = text(patch.firstName, 'FirstName', true);
    if (patch.lastName !== undefined) set.last_name = text(patch.lastName, 'LastName', true);
    if (patch.email !== undefined) set.email = email(patch.email, 'Email', true);
    if (patch.language !== undefined) {
      const lang = text(patch.language, 'Language', true).toUpperCase();
      if (!LANGUAGE.test(lang)) throw invalidParam('Language');
      set.language = lang;
    }
    const typeId = patch.typeId !== undefined ? typeIdOf(patch.typeId, 'Type') : current.typeId;
    set.type_id = typeId;
    if (patch.status !== undefined) {
      if (patch.status !== 'Active' && patch.status !== 'Disabled') throw invalidParam('Status');
      set.status = patch.status;
    }
    if (patch.divisionId !== undefined) {
      if (patch.divisionId !== null && patch.divisionId !== '' && !(await accountsStore.findDivision(this.db, actor.brandId, patch.divisionId))) {
        throw invalidParam('DivisionID');
      }
      set.division_id = patch.divisionId === '' ? null : patch.divisionId;
    }
    const demoted = current.typeId === 'UT_BRANDADMIN' && typeId !== 'UT_BRANDADMIN';
    const base = demoted ? defaultPermissions(typeId, current.permissions.accessApi) : current.permissions;
    set.permissions = JSON.stringify(mergePermissions(typeId, base, patch.permissions));
    if (patch.password !== undefined) {
      set.password_hash = await hashPassword(password(patch.password, 'NewPassword'));
      set.password_changed_at = this.clock.now();
    }
    const losesAdmin = current.typeId === 'UT_BRANDADMIN' && current.status === 'Active' && (typeId !== 'UT_BRANDADMIN' || set.status === 'Disabled');
    if (losesAdmin) await this.keepOneAdmin(actor.brandId);
    set.updated_at = this.clock.now();
    await accountsStore.updateUser(this.db, actor.brandId, userId, set);
    // A disabled user's web sessions end at once; their token is refused by the status check.
    if (set.status === 'Disabled' || set.password_hash) await authStore.deleteSessionsOfUser(this.db, userId);
    return toUserView(await this.userInBrand(actor.brandId, userId));
  }

  /** A brand must keep one active administrator, or nobody could manage it again. */
  private async keepOneAdmin(brandId: string): Promise<void> {
    if ((await accountsStore.countActiveAdmins(this.db, brandId)) <= 1) {
      throw conflict('A brand must keep at least one active Brand Administrator.');
    }
  }

  async deleteUser(actor: Actor, userId: string): Promise<void> {
    requireBrandAdmin(actor);
    if (userId === actor.userId) throw conflict('You cannot delete your own account.');
    const user = toUserView(await this.userInBrand(actor.brandId, userId));
    if (user.typeId === 'UT_BRANDADMIN' && user.status === 'Active') await this.keepOneAdmin(actor.brandId);
    await accountsStore.deleteUser(this.db, actor.brandId, userId);
  }

  /**
   * Issues a new API token for a user (the old one stops working at once) and returns it; only
   * its hash is stored. Users generate their own; brand administrators any user's in their brand.
   */
  async generateToken(actor: Actor, userId: string = actor.userId): Promise<string> {
    if (userId !== actor.userId) requireBrandAdmin(actor);
    const user = toUserView(await this.userInBrand(actor.brandId, userId));
    if (!user.permissions.accessApi) throw new ServiceError('NoApiAccess');
    return this.issueToken(user);
  }

  /** Operator path (CLI): by username, across brands. */
  async generateTokenForUsername(username: string): Promise<string> {
    const user = await this.findByUsername(username);
    if (!user) throw notFound('Username');
    return this.issueToken(user);
  }

  private async issueToken(user: UserView): Promise<string> {
    const token = newApiToken();
    const now = this.clock.now();
    await accountsStore.updateUser(this.db, user.brandId, user.id, {
      api_token_hash: hashToken(token),
      api_token_created_at: now,
      api_token_last_used_at: null,
      updated_at: now,
    });
    return token;
  }

  // ---- divisions and groups ----

  async createDivision(actor: Actor, name: string): Promise<DivisionRow> {
    requireBrandAdmin(actor);
    const row: DivisionRow = { id: newId('DV'), brand_id: actor.brandId, name: text(name, 'Name', true), created_at: this.clock.now() };
    await accountsStore.insertDivision(this.db, row);
    return row;
  }

  async listDivisions(actor: Actor): Promise<DivisionRow[]> {
    requireBrandAdmin(actor);
    return accountsStore.listDivisions(this.db, actor.brandId);
  }

  async createGroup(actor: Actor, name: string, divisionId?: string): Promise<GroupRow> {
    requireBrandAdmin(actor);
    if (divisionId && !(await accountsStore.findDivision(this.db, actor.brandId, divisionId))) throw invalidParam('DivisionID');
    const row: GroupRow = { id: newId('GR'), brand_id: actor.brandId, name: text(name, 'Name', true), division_id: divisionId || null, created_at: this.clock.now() };
    await accountsStore.insertGroup(this.db, row);
    return row;
  }

  async listGroups(actor: Actor): Promise<Array<GroupRow & { members: UserView[] }>> {
    requireBrandAdmin(actor);
    const groups = await accountsStore.listGroups(this.db, actor.brandId);
    return Promise.all(groups.map(async (g) => ({ ...g, members: (await accountsStore.groupMembers(this.db, actor.brandId, g.id)).map(toUserView) })));
  }

  private async groupInBrand(brandId: string, groupId: string): Promise<GroupRow> {
    const group = await accountsStore.findGroup(this.db, brandId, groupId);
    if (!group) throw notFound('GroupID');
    return group;
  }

  async addUserToGroup(actor: Actor, groupId: string, userId: string): Promise<void> {
    requireBrandAdmin(actor);
    await this.groupInBrand(actor.brandId, groupId);
    await this.userInBrand(actor.brandId, userId);
    await accountsStore.addGroupMember(this.db, actor.brandId, groupId, userId, this.clock.now());
  }

  async removeUserFromGroup(actor: Actor, groupId: string, userId: string): Promise<void> {
    requireBrandAdmin(actor);
    await this.groupInBrand(actor.brandId, groupId);
    await this.userInBrand(actor.brandId, userId);
    await accountsStore.removeGroupMember(this.db, actor.brandId, groupId, userId);
  }

  // ---- libraries ----

  /** The user's own library (ID = user ID) and the libraries of their groups. */
  async libraries(actor: Actor): Promise<Library[]> {
    return this.librariesOf(actor, await this.userInBrand(actor.brandId, actor.userId));
  }

  private async librariesOf(actor: Actor, me: UserRow): Promise<Library[]> {
    return librariesFrom(me, await accountsStore.groupsOfUser(this.db, actor.brandId, actor.userId));
  }

  private readonly userInfos = new Map<string, { version: number; info: UserInfo }>();

  /**
   * Everything getUserInfo shows about the caller. Remembered per user with the accounts version
   * read before reading it (store/change-counters.ts): every write to what it is made of (the user,
   * their groups and group names, sign-in history) moves that version, from whichever process, so
   * while the version is the same the memory is what a fresh read would answer. The version must
   * be read first: read after the data, it could be newer than what was read. An API call's actor
   * brings the version read when the call was authenticated (services/accounts-version.ts), so a
   * remembered answer costs no read at all.
   */
  async userInfo(actor: Actor): Promise<UserInfo> {
    const key = `${actor.brandId}\n${actor.userId}`;
    const version = await accountsVersionFor(this.db, actor);
    const hit = this.userInfos.get(key);
    if (hit?.version === version) return hit.info;
    const timeZone = await this.timeZone(actor.brandId);
    const info = await readTogether(this.store, async (db) => {
      const me = await accountsStore.findUserById(db, actor.brandId, actor.userId);
      if (!me) throw notFound('UserID');
      const groups = await accountsStore.groupsOfUser(db, actor.brandId, actor.userId);
      const history = await authStore.loginHistory(db, actor.userId, 30);
      return { user: toUserView(me), libraries: librariesFrom(me, groups), loginHistory: history.map((r) => r.at), timeZone };
    });
    if (this.userInfos.size >= USER_INFO_MAX) this.userInfos.clear();
    // Frozen: every caller gets this same object while it is remembered.
    const frozen = deepFreeze(info);
    this.userInfos.set(key, { version, info: frozen });
    return frozen;
  }

  private readonly timeZones = new Map<string, string>();

  /** The brand's time zone for wire dates (brands do not change zone while running, so it is cached). */
  async timeZone(brandId: string): Promise<string> {
    let zone = this.timeZones.get(brandId);
    if (!zone) {
      zone = (await accountsStore.findBrand(this.db, brandId))?.time_zone ?? 'America/Denver';
      this.timeZones.set(brandId, zone);
    }
    return zone;
  }

  /** Whether the actor may use a library: their own, one of their groups', or (admins) any in the brand. */
  async canUseLibrary(actor: Actor, libraryId: string): Promise<boolean> {
    if (libraryId === actor.userId) return true;
    if (libraryId.startsWith('GR_')) {
      if (isBrandAdmin(actor)) return (await accountsStore.findGroup(this.db, actor.brandId, libraryId)) !== undefined;
      return (await accountsStore.groupsOfUser(this.db, actor.brandId, actor.userId)).some((g) => g.id === libraryId);
    }
    if (libraryId.startsWith('UR_') && isBrandAdmin(actor)) return (await accountsStore.findUserById(this.db, actor.brandId, libraryId)) !== undefined;
    return false;
  }

  async loginHistory(userId: string, limit = 30): Promise<number[]> {
    return (await authStore.loginHistory(this.db, userId, limit)).map((r) => r.at);
  }

  permissionNames(): Permission[] {
    return PERMISSION_NAMES;
  }
}

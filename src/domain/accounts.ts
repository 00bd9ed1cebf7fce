/** Pure rules about brands, users and their names, types and permissions. */

export const USER_TYPES = {
  UT_BRANDADMIN: 'Brand Administrator',
  UT_STANDARD: 'Standard',
} as const;
export type UserTypeId = keyof typeof USER_TYPES;
export const DEFAULT_USER_TYPE: UserTypeId = 'UT_STANDARD';

export function isUserTypeId(value: string): value is UserTypeId {
  return Object.hasOwn(USER_TYPES, value);
}

/**
 * Permissions a brand administrator grants per user. Brand administrators hold all of them.
 * Later capabilities add theirs here so the admin UI and the API list the same set.
 */
export const PERMISSIONS = {
  accessApi: 'Use the API (generate a token)',
  downloadResponses: 'Download survey responses',
  createSurveys: 'Create and import surveys',
  distributeSurveys: 'Send survey invitations',
  manageContacts: 'Create and manage contact lists',
} as const;
export type Permission = keyof typeof PERMISSIONS;
export type PermissionSet = Record<Permission, boolean>;

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

export function defaultPermissions(typeId: UserTypeId, api: boolean): PermissionSet {
  const all = typeId === 'UT_BRANDADMIN';
  return {
    accessApi: all || api,
    downloadResponses: true,
    createSurveys: true,
    distributeSurveys: true,
    manageContacts: true,
  };
}

/** Stored permissions may predate a permission added later: missing keys fall back to granted-by-type. */
export function parsePermissions(json: string, typeId: string): PermissionSet {
  let raw: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(json);
    if (value && typeof value === 'object') raw = value as Record<string, unknown>;
  } catch {
    raw = {};
  }
  const base = defaultPermissions(isUserTypeId(typeId) ? typeId : DEFAULT_USER_TYPE, false);
  const out = { ...base };
  for (const name of PERMISSION_NAMES) {
    if (typeof raw[name] === 'boolean') out[name] = raw[name] as boolean;
  }
  if (typeId === 'UT_BRANDADMIN') for (const name of PERMISSION_NAMES) out[name] = true;
  return out;
}

export const BRAND_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
const NAME_PART = /^[A-Za-z0-9._@+-]{1,100}$/;

export function isBrandId(value: string): boolean {
  return BRAND_ID_PATTERN.test(value);
}

/** Usernames are `name#brandid` as in Qualtrics; the `#brand` part is added when absent. */
export function qualifyUsername(raw: string, brandId: string): string | undefined {
  const trimmed = raw.trim();
  const hash = trimmed.lastIndexOf('#');
  const name = hash === -1 ? trimmed : trimmed.slice(0, hash);
  const brand = hash === -1 ? brandId : trimmed.slice(hash + 1);
  if (brand !== brandId || !NAME_PART.test(name)) return undefined;
  return `${name}#${brandId}`;
}

/** Splits what a client sends as User: `ann#acme` names the brand; a bare `ann` leaves it open. */
export function splitUsername(raw: string): { name: string; brandId: string | undefined } {
  const hash = raw.lastIndexOf('#');
  if (hash === -1) return { name: raw, brandId: undefined };
  return { name: raw.slice(0, hash), brandId: raw.slice(hash + 1) };
}

export type UserStatus = 'Active' | 'Disabled';
export const USER_STATUSES: readonly UserStatus[] = ['Active', 'Disabled'];

export const MIN_PASSWORD_LENGTH = 8;

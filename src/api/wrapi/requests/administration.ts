import type { PermissionSet } from '../../../domain/accounts.ts';
import { UNSET_DATETIME, formatDateTime } from '../../../domain/dates.ts';
import type { UserView } from '../../../services/accounts.ts';
import { invalidParam } from '../../../services/errors.ts';
import type { Services } from '../../../services/index.ts';
import { defineRequest, id, optional, optionalId, required } from '../registry.ts';

/** API names of the permissions (0/1 parameters of createUser/updateUser, keys of Permissions). */
const PERMISSION_PARAMS = {
  AccessAPI: 'accessApi',
  DownloadResponses: 'downloadResponses',
  CreateSurveys: 'createSurveys',
  DistributeSurveys: 'distributeSurveys',
  ManageContacts: 'manageContacts',
} as const satisfies Record<string, keyof PermissionSet>;
type PermissionParam = keyof typeof PERMISSION_PARAMS;

const permissionFlags = Object.fromEntries(
  Object.keys(PERMISSION_PARAMS).map((name) => [name, optional(`0/1: grant or withdraw the ${name} permission`)]),
) as Record<PermissionParam, ReturnType<typeof optional>>;

/** The profile and permission parameters createUser and updateUser share, as the service takes them. */
type ProfileParams = Partial<Record<PermissionParam, string | undefined>> & Record<'FirstName' | 'LastName' | 'Email' | 'Type' | 'DivisionID' | 'Language', string | null | undefined>;

// Generic so each Request keeps its own optionality (createUser requires what updateUser leaves out).
function profileFields<P extends ProfileParams>(
  params: P,
): { firstName: P['FirstName']; lastName: P['LastName']; email: P['Email']; typeId: P['Type']; divisionId: P['DivisionID']; language: P['Language']; permissions: Partial<PermissionSet> } {
  return {
    firstName: params.FirstName,
    lastName: params.LastName,
    email: params.Email,
    typeId: params.Type,
    divisionId: params.DivisionID,
    language: params.Language,
    permissions: permissionPatch(params),
  };
}

function permissionPatch(params: Partial<Record<PermissionParam, string | undefined>>): Partial<PermissionSet> {
  const patch: Partial<PermissionSet> = {};
  for (const [param, key] of Object.entries(PERMISSION_PARAMS) as Array<[PermissionParam, keyof PermissionSet]>) {
    const v = params[param];
    if (v === '1' || v === 'true') patch[key] = true;
    else if (v === '0' || v === 'false') patch[key] = false;
  }
  return patch;
}

function timeZoneOf(services: Services, brandId: string): Promise<string> {
  return services.accounts.timeZone(brandId);
}

function userSummary(u: UserView, tz: string) {
  return {
    UserID: u.id,
    UserName: u.username,
    UserFirstName: u.firstName,
    UserLastName: u.lastName,
    UserEmail: u.email,
    UserAccountType: u.typeName,
    UserAccountTypeID: u.typeId,
    UserAccountBrandID: u.brandId,
    DivisionID: u.divisionId,
    UserLanguage: u.language,
    UserAccountStatus: u.status,
    UserAccountCreationDate: formatDateTime(u.createdAt, tz),
    Permissions: Object.fromEntries(Object.entries(PERMISSION_PARAMS).map(([param, key]) => [param, u.permissions[key]])),
    TokenCreationDate: u.tokenCreatedAt === null ? null : formatDateTime(u.tokenCreatedAt, tz),
    TokenLastUsed: u.tokenLastUsedAt === null ? null : formatDateTime(u.tokenLastUsedAt, tz),
  };
}

const userExample = {
  UserID: 'UR_0abcdefghijklmn',
  UserName: 'ann#acme',
  UserFirstName: 'Ann',
  UserLastName: 'Lee',
  UserEmail: 'ann@acme.example',
  UserAccountType: 'Standard',
  UserAccountTypeID: 'UT_STANDARD',
  UserAccountBrandID: 'acme',
  DivisionID: null,
  UserLanguage: 'EN',
  UserAccountStatus: 'Active',
  UserAccountCreationDate: '2026-11-28 06:00:00',
  Permissions: { AccessAPI: true, DownloadResponses: true, CreateSurveys: true, DistributeSurveys: true, ManageContacts: true },
  TokenCreationDate: '2026-11-28 06:05:00',
  TokenLastUsed: null,
};

defineRequest({
  name: 'getUserInfo',
  product: 'ControlPanel',
  area: 'Administration',
  summary: 'The calling user’s account, and the libraries (own and group) they can use.',
  params: {},
  result: 'UserData{…} and Libraries[{Name, ID}]',
  example: {
    UserData: {
      UserID: 'UR_0abcdefghijklmn',
      UserName: 'ann#acme',
      UserFirstName: 'Ann',
      UserLastName: 'Lee',
      UserAccountType: 'Standard',
      UserAccountTypeID: 'UT_STANDARD',
      UserAccountBrandID: 'acme',
      UserAccountExpirationDate: UNSET_DATETIME,
      UserAccountCreationDate: '2026-11-28 06:00:00',
      DivisionID: null,
      UserLanguage: 'EN',
      UserEmail: 'ann@acme.example',
      PasswordLastChanged: '2026-11-28 06:00:00',
      UserAccountStatus: 'Active',
      LoginHistory: [1795860000],
      UserUnsubscribed: 0,
      UdsRestricted: false,
      AvailableProducts: ['ControlPanel', 'Contacts'],
      Users: { ControlPanel: { acme: { AccountStatus: 'Active', UserId: 'UR_0abcdefghijklmn' } } },
    },
    Libraries: [
      { Name: 'Ann Lee', ID: 'UR_0abcdefghijklmn' },
      { Name: 'Research team', ID: 'GR_0abcdefghijklmn' },
    ],
  },
  errors: [],
  async handler({ actor, services }) {
    const { user: me, libraries, loginHistory: history, timeZone: tz } = await services.accounts.userInfo(actor);
    return {
      UserData: {
        UserID: me.id,
        UserName: me.username,
        UserFirstName: me.firstName,
        UserLastName: me.lastName,
        UserAccountType: me.typeName,
        UserAccountTypeID: me.typeId,
        UserAccountBrandID: me.brandId,
        UserAccountExpirationDate: UNSET_DATETIME,
        UserAccountCreationDate: formatDateTime(me.createdAt, tz),
        DivisionID: me.divisionId,
        UserLanguage: me.language,
        UserEmail: me.email,
        PasswordLastChanged: formatDateTime(me.passwordChangedAt, tz),
        UserAccountStatus: me.status,
        LoginHistory: history.map((ms) => Math.floor(ms / 1000)),
        UserUnsubscribed: 0,
        UdsRestricted: false,
        AvailableProducts: ['ControlPanel', 'Contacts'],
        Users: { ControlPanel: { [me.brandId]: { AccountStatus: me.status, UserId: me.id } } },
      },
      Libraries: libraries.map((l) => ({ Name: l.name, ID: l.id })),
    };
  },
});

defineRequest({
  name: 'createUser',
  product: 'ControlPanel',
  area: 'Administration',
  summary:
    'Creates a user in the caller’s brand (Brand Administrators only). Type is a user-type ID: UT_BRANDADMIN or UT_STANDARD (the default). The username gets “#brand” added when absent.',
  params: {
    NewUsername: required('Username for the new account (name or name#brand)', 200),
    NewPassword: required('Password, at least 8 characters', 1024),
    FirstName: required('First name', 200),
    LastName: required('Last name', 200),
    Email: required('E-mail address', 200),
    Type: optional('User type ID: UT_BRANDADMIN or UT_STANDARD (default)'),
    DivisionID: optionalId('DV', 'Division to place the user in'),
    Organization: optional('Brand ID; when given it must be the caller’s brand'),
    Language: optional('Language code, default EN'),
    ...permissionFlags,
  },
  result: 'UserID',
  example: { UserID: 'UR_0abcdefghijklmn' },
  errors: ['InvalidParameter', 'AdminOnly', 'UserLimit', 'Conflict'],
  async handler({ actor, params, services }) {
    if (params.Organization !== undefined && params.Organization !== actor.brandId) {
      throw invalidParam('Organization');
    }
    const user = await services.accounts.createUser(actor, actor.brandId, {
      username: params.NewUsername,
      password: params.NewPassword,
      ...profileFields(params),
    });
    return { UserID: user.id };
  },
});

defineRequest({
  name: 'createDivision',
  product: 'ControlPanel',
  area: 'Administration',
  summary: 'Creates a division in the caller’s brand (Brand Administrators only). Result is the new DivisionID as a bare string.',
  params: { Name: required('Division name', 200) },
  result: 'the DivisionID (a string, not an object)',
  example: 'DV_0abcdefghijklmn',
  errors: ['InvalidParameter', 'AdminOnly'],
  async handler({ actor, params, services }) {
    return (await services.accounts.createDivision(actor, params.Name)).id;
  },
});

defineRequest({
  name: 'getUsers',
  product: 'ControlPanel',
  area: 'Administration',
  addition: true,
  summary: 'Lists the users of the caller’s brand (Brand Administrators only).',
  params: {},
  result: 'Users[{UserID, UserName, …, Permissions{…}, TokenCreationDate, TokenLastUsed}]',
  example: { Users: [userExample] },
  errors: ['AdminOnly'],
  async handler({ actor, services }) {
    const [users, tz] = await Promise.all([services.accounts.listUsers(actor), timeZoneOf(services, actor.brandId)]);
    return { Users: users.map((u) => userSummary(u, tz)) };
  },
});

defineRequest({
  name: 'updateUser',
  product: 'ControlPanel',
  area: 'Administration',
  addition: true,
  summary:
    'Changes a user of the caller’s brand (Brand Administrators only). Only the parameters sent change. Status=Disabled disables the account at once (web sessions end, the token is refused); a brand always keeps one active Brand Administrator.',
  params: {
    UserID: id('UR', 'The user to change'),
    FirstName: optional('First name', 200),
    LastName: optional('Last name', 200),
    Email: optional('E-mail address', 200),
    Type: optional('UT_BRANDADMIN or UT_STANDARD'),
    DivisionID: z_divisionOrNone(),
    Language: optional('Language code'),
    Status: optional('Active or Disabled'),
    NewPassword: optional('A new password, at least 8 characters', 1024),
    ...permissionFlags,
  },
  result: 'User{…} as in getUsers',
  example: { User: userExample },
  errors: ['InvalidParameter', 'AdminOnly', 'NotFound', 'Conflict'],
  async handler({ actor, params, services }) {
    const user = await services.accounts.updateUser(actor, params.UserID, {
      ...profileFields(params),
      status: params.Status,
      password: params.NewPassword,
    });
    return { User: userSummary(user, await timeZoneOf(services, actor.brandId)) };
  },
});

/** DivisionID for updateUser: a DV_ ID, or `none` to take the user out of their division. */
function z_divisionOrNone() {
  return optional('Division ID, or “none” to remove the user from their division').refine(
    (v) => v === undefined || v === 'none' || /^DV_[0-9A-Za-z]{15}$/.test(v),
  ).transform((v) => (v === 'none' ? null : v))
    // refine/transform make a new schema without the description; the reference page reads it here.
    .describe('Division ID, or “none” to remove the user from their division');
}

defineRequest({
  name: 'deleteUser',
  product: 'ControlPanel',
  area: 'Administration',
  addition: true,
  summary: 'Deletes a user of the caller’s brand (Brand Administrators only; not yourself, not the last active administrator).',
  params: { UserID: id('UR', 'The user to delete') },
  result: '{"Success":true}',
  example: { Success: true },
  errors: ['InvalidParameter', 'AdminOnly', 'NotFound', 'Conflict'],
  async handler({ actor, params, services }) {
    await services.accounts.deleteUser(actor, params.UserID);
    return { Success: true };
  },
});

defineRequest({
  name: 'generateToken',
  product: 'ControlPanel',
  area: 'Administration',
  addition: true,
  summary:
    'Issues a new API token (40 characters, shown only in this answer) and revokes the previous one at once. Without UserID it is the caller’s own token; a Brand Administrator may name any user of the brand.',
  params: { UserID: optionalId('UR', 'The user whose token to generate (default: the caller)') },
  result: 'UserID, Token',
  example: { UserID: 'UR_0abcdefghijklmn', Token: 'c1ag3eacqy5gwv2hJKVOg7u0NN5MBCn96TkP4IlR' },
  errors: ['InvalidParameter', 'AdminOnly', 'NotFound', 'NoApiAccess'],
  async handler({ actor, params, services }) {
    const userId = params.UserID ?? actor.userId;
    return { UserID: userId, Token: await services.accounts.generateToken(actor, userId) };
  },
});

defineRequest({
  name: 'getDivisions',
  product: 'ControlPanel',
  area: 'Administration',
  addition: true,
  summary: 'Lists the divisions of the caller’s brand (Brand Administrators only).',
  params: {},
  result: 'Divisions[{DivisionID, Name}]',
  example: { Divisions: [{ DivisionID: 'DV_0abcdefghijklmn', Name: 'Research' }] },
  errors: ['AdminOnly'],
  async handler({ actor, services }) {
    const divisions = await services.accounts.listDivisions(actor);
    return { Divisions: divisions.map((d) => ({ DivisionID: d.id, Name: d.name })) };
  },
});

defineRequest({
  name: 'createGroup',
  product: 'ControlPanel',
  area: 'Administration',
  addition: true,
  summary: 'Creates a group, with its shared group library, in the caller’s brand (Brand Administrators only). Result is the GroupID (also the group’s LibraryID) as a bare string, like createDivision.',
  params: { Name: required('Group name', 200), DivisionID: optionalId('DV', 'Division the group belongs to') },
  result: 'the GroupID (a string)',
  example: 'GR_0abcdefghijklmn',
  errors: ['InvalidParameter', 'AdminOnly'],
  async handler({ actor, params, services }) {
    return (await services.accounts.createGroup(actor, params.Name, params.DivisionID)).id;
  },
});

defineRequest({
  name: 'getGroups',
  product: 'ControlPanel',
  area: 'Administration',
  addition: true,
  summary: 'Lists the groups of the caller’s brand with their members (Brand Administrators only).',
  params: {},
  result: 'Groups[{GroupID, Name, DivisionID, Members[UserID…]}]',
  example: { Groups: [{ GroupID: 'GR_0abcdefghijklmn', Name: 'Research team', DivisionID: null, Members: ['UR_0abcdefghijklmn'] }] },
  errors: ['AdminOnly'],
  async handler({ actor, services }) {
    const groups = await services.accounts.listGroups(actor);
    return { Groups: groups.map((g) => ({ GroupID: g.id, Name: g.name, DivisionID: g.division_id, Members: g.members.map((m) => m.id) })) };
  },
});

for (const [name, verb] of [
  ['addUserToGroup', 'Adds a user of the brand to a group (and so to its library)'],
  ['removeUserFromGroup', 'Removes a user from a group'],
] as const) {
  defineRequest({
    name,
    product: 'ControlPanel',
    area: 'Administration',
    addition: true,
    summary: `${verb} (Brand Administrators only).`,
    params: { GroupID: id('GR', 'The group'), UserID: id('UR', 'The user') },
    result: '{"Success":true}',
    example: { Success: true },
    errors: ['InvalidParameter', 'AdminOnly', 'NotFound'],
    async handler({ actor, params, services }) {
      if (name === 'addUserToGroup') await services.accounts.addUserToGroup(actor, params.GroupID, params.UserID);
      else await services.accounts.removeUserFromGroup(actor, params.GroupID, params.UserID);
      return { Success: true };
    },
  });
}

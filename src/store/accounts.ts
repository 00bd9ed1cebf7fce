import type { Kysely, Selectable, Transaction } from 'kysely';
import type { BrandsTable, Database, DivisionsTable, GroupsTable, UsersTable } from './schema.ts';
import { preparedRead, type Dialect } from './db.ts';

export type BrandRow = Selectable<BrandsTable>;
export type UserRow = Selectable<UsersTable>;
export type DivisionRow = Selectable<DivisionsTable>;
export type GroupRow = Selectable<GroupsTable>;
type Db = Kysely<Database> | Transaction<Database>;

// Read on every API call (getUserInfo, library checks): compiled once.
const userById = preparedRead((db, brandId: string, id: string) => db.selectFrom('users').selectAll().where('brand_id', '=', brandId).where('id', '=', id));
const groupsOf = preparedRead((db, brandId: string, userId: string) =>
  db
    .selectFrom('groups')
    .innerJoin('group_members', 'group_members.group_id', 'groups.id')
    .selectAll('groups')
    .where('group_members.brand_id', '=', brandId)
    .where('group_members.user_id', '=', userId)
    .orderBy('groups.name'),
);

/** Queries over brands, users, divisions and groups. Every query that reads a brand's data names the brand. */
export const accountsStore = {
  findBrand: (db: Db, id: string) => db.selectFrom('brands').selectAll().where('id', '=', id).executeTakeFirst(),

  insertBrand: (db: Db, row: BrandRow) => db.insertInto('brands').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst(),

  /** Serialises writers that check a brand-wide limit: a row lock on PostgreSQL; SQLite has one writer anyway. */
  async lockBrand(db: Db, dialect: Dialect, id: string): Promise<BrandRow | undefined> {
    const q = db.selectFrom('brands').selectAll().where('id', '=', id);
    return (dialect === 'postgres' ? q.forUpdate() : q).executeTakeFirst();
  },

  countUsers: async (db: Db, brandId: string) =>
    Number((await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('brand_id', '=', brandId).executeTakeFirstOrThrow()).n),

  countUsersAnywhere: async (db: Db) => Number((await db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),

  findUserById: async (db: Db, brandId: string, id: string) => (await userById(db, brandId, id)).at(0),

  findUserByUsername: (db: Db, username: string) => db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst(),

  findUsersByNamePart: (db: Db, name: string) => db.selectFrom('users').selectAll().where('username', 'like', `${name.replace(/[\\%_]/g, '\\$&')}#%`).limit(2).execute(),

  findUserByTokenHash: (db: Db, hash: string) => db.selectFrom('users').selectAll().where('api_token_hash', '=', hash).executeTakeFirst(),

  listUsers: (db: Db, brandId: string) => db.selectFrom('users').selectAll().where('brand_id', '=', brandId).orderBy('username').execute(),

  countActiveAdmins: async (db: Db, brandId: string) =>
    Number(
      (
        await db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('brand_id', '=', brandId)
          .where('type_id', '=', 'UT_BRANDADMIN')
          .where('status', '=', 'Active')
          .executeTakeFirstOrThrow()
      ).n,
    ),

  insertUser: (db: Db, row: UserRow) => db.insertInto('users').values(row).execute(),

  updateUser: (db: Db, brandId: string, id: string, patch: Partial<UserRow>) =>
    db.updateTable('users').set(patch).where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  deleteUser: (db: Db, brandId: string, id: string) => db.deleteFrom('users').where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  insertDivision: (db: Db, row: DivisionRow) => db.insertInto('divisions').values(row).execute(),
  findDivision: (db: Db, brandId: string, id: string) =>
    db.selectFrom('divisions').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),
  listDivisions: (db: Db, brandId: string) => db.selectFrom('divisions').selectAll().where('brand_id', '=', brandId).orderBy('name').orderBy('id').execute(),

  insertGroup: (db: Db, row: GroupRow) => db.insertInto('groups').values(row).execute(),
  findGroup: (db: Db, brandId: string, id: string) => db.selectFrom('groups').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),
  listGroups: (db: Db, brandId: string) => db.selectFrom('groups').selectAll().where('brand_id', '=', brandId).orderBy('name').orderBy('id').execute(),
  groupsOfUser: (db: Db, brandId: string, userId: string) => groupsOf(db, brandId, userId),
  groupMembers: (db: Db, brandId: string, groupId: string) =>
    db
      .selectFrom('users')
      .innerJoin('group_members', 'group_members.user_id', 'users.id')
      .selectAll('users')
      .where('group_members.brand_id', '=', brandId)
      .where('group_members.group_id', '=', groupId)
      .orderBy('users.username')
      .execute(),
  addGroupMember: (db: Db, brandId: string, groupId: string, userId: string, at: number) =>
    db
      .insertInto('group_members')
      .values({ group_id: groupId, user_id: userId, brand_id: brandId, added_at: at })
      .onConflict((oc) => oc.columns(['group_id', 'user_id']).doNothing())
      .execute(),
  removeGroupMember: (db: Db, brandId: string, groupId: string, userId: string) =>
    db.deleteFrom('group_members').where('brand_id', '=', brandId).where('group_id', '=', groupId).where('user_id', '=', userId).executeTakeFirst(),
};

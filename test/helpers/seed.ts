import type { Actor } from '../../src/services/actor.ts';
import { actorOf } from '../../src/services/auth.ts';
import { accountsStore } from '../../src/store/accounts.ts';
import type { TestEnv } from './app.ts';

export interface SeededUser {
  id: string;
  username: string;
  password: string;
  token: string;
  actor: Actor;
}

/** A brand with one administrator (API token issued), as the operator would make it with the CLI. */
export async function seedBrand(env: TestEnv, brandId: string, opts: { maxUsers?: number } = {}): Promise<SeededUser> {
  await env.services.accounts.createBrand({ id: brandId, name: `${brandId} brand`, maxUsers: opts.maxUsers ?? null });
  return seedUser(env, brandId, 'admin', { typeId: 'UT_BRANDADMIN' });
}

export async function seedUser(
  env: TestEnv,
  brandId: string,
  name: string,
  opts: { typeId?: string; api?: boolean } = {},
): Promise<SeededUser> {
  const password = `pw-${name}-secret`;
  const view = await env.services.accounts.createUser(undefined, brandId, {
    username: name,
    password,
    firstName: name.charAt(0).toUpperCase() + name.slice(1),
    lastName: 'Tester',
    email: `${name}@${brandId}.example`,
    typeId: opts.typeId ?? 'UT_STANDARD',
    api: opts.api ?? true,
  });
  const token = await env.services.accounts.generateTokenForUsername(view.username);
  const row = await accountsStore.findUserById(env.store.db, brandId, view.id);
  if (!row) throw new Error('seeded user vanished');
  return { id: view.id, username: view.username, password, token, actor: actorOf(row) };
}

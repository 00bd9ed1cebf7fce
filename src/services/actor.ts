import type { PermissionSet, UserTypeId } from '../domain/accounts.ts';
import { ServiceError } from './errors.ts';

/** Who is asking: every service call that touches brand data takes one, and all checks read it. */
export interface Actor {
  userId: string;
  brandId: string;
  username: string;
  typeId: UserTypeId;
  permissions: PermissionSet;
}

export function isBrandAdmin(actor: Actor): boolean {
  return actor.typeId === 'UT_BRANDADMIN';
}

export function requireBrandAdmin(actor: Actor): void {
  if (!isBrandAdmin(actor)) throw new ServiceError('AdminOnly');
}

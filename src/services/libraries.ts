import type { AccountsService } from './accounts.ts';
import type { Actor } from './actor.ts';
import { invalidParam } from './errors.ts';

/**
 * Library access, the rule every panel, message and list Request starts with: a user reaches their
 * own library (ID = their user ID) and their groups' libraries; a brand administrator every library
 * of the brand. Anything else — malformed, unknown, or another brand's — answers exactly as the
 * original server did for a bad LibraryID: ESRV35|LibraryID, so nothing tells foreign IDs apart.
 */
export class LibrariesService {
  constructor(private readonly accounts: AccountsService) {}

  async require(actor: Actor, libraryId: string | undefined, param = 'LibraryID'): Promise<string> {
    if (!libraryId || !/^(UR|GR)_[0-9A-Za-z]{15}$/.test(libraryId)) throw invalidParam(param);
    if (!(await this.accounts.canUseLibrary(actor, libraryId))) throw invalidParam(param);
    return libraryId;
  }
}

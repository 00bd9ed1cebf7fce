import type { Config } from '../config.ts';
import type { Store } from '../store/db.ts';
import { AccountsService } from './accounts.ts';
import { AuthService } from './auth.ts';
import { systemClock, type Clock } from './clock.ts';

/** Every use case, wired to one store. The HTTP adapters, the CLI and the workers all go through this. */
export interface Services {
  config: Config;
  store: Store;
  clock: Clock;
  accounts: AccountsService;
  auth: AuthService;
}

export function createServices(config: Config, store: Store, clock: Clock = systemClock): Services {
  return {
    config,
    store,
    clock,
    accounts: new AccountsService(store, clock),
    auth: new AuthService(store, clock),
  };
}

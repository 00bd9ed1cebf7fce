import type { Config } from '../config.ts';
import { createServices, type Services } from '../services/index.ts';
import { openStore } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';

/** Opens the configured database (migrated unless told not to), runs `fn`, and always closes it. */
export async function withServices<T>(config: Config, fn: (services: Services) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const store = openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    if (options.migrate !== false) await migrate(store);
    return await fn(createServices(config, store));
  } finally {
    await store.close();
  }
}

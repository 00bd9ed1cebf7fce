import type { Config } from '../config.ts';
import { buildApp } from '../server.ts';
import { createServices } from '../services/index.ts';
import { runMaintenance } from '../services/maintenance.ts';
import { openStore } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';

/**
 * Starts the server: migrate, create the bootstrap administrator on an empty database (its password
 * is printed once, here, and never stored in clear), listen, and shut down cleanly on SIGTERM/SIGINT
 * (stop accepting, finish in-flight requests, close the database).
 */
export async function serve(config: Config): Promise<void> {
  const store = openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  await migrate(store);
  const services = createServices(config, store);
  const bootstrap = await services.accounts.bootstrap(config.bootstrapBrandId);
  const app = await buildApp(services);
  // The job worker runs in the server process by default; `insight worker` runs more elsewhere.
  const stopWorker = new AbortController();
  const working = services.jobs.work(stopWorker.signal, { onError: (e) => app.log.error({ err: e }, 'job worker error') });
  const maintaining = runMaintenance(services, stopWorker.signal, (e) => app.log.error({ err: e }, 'maintenance error'));
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await app.close();
    stopWorker.abort();
    await Promise.all([working, maintaining]);
    services.distributions.transport.close();
    // Acknowledged page submits are already on disk; this only waits for a batch still committing.
    await services.respondent.writer.drain();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // PORT=0 asks the OS for a free port: show the one we got.
  const url = config.port === 0 ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;
  const lines = [`Insight is running at ${url}/ (database: ${config.databaseUrl ? 'PostgreSQL' : `SQLite in ${config.dataDir}`})`];
  if (bootstrap) {
    lines.push(
      '',
      'First start: a brand administrator was created. Sign in with',
      `  username: ${bootstrap.username}`,
      `  password: ${bootstrap.password}`,
      'This password is shown only once. Change it or create your own users after signing in.',
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

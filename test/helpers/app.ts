import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { createServices, type Services } from '../../src/services/index.ts';
import { ManualClock } from '../../src/services/clock.ts';
import { buildApp } from '../../src/server.ts';
import { randomBase62 } from '../../src/domain/ids.ts';

/** Set TEST_DATABASE_URL=postgres://… to run the suite on PostgreSQL; otherwise SQLite files in a temp dir. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const dialectName = TEST_DATABASE_URL ? 'postgres' : 'sqlite';

export interface TestEnv {
  config: Config;
  store: Store;
  services: Services;
  clock: ManualClock;
  dataDir: string;
  /** A PostgreSQL schema of its own, or undefined on SQLite. */
  pgSchema: string | undefined;
  close(): Promise<void>;
}

/** Creates a PostgreSQL schema of its own for one test run (`prefix_` + random). */
export async function createPgSchema(prefix: string): Promise<string> {
  const schema = `${prefix}_${randomBase62(12).toLowerCase()}`;
  await pgQuery(`CREATE SCHEMA ${schema}`);
  return schema;
}

export async function dropPgSchema(schema: string): Promise<void> {
  await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

async function pgQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database (its own SQLite file, or its own PostgreSQL schema) and services over it. */
export async function createTestEnv(env: Record<string, string> = {}): Promise<TestEnv> {
  const dataDir = mkdtempSync(join(tmpdir(), 'insight-test-'));
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789', ...env });
  let pgSchema: string | undefined;
  if (TEST_DATABASE_URL) pgSchema = await createPgSchema('t');
  const store = openStore({ dataDir, databaseUrl: TEST_DATABASE_URL, pgSchema });
  await migrate(store);
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 12, 0, 0));
  const services = createServices({ ...config, databaseUrl: TEST_DATABASE_URL }, store, clock);
  return {
    config,
    store,
    services,
    clock,
    dataDir,
    pgSchema,
    async close() {
      await store.close();
      if (pgSchema) await dropPgSchema(pgSchema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestApp extends TestEnv {
  app: FastifyInstance;
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const base = await createTestEnv(env);
  const app = await buildApp(base.services, { logger: false });
  await app.ready();
  return {
    ...base,
    app,
    async close() {
      await app.close();
      await base.close();
    },
  };
}

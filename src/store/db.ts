import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** The SQLite file, for the migration lock; undefined on PostgreSQL. */
  sqliteFile: string | undefined;
  close(): Promise<void>;
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl: string | undefined;
  /** PostgreSQL schema to work in (tests give each run its own); default `public`. */
  pgSchema?: string;
  /** SQLite file name inside dataDir; default insight.db. */
  sqliteFile?: string;
}

// bigint columns hold epoch milliseconds, well inside Number's exact range: read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function openSqlite(file: string): SQLite.Database {
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  // Durability: synchronous=FULL fsyncs the WAL on every commit, so an acknowledged write survives
  // not just kill -9 (NORMAL already would) but also power loss. Hot write paths (response submits)
  // amortise the fsync by committing many writes together rather than by weakening this.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  // 64 MiB of page cache (the default is 2 MiB): large imports touch many index pages at random.
  sqlite.pragma('cache_size = -65536');
  return sqlite;
}

/**
 * Kysely prepares every query anew; on better-sqlite3 preparing costs more than running a small
 * query. Statements are cached by their SQL (bounded), which is safe because Kysely runs one query at
 * a time on the connection.
 */
function withStatementCache(sqlite: SQLite.Database, limit = 1000): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const value: unknown = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (source: string) => {
        let stmt = cache.get(source);
        if (!stmt) {
          stmt = prepare(source);
          if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
          cache.set(source, stmt);
        }
        return stmt;
      };
    },
  });
}

export function openStore(options: StoreOptions): Store {
  if (options.databaseUrl) {
    const schema = options.pgSchema;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 10,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client's network error must not take the process down; the next query reconnects.
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, dialect: 'postgres', sqliteFile: undefined, close: () => db.destroy() };
  }
  const file = join(options.dataDir, options.sqliteFile ?? 'insight.db');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(openSqlite(file)) }) });
  return { db, dialect: 'sqlite', sqliteFile: file, close: () => db.destroy() };
}

/**
 * Runs several reads against one snapshot. On SQLite that is also faster: each statement outside a
 * transaction takes and drops the WAL read lock (system calls), one transaction takes it once. On
 * PostgreSQL the reads run as they are (a transaction would only add round trips).
 */
export function readTogether<T>(store: Store, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  return store.dialect === 'sqlite' ? store.db.transaction().execute(fn) : fn(store.db);
}

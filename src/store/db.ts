import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, createQueryId, type Compilable, type CompiledQuery } from 'kysely';
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

/** How every connection to the SQLite file is set up (the group-commit writer's thread applies them too). */
export const SQLITE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  // Durability: synchronous=FULL fsyncs the WAL on every commit, so an acknowledged write survives
  // not just kill -9 (NORMAL already would) but also power loss. Hot write paths (response submits)
  // amortise the fsync by committing many writes together rather than by weakening this.
  'synchronous = FULL',
  'foreign_keys = ON',
  'busy_timeout = 10000',
  // 32 MiB of page cache (the default is 2 MiB): large imports touch many index pages at random. Not
  // more: a 1M-row export fills it, and it counts in the server's peak RSS (goal < 300 MB).
  'cache_size = -32768',
];

export function openSqlite(file: string): SQLite.Database {
  const sqlite = new SQLite(file);
  for (const pragma of SQLITE_PRAGMAS) sqlite.pragma(pragma);
  return sqlite;
}

/**
 * Kysely prepares every query anew; on better-sqlite3 preparing costs more than running a small
 * query. Statements are cached by their SQL (bounded), which is safe because Kysely runs one query at
 * a time on the connection. The cache is the handle's own `prepare` (not a Proxy around the handle:
 * a Proxy trap on every property read costs more than the small queries it serves).
 */
function withStatementCache(sqlite: SQLite.Database, limit = 1000): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  const cached = (source: string): SQLite.Statement => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
      cache.set(source, stmt);
    }
    return stmt;
  };
  Object.defineProperty(sqlite, 'prepare', { value: cached, writable: true, configurable: true });
  return sqlite;
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
  const sqlite = withStatementCache(openSqlite(file));
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  sqliteOf.set(db, sqlite);
  return { db, dialect: 'sqlite', sqliteFile: file, close: () => db.destroy() };
}

/**
 * Runs several reads against one snapshot. On SQLite that is also faster: each statement outside a
 * transaction takes and drops the WAL read lock (system calls), one transaction takes it once. On
 * PostgreSQL the reads run as they are (a transaction would only add round trips).
 */
export async function readTogether<T>(store: Store, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const sqlite = sqliteOf.get(store.db);
  if (!sqlite) return fn(store.db);
  const conn = pinnedKysely.get(store.db) ?? (await pinKysely(store.db));
  // Holding Kysely's one connection, BEGIN and COMMIT are issued on it directly: a Kysely
  // transaction (or a fresh connection-bound Kysely per call) costs more than the reads it wraps.
  return store.db.getExecutor().provideConnection(async () => {
    sqlite.prepare('BEGIN').run();
    // Nothing else can use the connection until this ends: prepared reads may run on it directly.
    ownedConnection.set(conn, sqlite);
    try {
      const result = await fn(conn);
      sqlite.prepare('COMMIT').run();
      return result;
    } catch (error) {
      if (sqlite.inTransaction) sqlite.prepare('ROLLBACK').run();
      throw error;
    } finally {
      ownedConnection.delete(conn);
    }
  });
}

/**
 * Per SQLite store, a Kysely bound to its one connection (Kysely's SQLite driver has exactly one,
 * for good). Queries through it skip Kysely's connection lock, so it is only used while that lock
 * is held (inside readTogether).
 */
const pinnedKysely = new WeakMap<Kysely<Database>, Kysely<Database>>();

async function pinKysely(db: Kysely<Database>): Promise<Kysely<Database>> {
  const bound = await db.connection().execute(async (conn) => conn);
  pinnedKysely.set(db, bound);
  return bound;
}

/** The better-sqlite3 handle behind each SQLite store's Kysely instance. */
const sqliteOf = new WeakMap<Kysely<Database>, SQLite.Database>();

/**
 * The better-sqlite3 handle of a SQLite store (undefined on PostgreSQL), for writers that batch
 * synchronous statements (store/group-commit.ts). Use it only while holding Kysely's connection
 * (`store.db.connection().execute(...)`), so nothing else runs on it meanwhile.
 */
export function sqliteHandle(store: Store): SQLite.Database | undefined {
  return sqliteOf.get(store.db);
}

/** Transactions opened by readTogether, which own the connection for their whole life. */
const ownedConnection = new WeakMap<Kysely<Database>, SQLite.Database>();

type Param = string | number;
type Db = Kysely<Database>;

interface Template {
  sql: string;
  query: CompiledQuery['query'];
  /** Per parameter: the argument index it takes, or the constant the builder put there. */
  slots: Array<{ arg: number } | { value: unknown }>;
}

/**
 * A read whose SQL is built and compiled once per dialect, then run with each call's arguments.
 * Building and compiling cost several times more than running a small query on SQLite, and a few
 * hot reads (every API call's user lookup) are worth that saving. The build must not branch on its
 * arguments: it is called once with marker values, and every argument must come out as one bound
 * parameter (checked here, so a misuse fails on first call rather than running the wrong SQL).
 */
export function preparedRead<A extends Param[], Row>(build: (db: Db, ...args: A) => Compilable<Row>): (db: Db, ...args: A) => Promise<Row[]> {
  const templates = new Map<unknown, Template>();
  const templateFor = (db: Db, arity: number): Template => {
    // SQL differs by dialect only: one template per adapter class (transactions share it).
    const key = db.getExecutor().adapter.constructor;
    let template = templates.get(key);
    if (!template) templates.set(key, (template = compileTemplate(db, build as (db: Db, ...args: Param[]) => Compilable<Row>, arity)));
    return template;
  };
  return async (db, ...args) => {
    const template = templateFor(db, args.length);
    const parameters = template.slots.map((slot) => ('arg' in slot ? args[slot.arg] : slot.value));
    // Inside readTogether's transaction nothing else can use the connection: skip Kysely's executor
    // (what it would do is exactly this call, behind a few promise hops per query).
    const owned = ownedConnection.get(db);
    if (owned) return rowsOf(owned, template.sql, parameters) as Row[];
    // On the root SQLite instance with no transaction open, a read run now is what Kysely would run
    // once it held the connection: better-sqlite3 is synchronous, so nothing interleaves with it,
    // and outside a transaction there is no half-done work it could see. (A transaction, even one
    // waiting between statements, is left alone: its queries go through Kysely as usual.)
    const direct = sqliteOf.get(db);
    if (direct && !direct.inTransaction) {
      const rows = readNow(direct, template.sql, parameters);
      if (rows) return rows as Row[];
    }
    const compiled: CompiledQuery<Row> = { sql: template.sql, query: template.query, parameters, queryId: createQueryId() };
    return (await db.executeQuery(compiled)).rows;
  };
}

/** Runs a read now, or answers undefined when the connection is busy (a streamed query is open). */
function readNow(sqlite: SQLite.Database, sqlText: string, parameters: unknown[]): unknown[] | undefined {
  try {
    return rowsOf(sqlite, sqlText, parameters);
  } catch (error) {
    if (error instanceof TypeError && /busy/i.test(error.message)) return undefined;
    throw error;
  }
}

/** A prepared read's statement on one connection, in raw mode, with the names of its columns. */
interface RawRead {
  stmt: SQLite.Statement;
  columns: string[];
}

// Statements of their own (not the shared cache's: raw mode is a setting of the statement object).
const rawReads = new WeakMap<SQLite.Database, Map<string, RawRead>>();
const prepareUncached = SQLite.prototype.prepare;

/**
 * Runs a prepared read and builds its row objects here: better-sqlite3 builds each row in C++,
 * internalizing every column name again; from raw rows, a read of one 18-column user row costs a
 * quarter less. Same objects as its own (a later duplicate name wins there too).
 */
function rowsOf(sqlite: SQLite.Database, sqlText: string, parameters: unknown[]): Array<Record<string, unknown>> {
  let byText = rawReads.get(sqlite);
  if (!byText) rawReads.set(sqlite, (byText = new Map()));
  let read = byText.get(sqlText);
  if (!read) {
    const stmt = prepareUncached.call(sqlite, sqlText).raw(true);
    read = { stmt, columns: stmt.columns().map((c) => c.name) };
    byText.set(sqlText, read);
  }
  const { columns } = read;
  const rows = read.stmt.all(parameters) as unknown[][];
  const out: Array<Record<string, unknown>> = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const values = rows[i] as unknown[];
    const row: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) row[columns[c] as string] = values[c];
    out[i] = row;
  }
  return out;
}

function compileTemplate(db: Db, build: (db: Db, ...args: Param[]) => Compilable, arity: number): Template {
  const markers = Array.from({ length: arity }, (_, i) => `\u0000prepared-arg-${i}\u0000`);
  const compiled = build(db, ...markers).compile();
  const slots = compiled.parameters.map((value) => {
    const arg = typeof value === 'string' ? markers.indexOf(value) : -1;
    return arg === -1 ? { value } : { arg };
  });
  const used = new Set(slots.flatMap((slot) => ('arg' in slot ? [slot.arg] : [])));
  if (used.size !== arity || markers.some((m) => compiled.sql.includes(m))) throw new Error(`preparedRead: not every argument is a bound parameter in: ${compiled.sql}`);
  return { sql: compiled.sql, query: compiled.query, slots };
}

/**
 * Group commit: many small writes share one transaction, hence one fsync. With synchronous=FULL a
 * SQLite commit costs a WAL fsync; one commit per respondent submit caps a server at a few thousand
 * submits a second, while a batch of a hundred writes costs about what three single ones do. Every
 * promise resolves only after the batch holding its write committed, so an acknowledged write is
 * durable.
 *
 * Batching: writes queued during one event-loop turn (and all those queued while a batch is
 * committing) form the next batch, started from setImmediate. A batch never fails as a whole
 * because of one write:
 * - SQLite: each write runs in its own savepoint inside the batch transaction (better-sqlite3 nests
 *   transaction functions that way), so a failing write rolls back alone;
 * - PostgreSQL: one transaction on one pooled connection; any error aborts the transaction there,
 *   so the batch is rolled back and every write retried in a transaction of its own.
 * If the commit itself fails, each write is retried on its own as well.
 *
 * Writes are plain SQL with `?` placeholders (numbered `$n` for PostgreSQL here): the hot path skips
 * building and compiling queries, and on SQLite runs the statements synchronously on the connection
 * (held through Kysely, so no Kysely query interleaves).
 */
import { CompiledQuery } from 'kysely';
import type SQLite from 'better-sqlite3';
import { sqliteHandle, type Store } from './db.ts';

export type SqlParam = string | number | null;

/** One statement; `sql` uses `?` placeholders and only portable SQL. */
export interface Statement {
  sql: string;
  params: readonly SqlParam[];
}

/** A write applied atomically: all of it or none of it. */
export interface Write {
  /**
   * Runs first and must change exactly one row (e.g. `UPDATE … WHERE id = ? AND version = ?`);
   * otherwise the write is refused with StaleWriteError and nothing of it is applied.
   */
  guard?: Statement;
  statements: readonly Statement[];
}

/** The guard of a write changed no row: what it was based on has changed meanwhile. */
export class StaleWriteError extends Error {
  constructor() {
    super('stale write: the row changed since it was read');
    this.name = 'StaleWriteError';
  }
}

export interface GroupCommitOptions {
  /** Most writes in one transaction (bounds how long one commit holds the database). */
  maxBatch?: number;
  /** Batches committing at once: 1 on SQLite (one connection); PostgreSQL may use a few pooled connections. */
  concurrency?: number;
}

export interface GroupCommitStats {
  batches: number;
  writes: number;
  /** Writes retried alone after their batch failed. */
  retried: number;
}

interface Pending {
  write: Write;
  resolve: () => void;
  reject: (error: unknown) => void;
  /** Outcome inside the current attempt; undefined = applied. */
  error?: unknown;
}

export class GroupCommit {
  readonly stats: GroupCommitStats = { batches: 0, writes: 0, retried: 0 };
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly concurrency: number;
  private readonly sqlite: SQLite.Database | undefined;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly store: Store,
    options: GroupCommitOptions = {},
  ) {
    this.sqlite = sqliteHandle(store);
    this.maxBatch = Math.max(1, options.maxBatch ?? 1000);
    this.concurrency = this.sqlite ? 1 : Math.max(1, options.concurrency ?? 2);
  }

  /** Queues a write; resolves once it is committed (durable), rejects with its own error only. */
  submit(write: Write): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or committing (tests, shutdown). */
  drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.concurrency || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.runNext();
    });
  }

  private async runNext(): Promise<void> {
    if (this.inFlight >= this.concurrency || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.inFlight += 1;
    this.stats.batches += 1;
    this.stats.writes += batch.length;
    try {
      await this.commit(batch);
    } catch (error) {
      // Only reached on a failure outside any write (e.g. the connection could not be acquired).
      for (const p of batch) p.error ??= error;
    } finally {
      this.inFlight -= 1;
      for (const p of batch) {
        if (p.error === undefined) p.resolve();
        else p.reject(p.error);
      }
      this.schedule();
      if (this.queue.length === 0 && this.inFlight === 0) {
        for (const done of this.idle) done();
        this.idle.clear();
      }
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    if (this.sqlite) {
      const sqlite = this.sqlite;
      await this.store.db.connection().execute(async () => {
        commitSqlite(sqlite, batch, this.stats);
      });
      return;
    }
    await this.commitPostgres(batch);
  }

  private async commitPostgres(batch: Pending[]): Promise<void> {
    try {
      await this.store.db.transaction().execute(async (trx) => {
        for (const p of batch) p.error = await applyPostgres(trx, p.write);
      });
      return;
    } catch {
      // Some write (or the commit) failed and PostgreSQL aborted the whole transaction.
    }
    if (batch.length === 1) {
      await this.retryPostgres(batch[0] as Pending);
      return;
    }
    for (const p of batch) {
      this.stats.retried += 1;
      await this.retryPostgres(p);
    }
  }

  private async retryPostgres(p: Pending): Promise<void> {
    try {
      await this.store.db.transaction().execute(async (trx) => {
        p.error = await applyPostgres(trx, p.write);
      });
    } catch (error) {
      p.error = error;
    }
  }
}

type Executor = Pick<Store['db'], 'executeQuery'>;

const pgSqlCache = new Map<string, string>();

/** `?` placeholders as PostgreSQL's `$1, $2, …` (statements here never hold a literal `?`). */
function pgSql(source: string): string {
  let out = pgSqlCache.get(source);
  if (out === undefined) {
    let n = 0;
    out = source.replace(/\?/g, () => `$${++n}`);
    if (pgSqlCache.size >= 500) pgSqlCache.clear();
    pgSqlCache.set(source, out);
  }
  return out;
}

/** Applies one write; a stale guard is its result (nothing applied), SQL errors propagate. */
async function applyPostgres(db: Executor, write: Write): Promise<StaleWriteError | undefined> {
  if (write.guard) {
    const r = await db.executeQuery(CompiledQuery.raw(pgSql(write.guard.sql), [...write.guard.params]));
    if (Number(r.numAffectedRows ?? 0) !== 1) return new StaleWriteError();
  }
  for (const s of write.statements) await db.executeQuery(CompiledQuery.raw(pgSql(s.sql), [...s.params]));
  return undefined;
}

function applySqlite(sqlite: SQLite.Database, write: Write): void {
  if (write.guard) {
    const r = sqlite.prepare(write.guard.sql).run(...write.guard.params);
    if (r.changes !== 1) throw new StaleWriteError();
  }
  for (const s of write.statements) sqlite.prepare(s.sql).run(...s.params);
}

// better-sqlite3 caches the transaction wrappers per function; these are made once per handle.
const wrappers = new WeakMap<SQLite.Database, { one: SQLite.Transaction<(w: Write) => void>; all: SQLite.Transaction<(b: Pending[]) => void> }>();

function wrappersOf(sqlite: SQLite.Database) {
  let w = wrappers.get(sqlite);
  if (!w) {
    // Called inside `all`, `one` runs in a savepoint: a failing write rolls back alone.
    const one = sqlite.transaction((write: Write) => applySqlite(sqlite, write));
    const all = sqlite.transaction((batch: Pending[]) => {
      for (const p of batch) {
        try {
          one(p.write);
          p.error = undefined;
        } catch (error) {
          p.error = error;
        }
      }
    });
    w = { one, all };
    wrappers.set(sqlite, w);
  }
  return w;
}

function commitSqlite(sqlite: SQLite.Database, batch: Pending[], stats: GroupCommitStats): void {
  const { one, all } = wrappersOf(sqlite);
  try {
    // IMMEDIATE takes the write lock up front rather than upgrading halfway (no deadlock with readers).
    all.immediate(batch);
    return;
  } catch {
    // The commit failed (I/O error, disk full, another process holding the lock past busy_timeout).
  }
  for (const p of batch) {
    stats.retried += 1;
    try {
      one.immediate(p.write);
      p.error = undefined;
    } catch (error) {
      p.error = error;
    }
  }
}

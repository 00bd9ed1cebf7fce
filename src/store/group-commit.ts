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
 * - SQLite: the batch is committed on a thread of its own (group-commit-worker.js, one per database
 *   file, with its own connection), so the fsync a durable commit waits for never stops the server's
 *   thread; each write runs in its own savepoint inside the batch transaction, so a failing write
 *   rolls back alone;
 * - PostgreSQL: one transaction on one pooled connection; any error aborts the transaction there,
 *   so the batch is rolled back and every write retried in a transaction of its own.
 * If the commit itself fails, each write is retried on its own as well.
 *
 * Writes are plain SQL with `?` placeholders (numbered `$n` for PostgreSQL here): the hot path skips
 * building and compiling queries, and they cross to the SQLite writer's thread as they are.
 */
import { Worker } from 'node:worker_threads';
import { CompiledQuery } from 'kysely';
import { SQLITE_PRAGMAS, type Store } from './db.ts';

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
  private readonly sqliteFile: string | undefined;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly store: Store,
    options: GroupCommitOptions = {},
  ) {
    this.sqliteFile = store.dialect === 'sqlite' ? store.sqliteFile : undefined;
    this.maxBatch = Math.max(1, options.maxBatch ?? 1000);
    this.concurrency = this.sqliteFile ? 1 : Math.max(1, options.concurrency ?? 2);
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
    if (this.sqliteFile) {
      const { outcomes, retried } = await sqliteWriter(this.sqliteFile).commit(batch.map((p) => p.write));
      this.stats.retried += retried;
      batch.forEach((p, i) => (p.error = errorOf(outcomes[i] ?? null)));
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

// ---- SQLite: the writer thread ------------------------------------------------------------------

/** What the writer thread answers for one write (see group-commit-worker.js). */
type Outcome = null | { stale: true } | { name: string; message: string; code: string | undefined };

interface Committed {
  outcomes: Outcome[];
  retried: number;
}

function errorOf(outcome: Outcome): unknown {
  if (outcome === null) return undefined;
  if ('stale' in outcome) return new StaleWriteError();
  // The SQLite error as the thread saw it (SqliteError does not cross threads as itself).
  return Object.assign(new Error(outcome.message), { name: outcome.name, code: outcome.code });
}

/** A writer thread goes away after this long without work (a busy server keeps it; tests do not pile them up). */
const WRITER_IDLE_MS = 30_000;

/**
 * The thread that commits the batches for one SQLite file, with a connection of its own set up as
 * every other (SQLITE_PRAGMAS). Every GroupCommit on that file shares it: they would share the one
 * write lock anyway. Started on the first batch; it does not keep the process alive.
 */
class SqliteWriter {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (c: Committed) => void; reject: (e: unknown) => void }>();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly file: string) {}

  commit(writes: Write[]): Promise<Committed> {
    const worker = this.started();
    clearTimeout(this.idleTimer);
    // While it holds a batch the thread keeps the process alive (a CLI command awaiting its write).
    worker.ref();
    const id = this.nextId++;
    return new Promise<Committed>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, writes });
    });
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./group-commit-worker.js', import.meta.url), { workerData: { file: this.file, pragmas: SQLITE_PRAGMAS } });
    worker.unref();
    worker.on('message', (m: Committed & { id: number }) => {
      const waiter = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      waiter?.resolve(m);
      if (this.waiting.size === 0) {
        worker.unref();
        this.idleAfterwards();
      }
    });
    // A thread that cannot open the file or dies fails what it holds; the next batch starts another.
    const failAll = (error: unknown) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`the SQLite writer thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private idleAfterwards(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.waiting.size > 0 || !this.worker) return;
      const worker = this.worker;
      this.worker = undefined;
      writers.delete(this.file);
      void worker.terminate();
    }, WRITER_IDLE_MS);
    this.idleTimer.unref();
  }
}

const writers = new Map<string, SqliteWriter>();

function sqliteWriter(file: string): SqliteWriter {
  let writer = writers.get(file);
  if (!writer) writers.set(file, (writer = new SqliteWriter(file)));
  return writer;
}

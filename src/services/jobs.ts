import { hostname } from 'node:os';
import { newId, randomBase62 } from '../domain/ids.ts';
import type { Store } from '../store/db.ts';
import { jobsStore, type JobRow } from '../store/jobs.ts';
import type { Clock } from './clock.ts';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface JobView {
  id: string;
  brandId: string;
  kind: string;
  status: JobStatus;
  progress: number;
  total: number | null;
  result: unknown;
  error: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Thrown by a job handler for a failure worth retrying (network, temporary SMTP errors). */
export class TemporaryJobError extends Error {}

export interface JobContext {
  job: JobRow;
  payload: unknown;
  blob(): Promise<Buffer | undefined>;
  /** Records progress and extends the lease; false when the lease was lost and the job must stop. */
  progress(done: number, total?: number): Promise<boolean>;
}

export type JobHandler = (ctx: JobContext) => Promise<unknown>;

const LEASE_MS = 60_000;
export const MAX_ATTEMPTS = 5;

function toView(row: JobRow): JobView {
  return {
    id: row.id,
    brandId: row.brand_id,
    kind: row.kind,
    status: row.status as JobStatus,
    progress: row.progress,
    total: row.total,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The job table as a queue. Enqueueing is one insert (so an API call returns at once); any number
 * of workers, in the server process or in `insight worker` processes, claim jobs with a lease.
 */
export class JobsService {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** Registers the code that runs jobs of one kind (each capability registers its own). */
  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  kinds(): string[] {
    return [...this.handlers.keys()];
  }

  async enqueue(kind: string, brandId: string, payload: unknown, options: { runAt?: number; blob?: Buffer; total?: number } = {}): Promise<JobView> {
    const now = this.clock.now();
    const row: JobRow = {
      id: newId('J'),
      brand_id: brandId,
      kind,
      payload: JSON.stringify(payload),
      status: 'queued',
      progress: 0,
      total: options.total ?? null,
      result: null,
      error: null,
      attempts: 0,
      run_at: options.runAt ?? now,
      locked_by: null,
      locked_until: null,
      created_at: now,
      updated_at: now,
    };
    await this.store.db.transaction().execute(async (trx) => {
      await jobsStore.insert(trx, row);
      if (options.blob) await jobsStore.insertBlob(trx, row.id, options.blob);
    });
    for (const wake of this.wakers) wake();
    return toView(row);
  }

  /** A job of the actor's brand, or undefined (other brands' jobs do not exist for them). */
  async get(brandId: string, id: string): Promise<JobView | undefined> {
    const row = await jobsStore.find(this.store.db, brandId, id);
    return row && toView(row);
  }

  /** What a job of the brand was queued with (the view leaves it out: it may be large). */
  async payload(brandId: string, id: string): Promise<unknown> {
    const row = await jobsStore.find(this.store.db, brandId, id);
    return row ? (JSON.parse(row.payload) as unknown) : undefined;
  }

  /** Claims and runs one due job; false when there was none. */
  async runOne(worker: string): Promise<boolean> {
    const kinds = this.kinds();
    if (kinds.length === 0) return false;
    const job = await jobsStore.claim(this.store.db, this.store.dialect, kinds, worker, this.clock.now(), LEASE_MS);
    if (!job) return false;
    const handler = this.handlers.get(job.kind) as JobHandler;
    const db = this.store.db;
    const ctx: JobContext = {
      job,
      payload: JSON.parse(job.payload) as unknown,
      blob: () => jobsStore.blob(db, job.id),
      progress: (done, total) =>
        jobsStore.update(db, job.id, worker, {
          progress: done,
          ...(total !== undefined ? { total } : {}),
          locked_until: this.clock.now() + LEASE_MS,
          updated_at: this.clock.now(),
        }),
    };
    try {
      const result = await handler(ctx);
      await jobsStore.update(db, job.id, worker, { status: 'done', result: JSON.stringify(result ?? null), locked_by: null, locked_until: null, updated_at: this.clock.now() });
      await jobsStore.deleteBlob(db, job.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const retry = error instanceof TemporaryJobError && job.attempts < MAX_ATTEMPTS;
      const now = this.clock.now();
      await jobsStore.update(db, job.id, worker, {
        status: retry ? 'queued' : 'failed',
        error: message,
        run_at: retry ? now + 1000 * 2 ** job.attempts : job.run_at,
        locked_by: null,
        locked_until: null,
        updated_at: now,
      });
    }
    return true;
  }

  /**
   * Runs jobs until `signal` aborts: back-to-back while there is work, otherwise waiting for an
   * enqueue in this process or the next poll (other processes may enqueue too).
   */
  async work(signal: AbortSignal, options: { pollMs?: number; onError?: (e: unknown) => void } = {}): Promise<void> {
    const worker = `${hostname()}:${process.pid}:${randomBase62(6)}`;
    while (!signal.aborted) {
      let ran = false;
      try {
        ran = await this.runOne(worker);
      } catch (error) {
        options.onError?.(error);
      }
      if (ran) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, options.pollMs ?? 500);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wakers.delete(done);
          resolve();
        }
        const wakers = this.wakers;
        wakers.add(done);
        signal.addEventListener('abort', done);
      });
    }
  }
}

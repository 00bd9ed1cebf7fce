import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FILE_FORMATS, isFileFormat, type FileFormat } from '../domain/export/files.ts';
import type { AccountsService } from './accounts.ts';
import { isBrandAdmin, type Actor } from './actor.ts';
import type { Clock } from './clock.ts';
import { ServiceError, invalidParam } from './errors.ts';
import type { JobContext, JobsService, JobView } from './jobs.ts';
import type { FileExportRequest, ResponsesService } from './responses.ts';

export const EXPORT_JOB = 'export-responses';
/** Finished export files are kept this long for their download link, then swept away. */
export const EXPORT_FILE_TTL_MS = 24 * 3600_000;

interface ExportJobPayload {
  userId: string;
  surveyId: string;
  format: FileFormat;
  options: FileExportRequest;
}

export interface ExportJobResult {
  rows: number;
  file: string;
  fileName: string;
}

/**
 * Exports too big to wait for in a browser: a background job writes the file under
 * DATA_DIR/exports with its progress on the job (shown by the web page), and the file can then be
 * downloaded by the user who asked (or a brand administrator) for a day. A worker that dies mid-way
 * leaves only a `.partial` file; the retried job starts it again.
 */
export class ExportJobsService {
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    private readonly jobs: JobsService,
    private readonly accounts: AccountsService,
    private readonly responses: ResponsesService,
  ) {
    this.dir = join(dataDir, 'exports');
    jobs.register(EXPORT_JOB, (ctx) => this.run(ctx));
  }

  /** Queues an export; every check that can fail up front (permission, survey, format) does here. */
  async start(actor: Actor, surveyId: string, format: string, options: FileExportRequest = {}): Promise<JobView> {
    if (!isFileFormat(format)) throw invalidParam('Format');
    const total = await this.responses.countForExport(actor, surveyId);
    const payload: ExportJobPayload = { userId: actor.userId, surveyId, format, options };
    return this.jobs.enqueue(EXPORT_JOB, actor.brandId, payload, { total });
  }

  /** The job (for its progress) and, once done, where its file is. Other users' exports do not exist. */
  async status(actor: Actor, jobId: string): Promise<{ job: JobView; file?: { path: string; fileName: string; contentType: string } }> {
    const job = await this.jobs.get(actor.brandId, jobId);
    if (!job || job.kind !== EXPORT_JOB) throw new ServiceError('NotFound');
    const owner = ((await this.jobs.payload(actor.brandId, jobId)) as ExportJobPayload).userId;
    if (owner !== actor.userId && !isBrandAdmin(actor)) throw new ServiceError('NotFound');
    const result = job.result as ExportJobResult | null;
    if (job.status !== 'done' || !result) return { job };
    const format = result.file.slice(result.file.lastIndexOf('.') + 1);
    const contentType = Object.values(FILE_FORMATS).find((f) => f.extension === format)?.contentType ?? 'application/octet-stream';
    return { job, file: { path: join(this.dir, result.file), fileName: result.fileName, contentType } };
  }

  /** Deletes export files older than a day (run by the maintenance sweep). */
  async prune(now: number = this.clock.now()): Promise<number> {
    let removed = 0;
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      const info = await stat(join(this.dir, name)).catch(() => undefined);
      if (info && now - info.mtimeMs > EXPORT_FILE_TTL_MS) {
        await rm(join(this.dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }

  private async run(ctx: JobContext): Promise<ExportJobResult> {
    const p = ctx.payload as ExportJobPayload;
    const actor = await this.accounts.actorForUserId(ctx.job.brand_id, p.userId);
    if (!actor) throw new ServiceError('NotFound');
    await mkdir(this.dir, { recursive: true });
    const file = `${ctx.job.id}.${FILE_FORMATS[p.format].extension}`;
    const partial = join(this.dir, `${file}.partial`);
    let reported = 0;
    const { rows } = await this.responses.exportFile(actor, p.surveyId, p.format, p.options, createWriteStream(partial), (done) => {
      // Progress writes cost a query: every few thousand rows is plenty for a progress bar.
      if (done - reported >= 5000) {
        reported = done;
        void ctx.progress(done);
      }
    });
    await ctx.progress(rows, rows);
    await rename(partial, join(this.dir, file));
    return { rows, file, fileName: await this.responses.exportName(actor, p.surveyId, p.format) };
  }
}

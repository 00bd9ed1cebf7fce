import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, JobsTable } from './schema.ts';
import type { Dialect } from './db.ts';

export type JobRow = Selectable<JobsTable>;
type Db = Kysely<Database>;

export const jobsStore = {
  insert: (db: Db, row: JobRow) => db.insertInto('jobs').values(row).execute(),
  insertBlob: (db: Db, jobId: string, data: Buffer) => db.insertInto('job_blobs').values({ job_id: jobId, data }).execute(),
  blob: async (db: Db, jobId: string) => (await db.selectFrom('job_blobs').select('data').where('job_id', '=', jobId).executeTakeFirst())?.data,
  find: (db: Db, brandId: string, id: string) => db.selectFrom('jobs').selectAll().where('brand_id', '=', brandId).where('id', '=', id).executeTakeFirst(),

  /**
   * Claims the next due job of the given kinds in one statement: queued and due, or running with an
   * expired lease (its worker died). PostgreSQL skips rows other workers are claiming right now.
   */
  async claim(db: Db, dialect: Dialect, kinds: string[], worker: string, now: number, leaseMs: number): Promise<JobRow | undefined> {
    const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
    const result = await sql<JobRow>`
      UPDATE jobs SET status = 'running', locked_by = ${worker}, locked_until = ${now + leaseMs},
             attempts = attempts + 1, updated_at = ${now}
       WHERE id = (
         SELECT id FROM jobs
          WHERE kind IN (${sql.join(kinds)})
            AND ((status = 'queued' AND run_at <= ${now}) OR (status = 'running' AND locked_until < ${now}))
          ORDER BY run_at, created_at
          LIMIT 1 ${lock})
      RETURNING *`.execute(db);
    return result.rows[0];
  },

  /** Updates a job this worker still holds; false when the lease was lost (another worker took over). */
  async update(db: Db, id: string, worker: string, set: Partial<JobRow>): Promise<boolean> {
    const res = await db.updateTable('jobs').set(set).where('id', '=', id).where('locked_by', '=', worker).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  },

  deleteBlob: (db: Db, jobId: string) => db.deleteFrom('job_blobs').where('job_id', '=', jobId).execute(),
};

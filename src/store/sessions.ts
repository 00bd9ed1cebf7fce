import type { Kysely, Selectable, Transaction } from 'kysely';
import { preparedRead } from './db.ts';
import type { Statement } from './group-commit.ts';
import type { Database, SurveySessionsTable } from './schema.ts';

export type SessionRow = Selectable<SurveySessionsTable>;
type Db = Kysely<Database> | Transaction<Database>;

/** What a write after the session's start changes. */
export type SessionChange = Pick<SessionRow, 'state' | 'version' | 'updated_at' | 'expires_at' | 'page_shown_at' | 'status' | 'response_id'>;

const COLUMNS = [
  'id', 'brand_id', 'survey_id', 'mode', 'distribution_id', 'recipient_id', 'panel_id', 'state', 'version',
  'started_at', 'updated_at', 'expires_at', 'ip', 'user_agent', 'page_shown_at', 'status', 'response_id',
] as const satisfies readonly (keyof SessionRow)[];

const INSERT_SQL = `INSERT INTO survey_sessions (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
const UPDATE_SQL =
  'UPDATE survey_sessions SET state = ?, version = ?, updated_at = ?, expires_at = ?, page_shown_at = ?, status = ?, response_id = ? ' +
  'WHERE id = ? AND version = ?';

const byId = preparedRead((db, id: string) => db.selectFrom('survey_sessions').selectAll().where('id', '=', id));

/**
 * Respondent sessions. Writes are statements for the group commit (store/group-commit.ts); reads go
 * through Kysely. Every change names the version it was computed from, so two writers working from
 * the same version cannot both succeed.
 */
export const sessionsStore = {
  insert(row: SessionRow): Statement {
    return { sql: INSERT_SQL, params: COLUMNS.map((c) => row[c]) };
  },

  /** The guard of a write: changes the row only while it still has version `fromVersion`. */
  update(id: string, fromVersion: number, change: SessionChange): Statement {
    return {
      sql: UPDATE_SQL,
      params: [change.state, change.version, change.updated_at, change.expires_at, change.page_shown_at, change.status, change.response_id, id, fromVersion],
    };
  },

  find: async (db: Db, id: string): Promise<SessionRow | undefined> => (await byId(db, id)).at(0),

  /** The open session of one recipient of a distribution (a personal link resumes it). */
  findOpenFor: (db: Db, distributionId: string, recipientId: string) =>
    db
      .selectFrom('survey_sessions')
      .selectAll()
      .where('distribution_id', '=', distributionId)
      .where('recipient_id', '=', recipientId)
      .where('status', '=', 'open')
      .orderBy('started_at', 'desc')
      .executeTakeFirst(),

  /** Open sessions whose partial-data deadline has passed, oldest deadline first. */
  listExpired: (db: Db, now: number, limit: number) =>
    db
      .selectFrom('survey_sessions')
      .selectAll()
      .where('status', '=', 'open')
      .where('expires_at', '<=', now)
      .orderBy('expires_at')
      .limit(limit)
      .execute(),
};

// @ts-check
/**
 * The SQLite side of store/group-commit.ts, on a thread of its own. A durable commit waits for an
 * fsync of the WAL, which on a busy disk takes milliseconds; on the server's thread that wait would
 * stop every other request. Here it only holds up the batch being committed.
 *
 * Plain JavaScript because a worker thread does not inherit the TypeScript loader the server runs
 * under. The protocol (types in group-commit.ts):
 *   in:  { id, writes: [{ guard?: {sql, params}, statements: [{sql, params}] }] }
 *   out: { id, outcomes: [null | { stale: true } | { name, message, code }], retried }
 * A batch is one IMMEDIATE transaction with each write in a savepoint of its own, so a failing or
 * stale write rolls back alone; if the commit itself fails, every write is retried on its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

/** @typedef {{ sql: string, params: Array<string | number | null> }} Statement */
/** @typedef {{ guard?: Statement, statements: Statement[] }} Write */
/** @typedef {null | { stale: true } | { name: string, message: string, code: string | undefined }} Outcome */

const db = new SQLite(workerData.file);
for (const pragma of /** @type {string[]} */ (workerData.pragmas)) db.pragma(pragma);

/** @type {Map<string, import('better-sqlite3').Statement>} */
const statements = new Map();
/** @param {string} sql */
function prepare(sql) {
  let stmt = statements.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (statements.size >= 500) statements.delete(/** @type {string} */ (statements.keys().next().value));
    statements.set(sql, stmt);
  }
  return stmt;
}

class StaleWrite extends Error {}

/** @param {Write} write */
function apply(write) {
  if (write.guard && prepare(write.guard.sql).run(...write.guard.params).changes !== 1) throw new StaleWrite();
  for (const s of write.statements) prepare(s.sql).run(...s.params);
}

/** @param {unknown} error @returns {Outcome} */
function outcomeOf(error) {
  if (error instanceof StaleWrite) return { stale: true };
  const e = /** @type {{ name?: unknown, message?: unknown, code?: unknown }} */ (error ?? {});
  return { name: String(e.name ?? 'Error'), message: String(e.message ?? error), code: typeof e.code === 'string' ? e.code : undefined };
}

// Called inside `all`, `one` runs in a savepoint: a failing write rolls back alone.
const one = db.transaction(apply);
const all = db.transaction((/** @type {Write[]} */ writes, /** @type {Outcome[]} */ outcomes) => {
  for (let i = 0; i < writes.length; i++) {
    try {
      one(writes[i]);
      outcomes[i] = null;
    } catch (error) {
      outcomes[i] = outcomeOf(error);
    }
  }
});

/** @param {Write[]} writes */
function commit(writes) {
  /** @type {Outcome[]} */
  const outcomes = new Array(writes.length).fill(null);
  try {
    // IMMEDIATE takes the write lock up front rather than upgrading halfway (no deadlock with readers).
    all.immediate(writes, outcomes);
    return { outcomes, retried: 0 };
  } catch {
    // The commit failed (I/O error, disk full, another process holding the lock past busy_timeout).
  }
  for (let i = 0; i < writes.length; i++) {
    try {
      one.immediate(writes[i]);
      outcomes[i] = null;
    } catch (error) {
      outcomes[i] = outcomeOf(error);
    }
  }
  return { outcomes, retried: writes.length };
}

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
port.on('message', (/** @type {{ id: number, writes: Write[] }} */ { id, writes }) => {
  port.postMessage({ id, ...commit(writes) });
});

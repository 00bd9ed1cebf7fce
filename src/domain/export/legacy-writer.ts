/**
 * The streaming shape every getLegacyResponseData format shares: the caller writes `head()`, then
 * `row(r)` for each response as its cursor yields it, then `tail()`. A writer holds no rows, so
 * memory stays flat however many responses there are.
 */
import type { StoredResponse } from './legacy-export.ts';

export interface LegacyWriter {
  contentType: string;
  head(): string;
  row(r: StoredResponse): string;
  tail(): string;
}

/** Text chunks of at least this many characters (except the last) keep per-chunk overhead low. */
const CHUNK = 64 * 1024;

/**
 * The whole document as chunks, pulling batches of responses from a (database) cursor: per batch
 * rather than per response saves an await per row on million-row exports.
 */
export async function* legacyBatchChunks(
  writer: LegacyWriter,
  batches: AsyncIterable<readonly StoredResponse[]> | Iterable<readonly StoredResponse[]>,
): AsyncGenerator<string> {
  let buf = writer.head();
  for await (const batch of batches) {
    for (const r of batch) {
      buf += writer.row(r);
      if (buf.length >= CHUNK) {
        yield buf;
        buf = '';
      }
    }
  }
  buf += writer.tail();
  if (buf !== '') yield buf;
}

/** The whole document as chunks, pulling responses from a cursor one at a time. */
export function legacyChunks(writer: LegacyWriter, rows: AsyncIterable<StoredResponse> | Iterable<StoredResponse>): AsyncGenerator<string> {
  return legacyBatchChunks(writer, oneByOne(rows));
}

async function* oneByOne(rows: AsyncIterable<StoredResponse> | Iterable<StoredResponse>): AsyncGenerator<StoredResponse[]> {
  for await (const r of rows) yield [r];
}

/** The whole document at once (single responses, tests). */
export function legacyDocument(writer: LegacyWriter, rows: Iterable<StoredResponse>): string {
  let out = writer.head();
  for (const r of rows) out += writer.row(r);
  return out + writer.tail();
}

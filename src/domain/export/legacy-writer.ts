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

/** The whole document as chunks, pulling responses from a (database) cursor one at a time. */
export async function* legacyChunks(writer: LegacyWriter, rows: AsyncIterable<StoredResponse> | Iterable<StoredResponse>): AsyncGenerator<string> {
  let buf = writer.head();
  for await (const r of rows) {
    buf += writer.row(r);
    if (buf.length >= CHUNK) {
      yield buf;
      buf = '';
    }
  }
  buf += writer.tail();
  if (buf !== '') yield buf;
}

/** The whole document at once (single responses, tests). */
export function legacyDocument(writer: LegacyWriter, rows: Iterable<StoredResponse>): string {
  let out = writer.head();
  for (const r of rows) out += writer.row(r);
  return out + writer.tail();
}

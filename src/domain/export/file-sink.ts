/**
 * Writing an export into the caller's Writable (an HTTP response, a file) with backpressure: the
 * export pulls the next rows only once the sink has room, so memory stays flat however slow the
 * reader is. A sink that closes or fails early (a client that went away) stops the export with an
 * error instead of leaving it waiting for a 'drain' that never comes.
 */
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';

export class SinkClosedError extends Error {
  constructor() {
    super('The export destination closed before the export finished');
  }
}

/** Resolves on `source`'s next 'drain'; rejects if the sink errors or closes first. */
export function drained(source: EventEmitter, sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (sink.destroyed) return reject(sink.errored ?? new SinkClosedError());
    const done = (err?: Error): void => {
      source.off('drain', onDrain);
      sink.off('error', onError);
      sink.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onError = (err: Error): void => done(err);
    const onClose = (): void => done(sink.errored ?? new SinkClosedError());
    source.on('drain', onDrain);
    sink.on('error', onError);
    sink.on('close', onClose);
  });
}

export async function writeChunk(sink: Writable, chunk: Buffer): Promise<void> {
  if (!sink.write(chunk)) await drained(sink, sink);
}

/** Ends the sink and resolves once everything written has been flushed. */
export function endSink(sink: Writable): Promise<void> {
  // The xlsx writer's zip ends the sink itself.
  if (sink.writableFinished) return Promise.resolve();
  const finished = whileOpen(new Promise<void>((resolve) => sink.once('finish', resolve)), sink);
  sink.end();
  return finished;
}

/** `work`, unless the sink fails or closes before it has finished (then nothing else would end it). */
export function whileOpen<T>(work: Promise<T>, sink: Writable): Promise<T> {
  if (sink.writableFinished) return work;
  return new Promise<T>((resolve, reject) => {
    const onError = (err: Error): void => stop(err);
    const onClose = (): void => {
      if (!sink.writableFinished) stop(sink.errored ?? new SinkClosedError());
    };
    const stop = (err: Error): void => {
      sink.off('error', onError);
      sink.off('close', onClose);
      reject(err);
    };
    sink.on('error', onError);
    sink.on('close', onClose);
    work.then(
      (v) => {
        sink.off('error', onError);
        sink.off('close', onClose);
        resolve(v);
      },
      (err: unknown) => stop(err instanceof Error ? err : new Error(String(err))),
    );
  });
}

export const PROGRESS_EVERY = 1000;

/**
 * Counts rows as the writer takes them (a row counts once the writer asks for the next) and reports
 * progress every PROGRESS_EVERY rows.
 */
export async function* counted<T>(rows: AsyncIterable<T> | Iterable<T>, count: { rows: number }, onProgress?: (rowsDone: number) => void): AsyncGenerator<T> {
  const done = (): void => {
    count.rows++;
    if (onProgress && count.rows % PROGRESS_EVERY === 0) onProgress(count.rows);
  };
  if (Symbol.asyncIterator in rows) {
    for await (const r of rows) {
      yield r;
      done();
    }
  } else {
    // `for await` over a plain iterable would wait a turn for every row on top of the yield.
    for (const r of rows) {
      yield r;
      done();
    }
  }
}

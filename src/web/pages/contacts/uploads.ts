import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { randomBase62 } from '../../../domain/ids.ts';
import type { Actor } from '../../../services/actor.ts';

/** An uploaded CSV waits this long for its mapping step; then it is swept. */
export const UPLOAD_TTL_MS = 60 * 60 * 1000;

export interface ImportResult {
  panelId: string;
  count: number;
  ignoredCount: number;
}

/** What we keep beside an uploaded CSV between the steps of an import (never the CSV itself in a form). */
export interface UploadMeta {
  id: string;
  brandId: string;
  userId: string;
  libraryId: string;
  /** The panel to append to; null when the import creates a new panel. */
  panelId: string | null;
  panelName: string;
  category: string;
  /** Whether the first row holds column names. */
  headers: boolean;
  filename: string;
  size: number;
  createdAt: number;
  result?: ImportResult;
}

export interface ReceivedFile {
  path: string;
  filename: string;
  size: number;
  truncated: boolean;
}

const ID = /^[0-9A-Za-z]{24}$/;

/**
 * Uploaded CSV files, kept under DATA_DIR/uploads as `<random id>.csv` with a `<id>.json` beside it
 * that binds them to the user who sent them. Times here are wall-clock (file mtimes are), not the
 * services' clock. Several app processes see the same files when they share DATA_DIR.
 */
export class Uploads {
  readonly dir: string;
  /**
   * Import progress in this process, for the status endpoint: members stored of about `total` rows.
   * In memory only: a poll that reaches another app process sees "waiting" (the bar stays indeterminate).
   */
  private readonly progress = new Map<string, { done: number; total: number }>();

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'uploads');
  }

  /** A path for an incoming file, before we know who it belongs to (the CSRF check comes later). */
  async receive(file: Readable, filename: string): Promise<ReceivedFile> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `incoming-${randomBase62(24)}.part`);
    try {
      await pipeline(file, createWriteStream(path, { mode: 0o600 }));
    } catch (error) {
      // A client that goes away mid-upload leaves no partial file behind.
      await rm(path, { force: true });
      throw error;
    }
    const size = (await stat(path)).size;
    return { path, filename, size, truncated: (file as Readable & { truncated?: boolean }).truncated === true };
  }

  async discard(file: ReceivedFile): Promise<void> {
    await rm(file.path, { force: true });
  }

  async adopt(actor: Actor, file: ReceivedFile, target: Omit<UploadMeta, 'id' | 'brandId' | 'userId' | 'filename' | 'size' | 'createdAt'>): Promise<UploadMeta> {
    const id = randomBase62(24);
    const meta: UploadMeta = { id, brandId: actor.brandId, userId: actor.userId, filename: file.filename, size: file.size, createdAt: Date.now(), ...target };
    await rename(file.path, this.csvPath(id));
    await this.save(meta);
    return meta;
  }

  csvPath(id: string): string {
    if (!ID.test(id)) throw new Error('bad upload id');
    return join(this.dir, `${id}.csv`);
  }

  private metaPath(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  async save(meta: UploadMeta): Promise<void> {
    await writeFile(this.metaPath(meta.id), JSON.stringify(meta), { mode: 0o600 });
  }

  /** The upload, only for the user who sent it and only while it is fresh; undefined otherwise. */
  async load(actor: Actor, id: string): Promise<UploadMeta | undefined> {
    if (!ID.test(id)) return undefined;
    let meta: UploadMeta;
    try {
      meta = JSON.parse(await readFile(this.metaPath(id), 'utf8')) as UploadMeta;
    } catch {
      return undefined;
    }
    if (meta.userId !== actor.userId || meta.brandId !== actor.brandId) return undefined;
    if (Date.now() - meta.createdAt > UPLOAD_TTL_MS) {
      await this.remove(id);
      return undefined;
    }
    return meta;
  }

  /** After an import the CSV goes at once; the small result record stays until the sweep. */
  async finish(meta: UploadMeta, result: ImportResult): Promise<void> {
    await this.save({ ...meta, result });
    await rm(this.csvPath(meta.id), { force: true });
    this.progress.delete(meta.id);
  }

  async remove(id: string): Promise<void> {
    this.progress.delete(id);
    await rm(this.csvPath(id), { force: true });
    await rm(this.metaPath(id), { force: true });
  }

  setProgress(id: string, done: number, total: number): void {
    this.progress.set(id, { done, total });
  }

  getProgress(id: string): { done: number; total: number } | undefined {
    return this.progress.get(id);
  }

  clearProgress(id: string): void {
    this.progress.delete(id);
  }

  /** Deletes every upload (and stray partial file) older than the TTL. Cheap: one directory listing. */
  async sweep(now = Date.now()): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      try {
        if (now - (await stat(path)).mtimeMs > UPLOAD_TTL_MS) await rm(path, { force: true });
      } catch {
        // Another process swept it first.
      }
    }
  }
}

/**
 * A streaming zip writer (PKWARE APPNOTE 6.3): entries are deflated one after another straight into
 * the caller's Writable, each followed by a data descriptor (its size and CRC are known only at its
 * end), then the central directory. Nothing but the current entry's zlib buffers is held, and every
 * write waits while the sink is full.
 *
 * Deflating runs on zlib's thread pool, so compressing overlaps with producing the next chunk. Sizes
 * and offsets past 4 GiB are written in the Zip64 extra field and records, as the spec asks (a sheet
 * of a million rows and many long answers can pass 4 GiB uncompressed).
 *
 *   const zip = new ZipWriter(sink);
 *   const entry = zip.entry('xl/worksheets/sheet1.xml');
 *   await entry.write(Buffer.from(xml));
 *   await entry.end();
 *   await zip.finish(); // the central directory; the sink is left open
 */
import type { TransformOptions, Writable } from 'node:stream';
import zlib from 'node:zlib';
import { drained, writeChunk } from './file-sink.ts';

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const ZIP64_END_OF_CENTRAL = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
/** Bit 3: sizes and CRC follow the data; bit 11: the name is UTF-8. */
const FLAGS = 0x0008 | 0x0800;
const DEFLATE = 8;
const VERSION = 20;
const VERSION_ZIP64 = 45;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Output chunks of zlib: larger than its 16 KiB default, for fewer writes to the sink. */
const ZLIB_CHUNK = 64 * 1024;
/**
 * What zlib may hold on each side. Input: room for the next chunk while the previous one is being
 * compressed, so the caller and the thread pool work at once. Output: small, because compressed
 * bytes waiting for a slow sink stand for many more rows pulled.
 */
const ZLIB_IN_BUFFER = 1024 * 1024;
const ZLIB_OUT_BUFFER = 64 * 1024;

interface Written {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

export interface ZipOptions {
  /** zlib's deflate level, 1 (fastest) to 9 (smallest); default 6. */
  level?: number;
  /** The entries' modification time; default now. */
  date?: Date;
}

export class ZipWriter {
  private offset = 0;
  private readonly written: Written[] = [];
  private readonly level: number;
  private readonly dosTime: number;
  private readonly dosDate: number;
  private open: ZipEntry | undefined;

  constructor(
    private readonly sink: Writable,
    options: ZipOptions = {},
  ) {
    this.level = options.level ?? 6;
    const d = options.date ?? new Date();
    this.dosTime = (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1);
    this.dosDate = (Math.max(0, d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate();
  }

  /** Starts the next entry; the previous one must have ended. */
  entry(name: string): ZipEntry {
    if (this.open) throw new Error(`zip entry ${this.open.name} has not ended`);
    const entry = new ZipEntry(this, name, this.level);
    this.open = entry;
    return entry;
  }

  /** A whole small entry at once. */
  async file(name: string, data: string | Buffer): Promise<void> {
    const entry = this.entry(name);
    await entry.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    await entry.end();
  }

  /** Writes the central directory (the sink is left open for the caller to end). */
  async finish(): Promise<void> {
    if (this.open) throw new Error(`zip entry ${this.open.name} has not ended`);
    const start = this.offset;
    for (const w of this.written) await this.out(centralHeader(w, this.dosTime, this.dosDate));
    const size = this.offset - start;
    const count = this.written.length;
    if (count > MAX16 || start >= MAX32 || size >= MAX32) await this.out(zip64End(count, size, start, this.offset));
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END_OF_CENTRAL, 0);
    end.writeUInt16LE(Math.min(count, MAX16), 8);
    end.writeUInt16LE(Math.min(count, MAX16), 10);
    end.writeUInt32LE(Math.min(size, MAX32), 12);
    end.writeUInt32LE(Math.min(start, MAX32), 16);
    await this.out(end);
  }

  /** @internal Bytes into the sink, counted for the offsets. */
  async out(chunk: Buffer): Promise<void> {
    this.offset += chunk.length;
    await writeChunk(this.sink, chunk);
  }

  /** @internal */
  get position(): number {
    return this.offset;
  }

  /** @internal */
  get destination(): Writable {
    return this.sink;
  }

  /** @internal */
  localHeader(name: Buffer): Buffer {
    const h = Buffer.alloc(30);
    h.writeUInt32LE(LOCAL_HEADER, 0);
    h.writeUInt16LE(VERSION, 4);
    h.writeUInt16LE(FLAGS, 6);
    h.writeUInt16LE(DEFLATE, 8);
    h.writeUInt16LE(this.dosTime, 10);
    h.writeUInt16LE(this.dosDate, 12);
    // CRC and sizes (bytes 14–25) stay zero: the data descriptor carries them.
    h.writeUInt16LE(name.length, 26);
    return Buffer.concat([h, name]);
  }

  /** @internal */
  ended(entry: ZipEntry, w: Written): void {
    if (this.open === entry) this.open = undefined;
    this.written.push(w);
  }
}

export class ZipEntry {
  private readonly deflate: zlib.DeflateRaw;
  /** Copies zlib's output into the sink as it comes. */
  private readonly pumped: Promise<void>;
  private readonly nameBytes: Buffer;
  private readonly offset: number;
  private readonly started: Promise<void>;
  private crc = 0;
  private size = 0;
  private compressed = 0;

  constructor(
    private readonly zip: ZipWriter,
    readonly name: string,
    level: number,
  ) {
    this.nameBytes = Buffer.from(name, 'utf8');
    this.offset = zip.position;
    this.started = zip.out(zip.localHeader(this.nameBytes));
    const options: zlib.ZlibOptions & TransformOptions = { level, chunkSize: ZLIB_CHUNK, readableHighWaterMark: ZLIB_OUT_BUFFER, writableHighWaterMark: ZLIB_IN_BUFFER };
    this.deflate = zlib.createDeflateRaw(options);
    this.pumped = this.pump();
    // Awaited by end(); until then a failure shows in write() through the sink or zlib.
    this.pumped.catch(() => undefined);
  }

  /** Adds uncompressed data; resolves when zlib can take more. */
  async write(data: Buffer): Promise<void> {
    await this.started;
    if (data.length === 0) return;
    this.crc = crc32(data, this.crc);
    this.size += data.length;
    if (!this.deflate.write(data)) await Promise.race([drained(this.deflate, this.zip.destination), this.failed()]);
  }

  /** Flushes the entry and writes its data descriptor. */
  async end(): Promise<void> {
    await this.started;
    this.deflate.end();
    await this.pumped;
    const zip64 = this.size >= MAX32 || this.compressed >= MAX32;
    const d = Buffer.alloc(zip64 ? 24 : 16);
    d.writeUInt32LE(DATA_DESCRIPTOR, 0);
    d.writeUInt32LE(this.crc, 4);
    if (zip64) {
      d.writeBigUInt64LE(BigInt(this.compressed), 8);
      d.writeBigUInt64LE(BigInt(this.size), 16);
    } else {
      d.writeUInt32LE(this.compressed, 8);
      d.writeUInt32LE(this.size, 12);
    }
    await this.zip.out(d);
    this.zip.ended(this, { name: this.nameBytes, crc: this.crc, compressed: this.compressed, size: this.size, offset: this.offset });
  }

  /** Abandons the entry (the export failed); the zip is left unfinished. */
  destroy(): void {
    this.deflate.destroy();
  }

  private async pump(): Promise<void> {
    await this.started;
    try {
      for await (const chunk of this.deflate as AsyncIterable<Buffer>) {
        this.compressed += chunk.length;
        await this.zip.out(chunk);
      }
    } catch (err) {
      this.deflate.destroy();
      throw err;
    }
  }

  /** Rejects when copying into the sink has failed (never resolves otherwise). */
  private failed(): Promise<never> {
    return this.pumped.then(() => new Promise<never>(() => undefined));
  }
}

function centralHeader(w: Written, dosTime: number, dosDate: number): Buffer {
  const big = [w.size >= MAX32 ? w.size : undefined, w.compressed >= MAX32 ? w.compressed : undefined, w.offset >= MAX32 ? w.offset : undefined].filter((v): v is number => v !== undefined);
  const extra = Buffer.alloc(big.length === 0 ? 0 : 4 + 8 * big.length);
  if (big.length > 0) {
    extra.writeUInt16LE(ZIP64_EXTRA, 0);
    extra.writeUInt16LE(8 * big.length, 2);
    big.forEach((v, i) => extra.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  }
  const h = Buffer.alloc(46);
  h.writeUInt32LE(CENTRAL_HEADER, 0);
  h.writeUInt16LE(big.length > 0 ? VERSION_ZIP64 : VERSION, 4);
  h.writeUInt16LE(big.length > 0 ? VERSION_ZIP64 : VERSION, 6);
  h.writeUInt16LE(FLAGS, 8);
  h.writeUInt16LE(DEFLATE, 10);
  h.writeUInt16LE(dosTime, 12);
  h.writeUInt16LE(dosDate, 14);
  h.writeUInt32LE(w.crc, 16);
  h.writeUInt32LE(Math.min(w.compressed, MAX32), 20);
  h.writeUInt32LE(Math.min(w.size, MAX32), 24);
  h.writeUInt16LE(w.name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE(Math.min(w.offset, MAX32), 42);
  return Buffer.concat([h, w.name, extra]);
}

/** The Zip64 end of central directory record and its locator. */
function zip64End(count: number, size: number, start: number, at: number): Buffer {
  const r = Buffer.alloc(56 + 20);
  r.writeUInt32LE(ZIP64_END_OF_CENTRAL, 0);
  r.writeBigUInt64LE(44n, 4);
  r.writeUInt16LE(VERSION_ZIP64, 12);
  r.writeUInt16LE(VERSION_ZIP64, 14);
  r.writeBigUInt64LE(BigInt(count), 24);
  r.writeBigUInt64LE(BigInt(count), 32);
  r.writeBigUInt64LE(BigInt(size), 40);
  r.writeBigUInt64LE(BigInt(start), 48);
  r.writeUInt32LE(ZIP64_LOCATOR, 56);
  r.writeBigUInt64LE(BigInt(at), 56 + 8);
  r.writeUInt32LE(1, 56 + 16);
  return r;
}

const crc32: (data: Buffer, value: number) => number = typeof zlib.crc32 === 'function' ? zlib.crc32 : tableCrc32;

let table: Uint32Array | undefined;

/** Node before 20.15 has no zlib.crc32. */
function tableCrc32(data: Buffer, value: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

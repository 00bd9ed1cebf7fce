/**
 * SPSS system file (.sav) writer, written from the published system-file format (the PSPP
 * developers' guide, "System File Format"). Streaming: the dictionary is known up front, cases are
 * encoded one at a time into 64 KiB chunks, so memory stays flat whatever the number of rows.
 *
 * What it writes: UTF-8 text (character-encoding record 20, code page 65001), long variable names
 * (record 13), strings of any width up to 32767 bytes (continuation records; segments and record
 * 14 beyond 255 bytes), variable labels, value labels (records 3/4 for numbers and strings up to 8
 * bytes, record 21 for wider strings), measure levels (record 11), the machine records 3 and 4,
 * and data either bytecode-compressed (the default, as SPSS writes it) or plain.
 *
 * The case count in the header is -1 ("unknown", which SPSS and PSPP accept) unless the caller
 * passes `cases`; a caller writing to a seekable file can patch it afterwards with
 * {@link savCaseCountPatch}. Numbers are written in the platform's byte order (the header says
 * which), so the hot path can store doubles without byte swapping.
 */

export type SavMeasure = 'nominal' | 'ordinal' | 'scale';
export type SavFormat = 'F' | 'DATETIME' | 'A';
export type SavValue = number | string | Date | null | undefined;

export interface SavVariable {
  /** A legal SPSS name (see {@link savVariableName}); unique ignoring case. */
  name: string;
  label?: string;
  type: 'numeric' | 'string';
  /** String width in bytes (1..32767, default 255). Longer values are cut at a character boundary. */
  width?: number;
  /** Decimal places shown: F default 2 (SPSS's F8.2), DATETIME default 0 (fractional seconds). */
  decimals?: number;
  /** Default: nominal for strings and labelled numbers, scale for other numbers. */
  measure?: SavMeasure;
  valueLabels?: ReadonlyArray<readonly [number | string, string]>;
  /** Default F for numbers, A for strings. DATETIME values are {@link spssDate} seconds. */
  format?: SavFormat;
}

export interface SavOptions {
  fileLabel?: string;
  /** Creation stamp in the header (UTC fields); default now. */
  created?: Date;
  compression?: 'none' | 'bytecode';
  /** The number of rows the caller will write, when known up front; end() checks it. */
  cases?: number;
}

export interface SavWriter {
  /** The file header and dictionary: the first bytes of the file. */
  header(): Buffer;
  /**
   * Encodes one case (values in variable order). Returns the next chunk of the file once about
   * 64 KiB are ready, otherwise an empty buffer; each returned buffer is the caller's to keep.
   */
  row(values: ReadonlyArray<SavValue>): Buffer;
  /** The remaining bytes; the file is header() + every row() chunk + end(). */
  end(): Buffer;
  /** Rows written so far. */
  readonly cases: number;
}

/** Seconds from the SPSS epoch (1582-10-14 00:00) to the Unix epoch. */
const SPSS_EPOCH_OFFSET = 12_219_379_200;

/**
 * Milliseconds since the Unix epoch as an SPSS date-time: seconds since 1582-10-14. SPSS times
 * have no zone, so the value reads back as UTC wall-clock time; to show another zone's wall clock,
 * add that zone's offset to `ms` first.
 */
export function spssDate(ms: number): number {
  return ms / 1000 + SPSS_EPOCH_OFFSET;
}

/** Byte offset of the int32 case count in the header, for {@link savCaseCountPatch}. */
export const SAV_CASE_COUNT_OFFSET = 80;

const IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes to write at `position` of a finished file to record its case count. */
export function savCaseCountPatch(cases: number): { position: number; bytes: Buffer } {
  const bytes = Buffer.alloc(4);
  const n = cases > 0x7fffffff ? -1 : cases;
  if (IS_LE) bytes.writeInt32LE(n);
  else bytes.writeInt32BE(n);
  return { position: SAV_CASE_COUNT_OFFSET, bytes };
}

// ---- names ------------------------------------------------------------------------------------

const RESERVED = new Set(['ALL', 'AND', 'BY', 'EQ', 'GE', 'GT', 'LE', 'LT', 'NE', 'NOT', 'OR', 'TO', 'WITH']);
const MAX_NAME_BYTES = 64;
const NAME_RE = /^[\p{L}@][\p{L}\p{M}\p{N}._$#@]*$/u;

/** Whether `name` is a legal SPSS variable name (SPSS also refuses a final period). */
export function isSavName(name: string): boolean {
  return NAME_RE.test(name) && !name.endsWith('.') && Buffer.byteLength(name) <= MAX_NAME_BYTES && !RESERVED.has(name.toUpperCase());
}

/**
 * A legal SPSS variable name for an export column name, unique (ignoring case) against `taken`,
 * which holds upper-cased names and gains the result. Disallowed characters become `_`; a name that
 * cannot start as it is, or is a reserved word, gets a `V` prefix; a trailing `.` or `_` is
 * dropped; duplicates get `_2`, `_3`… ("Q1_TEXT", "V1", "Q3#1_2" and "Q1.1" are kept as they are).
 */
export function savVariableName(raw: string, taken: Set<string>): string {
  let base = trimName(raw.normalize('NFC').replace(/[^\p{L}\p{M}\p{N}._$#@]+/gu, '_'), MAX_NAME_BYTES);
  if (!/^[\p{L}@]/u.test(base) || RESERVED.has(base.toUpperCase())) base = trimName(`V${base}`, MAX_NAME_BYTES);
  let name = base;
  for (let n = 2; taken.has(name.toUpperCase()); n++) name = `${trimName(base, MAX_NAME_BYTES - String(n).length - 1)}_${n}`;
  taken.add(name.toUpperCase());
  return name;
}

/** Cuts to `maxBytes` of UTF-8 and drops a trailing `.` or `_`; never empty. */
function trimName(name: string, maxBytes: number): string {
  return utf8Prefix(name, maxBytes).toString('utf8').replace(/[._]+$/, '') || 'V';
}

/** The longest UTF-8 prefix of `text` that fits `maxBytes` without splitting a character. */
function utf8Prefix(text: string, maxBytes: number): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length <= maxBytes) return b;
  let cut = maxBytes;
  while (cut > 0 && (b[cut] & 0xc0) === 0x80) cut--;
  return b.subarray(0, cut);
}

/**
 * 8-byte ASCII names for the variable records; the long-names record maps them to the real ones.
 * Names that are already valid short names keep theirs, so a long name never equals another
 * variable's short name (PSPP then refuses the rename).
 */
function assignShortNames(plans: VarPlan[]): void {
  const taken = new Set<string>();
  const natural = (name: string) => (/^[A-Za-z@][A-Za-z0-9@#$_.]{0,7}$/.test(name) && !name.endsWith('.') ? name.toUpperCase() : undefined);
  for (const p of plans) {
    const n = natural(p.name);
    if (n !== undefined && !taken.has(n)) {
      p.segments[0].shortName = n;
      taken.add(n);
    }
  }
  const unique = (base: string) => {
    let s = base;
    for (let n = 1; taken.has(s); n++) s = base.slice(0, 8 - String(n).length) + n;
    taken.add(s);
    return s;
  };
  for (const p of plans) {
    let base = p.name.toUpperCase().replace(/[^A-Z0-9@#$_.]/g, '').slice(0, 8).replace(/\.+$/, '');
    if (!/^[A-Z@]/.test(base) || RESERVED.has(base)) base = 'V';
    for (const seg of p.segments) if (!seg.shortName) seg.shortName = unique(base);
  }
}

// ---- dictionary plan --------------------------------------------------------------------------

const MAX_STRING = 32767;
const MAX_SHORT_SEGMENT = 255;
const LABEL_MAX_BYTES = 255;
/** SPSS documents 120 bytes as the longest value label. */
const VALUE_LABEL_MAX_BYTES = 120;
const MEASURES: Record<SavMeasure, number> = { nominal: 1, ordinal: 2, scale: 3 };
const FORMAT_CODES = { A: 1, F: 5, DATETIME: 22 } as const;

interface Segment {
  shortName: string;
  /** Width declared in the segment's variable record. */
  width: number;
  /** Bytes the segment takes in a case (width rounded up to 8). */
  bytes: number;
  /** Bytes of the value stored in this segment: 255 per segment, as the format packs them. */
  capacity: number;
}

interface VarPlan {
  name: string;
  label: string | undefined;
  /** 0 for numbers, else the string width in bytes. */
  width: number;
  segments: Segment[];
  /** 1-based index of the variable's first record (the format's "dictionary index"). */
  index: number;
  format: number;
  measure: number;
  displayWidth: number;
  labels: Array<[number | string, string]>;
}

function planVariables(variables: ReadonlyArray<SavVariable>): VarPlan[] {
  if (variables.length === 0) throw new RangeError('an SPSS file needs at least one variable');
  const names = new Set<string>();
  let index = 1;
  const plans = variables.map((v) => {
    if (!isSavName(v.name)) throw new RangeError(`"${v.name}" is not a legal SPSS variable name (see savVariableName)`);
    const key = v.name.toUpperCase();
    if (names.has(key)) throw new RangeError(`duplicate SPSS variable name "${v.name}"`);
    names.add(key);
    const p = v.type === 'string' ? planString(v) : planNumeric(v);
    p.index = index;
    for (const s of p.segments) index += s.bytes / 8;
    return p;
  });
  assignShortNames(plans);
  return plans;
}

function planNumeric(v: SavVariable): VarPlan {
  const fmt = v.format ?? 'F';
  if (fmt === 'A') throw new RangeError(`numeric variable ${v.name} cannot have format A`);
  const datetime = fmt === 'DATETIME';
  const d = Math.trunc(v.decimals ?? (datetime ? 0 : 2));
  if (d < 0 || d > (datetime ? 6 : 16)) throw new RangeError(`${v.name}: ${d} decimals is out of range`);
  // DATETIME20 is dd-mmm-yyyy hh:mm:ss; decimals add ".ddd". F keeps SPSS's minimum width of 8.
  const w = datetime ? (d ? 21 + d : 20) : Math.max(8, d + 3);
  const labels = (v.valueLabels ?? []).map(([value, label]): [number, string] => {
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n)) throw new RangeError(`${v.name}: value label key ${String(value)} is not a number`);
    return [n, label];
  });
  return {
    name: v.name, label: v.label, width: 0, index: 0,
    segments: [{ shortName: '', width: 0, bytes: 8, capacity: 0 }],
    format: formatCode(FORMAT_CODES[fmt], w, d),
    measure: MEASURES[v.measure ?? (labels.length ? 'nominal' : 'scale')],
    displayWidth: w,
    labels: dedupe(labels),
  };
}

function planString(v: SavVariable): VarPlan {
  if ((v.format ?? 'A') !== 'A') throw new RangeError(`string variable ${v.name} must have format A`);
  if (v.measure === 'scale') throw new RangeError(`string variable ${v.name} cannot be measured on a scale`);
  const width = v.width ?? 255;
  if (!Number.isInteger(width) || width < 1 || width > MAX_STRING) throw new RangeError(`${v.name}: string width ${width} is out of range 1..${MAX_STRING}`);
  const labels = (v.valueLabels ?? []).map(([value, label]): [string, string] => [utf8Prefix(String(value), width).toString('utf8'), label]);
  return {
    name: v.name, label: v.label, width, index: 0,
    segments: stringSegments(width),
    format: formatCode(FORMAT_CODES.A, Math.min(width, MAX_SHORT_SEGMENT), 0),
    measure: MEASURES[v.measure ?? 'nominal'],
    displayWidth: Math.min(width, 32),
    labels: dedupe(labels),
  };
}

/** Strings over 255 bytes: one segment per 252 bytes of width, each but the last 255 wide. */
function stringSegments(width: number): Segment[] {
  if (width <= MAX_SHORT_SEGMENT) return [{ shortName: '', width, bytes: roundUp8(width), capacity: width }];
  const n = Math.ceil(width / 252);
  const out: Segment[] = [];
  for (let i = 0; i < n; i++) {
    const w = i < n - 1 ? 255 : width - i * 252;
    out.push({ shortName: '', width: w, bytes: roundUp8(w), capacity: Math.max(0, Math.min(255, width - i * 255)) });
  }
  return out;
}

const roundUp8 = (n: number) => (n + 7) & ~7;
const formatCode = (type: number, w: number, d: number) => (type << 16) | (w << 8) | d;

/** Keeps the first label for each value: SPSS warns about (and PSPP drops) repeats. */
function dedupe<T extends number | string>(labels: Array<[T, string]>): Array<[T, string]> {
  const seen = new Set<T>();
  return labels.filter(([value]) => !seen.has(value) && (seen.add(value), true));
}

// ---- header -----------------------------------------------------------------------------------

/** Little builder for the dictionary, which is written once and is small. */
class Bytes {
  private parts: Buffer[] = [];
  private length = 0;

  int32(n: number): this {
    const b = Buffer.allocUnsafe(4);
    if (IS_LE) b.writeInt32LE(n);
    else b.writeInt32BE(n);
    return this.raw(b);
  }

  float64(n: number): this {
    const b = Buffer.allocUnsafe(8);
    if (IS_LE) b.writeDoubleLE(n);
    else b.writeDoubleBE(n);
    return this.raw(b);
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    this.length += b.length;
    return this;
  }

  /** `bytes` padded with `pad` to `size` (cut if longer). */
  fixed(bytes: Buffer, size: number, pad = 0x20): this {
    const b = Buffer.alloc(size, pad);
    bytes.copy(b, 0, 0, Math.min(size, bytes.length));
    return this.raw(b);
  }

  get size(): number {
    return this.length;
  }

  done(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n % 100).padStart(2, '0');

function buildHeader(plans: VarPlan[], options: SavOptions, slots: number): Buffer {
  const out = new Bytes();
  const created = options.created ?? new Date();
  out.raw(Buffer.from('$FL2', 'latin1'));
  out.fixed(Buffer.from('@(#) SPSS DATA FILE Insight', 'latin1'), 60);
  out.int32(2).int32(slots).int32(options.compression === 'none' ? 0 : 1).int32(0);
  out.int32(options.cases !== undefined && options.cases <= 0x7fffffff ? options.cases : -1);
  out.float64(100);
  out.fixed(Buffer.from(`${two(created.getUTCDate())} ${MONTHS[created.getUTCMonth()]} ${two(created.getUTCFullYear())}`, 'latin1'), 9);
  out.fixed(Buffer.from(`${two(created.getUTCHours())}:${two(created.getUTCMinutes())}:${two(created.getUTCSeconds())}`, 'latin1'), 8);
  out.fixed(utf8Prefix(options.fileLabel ?? '', 64), 64);
  out.fixed(Buffer.alloc(0), 3, 0);
  for (const p of plans) variableRecords(out, p);
  for (const p of plans) if (p.labels.length && p.width <= 8) valueLabelRecords(out, p);
  machineRecords(out);
  displayRecord(out, plans);
  textRecord(out, 13, plans.map((p) => `${p.segments[0].shortName}=${p.name}`).join('\t'));
  const veryLong = plans.filter((p) => p.segments.length > 1);
  if (veryLong.length) textRecord(out, 14, veryLong.map((p) => `${p.segments[0].shortName}=${String(p.width).padStart(5, '0')}\0\t`).join(''));
  textRecord(out, 20, 'UTF-8');
  longStringLabelRecord(out, plans);
  return out.int32(999).int32(0).done();
}

function variableRecords(out: Bytes, p: VarPlan): void {
  p.segments.forEach((seg, i) => {
    const label = i === 0 && p.label ? utf8Prefix(p.label, LABEL_MAX_BYTES) : undefined;
    const format = i === 0 ? p.format : formatCode(FORMAT_CODES.A, seg.width, 0);
    out.int32(2).int32(seg.width).int32(label ? 1 : 0).int32(0).int32(format).int32(format);
    out.fixed(Buffer.from(seg.shortName, 'latin1'), 8);
    if (label) out.int32(label.length).fixed(label, (label.length + 3) & ~3, 0x20);
    for (let extra = 8; extra < seg.bytes; extra += 8) out.int32(2).int32(-1).int32(0).int32(0).int32(0).int32(0).fixed(Buffer.alloc(0), 8);
  });
}

function valueLabelRecords(out: Bytes, p: VarPlan): void {
  out.int32(3).int32(p.labels.length);
  for (const [value, label] of p.labels) {
    if (typeof value === 'number') out.float64(value);
    else out.fixed(Buffer.from(value, 'utf8'), 8);
    const text = utf8Prefix(label, VALUE_LABEL_MAX_BYTES);
    out.raw(Buffer.from([text.length])).fixed(text, roundUp8(text.length + 1) - 1, 0x20);
  }
  out.int32(4).int32(1).int32(p.index);
}

function machineRecords(out: Bytes): void {
  // Version 1.0.0, machine -1, IEEE 754, compression code 1, endianness, code page 65001 (UTF-8).
  out.int32(7).int32(3).int32(4).int32(8);
  for (const n of [1, 0, 0, -1, 1, 1, IS_LE ? 2 : 1, 65001]) out.int32(n);
  // System-missing (-DBL_MAX), HIGHEST (DBL_MAX) and LOWEST (the next double above -DBL_MAX).
  const lowest = Buffer.alloc(8);
  lowest.writeBigUInt64LE(0xffef_ffff_ffff_fffen);
  out.int32(7).int32(4).int32(8).int32(3).float64(-Number.MAX_VALUE).float64(Number.MAX_VALUE).float64(lowest.readDoubleLE());
}

function displayRecord(out: Bytes, plans: VarPlan[]): void {
  const count = plans.reduce((n, p) => n + p.segments.length, 0);
  out.int32(7).int32(11).int32(4).int32(count * 3);
  for (const p of plans) {
    p.segments.forEach((seg, i) => {
      // Alignment: strings left (0), numbers right (1).
      out.int32(p.measure).int32(i === 0 ? p.displayWidth : Math.max(1, Math.min(seg.capacity, 32))).int32(p.width ? 0 : 1);
    });
  }
}

function textRecord(out: Bytes, subtype: number, text: string): void {
  const b = Buffer.from(text, 'utf8');
  out.int32(7).int32(subtype).int32(1).int32(b.length).raw(b);
}

function longStringLabelRecord(out: Bytes, plans: VarPlan[]): void {
  const body = new Bytes();
  for (const p of plans) {
    if (p.width <= 8 || !p.labels.length) continue;
    const name = Buffer.from(p.name, 'utf8');
    body.int32(name.length).raw(name).int32(p.width).int32(p.labels.length);
    for (const [value, label] of p.labels) {
      const text = utf8Prefix(label, VALUE_LABEL_MAX_BYTES);
      body.int32(p.width).fixed(Buffer.from(String(value), 'utf8'), p.width).int32(text.length).raw(text);
    }
  }
  if (body.size) out.int32(7).int32(21).int32(1).int32(body.size).raw(body.done());
}

// ---- data -------------------------------------------------------------------------------------

const CHUNK = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const SPACES = 0x20202020;
const SYSMIS = -Number.MAX_VALUE;
/** Bytecodes: integers -99..151 are stored as value + 100; 253 = 8 literal bytes follow the block. */
const OP_LITERAL = 253;
const OP_SPACES = 254;
const OP_SYSMIS = 255;

/** A value of a numeric variable as a double; anything not a finite number is system-missing. */
function numberOf(value: SavValue): number {
  if (typeof value === 'number') return Number.isFinite(value) ? value : SYSMIS;
  if (value === null || value === undefined) return SYSMIS;
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isFinite(ms) ? spssDate(ms) : SYSMIS;
  }
  if (value.trim() === '') return SYSMIS;
  const n = Number(value);
  return Number.isFinite(n) ? n : SYSMIS;
}

function textOf(value: SavValue): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.toISOString() : '';
  return Number.isFinite(value) ? String(value) : '';
}

/**
 * An 8-aligned buffer with 32- and 64-bit views, so elements are stored whole. Not zeroed: every
 * byte handed out is written first.
 */
class Block {
  readonly bytes: Buffer;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;

  constructor(size: number) {
    // allocUnsafeSlow never comes from the shared pool, so its ArrayBuffer starts at offset 0.
    this.bytes = Buffer.allocUnsafeSlow(roundUp8(size));
    this.u32 = new Uint32Array(this.bytes.buffer, 0, this.bytes.length >> 2);
    this.f64 = new Float64Array(this.bytes.buffer, 0, this.bytes.length >> 3);
  }
}

/** Creates a writer for `variables`; validates the dictionary now and throws RangeError if bad. */
export function savWriter(variables: ReadonlyArray<SavVariable>, options: SavOptions = {}): SavWriter {
  return new Writer(planVariables(variables), options);
}

class Writer implements SavWriter {
  private readonly compressed: boolean;
  private readonly n: number;
  /** Per variable: 0 numeric, else string width. */
  private readonly widths: Int32Array;
  /** Per variable: bytes the value takes in a case. */
  private readonly sizes: Int32Array;
  private readonly slots: number;
  private readonly maxRow: number;
  /** A string value laid out as its case bytes (segments padded with spaces). */
  private readonly image: Block;
  /** A very long string's UTF-8 before it is spread over segments. */
  private readonly raw: Buffer;
  private out: Block;
  private pos = 0;
  /** Compression: where the open block's 8 opcodes are, and how many are used (8 = no open block). */
  private opPos = 0;
  private ops = 8;
  private count = 0;

  constructor(
    private readonly plans: VarPlan[],
    private readonly options: SavOptions,
  ) {
    this.compressed = options.compression !== 'none';
    this.n = plans.length;
    this.widths = Int32Array.from(plans, (p) => p.width);
    this.sizes = Int32Array.from(plans, (p) => p.segments.reduce((s, seg) => s + seg.bytes, 0));
    this.slots = this.sizes.reduce((s, b) => s + b, 0) / 8;
    // Worst case: every element a literal, plus one opcode block per 8 and the open one.
    this.maxRow = this.slots * 8 + (Math.ceil(this.slots / 8) + 2) * 8;
    this.image = new Block(this.sizes.reduce((m, b) => Math.max(m, b), 8));
    this.raw = Buffer.allocUnsafe(this.widths.reduce((m, w) => Math.max(m, w), 8));
    this.out = new Block(CHUNK + this.maxRow + 80);
  }

  get cases(): number {
    return this.count;
  }

  header(): Buffer {
    return buildHeader(this.plans, this.options, this.slots);
  }

  row(values: ReadonlyArray<SavValue>): Buffer {
    if (values.length !== this.n) throw new RangeError(`row has ${values.length} values for ${this.n} variables`);
    for (let i = 0; i < this.n; i++) {
      const width = this.widths[i];
      if (width === 0) this.putNumber(numberOf(values[i]));
      else this.putString(textOf(values[i]), i, width);
    }
    this.count++;
    return this.pos >= CHUNK ? this.take() : EMPTY;
  }

  end(): Buffer {
    if (this.options.cases !== undefined && this.options.cases !== this.count) {
      throw new RangeError(`the header promised ${this.options.cases} cases but ${this.count} were written`);
    }
    // Unused opcodes of the last block are 0, which readers skip.
    if (this.ops < 8) this.out.bytes.fill(0, this.opPos + this.ops, this.opPos + 8);
    this.ops = 8;
    return this.take();
  }

  /** Hands over every finished byte; an open compression block moves to the new buffer. */
  private take(): Buffer {
    const done = this.ops < 8 ? this.opPos : this.pos;
    const chunk = this.out.bytes.subarray(0, done);
    const next = new Block(this.out.bytes.length);
    this.out.bytes.copy(next.bytes, 0, done, this.pos);
    this.pos -= done;
    this.opPos = 0;
    this.out = next;
    return chunk;
  }

  private op(code: number): void {
    if (this.ops === 8) {
      this.opPos = this.pos;
      this.pos += 8;
      this.ops = 0;
    }
    this.out.bytes[this.opPos + this.ops++] = code;
  }

  private putNumber(v: number): void {
    if (this.compressed) {
      if (v === SYSMIS) return this.op(OP_SYSMIS);
      if (v >= -99 && v <= 151 && Number.isInteger(v)) return this.op(v + 100);
      this.op(OP_LITERAL);
    }
    this.out.f64[this.pos >> 3] = v;
    this.pos += 8;
  }

  private putString(s: string, i: number, width: number): void {
    const size = this.sizes[i];
    const single = size <= 256;
    if (!this.compressed) {
      if (single) {
        // No opcodes to interleave: encode straight into the output.
        const used = writeText(this.out.bytes, this.pos, s, width);
        pad(this.out.bytes, this.pos + used, this.pos + size);
      } else {
        this.layOut(s, i, width);
        this.image.bytes.copy(this.out.bytes, this.pos, 0, size);
      }
      this.pos += size;
      return;
    }
    let filled = 0;
    if (s.length === 0) {
      // Nothing to lay out: all spaces.
    } else if (single) {
      // Only the 8-byte units holding text need looking at; the rest are spaces.
      const used = writeText(this.image.bytes, 0, s, width);
      filled = (used + 7) & ~7;
      pad(this.image.bytes, used, filled);
    } else {
      this.layOut(s, i, width);
      filled = size;
    }
    const src = this.image.u32;
    const dst = this.out.u32;
    for (let k = 0; k < filled >> 2; k += 2) {
      const a = src[k];
      const b = src[k + 1];
      if (a === SPACES && b === SPACES) {
        this.op(OP_SPACES);
        continue;
      }
      this.op(OP_LITERAL);
      const at = this.pos >> 2;
      dst[at] = a;
      dst[at + 1] = b;
      this.pos += 8;
    }
    for (let k = filled; k < size; k += 8) this.op(OP_SPACES);
  }

  /** Puts the value's case bytes in `image`: 255 bytes of text per segment, padded with spaces. */
  private layOut(s: string, i: number, width: number): void {
    const image = this.image.bytes;
    const segments = this.plans[i].segments;
    if (segments.length === 1) {
      pad(image, writeText(image, 0, s, width), segments[0].bytes);
      return;
    }
    const used = writeText(this.raw, 0, s, width);
    let from = 0;
    let at = 0;
    for (const seg of segments) {
      const take = Math.min(seg.capacity, Math.max(0, used - from));
      this.raw.copy(image, at, from, from + take);
      pad(image, at + take, at + seg.bytes);
      from += seg.capacity;
      at += seg.bytes;
    }
  }
}

/** Spaces from `from` to `to`; a loop beats Buffer.fill's native call for the usual few bytes. */
function pad(target: Buffer, from: number, to: number): void {
  if (to - from > 64) {
    target.fill(0x20, from, to);
    return;
  }
  for (let k = from; k < to; k++) target[k] = 0x20;
}

/**
 * Writes `s` as UTF-8 at `at`, at most `max` bytes and never half a character; returns the bytes
 * written. Short ASCII text (most answers) is copied in JS, which beats a native call per cell.
 */
function writeText(target: Buffer, at: number, s: string, max: number): number {
  const len = s.length;
  if (len <= 32 && len <= max) {
    let k = 0;
    for (; k < len; k++) {
      const c = s.charCodeAt(k);
      if (c >= 0x80) break;
      target[at + k] = c;
    }
    if (k === len) return len;
  }
  return target.write(s, at, max, 'utf8');
}

/**
 * The whole file as chunks, for `Readable.from`: header, the rows' chunks and the end. Patching the
 * case count is left to callers that write a seekable file.
 */
export async function* savStream(
  variables: ReadonlyArray<SavVariable>,
  rows: Iterable<ReadonlyArray<SavValue>> | AsyncIterable<ReadonlyArray<SavValue>>,
  options?: SavOptions,
): AsyncGenerator<Buffer> {
  const writer = savWriter(variables, options);
  yield writer.header();
  if (Symbol.iterator in rows) {
    // An array or other sync source: no await per row.
    for (const row of rows) {
      const chunk = writer.row(row);
      if (chunk.length) yield chunk;
    }
  } else {
    for await (const row of rows) {
      const chunk = writer.row(row);
      if (chunk.length) yield chunk;
    }
  }
  yield writer.end();
}

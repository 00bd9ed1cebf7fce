/**
 * CSV import's pure part, shared by importPanel and importContacts: reading the CSV safely and
 * mapping its columns onto recipient fields.
 *
 * Decisions (documented on the API reference pages):
 * - Column parameters are 1-based column numbers; anything else, or a number beyond the width of
 *   the first row, is an ImportInputError naming that parameter.
 * - Without ColumnHeaders, embedded-data columns (AllED, EmbeddedData) are named `Column<n>`; with
 *   it, by their header (an empty header also falls back to `Column<n>`). A repeated header name:
 *   the rightmost column wins.
 * - Empty embedded-data values are not stored.
 * - What a row without a valid e-mail means is the caller's rule (importPanel skips it, importContacts
 *   accepts it when a ContactID names the contact): readCells reports the cells, mapRow applies
 *   importPanel's rule.
 *
 * Error messages are sentences for people: importContacts shows them as the job's Error, importPanel
 * turns them into ESRV35|<param>.
 */
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { parse } from 'csv-parse';
import { ED_KEY_MAX, ED_KEYS_MAX, ED_VALUE_MAX, cleanField, isValidEmail, type RecipientFields } from './recipients.ts';

/** Bounds that keep a hostile file from costing more than a clear error. */
export const MAX_COLUMNS = 2000;
/** One record (a CSV line, or several joined by quoted newlines), in characters. */
export const MAX_RECORD_CHARS = 2_000_000;
const FEED_CHUNK = 64 * 1024;

/** A bad import input; `param` names the parameter to report (`Body` for the file itself). */
export class ImportInputError extends Error {
  constructor(
    readonly param: string,
    reason: string,
  ) {
    super(reason);
    this.name = 'ImportInputError';
  }
}

export type FieldColumn = 'Email' | 'FirstName' | 'LastName' | 'ExternalRef' | 'Language' | 'Unsubscribed';
export const FIELD_COLUMNS: readonly FieldColumn[] = ['Email', 'FirstName', 'LastName', 'ExternalRef', 'Language', 'Unsubscribed'];

export interface ImportMapping {
  columnHeaders: boolean;
  /** 1-based column numbers, by the parameter that named them. Email is always present. */
  fields: Partial<Record<FieldColumn, number>> & { Email: number };
  allEd: boolean;
  /** 1-based column numbers from the EmbeddedData parameter. */
  embeddedData: number[];
}

/** The mapping parameters as they arrive (strings, absent = undefined). */
export interface MappingInput {
  ColumnHeaders?: boolean;
  AllED?: boolean;
  Email?: string;
  FirstName?: string;
  LastName?: string;
  ExternalRef?: string;
  Language?: string;
  Unsubscribed?: string;
  EmbeddedData?: string;
}

function columnNumber(value: string, param: string): number {
  const v = value.trim();
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > MAX_COLUMNS) throw new ImportInputError(param, `${param} must be a column number from 1`);
  return Number(v);
}

/** Reads the column parameters; throws ImportInputError naming the first bad one. */
export function readMapping(input: MappingInput): ImportMapping {
  if (input.Email === undefined) throw new ImportInputError('Email', 'Email (the e-mail column number) is required');
  const fields: ImportMapping['fields'] = { Email: columnNumber(input.Email, 'Email') };
  for (const name of FIELD_COLUMNS) {
    const v = input[name];
    if (v !== undefined && name !== 'Email') fields[name] = columnNumber(v, name);
  }
  const embeddedData = input.EmbeddedData === undefined ? [] : input.EmbeddedData.split(',').filter((s) => s.trim() !== '').map((s) => columnNumber(s, 'EmbeddedData'));
  return { columnHeaders: input.ColumnHeaders ?? false, fields, allEd: input.AllED ?? false, embeddedData };
}

function beyond(param: string, col: number, width: number): ImportInputError {
  return new ImportInputError(param, `Column ${col} given for ${param} does not exist: the file has ${width} column${width === 1 ? '' : 's'}.`);
}

/**
 * The embedded-data columns: 0-based index → key. Checks every mapped column against the width.
 * `reserved` (1-based) are further columns the caller reads itself, kept out of AllED.
 */
export function planColumns(mapping: ImportMapping, width: number, header: string[] | undefined, reserved: readonly number[] = []): Array<[number, string]> {
  for (const [param, col] of Object.entries(mapping.fields)) if (col > width) throw beyond(param, col, width);
  for (const col of mapping.embeddedData) if (col > width) throw beyond('EmbeddedData', col, width);
  const used = new Set([...Object.values(mapping.fields), ...reserved]);
  const cols = new Set(mapping.embeddedData);
  if (mapping.allEd) for (let c = 1; c <= width; c++) if (!used.has(c)) cols.add(c);
  const named = [...cols].sort((a, b) => a - b).map((c): [number, string] => [c - 1, cleanField(header?.[c - 1], ED_KEY_MAX) ?? `Column${c}`]);
  const keys = new Set(named.map(([, k]) => k)).size;
  if (keys > ED_KEYS_MAX) throw new ImportInputError(mapping.allEd ? 'AllED' : 'EmbeddedData', `Too many embedded-data columns (${keys}); at most ${ED_KEYS_MAX} are accepted.`);
  return named;
}

const HEADER_NAMES: Record<FieldColumn, readonly string[]> = {
  Email: ['email'],
  FirstName: ['firstname'],
  LastName: ['lastname'],
  ExternalRef: ['externalref', 'externaldataref', 'externaldatareference'],
  Language: ['language'],
  Unsubscribed: ['unsubscribed'],
};

const headerKey = (h: string) => h.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The 1-based column whose header reads as one of `names` (case, spaces and punctuation ignored). */
export function headerColumn(header: readonly string[], names: readonly string[]): number | undefined {
  const at = header.findIndex((h) => names.includes(headerKey(cleanField(h, ED_KEY_MAX) ?? '')));
  return at < 0 ? undefined : at + 1;
}

/**
 * importContacts' header lookup: with a header row, each field whose number was not given is the
 * column named after it (Email, First Name, ExternalDataReference, …). Numbers given always win.
 */
export function fieldsByHeader(given: Partial<Record<FieldColumn, number>>, header: readonly string[] | undefined): Partial<Record<FieldColumn, number>> {
  const fields: Partial<Record<FieldColumn, number>> = {};
  for (const name of FIELD_COLUMNS) {
    const col = given[name] ?? (header ? headerColumn(header, HEADER_NAMES[name]) : undefined);
    if (col !== undefined) fields[name] = col;
  }
  return fields;
}

/** A data row's mapped cells, cleaned; null = empty or not mapped. The e-mail is not checked here. */
export interface ImportCells {
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  externalRef: string | null;
  language: string | null;
  unsubscribed: boolean | null;
  embeddedData: Record<string, string>;
}

const cell = (record: string[], col: number | undefined, max?: number) => (col === undefined ? null : cleanField(record[col - 1], max));

export function readCells(record: string[], mapping: ImportMapping, edColumns: Array<[number, string]>): ImportCells {
  const embeddedData: Record<string, string> = {};
  for (const [index, key] of edColumns) {
    const v = cleanField(record[index], ED_VALUE_MAX);
    if (v !== null) embeddedData[key] = v;
  }
  const unsubscribed = cell(record, mapping.fields.Unsubscribed);
  return {
    email: cell(record, mapping.fields.Email),
    firstName: cell(record, mapping.fields.FirstName),
    lastName: cell(record, mapping.fields.LastName),
    externalRef: cell(record, mapping.fields.ExternalRef),
    language: cell(record, mapping.fields.Language, 20),
    unsubscribed: unsubscribed === null ? null : /^(1|true|yes|y)$/i.test(unsubscribed),
    embeddedData,
  };
}

/** One data row as recipient fields, or null when it has no valid e-mail (importPanel ignores it). */
export function mapRow(record: string[], mapping: ImportMapping, edColumns: Array<[number, string]>): RecipientFields | null {
  const cells = readCells(record, mapping, edColumns);
  if (cells.email === null || !isValidEmail(cells.email)) return null;
  return { ...cells, unsubscribed: cells.unsubscribed ?? false };
}

function csvError(error: unknown): ImportInputError {
  const { code = '', lines } = error as { code?: string; lines?: number };
  const at = typeof lines === 'number' ? ` (line ${lines})` : '';
  const reason =
    code === 'CSV_QUOTE_NOT_CLOSED'
      ? 'a quoted field is never closed'
      : code === 'CSV_MAX_RECORD_SIZE'
        ? `a record is longer than ${MAX_RECORD_CHARS} characters`
        : `it could not be parsed (${code || 'parse error'})`;
  return new ImportInputError('Body', `The file is not valid CSV: ${reason}${at}.`);
}

export interface CsvOptions {
  /** A record with more columns fails the file; default MAX_COLUMNS. */
  maxColumns?: number;
  /** Field delimiter (one character); default `,`. */
  delimiter?: string;
  /** Quote (enclosure) character; default `"`. */
  quote?: string;
}

/**
 * The records of a UTF-8 CSV (BOM optional, CRLF, LF or CR, quoted fields with commas and
 * newlines), streamed: the file is fed to the parser in small chunks so only a few records are in
 * memory. Blank lines are skipped. Throws ImportInputError('Body', …) for a file that is not valid CSV.
 */
export async function* csvRecords(data: Buffer, options: CsvOptions = {}): AsyncGenerator<string[]> {
  const maxColumns = options.maxColumns ?? MAX_COLUMNS;
  if (!isUtf8(data)) throw new ImportInputError('Body', 'The file is not valid UTF-8 text. Save it as CSV UTF-8 and import it again.');
  // Files edited on several systems mix line endings: any of them ends a record.
  const parser = parse({
    bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, max_record_size: MAX_RECORD_CHARS, record_delimiter: ['\r\n', '\n', '\r'],
    delimiter: options.delimiter ?? ',', quote: options.quote ?? '"',
  });
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += FEED_CHUNK) yield data.subarray(i, i + FEED_CHUNK);
    })(),
  );
  source.pipe(parser);
  let n = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      n++;
      if (record.length > maxColumns) throw new ImportInputError('Body', `Row ${n} has ${record.length} columns; at most ${maxColumns} are accepted.`);
      yield record;
    }
  } catch (error) {
    if (error instanceof ImportInputError) throw error;
    throw csvError(error);
  } finally {
    source.destroy();
    parser.destroy();
  }
}

/** The first rows of a file, for the web import's mapping step and preview. */
export async function previewCsv(data: Buffer, maxRows = 10): Promise<{ rows: string[][]; width: number }> {
  const rows: string[][] = [];
  for await (const record of csvRecords(data)) {
    rows.push(record);
    if (rows.length >= maxRows) break;
  }
  return { rows, width: rows[0]?.length ?? 0 };
}

import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

/** What one CSV column becomes in an import. */
export type ColumnRole = 'email' | 'first' | 'last' | 'ref' | 'language' | 'unsubscribed' | 'ed' | 'ignore';

export const ROLES: Array<[ColumnRole, string]> = [
  ['email', 'Email'],
  ['first', 'First name'],
  ['last', 'Last name'],
  ['ref', 'External reference'],
  ['language', 'Language'],
  ['unsubscribed', 'Unsubscribed'],
  ['ed', 'Embedded data (named by header)'],
  ['ignore', 'Ignore'],
];

/** Roles one column at most may take; embedded data and ignore may repeat. */
export const SINGLE_ROLES: ColumnRole[] = ['email', 'first', 'last', 'ref', 'language', 'unsubscribed'];

/** The mapping page lists one select per column; beyond this a file is not something to map by hand. */
export const MAX_COLUMNS = 200;
const PREVIEW_ROWS = 6;
/** A preview never reads more than this of one record (a 10 MB single line is refused, not buffered). */
const MAX_RECORD = 1024 * 1024;

export interface Preview {
  rows: string[][];
  columns: number;
}

/**
 * The first rows of an uploaded CSV, for the mapping step: UTF-8 with or without BOM, CRLF or LF,
 * quoted fields with commas and newlines. Reads only as far as it needs.
 */
export async function previewCsv(path: string): Promise<Preview> {
  const source = createReadStream(path);
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, to: PREVIEW_ROWS, max_record_size: MAX_RECORD });
  // pipe() does not pass the file's errors on: a file removed meanwhile (a concurrent submit that
  // imported it) would be an unhandled 'error' event, and the loop below would wait forever.
  source.on('error', (error) => parser.destroy(error));
  source.pipe(parser);
  const rows: string[][] = [];
  let columns = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      rows.push(record);
      columns = Math.max(columns, record.length);
      if (columns > MAX_COLUMNS) break;
    }
  } finally {
    source.destroy();
  }
  return { rows, columns };
}

const GUESSES: Array<[ColumnRole, RegExp]> = [
  ['email', /^(e?mail|emailaddress|recipientemail)$/],
  ['first', /^(first|firstname|givenname|forename|recipientfirstname)$/],
  ['last', /^(last|lastname|surname|familyname|recipientlastname)$/],
  ['ref', /^(ref|reference|externalref|externalreference|externaldataref|externaldatareference|externalid)$/],
  ['language', /^(lang|language|locale)$/],
  ['unsubscribed', /^(unsubscribed|unsubscribe|optout|optedout)$/],
  // Our own export's ID column: importing it again must not make it embedded data.
  ['ignore', /^(recipientid|panelmemberid)$/],
];

/** Sensible defaults from header names (or, without headers, the first column that holds e-mail addresses). */
export function guessRoles(preview: Preview, headers: boolean): ColumnRole[] {
  const roles: ColumnRole[] = [];
  const taken = new Set<ColumnRole>();
  for (let i = 0; i < preview.columns; i++) {
    let role: ColumnRole = 'ignore';
    if (headers) {
      const name = (preview.rows[0]?.[i] ?? '').toLowerCase().replace(/[^a-z]/g, '');
      role = GUESSES.find(([r, re]) => re.test(name) && !(SINGLE_ROLES.includes(r) && taken.has(r)))?.[0] ?? (name === '' ? 'ignore' : 'ed');
    } else if (!taken.has('email') && preview.rows.some((r) => (r[i] ?? '').includes('@'))) {
      role = 'email';
    }
    taken.add(role);
    roles.push(role);
  }
  return roles;
}


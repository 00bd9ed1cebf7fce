/**
 * CSV output shared by every export (API and web): RFC 4180 quoting and defusing
 * of cells a spreadsheet would run as a formula. Hand-written because it is on the hot path of every
 * export (several times faster than a general-purpose stringifier) and the rules are short.
 */

/**
 * A cell starting with = @ tab or CR, or with + or - followed by anything but a number, gets a
 * leading apostrophe: spreadsheets then show it as text instead of evaluating it. Plain numbers
 * such as -5 or +44 20 7946 0000 are left alone.
 */
export function csvSafe(value: string): string {
  const first = value.charCodeAt(0);
  // = @ \t \r
  if (first === 61 || first === 64 || first === 9 || first === 13) return `'${value}`;
  // + -
  if ((first === 43 || first === 45) && !/^[+-][\d\s().]*$/.test(value)) return `'${value}`;
  return value;
}

const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | null | undefined): string {
  const v = csvSafe(value ?? '');
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One record. The API's exports end lines with LF as Qualtrics' did; the web download uses CRLF. */
export function csvLine(cells: ReadonlyArray<string | null | undefined>, eol: '\n' | '\r\n' = '\n'): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? '' : ',') + csvCell(cells[i]);
  return line + eol;
}

import { describe, expect, it } from 'vitest';
import { ImportInputError, csvRecords, fieldsByHeader, headerColumn, mapRow, planColumns, previewCsv, readCells, readMapping } from '../../src/domain/csv-import.ts';
import * as oldPath from '../../src/domain/panel-import.ts';

async function records(text: string | Buffer): Promise<string[][]> {
  const out: string[][] = [];
  for await (const r of csvRecords(Buffer.isBuffer(text) ? text : Buffer.from(text))) out.push(r);
  return out;
}

async function inputError(p: Promise<unknown> | (() => unknown)): Promise<ImportInputError> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ImportInputError);
  return e as ImportInputError;
}

describe('readMapping', () => {
  it('reads 1-based column numbers and the EmbeddedData list', () => {
    expect(readMapping({ Email: '3', FirstName: ' 1 ', EmbeddedData: '4, 5,', ColumnHeaders: true })).toEqual({
      columnHeaders: true, fields: { Email: 3, FirstName: 1 }, allEd: false, embeddedData: [4, 5],
    });
  });
  it('names the bad parameter', async () => {
    expect((await inputError(() => readMapping({}))).param).toBe('Email');
    expect((await inputError(() => readMapping({ Email: '1.5' }))).param).toBe('Email');
    expect((await inputError(() => readMapping({ Email: '1', Language: '0' }))).param).toBe('Language');
    expect((await inputError(() => readMapping({ Email: '1', EmbeddedData: '2,-3' }))).param).toBe('EmbeddedData');
    expect((await inputError(() => readMapping({ Email: '999999' }))).param).toBe('Email');
  });
});

describe('planColumns and mapRow', () => {
  const mapping = readMapping({ Email: '2', FirstName: '1', Unsubscribed: '3', AllED: true, ColumnHeaders: true });
  it('AllED names unused columns by header, or Column<n> when the header is empty', () => {
    expect(planColumns(mapping, 5, ['First', 'Mail', 'Unsub', 'Zip', ' '])).toEqual([[3, 'Zip'], [4, 'Column5']]);
    expect(planColumns({ ...mapping, columnHeaders: false }, 4, undefined)).toEqual([[3, 'Column4']]);
  });
  it('refuses columns beyond the width, naming the parameter', async () => {
    const e = await inputError(() => planColumns(mapping, 2, undefined));
    expect(e.param).toBe('Unsubscribed');
    expect(e.message).toBe('Column 3 given for Unsubscribed does not exist: the file has 2 columns.');
  });
  it('keeps reserved columns out of AllED', () => {
    expect(planColumns(mapping, 5, ['First', 'Mail', 'Unsub', 'ContactID', 'Zip'], [4])).toEqual([[4, 'Zip']]);
  });
  it('readCells keeps empty and unmapped cells apart from false (importContacts merges them as "keep")', () => {
    const plan = planColumns(mapping, 4, ['a', 'b', 'c', 'Zip']);
    expect(readCells(['', 'not an address', ' ', ''], mapping, plan)).toEqual({
      email: 'not an address', firstName: null, lastName: null, externalRef: null, language: null, unsubscribed: null, embeddedData: {},
    });
    expect(readCells(['', 'a@b.c', 'no'], mapping, plan).unsubscribed).toBe(false);
  });
  it('maps a row; unsubscribed accepts 1/true/yes; invalid e-mail means ignored', () => {
    const plan = planColumns(mapping, 4, ['a', 'b', 'c', 'Zip']);
    expect(mapRow(['  Ann ', 'ann@example.com', 'Yes', '123'], mapping, plan)).toEqual({
      email: 'ann@example.com', firstName: 'Ann', lastName: null, externalRef: null, language: null, unsubscribed: true, embeddedData: { Zip: '123' },
    });
    expect(mapRow(['Ann', 'ann@example.com', '0'], mapping, plan)?.unsubscribed).toBe(false);
    expect(mapRow(['Ann', 'ann at example.com', '0', '1'], mapping, plan)).toBeNull();
    expect(mapRow(['Ann'], mapping, plan)).toBeNull();
  });
});

describe('header lookup (importContacts)', () => {
  it('finds fields by header name unless a number was given; case, spaces and punctuation do not matter', () => {
    const header = ['Contact ID', 'E-mail', 'First Name', 'External Data Reference', 'email'];
    expect(fieldsByHeader({ FirstName: 5 }, header)).toEqual({ Email: 2, FirstName: 5, ExternalRef: 4 });
    expect(fieldsByHeader({ LastName: 1 }, undefined)).toEqual({ LastName: 1 });
    expect(headerColumn(header, ['contactid'])).toBe(1);
    expect(headerColumn(header, ['language'])).toBeUndefined();
  });
});

describe('csvRecords', () => {
  it('handles BOM, CRLF, quoted commas and newlines, blank lines, ragged rows', async () => {
    expect(await records('\ufeffa,b\r\n"x, y","1\n2"\r\n\r\nonly\n')).toEqual([['a', 'b'], ['x, y', '1\n2'], ['only']]);
  });
  it('rejects invalid UTF-8, an unclosed quote, too many columns, an over-long record', async () => {
    for (const bad of [Buffer.from([0x61, 0xff, 0x0a]), Buffer.from('a\n"b\n'), Buffer.from('x,'.repeat(3000)), Buffer.from('y'.repeat(2_100_000))]) {
      expect((await inputError(records(bad))).param).toBe('Body');
    }
  });
  it('explains a bad file in a sentence', async () => {
    expect((await inputError(records('a\n"b\n'))).message).toMatch(/^The file is not valid CSV: a quoted field is never closed/);
    expect((await inputError(records(Buffer.from([0x61, 0xff])))).message).toBe('The file is not valid UTF-8 text. Save it as CSV UTF-8 and import it again.');
    const wide = csvRecords(Buffer.from('a,b\nc,d,e\n'), { maxColumns: 2 });
    expect((await inputError((async () => { for await (const _ of wide); })())).message).toBe('Row 2 has 3 columns; at most 2 are accepted.');
  });
  it('is still importable by its old path', () => {
    expect(oldPath.csvRecords).toBe(csvRecords);
  });
  it('previews the first rows', async () => {
    expect(await previewCsv(Buffer.from('a,b,c\n1,2,3\n4,5,6\n'), 2)).toEqual({ rows: [['a', 'b', 'c'], ['1', '2', '3']], width: 3 });
  });
});

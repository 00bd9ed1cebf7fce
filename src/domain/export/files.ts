/**
 * Response exports as downloadable files, one call for the web download and the CLI:
 *
 *   const { rows } = await exportFile('xlsx', survey, { labels: true }, cursor, reply.raw, (n) => job.progress(n));
 *
 * Formats (FILE_FORMATS has each one's content type and file extension):
 *  - legacy-csv: exactly getLegacyResponseData's Format=CSV (legacy-csv.ts), in options.dialect.
 *  - legacy-tsv: the same rows tab-separated, UTF-16LE with a BOM (delimited.ts says why).
 *  - csv, tsv: the modern labelled layout (modern-layout.ts): names row, labels row, typed rows;
 *    csv UTF-8 with a BOM, tsv UTF-16LE with a BOM.
 *  - json (an array of objects), ndjson (an object per line): modern layout, typed values (json-files.ts).
 *  - xlsx: modern layout, typed cells, frozen header rows, split across sheets (xlsx.ts).
 *  - sav: SPSS system file, modern layout as variables with labels and value labels (sav-export.ts).
 *
 * Options are getLegacyResponseData's (Labels, UnansweredRecode, Questions, LocalTime/TimeZone,
 * ExportTags, ExportQuestionIDs, LocationData, the response-set namer); `dialect` only shapes the
 * legacy layouts. An unknown time zone throws LegacyExportOptionError and a bad sheetRowLimit a
 * RangeError before anything is written.
 *
 * Rows are an iterable, or a function returning a fresh iterable over the same responses each time
 * it is called. sav needs the function: it reads the rows twice (to size its string variables and
 * count the cases, then to write them) and rejects a plain iterable with a TypeError before
 * writing anything; the other formats call the function once. Progress counts the rows written
 * (sav's second pass).
 *
 * exportFile pulls rows from the iterable only as fast as the sink takes the output, reports the
 * rows done every 1,000 rows and at the end, ends the sink when done and resolves once it has flushed. If the rows fail, or the sink closes early, the sink is
 * destroyed (so an HTTP client sees a broken download, never a short file that looks complete) and
 * the promise rejects.
 */
import type { Writable } from 'node:stream';
import type { QsfSurvey } from '../survey/qsf.ts';
import { legacyTsvWriter, modernCsvWriter, modernTsvWriter } from './delimited.ts';
import { counted, endSink, PROGRESS_EVERY, writeChunk } from './file-sink.ts';
import { jsonWriter, ndjsonWriter } from './json-files.ts';
import { legacyCsvWriter } from './legacy-csv.ts';
import { prepareLegacyExport, type LegacyExportOptions } from './legacy-export.ts';
import { legacyChunks, type LegacyWriter } from './legacy-writer.ts';
import { modernLayout, type ExportResponse } from './modern-layout.ts';
import { savExport, writeSavExport } from './sav-export.ts';
import { sheetRowLimit, writeXlsx, type XlsxOptions } from './xlsx.ts';

export type FileFormat = 'csv' | 'tsv' | 'legacy-csv' | 'legacy-tsv' | 'json' | 'ndjson' | 'xlsx' | 'sav';

export interface FileFormatInfo {
  /** A short human name for format pickers. */
  label: string;
  contentType: string;
  /** Without the dot. */
  extension: string;
}

export const FILE_FORMATS: Readonly<Record<FileFormat, FileFormatInfo>> = {
  csv: { label: 'CSV', contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  tsv: { label: 'TSV (tab-separated, UTF-16)', contentType: 'text/tab-separated-values; charset=utf-16le', extension: 'tsv' },
  'legacy-csv': { label: 'Legacy CSV', contentType: 'text/csv; charset=utf-8', extension: 'csv' },
  'legacy-tsv': { label: 'Legacy TSV (tab-separated, UTF-16)', contentType: 'text/tab-separated-values; charset=utf-16le', extension: 'tsv' },
  json: { label: 'JSON', contentType: 'application/json; charset=utf-8', extension: 'json' },
  ndjson: { label: 'NDJSON (one JSON object per line)', contentType: 'application/x-ndjson; charset=utf-8', extension: 'ndjson' },
  xlsx: { label: 'Excel (xlsx)', contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', extension: 'xlsx' },
  sav: { label: 'SPSS (sav)', contentType: 'application/x-spss-sav', extension: 'sav' },
};

export function isFileFormat(value: string): value is FileFormat {
  return Object.hasOwn(FILE_FORMATS, value);
}

export interface FileExportOptions extends LegacyExportOptions, XlsxOptions {}

export type ExportRows = AsyncIterable<ExportResponse> | Iterable<ExportResponse>;

/** The rows, or a function returning a fresh iterable over them (see the module comment). */
export type RowsSource = ExportRows | (() => ExportRows);

export async function exportFile(
  format: FileFormat,
  survey: QsfSurvey,
  options: FileExportOptions,
  rows: RowsSource,
  sink: Writable,
  onProgress?: (rowsDone: number) => void,
): Promise<{ rows: number }> {
  const count = { rows: 0 };
  const run = prepare(format, survey, options);
  if (format === 'sav' && typeof rows !== 'function') {
    throw new TypeError('The sav export reads the rows twice: pass a function that returns a fresh iterable over the same rows each time');
  }
  const fresh = (): ExportRows => (typeof rows === 'function' ? lazily(rows) : rows);
  try {
    await run(counted(fresh(), count, onProgress), sink, fresh);
    await endSink(sink);
  } catch (err) {
    // Without the error: a sink destroyed with one emits 'error', which kills the process when the
    // caller has no listener; the caller learns of the error from the rejection.
    sink.destroy();
    throw err;
  }
  // The last count, unless counted() has just reported it.
  if (count.rows === 0 || count.rows % PROGRESS_EVERY !== 0) onProgress?.(count.rows);
  return { rows: count.rows };
}

/** `again` gives another, uncounted pass over the rows, for formats that read them twice. */
type Run = (rows: AsyncIterable<ExportResponse>, sink: Writable, again: () => ExportRows) => Promise<void>;

/** Calls `source` only when the first row is pulled, so two passes never hold two cursors open. */
async function* lazily(source: () => ExportRows): AsyncGenerator<ExportResponse> {
  yield* source();
}

/** Everything that can reject the options, done before the first byte is written. */
function prepare(format: FileFormat, survey: QsfSurvey, options: FileExportOptions): Run {
  switch (format) {
    case 'legacy-csv':
      return text(legacyCsvWriter(prepareLegacyExport(survey, options)), 'utf8');
    case 'legacy-tsv':
      return text(legacyTsvWriter(prepareLegacyExport(survey, options)), 'utf16le');
    case 'csv':
      return text(modernCsvWriter(modernLayout(survey, options)), 'utf8');
    case 'tsv':
      return text(modernTsvWriter(modernLayout(survey, options)), 'utf16le');
    case 'json':
      return text(jsonWriter(modernLayout(survey, options)), 'utf8');
    case 'ndjson':
      return text(ndjsonWriter(modernLayout(survey, options)), 'utf8');
    case 'xlsx': {
      const layout = modernLayout(survey, options);
      const xlsx: XlsxOptions = { sheetRowLimit: options.sheetRowLimit };
      sheetRowLimit(xlsx);
      return (rows, sink) => writeXlsx(layout, rows, sink, xlsx);
    }
    case 'sav': {
      const exp = savExport(survey, options);
      // The first, uncounted pass sizes the variables; progress follows the pass that writes.
      return (rows, sink, again) => writeSavExport(exp, again(), rows, sink);
    }
  }
}

function text(writer: LegacyWriter, encoding: 'utf8' | 'utf16le'): Run {
  return async (rows, sink) => {
    for await (const chunk of legacyChunks(writer, rows)) await writeChunk(sink, Buffer.from(chunk, encoding));
  };
}

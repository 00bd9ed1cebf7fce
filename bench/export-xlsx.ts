/**
 * bench/export-xlsx: the file exports (files.ts) of 100,000 responses of a 30-column survey to
 * /dev/null, rows generated on the fly. Prints rows/s and the RSS growth of each format, xlsx
 * (hand-written sheet XML streamed into a zip, xlsx.ts) against two same-run baselines: the legacy
 * CSV writer (getLegacyResponseData Format=CSV) through the same exportFile call, and exceljs's
 * streaming workbook writer (the xlsx writer Insight used before, bench/lib/exceljs-xlsx.ts) on at
 * most --exceljs-rows rows (it runs at a fraction of the rate; its rows/s is what compares). With
 * --rows 1000000 the RSS column shows that memory stays flat; the goal is 1,000,000 xlsx rows in
 * at most 60 s.
 *
 *   node bin/run-ts.js bench/export-xlsx.ts [--rows 100000] [--exceljs-rows 100000]
 *   (node --expose-gc … collects garbage before each run, for steadier RSS figures)
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { exportFile, type FileFormat } from '../src/domain/export/files.ts';
import { endSink } from '../src/domain/export/file-sink.ts';
import type { StoredResponse } from '../src/domain/export/legacy-response-data.ts';
import { modernLayout } from '../src/domain/export/modern-layout.ts';
import { readQsf, type QsfSurvey } from '../src/domain/survey/qsf.ts';
import { exportBenchSurvey } from './lib/export-survey.ts';
import { writeXlsxWithExceljs } from './lib/exceljs-xlsx.ts';
import { mb } from './lib/harness.ts';

function survey(): QsfSurvey {
  return readQsf(exportBenchSurvey());
}

function* responses(count: number): Generator<StoredResponse> {
  const start = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    const x = (i * 31) % 101;
    yield {
      responseId: `R_${i.toString(36).padStart(15, '0')}`, responseSetId: 'RS_1', name: x < 50 ? `Last${i}, First${i}` : null, externalRef: x < 30 ? `ext-${i}` : null,
      email: x < 50 ? `person${i}@example.com` : null, ipAddress: `10.0.${x}.${i % 250}`, status: 0, startDate: start + i * 60_000, endDate: start + i * 60_000 + x * 7_000, finished: x < 90 ? 1 : 0,
      values: {
        QID1: 1 + (x % 5), QID2_1: 1, ...(x % 2 ? { QID2_3: 1 } : {}), QID3_1: 1 + (x % 7), QID3_2: 1 + ((x + 1) % 7), QID3_3: 1 + ((x + 2) % 7), QID3_4: 1 + ((x + 3) % 7), QID3_5: 1 + ((x + 4) % 7),
        QID4: `fruit ${x}`, QID5_1: x, QID5_2: 100 - x, QID5_3: x / 4, ...(x < 40 ? { QID6: `A free text answer number ${i}, ${'word '.repeat(x % 20)}end` } : {}),
      },
      embedded: { Cohort: `C${i % 12}`, Region: `Region ${x % 5}` },
      displayed: [],
    };
  }
}

type Writer = (s: QsfSurvey, rows: Iterable<StoredResponse>, sink: WriteStream) => Promise<unknown>;

const viaExportFile = (format: FileFormat): Writer => (s, rows, sink) => exportFile(format, s, { locationData: false }, rows, sink);

/** exceljs through the writer Insight used before, ending the sink as exportFile does. */
const viaExceljs: Writer = async (s, rows, sink) => {
  const source = (async function* () {
    yield* rows;
  })();
  await writeXlsxWithExceljs(modernLayout(s, { locationData: false }), source, sink);
  await endSink(sink);
};

async function run(writer: Writer, s: QsfSurvey, count: number): Promise<{ seconds: number; bytes: number; rss: number }> {
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const sink = createWriteStream('/dev/null');
  let bytes = 0;
  const write = sink.write.bind(sink);
  sink.write = ((chunk: Buffer, ...rest: never[]) => {
    bytes += chunk.length;
    return write(chunk, ...rest);
  }) as typeof sink.write;
  const started = performance.now();
  await writer(s, responses(count), sink);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  return { seconds, bytes, rss: Math.max(peak, process.memoryUsage().rss) - base };
}

function options(): { rows: number; exceljsRows: number } {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { rows: { type: 'string', default: '100000' }, 'exceljs-rows': { type: 'string', default: '100000' } } });
  const rows = Number(values.rows);
  const exceljsRows = Math.min(rows, Number(values['exceljs-rows']));
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(exceljsRows) || exceljsRows < 1) throw new Error('--rows and --exceljs-rows take a positive integer');
  return { rows, exceljsRows };
}

async function main(): Promise<void> {
  const { rows: count, exceljsRows } = options();
  const s = survey();
  console.log(`table      ${count} rows × ${modernLayout(s, { locationData: false }).columns.length} columns (modern layout)`);
  const formats: FileFormat[] = ['legacy-csv', 'xlsx', 'csv', 'tsv', 'json', 'ndjson'];
  // A warm-up pass of each, so the timings compare compiled code.
  for (const f of formats) await run(viaExportFile(f), s, 3000);
  await run(viaExceljs, s, 3000);
  const line = (who: string, n: number, r: { seconds: number; bytes: number; rss: number }): void =>
    console.log(`${`${who} to /dev/null`.padEnd(44)} ${(n / r.seconds).toFixed(0).padStart(8)} rows/s (${r.seconds.toFixed(2)} s, ${mb(r.bytes)} MB, RSS +${mb(r.rss)} MB)`);
  let xlsxRate = 0;
  for (const f of formats) {
    const r = await run(viaExportFile(f), s, count);
    if (f === 'xlsx') xlsxRate = count / r.seconds;
    line(f === 'legacy-csv' ? 'baseline   legacy CSV writer' : `insight    ${f}`, count, r);
  }
  const ex = await run(viaExceljs, s, exceljsRows);
  line(`baseline   xlsx by exceljs (${exceljsRows} rows)`, exceljsRows, ex);
  const exRate = exceljsRows / ex.seconds;
  console.log(`xlsx       ${(xlsxRate / exRate).toFixed(1)}x exceljs's rate; 1,000,000 rows in ${(1e6 / xlsxRate).toFixed(0)} s at this rate (goal: ≤ 60 s; exceljs: ${(1e6 / exRate).toFixed(0)} s)`);
}

await main();

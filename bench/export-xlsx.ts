/**
 * bench/export-xlsx: the file exports (files.ts) of 100,000 responses of a 30-column survey to
 * /dev/null, rows generated on the fly. Prints rows/s and the RSS growth of each format, xlsx
 * (exceljs streaming writer) against the same-run baseline: the legacy CSV writer
 * (getLegacyResponseData Format=CSV) through the same exportFile call. With --rows 1000000 the RSS
 * column shows that memory stays flat.
 *
 *   node bin/run-ts.js bench/export-xlsx.ts [--rows 100000]
 *   (node --expose-gc … collects garbage before each run, for steadier RSS figures)
 */
import { createWriteStream } from 'node:fs';
import { exportFile, type FileFormat } from '../src/domain/export/files.ts';
import type { StoredResponse } from '../src/domain/export/legacy-response-data.ts';
import { modernLayout } from '../src/domain/export/modern-layout.ts';
import { readQsf, type QsfSurvey } from '../src/domain/survey/qsf.ts';
import { mb, rowsOption } from './lib/harness.ts';

const scale = (n: number): Record<string, { Display: string }> => Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i + 1), { Display: `Point ${i + 1}` }]));
const order = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i + 1));

/** 13 fixed columns, 2 embedded fields and 15 question columns: 30 in the modern layout. */
function survey(): QsfSurvey {
  const questions = [
    { QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'MC', Selector: 'SAVR', QuestionText: 'Pick one', Choices: scale(5), ChoiceOrder: order(5) },
    { QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'MC', Selector: 'MAVR', QuestionText: 'Pick any', Choices: scale(4), ChoiceOrder: order(4) },
    {
      QuestionID: 'QID3', DataExportTag: 'Q3', QuestionType: 'Matrix', Selector: 'Likert', SubSelector: 'SingleAnswer', QuestionText: 'Rate',
      Choices: scale(5), ChoiceOrder: order(5), Answers: scale(7), AnswerOrder: order(7),
    },
    { QuestionID: 'QID4', DataExportTag: 'Q4', QuestionType: 'TE', Selector: 'SL', QuestionText: 'Name a fruit' },
    { QuestionID: 'QID5', DataExportTag: 'Q5', QuestionType: 'Slider', Selector: 'HSLIDER', QuestionText: 'How much', Choices: scale(3), ChoiceOrder: order(3) },
    { QuestionID: 'QID6', DataExportTag: 'Q6', QuestionType: 'TE', Selector: 'ML', QuestionText: 'Comments' },
  ];
  return readQsf({
    SurveyElements: [
      { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_a', BlockElements: questions.map((q) => ({ Type: 'Question', QuestionID: q.QuestionID })) }] },
      { Element: 'FL', Payload: { Type: 'Root', Flow: [{ Type: 'EmbeddedData', EmbeddedData: [{ Field: 'Cohort' }, { Field: 'Region' }] }, { Type: 'Block', ID: 'BL_a' }] } },
      ...questions.map((q) => ({ Element: 'SQ', PrimaryAttribute: q.QuestionID, Payload: q })),
    ],
  });
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

async function run(format: FileFormat, s: QsfSurvey, count: number): Promise<{ seconds: number; bytes: number; rss: number }> {
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
  await exportFile(format, s, { locationData: false }, responses(count), sink);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(timer);
  return { seconds, bytes, rss: Math.max(peak, process.memoryUsage().rss) - base };
}

async function main(): Promise<void> {
  const count = rowsOption();
  const s = survey();
  console.log(`table      ${count} rows × ${modernLayout(s, { locationData: false }).columns.length} columns (modern layout)`);
  const formats: FileFormat[] = ['legacy-csv', 'xlsx', 'csv', 'tsv', 'json', 'ndjson'];
  // A warm-up pass of each, so the timings compare compiled code.
  for (const f of formats) await run(f, s, 3000);
  for (const f of formats) {
    const r = await run(f, s, count);
    const who = f === 'legacy-csv' ? 'baseline   legacy CSV writer' : `insight    ${f}`;
    console.log(`${`${who} to /dev/null`.padEnd(40)} ${(count / r.seconds).toFixed(0).padStart(8)} rows/s (${r.seconds.toFixed(2)} s, ${mb(r.bytes)} MB, RSS +${mb(r.rss)} MB)`);
  }
}

await main();

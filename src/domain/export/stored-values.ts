/**
 * The `values` of a StoredResponse from the engine's answers: response-values.ts computes the
 * cells, and they are re-keyed by `columnKey`. response-values keys its result by export-tag name,
 * which several columns can share, so columns are passed to it in batches whose names are unique.
 * Empty cells are left out (an absent key exports as blank).
 */
import { exportColumns, type ExportColumn } from '../survey/export-columns.ts';
import type { QsfSurvey } from '../survey/qsf.ts';
import { responseValues } from '../survey/response-values.ts';
import type { QuestionAnswer } from '../survey/session-state.ts';
import { columnKey } from './legacy-columns.ts';

export function storedValues(
  survey: QsfSurvey,
  answers: Record<string, QuestionAnswer>,
  columns: ExportColumn[] = exportColumns(survey),
): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const batch of uniqueNameBatches(columns.filter((c) => c.kind === 'question'))) {
    const cells = responseValues(survey, batch, answers);
    for (const col of batch) {
      const v = cells[col.name];
      if (v !== undefined && v !== '') out[columnKey(col, survey)] = v;
    }
  }
  return out;
}

function uniqueNameBatches(columns: ExportColumn[]): ExportColumn[][] {
  const batches: { names: Set<string>; cols: ExportColumn[] }[] = [];
  for (const col of columns) {
    let batch = batches.find((b) => !b.names.has(col.name));
    if (!batch) batches.push((batch = { names: new Set(), cols: [] }));
    batch.names.add(col.name);
    batch.cols.push(col);
  }
  return batches.map((b) => b.cols);
}

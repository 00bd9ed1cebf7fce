/**
 * Stored responses rebuilt from the recorded legacy exports in shared/fixtures/qsf: each data row of
 * a fixture's legacy.csv turned back into the record the store would hand an export.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { LegacyExport, StoredResponse } from '../../../src/domain/export/legacy-response-data.ts';
import { readQsf, type QsfSurvey } from '../../../src/domain/survey/qsf.ts';
import { FIXTURES } from '../survey/fixtures.ts';

export function loadSurvey(name: string): QsfSurvey {
  return readQsf(JSON.parse(readFileSync(`${FIXTURES}${name}/survey.qsf`, 'utf8')));
}

/** Response sets are stored by ID; the recorded files show names. */
export const SET_IDS = new Map([['Default Response Set', 'RS_0default000001']]);
export const setName = (id: string): string => [...SET_IDS].find(([, v]) => v === id)?.[0] ?? `unknown ${id}`;

const NUMBER = /^-?\d+(\.\d+)?$/;
const fromRecorded = (cell: string): string | number => (NUMBER.test(cell) && String(Number(cell)) === cell ? Number(cell) : cell);

/** A recorded data row turned back into the record the store would hand over. */
export function recordFromRow(exp: LegacyExport, row: string[]): StoredResponse {
  const r: StoredResponse = {
    responseId: '', responseSetId: '', name: null, externalRef: null, email: null, ipAddress: null,
    status: 0, startDate: 0, endDate: 0, finished: 0, values: {}, embedded: {}, displayed: [],
  };
  const parts: Record<string, string> = {};
  const location: Record<string, number> = {};
  exp.columns.forEach((col, i) => {
    const cell = row[i] ?? '';
    if (col.kind === 'meta') parts[col.label] = cell;
    else if (col.kind === 'embedded') r.embedded[col.cellKey] = cell;
    else if (col.kind === 'location') location[col.name] = Number(cell);
    else if (cell !== '') r.values[col.cellKey] = col.source.text ? cell : fromRecorded(cell);
  });
  const stamp = (s: string): number => Date.parse(`${s.replace(' ', 'T')}Z`);
  r.responseId = parts.ResponseID;
  r.responseSetId = SET_IDS.get(parts.ResponseSet)!;
  r.status = Number(parts.Status);
  r.startDate = stamp(parts.StartDate);
  r.endDate = stamp(parts.EndDate);
  r.finished = parts.Finished === '1' ? 1 : 0;
  r.ipAddress = parts.IPAddress || null;
  r.externalRef = parts.ExternalDataReference || null;
  r.email = (parts.EmailAddress ?? parts.RecipientEmail) || null;
  if ('Name' in parts) r.name = parts.Name === 'Anonymous' ? null : parts.Name;
  else if (parts.RecipientLastName || parts.RecipientFirstName) r.name = `${parts.RecipientLastName}, ${parts.RecipientFirstName}`;
  if ('LocationLatitude' in location) r.location = { latitude: location.LocationLatitude, longitude: location.LocationLongitude, accuracy: location.LocationAccuracy };
  return r;
}

/** The fixture's recorded data rows as stored responses, for an export prepared in its dialect. */
export function recordedRecords(name: string, exp: LegacyExport): StoredResponse[] {
  const all = parse(readFileSync(`${FIXTURES}${name}/legacy.csv`, 'utf8'), { bom: true, relax_column_count: true }) as string[][];
  const headerRows = exp.dialect === 'named' ? 3 : 2;
  return all.slice(headerRows).map((row) => recordFromRow(exp, row));
}

// ---- synthetic surveys and responses ------------------------------------------------------------

/** A question element (`SQ`) around a payload. */
export function sq(payload: Record<string, unknown>): Record<string, unknown> {
  return { SurveyID: 'SV_1', Element: 'SQ', PrimaryAttribute: payload.QuestionID, Payload: payload };
}

/** One block holding `questions` in order, after an embedded-data element declaring `fields`. */
export function syntheticSurvey(questions: Record<string, unknown>[], fields: string[], name = 'Synthetic'): QsfSurvey {
  return readQsf({
    SurveyEntry: { SurveyID: 'SV_1', SurveyName: name },
    SurveyElements: [
      { Element: 'BL', Payload: [{ Type: 'Default', ID: 'BL_a', BlockElements: questions.map((q) => ({ Type: 'Question', QuestionID: q.QuestionID })) }] },
      {
        Element: 'FL',
        Payload: {
          Type: 'Root', FlowID: 'FL_1',
          Flow: [
            { Type: 'EmbeddedData', FlowID: 'FL_2', EmbeddedData: fields.map((Field) => ({ Field })) },
            { Type: 'Block', ID: 'BL_a', FlowID: 'FL_3' },
          ],
        },
      },
      ...questions.map(sq),
    ],
  });
}

export const T0 = Date.UTC(2015, 2, 2, 18, 50, 13);

/** A finished response recorded at T0 (27 s long), with what the test overrides. */
export function storedResponse(overrides: Partial<StoredResponse> = {}): StoredResponse {
  return {
    responseId: 'R_1', responseSetId: 'RS_0default000001', name: 'Freeborni, Anopheles', externalRef: null,
    email: 'a/b@example.com', ipAddress: null, status: 0, startDate: T0, endDate: T0 + 27_000, finished: 1,
    values: {}, embedded: {}, displayed: [], ...overrides,
  };
}

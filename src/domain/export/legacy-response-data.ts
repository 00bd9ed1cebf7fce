/**
 * getLegacyResponseData's output formats as pure streaming formatters (api-v2.md §3). The caller
 * prepares the export once per request, picks the writer for Format=, and streams
 * `head()`, `row(r)` per stored response, `tail()` (or `legacyChunks` over a cursor).
 *
 *   const exp = prepareLegacyExport(survey, { dialect: 'v', labels: true });
 *   for await (const chunk of legacyChunks(legacyWriter('CSV', exp), cursor)) reply.raw.write(chunk);
 */
import { legacyCsvWriter } from './legacy-csv.ts';
import type { LegacyExport } from './legacy-export.ts';
import { legacyHtmlWriter } from './legacy-html.ts';
import { legacyJsonWriter } from './legacy-json.ts';
import type { LegacyWriter } from './legacy-writer.ts';
import { legacyXmlWriter } from './legacy-xml.ts';

export type LegacyFormat = 'CSV' | 'JSON' | 'XML' | 'HTML';

export function legacyWriter(format: LegacyFormat, exp: LegacyExport): LegacyWriter {
  switch (format) {
    case 'CSV':
      return legacyCsvWriter(exp);
    case 'JSON':
      return legacyJsonWriter(exp);
    case 'XML':
      return legacyXmlWriter(exp);
    case 'HTML':
      return legacyHtmlWriter(exp);
  }
}

export { legacyCsvWriter, legacyHtmlWriter, legacyJsonWriter, legacyXmlWriter };
export { prepareLegacyExport, LegacyExportOptionError } from './legacy-export.ts';
export type { Cell, LegacyExport, LegacyExportOptions, StoredLocation, StoredResponse } from './legacy-export.ts';
export { legacyBatchChunks, legacyChunks, legacyDocument, type LegacyWriter } from './legacy-writer.ts';
export { columnKey, importId, legacyColumns, type LegacyColumn, type LegacyColumnOptions } from './legacy-columns.ts';
export { storedValues } from './stored-values.ts';
export { xmlName, XML_ROOT, XML_ROW } from './legacy-xml.ts';
export { DEFAULT_RESPONSE_SET_NAME, splitName } from './response-meta.ts';

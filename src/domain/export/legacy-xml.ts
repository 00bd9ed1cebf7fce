/**
 * Format=XML (§3.4): a root element with one `<Response>` per response and one element per
 * column, named by the column's JSON key (`<ResponseID>`, `<ResponseSet>`, …, `<Q1>`). The root's
 * name was never recorded; `<Responses>` is the spec's best guess. Empty cells are self-closing,
 * as in every other XML document Insight writes.
 *
 * Names that are not XML names are sanitized as the spec records for side-by-side columns (`#` is
 * dropped), generalised: every character an XML name cannot hold is dropped (`Q6#1_2` → `Q61_2`,
 * `peeling: 92` → `peeling92`), and a name that then starts with something other than a letter or
 * `_`, starts with "xml", or is empty gets a leading `_`.
 */
import { escapeText } from './fast-text.ts';
import { rowCells } from './legacy-cells.ts';
import type { Cell, LegacyExport, StoredResponse } from './legacy-export.ts';
import type { LegacyWriter } from './legacy-writer.ts';

export const XML_ROOT = 'Responses';
export const XML_ROW = 'Response';

export function legacyXmlWriter(exp: LegacyExport): LegacyWriter {
  const names = exp.columns.map((c) => xmlName(c.key));
  return {
    contentType: 'text/xml; charset=utf-8',
    head: () => `<?xml version="1.0" encoding="UTF-8"?>\n<${XML_ROOT}>`,
    row(r: StoredResponse): string {
      const cells = rowCells(exp.cells, r);
      let out = `<${XML_ROW}>`;
      for (let i = 0; i < cells.length; i++) out += element(names[i], cells[i]);
      return `${out}</${XML_ROW}>`;
    },
    tail: () => `</${XML_ROOT}>`,
  };
}

function element(name: string, v: Cell): string {
  const text = v === null ? '' : typeof v === 'number' ? String(v) : escapeText(v);
  return text === '' ? `<${name}/>` : `<${name}>${text}</${name}>`;
}

/** A column key as an XML element name (see the module comment). */
export function xmlName(key: string): string {
  const kept = key.replace(/[^A-Za-z0-9_.\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/g, '');
  return /^[A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]/.test(kept) && !/^xml/i.test(kept)
    ? kept
    : `_${kept}`;
}

/**
 * Format=JSON (§3.2, wire-examples §4.17): no envelope, one object keyed by ResponseID in export
 * order; each value holds the columns in order, keyed by their JSON key (fixed fields by label,
 * without ResponseID, which is the key). PHP json_encode text (`\/`, `\uXXXX`).
 *
 * Written by hand rather than through JSON.stringify of an object, because JavaScript objects move
 * integer-like keys (a numeric export tag) to the front. A key repeated by several columns keeps its
 * first position and takes the last value, as a PHP array does.
 */
import { phpJson } from '../../api/wrapi/serialize.ts';
import { jsonString } from './fast-text.ts';
import { rowCells } from './legacy-cells.ts';
import type { Cell, LegacyExport, StoredResponse } from './legacy-export.ts';
import type { LegacyWriter } from './legacy-writer.ts';

interface Slot {
  /** The encoded key with its colon. */
  prefix: string;
  /** The last column carrying this key. */
  index: number;
}

export function legacyJsonWriter(exp: LegacyExport): LegacyWriter {
  const slots = jsonSlots(exp);
  let rows = 0;
  return {
    contentType: 'application/json',
    // The opening brace waits for the first row: an empty export may have to be `[]`.
    head: () => '',
    row(r: StoredResponse): string {
      const cells = rowCells(exp.cells, r);
      let body = '';
      for (let i = 0; i < slots.length; i++) body += (i === 0 ? '' : ',') + slots[i].prefix + jsonCell(cells[slots[i].index]);
      return `${rows++ === 0 ? '{' : ','}${phpJson(r.responseId)}:{${body}}`;
    },
    tail: () => (rows > 0 ? '}' : exp.options.emptyJson ?? '{}'),
  };
}

function jsonSlots(exp: LegacyExport): Slot[] {
  const byKey = new Map<string, Slot>();
  exp.columns.forEach((col, index) => {
    if (col.kind === 'meta' && col.label === 'ResponseID') return;
    const slot = byKey.get(col.key);
    if (slot) slot.index = index;
    else byKey.set(col.key, { prefix: `${phpJson(col.key)}:`, index });
  });
  return [...byKey.values()];
}

function jsonCell(v: Cell): string {
  if (v === null) return 'null';
  return typeof v === 'number' ? (Number.isFinite(v) ? String(v) : 'null') : jsonString(v);
}

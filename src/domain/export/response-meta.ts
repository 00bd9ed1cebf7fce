/**
 * The fixed columns of a legacy export (ResponseID … Finished) read from a stored response.
 * JSON types follow §3.2 and the recorded traffic (wire-examples §4.17): everything is a string
 * except IPAddress, which is null when unknown, and Finished, which is the number 0 for unfinished
 * (in-progress) sessions.
 */
import { exportDateTime } from './fast-text.ts';
import type { Cell, StoredResponse } from './legacy-export.ts';

export type MetaReader = (r: StoredResponse) => Cell;

export interface MetaContext {
  /** The zone StartDate/EndDate are written in. */
  timeZone: string;
  responseSetName?: (responseSetId: string) => string;
}

export const DEFAULT_RESPONSE_SET_NAME = 'Default Response Set';

/** Reader for the fixed column with this label (both dialects' labels), or undefined if unknown. */
export function metaReader(label: string, ctx: MetaContext): MetaReader | undefined {
  const setName = ctx.responseSetName ?? ((): string => DEFAULT_RESPONSE_SET_NAME);
  switch (label) {
    case 'ResponseID':
      return (r) => r.responseId;
    case 'ResponseSet':
      return (r) => setName(r.responseSetId);
    case 'Name':
      return (r) => r.name ?? 'Anonymous';
    case 'RecipientLastName':
      return (r) => splitName(r.name)[0];
    case 'RecipientFirstName':
      return (r) => splitName(r.name)[1];
    case 'ExternalDataReference':
      return (r) => r.externalRef ?? '';
    case 'EmailAddress':
    case 'RecipientEmail':
      return (r) => r.email ?? '';
    case 'IPAddress':
      return (r) => r.ipAddress;
    case 'Status':
      return (r) => String(r.status);
    case 'StartDate':
      return (r) => exportDateTime(r.startDate, ctx.timeZone);
    case 'EndDate':
      return (r) => exportDateTime(r.endDate, ctx.timeZone);
    case 'Finished':
      return (r) => (r.finished === 1 ? '1' : 0);
    default:
      return undefined;
  }
}

/** "Last, First" → [last, first]; the 'named' dialect writes the two parts in separate columns. */
export function splitName(name: string | null): [string, string] {
  if (name === null) return ['', ''];
  const at = name.indexOf(', ');
  return at < 0 ? [name, ''] : [name.slice(0, at), name.slice(at + 2)];
}

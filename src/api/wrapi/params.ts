import type { FastifyRequest } from 'fastify';
import { invalidParam } from '../../services/errors.ts';

export interface UploadedFile {
  field: string;
  filename: string;
  mimetype: string;
  data: Buffer;
}

/**
 * One request's parameters, merged from every place a client may put them.
 *
 * Precedence, like PHP's `$_REQUEST` that the original server read: the query string first, then
 * the body (form fields, multipart fields or a JSON object) overriding it name by name. Within one
 * source a repeated name keeps its last value. `ED[Key]=v` pairs (and a JSON `"ED":{…}` object) are
 * collected into `embeddedData` instead.
 */
export interface MergedParams {
  values: Map<string, string>;
  embeddedData: Map<string, string>;
  /** Names whose JSON value was not a scalar: declared ones are reported as invalid. */
  malformed: Set<string>;
  files: UploadedFile[];
  /** The body as sent, for Requests that read a raw document (importPanel's CSV). */
  rawBody: Buffer | undefined;
  contentType: string;
}

const ED_KEY = /^ED\[(.+)\]$/;

export function emptyParams(contentType = ''): MergedParams {
  return { values: new Map(), embeddedData: new Map(), malformed: new Set(), files: [], rawBody: undefined, contentType };
}

function put(into: MergedParams, name: string, value: string): void {
  const ed = name.startsWith('ED[') ? ED_KEY.exec(name) : null;
  if (ed) into.embeddedData.set(ed[1] as string, value);
  else {
    into.values.set(name, value);
    into.malformed.delete(name);
  }
}

export function addQueryString(into: MergedParams, query: string): void {
  for (const [name, value] of new URLSearchParams(query)) put(into, name, value);
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  return undefined;
}

export function addJsonBody(into: MergedParams, body: Buffer): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidParam('Body');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidParam('Body');
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (value === null) continue;
    if (name === 'ED' && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const s = scalar(v);
        if (s !== undefined) into.embeddedData.set(k, s);
      }
      continue;
    }
    const s = scalar(value);
    if (s === undefined) into.malformed.add(name);
    else put(into, name, s);
  }
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export const isJsonType = (type: string) => type === 'application/json' || type === 'text/json';

/** Reads a multipart body: fields become parameters, file parts are kept whole (with the size limit). */
export async function addMultipart(into: MergedParams, request: FastifyRequest): Promise<void> {
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      into.files.push({ field: part.fieldname, filename: part.filename, mimetype: part.mimetype, data: await part.toBuffer() });
    } else if (typeof part.value === 'string') {
      put(into, part.fieldname, part.value);
    }
  }
}

export function addFormBody(into: MergedParams, body: Buffer): void {
  addQueryString(into, body.toString('utf8'));
}

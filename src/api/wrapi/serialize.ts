/**
 * Renders one neutral payload (plain objects, arrays, strings, numbers, booleans, null) the way the
 * original PHP server did, in each Format. Handlers never build wire text themselves.
 */
import { phpJson } from '../../domain/php-json.ts';
import { xmlText } from '../../domain/xml.ts';

export { phpJson, xmlText };

export type Format = 'XML' | 'JSON' | 'JSONP' | 'CSV' | 'HTML';

const XML_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function scalarText(value: unknown): string {
  if (value === null || value === undefined || value === false) return '';
  if (value === true) return '1';
  return String(value);
}

function xmlNode(name: string, attrs: string, value: unknown, out: string[], emptyPair: boolean): void {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push(emptyPair ? `<${name}${attrs}></${name}>` : `<${name}${attrs}/>`);
      return;
    }
    out.push(`<${name}${attrs}>`);
    value.forEach((item, i) => xmlNode('element', ` id="${i}"`, item, out, emptyPair));
    out.push(`</${name}>`);
    return;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) {
      out.push(emptyPair ? `<${name}${attrs}></${name}>` : `<${name}${attrs}/>`);
      return;
    }
    out.push(`<${name}${attrs}>`);
    for (const [key, child] of entries) {
      // A key that is no XML name (a number, a name with spaces) becomes <element id="key">.
      if (XML_NAME.test(key) && !/^xml/i.test(key)) xmlNode(key, '', child, out, emptyPair);
      else xmlNode('element', ` id="${xmlText(key)}"`, child, out, emptyPair);
    }
    out.push(`</${name}>`);
    return;
  }
  const text = scalarText(value);
  if (text === '') out.push(emptyPair ? `<${name}${attrs}></${name}>` : `<${name}${attrs}/>`);
  else out.push(`<${name}${attrs}>${xmlText(text)}</${name}>`);
}

/**
 * `<XML>` root, object keys as elements, arrays as `<element id="N">`. Empty values are self-closing
 * in success documents; the recorded error document writes them as open/close pairs, so errors do too.
 */
export function toXml(root: string, value: unknown, options: { emptyPair?: boolean } = {}): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n'];
  xmlNode(root, '', value, out, options.emptyPair ?? false);
  return out.join('');
}

export function successEnvelope(result: unknown): { Meta: { Status: 'Success'; Debug: '' }; Result: unknown } {
  return { Meta: { Status: 'Success', Debug: '' }, Result: result };
}

export interface ErrorMeta {
  requestType: string;
  httpStatus: number;
  qualtricsCode: string;
  message: string;
}

export function errorEnvelope(e: ErrorMeta) {
  return {
    Meta: {
      Status: 'Error',
      RequestType: e.requestType,
      ErrorCode: e.httpStatus,
      QualtricsErrorCode: e.qualtricsCode,
      ErrorMessage: e.message,
      Debug: '',
    },
    Result: null,
  };
}

const JSONP_CALLBACK = /^[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*$/;

/** Only a plain (dotted) identifier may name the JSONP callback: nothing that could inject script. */
export function isSafeCallback(name: string): boolean {
  return name.length <= 128 && JSONP_CALLBACK.test(name);
}

export interface Rendered {
  contentType: string;
  body: string;
}

/** Renders an envelope (success or error) in an envelope format. */
export function renderEnvelope(envelope: unknown, format: 'XML' | 'JSON' | 'JSONP', options: { pretty?: boolean; callback?: string; error?: boolean } = {}): Rendered {
  switch (format) {
    case 'XML':
      return { contentType: 'text/xml; charset=utf-8', body: toXml('XML', envelope, { emptyPair: options.error ?? false }) };
    case 'JSONP':
      return { contentType: 'application/javascript; charset=utf-8', body: `${options.callback}(${phpJson(envelope, options.pretty)})` };
    case 'JSON':
      return { contentType: 'application/json', body: phpJson(envelope, options.pretty) };
  }
}

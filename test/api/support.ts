import type { FastifyInstance, InjectOptions } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { expect } from 'vitest';
import { API, toCall, type Call } from '../helpers/wrapi.ts';

/** Any request, answered as a Call (status, headers, body, parsed JSON when it is JSON). */
export async function call(app: FastifyInstance, options: InjectOptions): Promise<Call> {
  return toCall(await app.inject(options));
}

/** A GET whose query string is written by hand (repeated keys, odd encodings). */
export const rawGet = (app: FastifyInstance, query: string, remoteAddress?: string) => call(app, { method: 'GET', url: `${API}?${query}`, remoteAddress });

/** A JSON string as PHP json_encode writes it: `/` as `\/`, non-ASCII as \uXXXX. */
const php = (s: string) => JSON.stringify(s).replace(/[/\u0080-\uffff]/g, (c) => (c === '/' ? '\\/' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

/** The error body the spec records, byte for byte (§1.6). */
export function errorBody(requestType: string, http: number, code: string, message: string): string {
  return `{"Meta":{"Status":"Error","RequestType":${php(requestType)},"ErrorCode":${http},"QualtricsErrorCode":${php(code)},"ErrorMessage":${php(message)},"Debug":""},"Result":null}`;
}

export const paramMessage = (param: string) => `Invalid request. Missing or invalid parameter ${param}.`;

/** A JSON error answer: exact body, HTTP status = ErrorCode, the two failure headers, no charset. */
export function expectJsonError(r: Call, requestType: string, http: number, code: string, message: string): void {
  expect(r.body).toBe(errorBody(requestType, http, code, message));
  expect(r.status).toBe(http);
  expect(r.headers['status']).toBe(String(http));
  expect(r.headers['requeststatus']).toBe('Failure');
  expect(r.headers['content-type']).toBe('application/json');
}

export function expectInvalidParam(r: Call, requestType: string, param: string): void {
  expectJsonError(r, requestType, 400, `ESRV35|${param}`, paramMessage(param));
}

/** A success answer: 200, no failure headers. */
export function expectSuccess(r: Call): void {
  expect(r.status, r.body).toBe(200);
  expect(r.headers['requeststatus']).toBeUndefined();
  expect(r.headers['status']).toBeUndefined();
}

/** Parses an XML envelope back, keeping `id` attributes and every value as text. */
export function parseXml(body: string): Record<string, unknown> {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (name) => name === 'element' });
  return parser.parse(body) as Record<string, unknown>;
}

export const ADMIN_ONLY = { http: 500, code: 'ESEC06', message: 'Only a Brand Administrator may make this request.' };
export const BAD_CREDENTIALS = { http: 401, code: 'ESEC01', message: 'Incorrect Username or Password' };
export const TOO_MANY = { http: 401, code: 'ESEC04', message: 'Too many failed login attempts. Your account has been disabled for 10 minutes.' };
export const notFoundMessage = (param: string) => `The ${param} is unknown to this user account.`;

import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { ServiceError, invalidParam } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import { addFormBody, addJsonBody, addMultipart, addQueryString, emptyParams, isJsonType, mediaType, type MergedParams } from './params.ts';
import { ENVELOPE_FORMATS, RawDocument, findRequest, type Product, type RequestDef } from './registry.ts';
import { errorEnvelope, isSafeCallback, renderEnvelope, successEnvelope, type Format } from './serialize.ts';
import './requests/index.ts';

export const API_BODY_LIMIT = 64 * 1024 * 1024;
const VERSIONS = new Set(['2.0', '2.1', '2.2', '2.3', '2.4', '2.5']);
export const LATEST_VERSION = '2.5';
const FORMATS = new Set<Format>(['XML', 'JSON', 'JSONP', 'CSV', 'HTML']);

/** How an answer (success or error) is to be written, once the envelope parameters are known. */
interface Output {
  format: 'XML' | 'JSON' | 'JSONP';
  pretty: boolean;
  callback: string | undefined;
}

/**
 * The v2 endpoint: one URL per product, the operation in `Request`. Lifecycle: merge parameters →
 * find the Request → check Format/Version → authenticate → validate the Request's own parameters →
 * run its handler → render the result (or the error) in the asked Format.
 */
export async function wrapiEndpoint(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const { services } = opts;
  // Bodies reach the handler as raw bytes: which way to read them depends on the Request.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: API_BODY_LIMIT }, (_req, body, done) => done(null, body));
  await app.register(multipart, { limits: { fileSize: API_BODY_LIMIT, files: 10, fields: 1000, fieldSize: 1024 * 1024 } });

  // Fastify itself rejects some requests before the handler runs (oversized body, unparsable
  // Content-Type): they still get the envelope, in the Format the query string asked for.
  app.setErrorHandler((error: Error, request, reply) => {
    const params = emptyParams();
    addQueryString(params, queryStringOf(request));
    return sendError(reply, toServiceError(error, request), params.values.get('Request') ?? '', outputOf(params));
  });

  for (const product of ['ControlPanel', 'Contacts'] as const) {
    const handler = (request: FastifyRequest, reply: FastifyReply) => handle(product, services, request, reply);
    app.route({ method: ['GET', 'POST'], url: `/WRAPI/${product}/api.php`, bodyLimit: API_BODY_LIMIT, handler });
  }
}

async function collectParams(request: FastifyRequest, def: RequestDef | undefined, query: MergedParams): Promise<MergedParams> {
  const type = mediaType(request.headers['content-type']);
  const merged = query;
  merged.contentType = type;
  if (request.isMultipart()) {
    // A multipart body the reader cannot parse (no boundary, truncated) is the client's error.
    await addMultipart(merged, request).catch((error: unknown) => {
      throw error instanceof ServiceError ? error : invalidParam('Body');
    });
    return merged;
  }
  const body = Buffer.isBuffer(request.body) ? request.body : undefined;
  if (!body || body.length === 0) return merged;
  merged.rawBody = body;
  if (def?.rawBody && !isJsonType(type)) return merged;
  if (isJsonType(type)) addJsonBody(merged, body);
  else if (type === 'application/x-www-form-urlencoded' || type === '') addFormBody(merged, body);
  return merged;
}

/** Everything after the first `?` (a value may itself contain `?`). */
function queryStringOf(request: FastifyRequest): string {
  const url = request.raw.url ?? '';
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
}

/**
 * Any failure as a catalogue error. Errors with a 4xx status come from Fastify or the multipart
 * reader and mean the body was malformed or too large: ESRV35|Body. Anything else is a defect,
 * logged and answered with the generic internal error (never a stack trace).
 */
function toServiceError(error: unknown, request: FastifyRequest): ServiceError {
  if (error instanceof ServiceError) return error;
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return invalidParam('Body');
  request.log.error({ err: error }, 'unhandled error in API request');
  return new ServiceError('Internal');
}

function outputOf(params: MergedParams): Output {
  const asked = params.values.get('Format');
  const format = asked === 'JSON' || asked === 'JSONP' ? asked : 'XML';
  const callback = params.values.get('JSONPCallback');
  if (format === 'JSONP' && (callback === undefined || !isSafeCallback(callback))) {
    return { format: 'JSON', pretty: params.values.get('JSONPrettyPrint') === '1', callback: undefined };
  }
  return { format, pretty: params.values.get('JSONPrettyPrint') === '1', callback };
}

async function handle(product: Product, services: Services, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const params = emptyParams();
  addQueryString(params, queryStringOf(request));
  let requestName = params.values.get('Request') ?? '';
  let out: Output = outputOf(params);
  try {
    // The Request may itself be in the body: read the body, then look again.
    const early = requestName ? findRequest(product, requestName) : undefined;
    await collectParams(request, early, params);
    requestName = params.values.get('Request') ?? '';
    out = outputOf(params);
    if (!requestName) throw invalidParam('Request');
    const def = findRequest(product, requestName);
    if (!def) throw new ServiceError('UnknownRequest');
    if (def.formats?.length === 1 && def.formats[0] === 'XML') out = { format: 'XML', pretty: false, callback: undefined };
    const format = checkEnvelope(def, params);
    const user = params.values.get('User');
    const token = params.values.get('Token');
    if (!user) throw invalidParam('User');
    if (!token) throw invalidParam('Token');
    const actor = await services.auth.authenticateToken(user, token, request.ip);
    const parsed = validate(def, params);
    const result = await def.handler({
      actor,
      params: parsed,
      embeddedData: params.embeddedData,
      files: params.files,
      rawBody: params.rawBody,
      format,
      services,
      clientAddress: request.ip,
    });
    return sendResult(reply, result, out);
  } catch (error) {
    return sendError(reply, toServiceError(error, request), requestName, out);
  }
}

function checkEnvelope(def: RequestDef, params: MergedParams): Format {
  const formats = def.formats ?? ENVELOPE_FORMATS;
  const asked = params.values.get('Format');
  // A Request with a single format (getSurvey: XML) ignores Format, as the original server did.
  const format = formats.length === 1 ? formats[0] : asked === undefined || asked === '' ? 'XML' : asked;
  if (!FORMATS.has(format as Format) || !formats.includes(format as Format)) throw invalidParam('Format');
  if (format === 'JSONP') {
    const callback = params.values.get('JSONPCallback');
    if (callback === undefined || !isSafeCallback(callback)) throw invalidParam('JSONPCallback');
  }
  const version = params.values.get('Version');
  if (version !== undefined && version !== '' && !VERSIONS.has(version)) throw invalidParam('Version');
  return format as Format;
}

const declares = new WeakMap<RequestDef, boolean>();
function hasParams(def: RequestDef): boolean {
  let has = declares.get(def);
  if (has === undefined) declares.set(def, (has = Object.keys(def.params).length > 0));
  return has;
}

// zod compiles an object schema on its first parse: build each Request's schema once, not per call.
const schemas = new WeakMap<RequestDef, z.ZodType<Record<string, unknown>>>();
function schemaOf(def: RequestDef): z.ZodType<Record<string, unknown>> {
  let schema = schemas.get(def);
  if (!schema) schemas.set(def, (schema = z.object(def.params)));
  return schema;
}

function validate(def: RequestDef, params: MergedParams): Record<string, unknown> {
  // Nothing declared: zod would only copy an empty object (a measurable share of a trivial Request).
  if (!hasParams(def)) return {};
  const input: Record<string, string> = {};
  for (const name of Object.keys(def.params)) {
    if (params.malformed.has(name)) throw invalidParam(name);
    const value = params.values.get(name);
    if (value !== undefined) input[name] = value;
  }
  const parsed = schemaOf(def).safeParse(input);
  if (!parsed.success) throw invalidParam(String(parsed.error.issues[0]?.path[0] ?? 'Request'));
  return parsed.data;
}

function sendResult(reply: FastifyReply, result: unknown, out: Output): FastifyReply {
  reply.header('Cache-Control', 'no-store');
  if (result instanceof RawDocument) {
    reply.headers(result.headers).type(result.contentType);
    const body = result.body;
    return reply.send(Buffer.isBuffer(body) || typeof body === 'string' ? body : Readable.from(body as AsyncIterable<unknown>));
  }
  const rendered = renderEnvelope(successEnvelope(result), out.format, { pretty: out.pretty, callback: out.callback });
  if (out.format === 'JSONP') reply.header('X-Content-Type-Options', 'nosniff');
  return reply.header('Content-Type', rendered.contentType).send(Buffer.from(rendered.body));
}

function sendError(reply: FastifyReply, error: ServiceError, requestType: string, out: Output): FastifyReply {
  const envelope = errorEnvelope({ requestType, httpStatus: error.httpStatus, qualtricsCode: error.qualtricsCode, message: error.message });
  const rendered = renderEnvelope(envelope, out.format, { pretty: out.pretty, callback: out.callback, error: true });
  if (out.format === 'JSONP') reply.header('X-Content-Type-Options', 'nosniff');
  return reply
    .code(error.httpStatus)
    .header('Cache-Control', 'no-store')
    .header('Status', String(error.httpStatus))
    .header('RequestStatus', 'Failure')
    .header('Content-Type', rendered.contentType)
    .send(Buffer.from(rendered.body));
}

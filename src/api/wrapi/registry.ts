import { z } from 'zod';
import type { Actor } from '../../services/actor.ts';
import type { ErrorKind } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import type { UploadedFile } from './params.ts';
import type { Format } from './serialize.ts';

export type Product = 'ControlPanel' | 'Contacts';
export type Area = 'Administration' | 'Library' | 'Panel' | 'Survey' | 'Responses' | 'Reporting' | 'Distribution' | 'Subscriptions' | 'Contacts';

/** A document that is sent as it is, without the Meta/Result envelope (getSurvey XML, CSV exports…). */
export class RawDocument {
  constructor(
    readonly contentType: string,
    readonly body: string | Buffer | NodeJS.ReadableStream,
    readonly headers: Record<string, string> = {},
  ) {}
}

export interface HandlerContext<P> {
  actor: Actor;
  params: P;
  embeddedData: Map<string, string>;
  files: UploadedFile[];
  rawBody: Buffer | undefined;
  format: Format;
  services: Services;
  clientAddress: string;
}

type Shape = Record<string, z.ZodType>;

export interface RequestDef<S extends Shape = Shape> {
  name: string;
  product: Product;
  area: Area;
  summary: string;
  /** True for Requests Insight adds beyond the recorded Qualtrics set. */
  addition?: boolean;
  params: S;
  /** Formats this Request answers in; default XML, JSON, JSONP. */
  formats?: Format[];
  /** The body is a raw document (CSV): a urlencoded body is not read as form fields. */
  rawBody?: boolean;
  /** What Result holds, for the reference page. */
  result: string;
  example: unknown;
  errors: ErrorKind[];
  handler(ctx: HandlerContext<z.infer<z.ZodObject<S>>>): Promise<unknown>;
}

export const ENVELOPE_FORMATS: Format[] = ['XML', 'JSON', 'JSONP'];

const registries = new Map<Product, Map<string, RequestDef>>();

/** Declares one Request. Adding a Request is one call of this in requests/<area>.ts. */
export function defineRequest<S extends Shape>(def: RequestDef<S>): RequestDef<S> {
  let byName = registries.get(def.product);
  if (!byName) registries.set(def.product, (byName = new Map()));
  if (byName.has(def.name)) throw new Error(`Request ${def.name} is defined twice`);
  byName.set(def.name, def as unknown as RequestDef);
  return def;
}

export function findRequest(product: Product, name: string): RequestDef | undefined {
  return registries.get(product)?.get(name);
}

export function allRequests(product: Product): RequestDef[] {
  return [...(registries.get(product)?.values() ?? [])];
}

// ---- parameter schemas: every value arrives as a string ----

/** A required, non-empty parameter. */
export const required = (description: string, max = 1000) => z.string().min(1).max(max).describe(description);
/** An optional parameter; an empty value counts as absent. */
export const optional = (description: string, max = 1000) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .describe(description);
/** 0/1 (also true/false), absent = the default. */
export const flag = (description: string, fallback = false) =>
  z
    .enum(['0', '1', 'true', 'false', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === '1' || v === 'true'))
    .describe(description);
/** An ID with its prefix, e.g. id('UR', …) accepts UR_ + 15 base-62 characters. */
export const id = (prefix: string, description: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]{15}$`))
    .describe(description);
export const optionalId = (prefix: string, description: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || new RegExp(`^${prefix}_[0-9A-Za-z]{15}$`).test(v))
    .describe(description);

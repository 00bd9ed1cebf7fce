/**
 * Fetching a user-supplied URL without handing users a way into the server's network (SSRF).
 *
 * - Only http: and https:.
 * - The host is resolved once, inside the socket's own `lookup`, and every address it resolves to
 *   must be public unicast; the socket then connects to exactly the address that was checked (no
 *   second resolution a DNS-rebinding attacker could answer differently). IP literals are checked
 *   before any connection is attempted.
 * - Redirects are followed (at most `maxRedirects`), each hop through the same checks.
 * - The body is capped at `maxBytes` and the whole fetch at `timeoutMs`.
 * `allowPrivate` (the operator's ALLOW_PRIVATE_URLS) lifts only the address rule.
 * `postUrl` (webhook deliveries) sends one POST under the same rules and never follows a redirect.
 */
import http from 'node:http';
import https from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type UrlFetchFailure = 'scheme' | 'address' | 'redirect' | 'too-large' | 'timeout' | 'status' | 'network' | 'url';

export class UrlFetchError extends Error {
  constructor(
    readonly reason: UrlFetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'UrlFetchError';
  }
}

export interface FetchOptions {
  allowPrivate?: boolean;
  maxBytes?: number;
  timeoutMs?: number;
  maxRedirects?: number;
  /** Decides which resolved addresses may be connected to; default: public unicast only (unless allowPrivate). */
  allowAddress?: (address: string) => boolean;
  /** The resolver under the check (default dns.lookup with all: true); tests inject a rebinding one here. */
  resolve?: Resolver;
}

export type Resolver = (hostname: string, options: { all: true; family: number }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

export interface FetchedDocument {
  body: Buffer;
  contentType: string | undefined;
  /** The URL the body came from, after redirects. */
  url: string;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/** True for globally routable unicast addresses; false for private, loopback, link-local (metadata), etc. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

function checkUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UrlFetchError('url', 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UrlFetchError('scheme', 'only http and https URLs can be fetched');
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that refuses the host when any of its addresses is not allowed. */
function guardedLookup(allowed: (address: string) => boolean, resolve: Resolver) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    resolve(hostname, { all: true, family: typeof options.family === 'number' ? options.family : 0 }, (err, addresses) => {
      if (err) return callback(err, []);
      if (addresses.length === 0 || addresses.some((a) => !allowed(a.address))) {
        return callback(Object.assign(new UrlFetchError('address', `${hostname} resolves to an address that may not be fetched`), { code: 'EADDRREFUSED' }), []);
      }
      // The addresses handed back are the ones just checked: the socket connects to one of them.
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

interface Hop {
  status: number;
  location: string | undefined;
  contentType: string | undefined;
  body: Buffer | undefined;
}

interface Send {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Buffer;
  /** Answer any status with its (capped) body instead of refusing all but 200. */
  anyStatus?: boolean;
}

const GET: Send = { method: 'GET', headers: { 'User-Agent': 'Insight URL fetch', Accept: '*/*' } };

function requestOnce(url: URL, allowed: (address: string) => boolean, resolver: Resolver, maxBytes: number, deadline: number, send: Send = GET): Promise<Hop> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !allowed(host)) return Promise.reject(new UrlFetchError('address', `${host} may not be fetched`));
  const client = url.protocol === 'https:' ? https : http;
  const headers = send.body ? { ...send.headers, 'Content-Length': String(send.body.length) } : send.headers;
  return new Promise<Hop>((resolve, reject) => {
    // agent: false — a pooled socket would skip the guarded lookup for a host resolved earlier.
    const req = client.request(url, { method: send.method, agent: false, lookup: guardedLookup(allowed, resolver) as never, headers }, (res) => {
      const status = res.statusCode ?? 0;
      const contentType = res.headers['content-type'];
      if (status >= 300 && status < 400) {
        res.resume();
        return resolve({ status, location: res.headers.location, contentType, body: undefined });
      }
      if (status !== 200 && !send.anyStatus) {
        res.resume();
        return reject(new UrlFetchError('status', `the server answered HTTP ${status}`));
      }
      if (send.anyStatus) {
        // The status is the answer; of the body only a bounded start is kept (an error text to log).
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < maxBytes) chunks.push(chunk.subarray(0, maxBytes - size));
          size += chunk.length;
        });
        res.on('end', () => resolve({ status, location: undefined, contentType, body: Buffer.concat(chunks) }));
        res.on('error', reject);
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        req.destroy();
        return reject(new UrlFetchError('too-large', `the document is larger than ${maxBytes} bytes`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return req.destroy(new UrlFetchError('too-large', `the document is larger than ${maxBytes} bytes`));
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status, location: undefined, contentType, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new UrlFetchError('timeout', 'the fetch timed out')), Math.max(0, deadline - Date.now()));
    req.on('close', () => clearTimeout(timer));
    req.on('error', (error) => reject(error instanceof UrlFetchError ? error : ((error as { cause?: unknown }).cause instanceof UrlFetchError ? (error as { cause: UrlFetchError }).cause : new UrlFetchError('network', error.message))));
    req.end(send.body);
  });
}

function allowedBy(options: FetchOptions): (address: string) => boolean {
  return options.allowAddress ?? (options.allowPrivate ? (a: string) => ipaddr.isValid(a) : isPublicAddress);
}

/** Fetches a document from a user-supplied http(s) URL under the rules above. */
export async function fetchUrl(rawUrl: string, options: FetchOptions = {}): Promise<FetchedDocument> {
  const allowed = allowedBy(options);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const maxRedirects = options.maxRedirects ?? 3;
  let url = checkUrl(rawUrl);
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(url, allowed, options.resolve ?? systemResolver, maxBytes, deadline);
    if (res.body) return { body: res.body, contentType: res.contentType, url: url.href };
    if (!res.location || hop >= maxRedirects) throw new UrlFetchError('redirect', 'too many redirects, or a redirect without a Location');
    try {
      url = checkUrl(new URL(res.location, url).href);
    } catch (error) {
      throw error instanceof UrlFetchError && error.reason === 'scheme' ? new UrlFetchError('redirect', 'a redirect to a URL that may not be fetched') : error;
    }
  }
}

export interface PostResult {
  status: number;
  /** The answer's first bytes (capped at maxBytes; empty for a redirect). */
  body: Buffer;
  /** Where a 3xx answer pointed (not followed). */
  location: string | undefined;
}

/**
 * POSTs `body` to a user-supplied URL under the same address rules, and answers whatever status the
 * server gave: a redirect is reported, never followed (a receiver must not bounce us elsewhere).
 */
export async function postUrl(rawUrl: string, body: Buffer, headers: Record<string, string>, options: FetchOptions = {}): Promise<PostResult> {
  const url = checkUrl(rawUrl);
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const res = await requestOnce(url, allowedBy(options), options.resolve ?? systemResolver, options.maxBytes ?? 64 * 1024, deadline, {
    method: 'POST', headers, body, anyStatus: true,
  });
  return { status: res.status, body: res.body ?? Buffer.alloc(0), location: res.location };
}

/**
 * The checks that can be made before any lookup: a parseable http(s) URL, and no IP literal (or
 * `localhost` name) outside the allowed addresses. Throws UrlFetchError.
 */
export function checkTargetUrl(rawUrl: string, options: FetchOptions = {}): URL {
  const url = checkUrl(rawUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const allowed = allowedBy(options);
  if (isIP(host) && !allowed(host)) throw new UrlFetchError('address', `${host} may not be fetched`);
  if (!options.allowPrivate && !options.allowAddress && (host === 'localhost' || host.endsWith('.localhost'))) throw new UrlFetchError('address', `${host} may not be fetched`);
  return url;
}

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
}

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
function guardedLookup(allowed: (address: string) => boolean) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, family: typeof options.family === 'number' ? options.family : 0 }, (err, addresses) => {
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

function requestOnce(url: URL, allowed: (address: string) => boolean, maxBytes: number, deadline: number): Promise<Hop> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && !allowed(host)) return Promise.reject(new UrlFetchError('address', `${host} may not be fetched`));
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<Hop>((resolve, reject) => {
    const req = client.request(url, { method: 'GET', lookup: guardedLookup(allowed) as never, headers: { 'User-Agent': 'Insight URL fetch', Accept: '*/*' } }, (res) => {
      const status = res.statusCode ?? 0;
      const contentType = res.headers['content-type'];
      if (status >= 300 && status < 400) {
        res.resume();
        return resolve({ status, location: res.headers.location, contentType, body: undefined });
      }
      if (status !== 200) {
        res.resume();
        return reject(new UrlFetchError('status', `the server answered HTTP ${status}`));
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
    req.end();
  });
}

/** Fetches a document from a user-supplied http(s) URL under the rules above. */
export async function fetchUrl(rawUrl: string, options: FetchOptions = {}): Promise<FetchedDocument> {
  const allowed = options.allowAddress ?? (options.allowPrivate ? (a: string) => ipaddr.isValid(a) : isPublicAddress);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const maxRedirects = options.maxRedirects ?? 3;
  let url = checkUrl(rawUrl);
  for (let hop = 0; ; hop++) {
    const res = await requestOnce(url, allowed, maxBytes, deadline);
    if (res.body) return { body: res.body, contentType: res.contentType, url: url.href };
    if (!res.location || hop >= maxRedirects) throw new UrlFetchError('redirect', 'too many redirects, or a redirect without a Location');
    try {
      url = checkUrl(new URL(res.location, url).href);
    } catch (error) {
      throw error instanceof UrlFetchError && error.reason === 'scheme' ? new UrlFetchError('redirect', 'a redirect to a URL that may not be fetched') : error;
    }
  }
}

import { createServer, type Server } from 'node:http';
import dns from 'node:dns';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { UrlFetchError, fetchUrl, isPublicAddress } from '../../src/services/url-fetch.ts';

/** A loopback server: /csv answers a small CSV, /big 2 MB, /to?u=… redirects there, /slow never answers. */
let server: Server;
let base: string;
let hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/csv') return res.writeHead(200, { 'Content-Type': 'text/csv' }).end('Email\na@b.example\n');
    if (url.pathname === '/big') return res.writeHead(200).end(Buffer.alloc(2 * 1024 * 1024, 'a'));
    if (url.pathname === '/chunked-big') {
      res.writeHead(200);
      for (let i = 0; i < 40; i++) res.write(Buffer.alloc(64 * 1024, 'b'));
      return res.end();
    }
    if (url.pathname === '/to') return res.writeHead(302, { Location: url.searchParams.get('u') ?? '/' }).end();
    if (url.pathname === '/missing') return res.writeHead(404).end('no');
    if (url.pathname === '/slow') return; // never answers
    res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as net.AddressInfo;
  base = `http://127.0.0.1:${addr.port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(p: Promise<unknown>): Promise<UrlFetchError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UrlFetchError);
  return error as UrlFetchError;
}

describe('isPublicAddress', () => {
  it('accepts public unicast and refuses private, loopback, link-local, metadata, mapped and special ranges', () => {
    for (const a of ['93.184.216.34', '2606:4700::1111', '8.8.8.8']) expect(isPublicAddress(a), a).toBe(true);
    for (const a of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '255.255.255.255', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00:ec2::254', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'nonsense']) {
      expect(isPublicAddress(a), a).toBe(false);
    }
  });
});

describe('fetchUrl', () => {
  it('refuses the local server by default without sending it anything, and fetches it with allowPrivate', async () => {
    hits = [];
    expect((await failure(fetchUrl(`${base}/csv`))).reason).toBe('address');
    expect(hits).toEqual([]);
    const doc = await fetchUrl(`${base}/csv`, { allowPrivate: true });
    expect(doc.body.toString()).toBe('Email\na@b.example\n');
    expect(doc.contentType).toBe('text/csv');
    expect(hits).toEqual(['/csv']);
  });

  it('refuses localhost by name: the address is checked in the lookup itself', async () => {
    const port = (server.address() as net.AddressInfo).port;
    hits = [];
    expect((await failure(fetchUrl(`http://localhost:${port}/csv`))).reason).toBe('address');
    expect(hits).toEqual([]);
  });

  it('refuses metadata, loopback v6, private and non-http URLs without any connection attempt', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const lookup = vi.spyOn(dns, 'lookup');
    try {
      for (const [url, reason] of [
        ['http://169.254.169.254/latest/meta-data/', 'address'],
        ['http://[::1]/', 'address'],
        ['http://10.0.0.1/', 'address'],
        ['http://[::ffff:127.0.0.1]/', 'address'],
        ['ftp://example.com/file.csv', 'scheme'],
        ['file:///etc/passwd', 'scheme'],
        ['not a url', 'url'],
      ] as const) {
        expect((await failure(fetchUrl(url))).reason, url).toBe(reason);
      }
      expect(connect).not.toHaveBeenCalled();
      expect(lookup).not.toHaveBeenCalled();
    } finally {
      connect.mockRestore();
      lookup.mockRestore();
    }
  });

  it('follows a redirect only to an allowed address: loopback and metadata targets are refused', async () => {
    const onlyThisServer = (a: string) => a === '127.0.0.1';
    const ok = await fetchUrl(`${base}/to?u=${encodeURIComponent('/csv')}`, { allowAddress: onlyThisServer });
    expect(ok.body.toString()).toContain('a@b.example');
    expect(ok.url).toBe(`${base}/csv`);
    hits = [];
    const port = (server.address() as net.AddressInfo).port;
    for (const target of [`http://127.0.0.2:${port}/csv`, `http://[::1]:${port}/csv`, 'http://169.254.169.254/', 'http://10.0.0.1/']) {
      const e = await failure(fetchUrl(`${base}/to?u=${encodeURIComponent(target)}`, { allowAddress: onlyThisServer }));
      expect(e.reason, target).toBe('address');
    }
    // Only the redirecting hops reached a server.
    expect(hits.length).toBe(4);
    expect(hits.every((h) => h.startsWith('/to?'))).toBe(true);
    expect((await failure(fetchUrl(`${base}/to?u=${encodeURIComponent('file:///etc/passwd')}`, { allowPrivate: true }))).reason).toBe('redirect');
  });

  it('stops redirect loops', async () => {
    const loop = `${base}/to?u=${encodeURIComponent(`${base}/to?u=${encodeURIComponent(`${base}/to?u=/to`)}`)}`;
    expect((await failure(fetchUrl(loop, { allowPrivate: true, maxRedirects: 2 }))).reason).toBe('redirect');
  });

  it('enforces the size limit (declared or streamed), the timeout, and a 200 status', async () => {
    expect((await failure(fetchUrl(`${base}/big`, { allowPrivate: true, maxBytes: 1024 * 1024 }))).reason).toBe('too-large');
    expect((await failure(fetchUrl(`${base}/chunked-big`, { allowPrivate: true, maxBytes: 1024 * 1024 }))).reason).toBe('too-large');
    expect((await fetchUrl(`${base}/big`, { allowPrivate: true })).body.length).toBe(2 * 1024 * 1024);
    expect((await failure(fetchUrl(`${base}/slow`, { allowPrivate: true, timeoutMs: 200 }))).reason).toBe('timeout');
    expect((await failure(fetchUrl(`${base}/missing`, { allowPrivate: true }))).reason).toBe('status');
  });
});

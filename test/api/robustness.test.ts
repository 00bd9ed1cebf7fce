import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_BODY_LIMIT } from '../../src/api/wrapi/endpoint.ts';
import { allRequests } from '../../src/api/wrapi/registry.ts';
import { ERRORS } from '../../src/services/errors.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { API, type Call } from '../helpers/wrapi.ts';
import { call, expectInvalidParam, parseXml } from './support.ts';

let t: TestApp;
let admin: SeededUser;
let std: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  std = await seedUser(t, 'acme', 'ann');
});
afterAll(async () => t?.close());

/** Small deterministic PRNG (mulberry32) so a failing case can be replayed from its number. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const CODES = new Set<string>(Object.values(ERRORS).map((e) => e.code));
const STATUSES = new Set<number>([200, ...Object.values(ERRORS).map((e) => e.http)]);

interface Meta {
  Status: string;
  RequestType?: string;
  ErrorCode?: number | string;
  QualtricsErrorCode?: string;
  ErrorMessage?: string;
  Debug: string;
}

/** The Meta of any answer, in whichever envelope format it came; fails the test when there is none. */
function metaOf(r: Call, label: string): Meta {
  const type = String(r.headers['content-type'] ?? '');
  if (type === 'application/json') return (JSON.parse(r.body) as { Meta: Meta }).Meta;
  if (type.startsWith('application/javascript')) {
    expect(r.headers['x-content-type-options'], label).toBe('nosniff');
    const m = /^[A-Za-z_$][A-Za-z0-9_$.]*\(([\s\S]*)\)$/.exec(r.body);
    expect(m, label).not.toBeNull();
    return (JSON.parse(m?.[1] ?? '') as { Meta: Meta }).Meta;
  }
  expect(type, label).toBe('text/xml; charset=utf-8');
  return (parseXml(r.body) as { XML: { Meta: Meta } }).XML.Meta;
}

/** Every answer is a well-formed envelope with a catalogue code, its status equal to ErrorCode, never ESRV01 or a trace. */
function expectWellFormed(r: Call, label: string): void {
  expect(STATUSES.has(r.status), `${label} → ${r.status} ${r.body.slice(0, 300)}`).toBe(true);
  expect(r.body, label).not.toMatch(/\n\s+at |node_modules|\.ts:\d+|TypeError|ReferenceError|SyntaxError/);
  const meta = metaOf(r, label);
  if (r.status === 200) {
    expect(meta.Status, label).toBe('Success');
    expect(r.headers['requeststatus'], label).toBeUndefined();
    return;
  }
  expect(meta.Status, label).toBe('Error');
  expect(Number(meta.ErrorCode), label).toBe(r.status);
  const code = String(meta.QualtricsErrorCode);
  expect(CODES.has(code.split('|')[0] ?? ''), `${label}: ${code}`).toBe(true);
  expect(code, `${label}: ${r.body.slice(0, 300)}`).not.toBe(ERRORS.Internal.code);
  expect(r.headers['requeststatus'], label).toBe('Failure');
  expect(r.headers['status'], label).toBe(String(r.status));
}

const HOSTILE = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'x'.repeat(100_000),
  '💥'.repeat(500),
  '\u202e\u2028\u2029',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  '%00%zz%',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  'UR_000000000000000',
  'GR_000000000000000',
  'DV_000000000000000',
  'UT_BRANDADMIN',
  'Disabled',
  '1',
  '0',
  '-1',
  '1e309',
  'NaN',
  'null',
  '__proto__',
  'constructor',
  'JSON',
  'JSONP',
  'XML',
  '2.5',
  'cb',
];

const NAMES = ['Request', 'User', 'Token', 'Format', 'Version', 'JSONPCallback', 'JSONPrettyPrint', 'API_SELECT', 'ED[x]', 'ED[]', 'ED[a][b]', 'UserID', 'GroupID', 'DivisionID', 'Name', 'NewUsername', 'NewPassword', 'FirstName', 'LastName', 'Email', 'Type', 'Organization', 'Status', 'AccessAPI', 'Language', '__proto__', ''];

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)] as T;
}

/** Random text: any BMP code point (NUL and lone surrogates included), up to `max` long, incompressible. */
function randomText(r: () => number, max: number): string {
  const n = Math.floor(r() * max);
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCharCode(r() < 0.7 ? Math.floor(r() * 128) : Math.floor(r() * 0x10000));
  return out;
}

const hostile = (r: () => number) => (r() < 0.3 ? randomText(r, r() < 0.2 ? 20_000 : 200) : pick(r, HOSTILE));

/** One random request: some real Request (or junk), real or junk credentials, hostile values, one transport. */
function randomRequest(seed: number): InjectOptions {
  const r = rng(seed);
  const requests = [...allRequests('ControlPanel').map((d) => d.name), 'nope', 'GETUSERINFO', ''];
  const params: Array<[string, unknown]> = [['Request', pick(r, requests)]];
  const who = r();
  if (who < 0.5) params.push(['User', admin.username], ['Token', admin.token]);
  else if (who < 0.7) params.push(['User', std.username], ['Token', std.token]);
  else if (who < 0.95) params.push(['User', hostile(r)], ['Token', r() < 0.5 ? admin.token : hostile(r)]);
  params.push(['Format', pick(r, ['JSON', 'XML', 'JSON', 'XML', 'JSONP', 'CSV', 'yaml', ''])]);
  if (r() < 0.5) params.push(['JSONPCallback', pick(r, ['cb', 'a.b', 'alert(1)//', '<x>', ''])]);
  if (r() < 0.3) params.push(['Version', pick(r, ['2.3', '2.5', '3', ''])]);
  const extra = Math.floor(r() * 6);
  for (let i = 0; i < extra; i++) params.push([pick(r, NAMES), hostile(r)]);
  const transport = Math.floor(r() * 8);
  const qs = (list: Array<[string, unknown]>) => new URLSearchParams(list.map(([k, v]) => [k, String(v)])).toString();
  const remoteAddress = `10.20.${Math.floor(seed / 200)}.${seed % 200}`;
  switch (transport) {
    case 0:
      return { method: 'GET', url: `${API}?${qs(params)}`, remoteAddress };
    case 1:
      return { method: 'POST', url: API, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: qs(params), remoteAddress };
    case 2: {
      // JSON with non-scalar values mixed in.
      const body: Record<string, unknown> = {};
      for (const [k, v] of params) body[k] = r() < 0.15 ? pick(r, [[v], { v }, null, 1.5, true, -0, 1e300]) : v;
      return { method: 'POST', url: API, headers: { 'content-type': pick(r, ['application/json', 'text/json', 'application/json; charset=latin1']) }, payload: JSON.stringify(body), remoteAddress };
    }
    case 3: {
      const boundary = 'b0und';
      const parts = params.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${String(v)}\r\n`);
      const broken = r() < 0.3;
      return {
        method: 'POST',
        url: API,
        headers: { 'content-type': `multipart/form-data; boundary=${broken ? 'other' : boundary}` },
        payload: `${parts.join('')}${broken ? '' : `--${boundary}--\r\n`}`,
        remoteAddress,
      };
    }
    case 4: {
      // A binary or wrongly typed body, parameters in the URL.
      const bytes = Buffer.alloc(Math.floor(r() * 4096));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
      const type = pick(r, ['application/octet-stream', 'image/png', 'text/plain', 'application/xml', 'application/json', 'multipart/form-data', ';;;', 'x', 'application/x-www-form-urlencoded']);
      return { method: 'POST', url: `${API}?${qs(params)}`, headers: { 'content-type': type }, payload: bytes, remoteAddress };
    }
    case 5:
      // An empty body with a content type that promises one.
      return { method: 'POST', url: `${API}?${qs(params)}`, headers: { 'content-type': pick(r, ['application/json', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) }, payload: '', remoteAddress };
    case 6: {
      // Repeated keys, raw encodings, a stray `?` in the query string.
      // (A lone surrogate cannot be percent-encoded: the UTF-8 round trip replaces it, as a client would.)
      const enc = (s: string) => encodeURIComponent(Buffer.from(s, 'utf8').toString('utf8'));
      const raw = params.map(([k, v]) => `${enc(k)}=${enc(String(v))}`);
      raw.push(...raw.slice(0, 2), 'Format=%ZZ', '=x', '&&', 'a=b?c=d');
      return { method: 'GET', url: `${API}?${raw.join('&')}`, remoteAddress };
    }
    default: {
      // Deeply nested JSON and unusual but valid JSON text.
      const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`;
      const payload = `{"Request":${JSON.stringify(params[0]?.[1] ?? '')},"User":${JSON.stringify(admin.username)},"Token":${JSON.stringify(admin.token)},"Format":"JSON","Name":${deep},"UserID":"\\ud800","Email":"\\u0000"}`;
      return { method: 'POST', url: API, headers: { 'content-type': 'application/json' }, payload, remoteAddress };
    }
  }
}

describe('robustness', () => {
  it('answers 400 random and hostile requests with well-formed catalogue envelopes only', async () => {
    for (let seed = 1; seed <= 400; seed++) {
      const options = randomRequest(seed);
      const r = await call(t.app, options);
      expectWellFormed(r, `seed ${seed}: ${options.method} ${String(options.url).slice(0, 200)} ${String(options.headers?.['content-type'] ?? '')}`);
    }
  });

  it('keeps working for the real users after the fuzzing (nothing was corrupted)', async () => {
    // The fuzzing may have locked the username (wrong Tokens) or regenerated its token (generateToken).
    t.clock.advance(10 * 60 * 1000 + 1);
    admin.token = await t.services.accounts.generateTokenForUsername(admin.username);
    const r = await call(t.app, { method: 'GET', url: `${API}?${new URLSearchParams({ Request: 'getUserInfo', Format: 'JSON', User: admin.username, Token: admin.token })}`, remoteAddress: '10.99.0.1' });
    expect(r.status).toBe(200);
  });

  it('answers malformed bodies with ESRV35|Body in the Format the URL asked for', async () => {
    const url = `${API}?Request=getUserInfo&Format=JSON`;
    const cases: InjectOptions[] = [
      { method: 'POST', url, headers: { 'content-type': 'multipart/form-data' }, payload: 'garbage' },
      { method: 'POST', url, headers: { 'content-type': ';;;' }, payload: 'x=1' },
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{"User":' },
    ];
    for (const options of cases) expectInvalidParam(await call(t.app, options), 'getUserInfo', 'Body');
  });

  it('answers ESRV35|Body for a body over the limit', async () => {
    const big = Buffer.alloc(API_BODY_LIMIT + 1, 0x61);
    const r = await call(t.app, { method: 'POST', url: `${API}?Request=getUserInfo&Format=JSON`, headers: { 'content-type': 'text/csv' }, payload: big });
    expectInvalidParam(r, 'getUserInfo', 'Body');
  });

  it('answers a HEAD request without a body and without a server error', async () => {
    const r = await call(t.app, { method: 'HEAD', url: `${API}?Request=getUserInfo&Format=JSON` });
    expect(r.status).toBe(400);
    expect(r.body).toBe('');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRequests } from '../../src/api/wrapi/registry.ts';
import { escapeHtml } from '../../src/web/html.ts';
import { ERRORS, type ErrorKind } from '../../src/services/errors.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
let cp: { status: number; body: string; headers: Record<string, unknown> };

beforeAll(async () => {
  t = await createTestApp();
  const res = await t.app.inject({ method: 'GET', url: '/WRAPI/ControlPanel/docs.php' });
  cp = { status: res.statusCode, body: res.body, headers: res.headers };
});
afterAll(async () => t?.close());

/** The text of one Request's section, from its heading to the next Request's. */
function section(body: string, name: string): string {
  const start = body.indexOf(`id="${name}_2.5"`);
  const next = body.indexOf('<section class="request"', start);
  return body.slice(start, next === -1 ? undefined : next);
}

describe('API reference', () => {
  it('is public HTML', async () => {
    expect(cp.status).toBe(200);
    expect(String(cp.headers['content-type'])).toContain('text/html');
    const contacts = await t.app.inject({ method: 'GET', url: '/WRAPI/Contacts/docs.php' });
    expect(contacts.statusCode).toBe(200);
    expect(contacts.body).toContain('Contacts (Target Audience) API reference');
  });

  it('documents every registered Request with its anchor, parameters, example and errors', () => {
    const requests = allRequests('ControlPanel');
    expect(requests.length).toBeGreaterThan(5);
    for (const def of requests) {
      expect(cp.body).toContain(`href="#${def.name}_2.5"`);
      const text = section(cp.body, def.name);
      expect(text, def.name).not.toBe('');
      expect(text).toContain(escapeHtml(def.summary));
      for (const [param, schema] of Object.entries(def.params)) {
        expect(text, `${def.name} ${param}`).toContain(`<code>${param}</code>`);
        expect(schema.description ?? '', `${def.name} ${param} has a description`).not.toBe('');
        expect(text).toContain(escapeHtml(schema.description ?? ''));
      }
      for (const kind of def.errors) expect(text, `${def.name} ${kind}`).toContain(ERRORS[kind].code);
      expect(text).toContain(def.addition ? 'Insight addition' : 'Example Result');
    }
    expect(cp.body).toContain('id="createUser_2.5"');
  });

  it('marks optional and required parameters', () => {
    const text = section(cp.body, 'createUser');
    expect(text).toMatch(/<code>NewUsername<\/code><\/th><td><strong>required<\/strong>/);
    expect(text).toMatch(/<code>Type<\/code><\/th><td>optional/);
    expect(section(cp.body, 'getUserInfo')).not.toContain('Insight addition');
    expect(section(cp.body, 'getUsers')).toContain('Insight addition');
  });

  it('renders the examples as PHP-style JSON', () => {
    expect(section(cp.body, 'createGroup')).toContain('&quot;GR_0abcdefghijklmn&quot;');
    // json_encode escapes "/" and non-ASCII: the generateToken summary has none, but the envelope example shows \/ rules.
    expect(cp.body).toContain('{&quot;Meta&quot;:{&quot;Status&quot;:&quot;Success&quot;,&quot;Debug&quot;:&quot;&quot;},&quot;Result&quot;:');
  });

  it('has the full error catalogue', () => {
    const start = cp.body.indexOf('id="errors_2.5"');
    const catalogue = cp.body.slice(start, cp.body.indexOf('</table>', start));
    for (const kind of Object.keys(ERRORS) as ErrorKind[]) {
      expect(catalogue, kind).toContain(ERRORS[kind].code);
      expect(catalogue, kind).toContain(`<td>${ERRORS[kind].http}</td>`);
    }
    expect(catalogue).toContain('ESRV35|&lt;Param&gt;');
    expect(catalogue).toContain('Insight’s choice');
    expect(catalogue).toContain('Qualtrics (recorded)');
  });

  it('documents the envelope: precedence, globals, headers, caching, lockout, tokens', () => {
    const b = cp.body;
    expect(b).toContain('the query string is read first, then the body overrides it name by name');
    expect(b).toContain('text/json');
    expect(b).toContain('ED[Key]=value');
    expect(b).toContain('Cache-Control: no-store');
    expect(b).toContain('max-age=315360000');
    expect(b).toContain('RequestStatus: Failure');
    expect(b).toContain('5 failures for one username within 10 minutes');
    expect(b).toContain('30 failures from one client address within 10 minutes');
    expect(b).toContain('UT_BRANDADMIN');
    expect(b).toContain('UT_STANDARD');
    expect(b).toContain('<code>name#brand</code>');
    expect(b).toContain('id="overview_2.5"');
    expect(b).toContain('&lt;XML&gt;&lt;Meta&gt;&lt;Status&gt;Success');
  });

  it('is served under the strict CSP without inline styles or scripts', () => {
    expect(cp.body).not.toMatch(/<script|style="/);
    expect(cp.body).toContain('href="/assets/docs.css"');
  });

  it('serves its stylesheet', async () => {
    const css = await t.app.inject({ method: 'GET', url: '/assets/docs.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
  });
});

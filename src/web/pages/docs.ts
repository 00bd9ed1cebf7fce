import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { PERMISSIONS, USER_TYPES, MIN_PASSWORD_LENGTH } from '../../domain/accounts.ts';
import { ADDRESS_FAILURE_LIMIT, LOCKOUT_DURATION_MS, LOCKOUT_WINDOW_MS, USER_FAILURE_LIMIT } from '../../domain/lockout.ts';
import { API_BODY_LIMIT, LATEST_VERSION } from '../../api/wrapi/endpoint.ts';
import { ENVELOPE_FORMATS, allRequests, type Area, type Product, type RequestDef } from '../../api/wrapi/registry.ts';
import { errorEnvelope, phpJson, renderEnvelope, successEnvelope } from '../../api/wrapi/serialize.ts';
import { ERRORS, ServiceError, type ErrorKind } from '../../services/errors.ts';
import type { Services } from '../../services/index.ts';
import { html, type Html } from '../html.ts';
import { page } from '../layout.ts';

const DOCS_CSS = readFileSync(new URL('../assets/docs.css', import.meta.url));
const PRODUCTS: readonly Product[] = ['ControlPanel', 'Contacts'];
/** The order of the original v2.5 reference, then the areas Insight adds. */
const AREA_ORDER: readonly Area[] = ['Administration', 'Library', 'Panel', 'Reporting', 'Responses', 'Survey', 'Distribution', 'Subscriptions', 'Contacts'];
const TITLES: Record<Product, string> = { ControlPanel: 'Research Suite (ControlPanel) API', Contacts: 'Contacts (Target Audience) API' };
const V = LATEST_VERSION;
const minutes = (ms: number) => `${ms / 60000} minutes`;

/**
 * Where each catalogue entry comes from. Recorded codes and texts are the original server's and
 * never change; the rest are Insight's choices where the recorded traffic is silent.
 */
const ORIGIN: Partial<Record<ErrorKind, 'recorded' | 'message'>> = {
  InvalidParameter: 'recorded',
  UnknownRequest: 'recorded',
  UnknownSurvey: 'recorded',
  UserLimit: 'recorded',
  SurveyLimit: 'recorded',
  NoDownloadPermission: 'recorded',
  BadCredentials: 'message',
  AccountDisabled: 'message',
  AccountLocked: 'message',
  TooManyFailures: 'message',
};

// ---------- reading the registry ----------

interface ZodInternals {
  _zod?: { def?: { in?: z.ZodType; innerType?: z.ZodType } };
}

/** A parameter's description; wrappers (pipe, optional) made after .describe() are looked through. */
function descriptionOf(schema: z.ZodType, depth = 0): string {
  if (schema.description) return schema.description;
  const def = (schema as unknown as ZodInternals)._zod?.def;
  const inner = def?.in ?? def?.innerType;
  return inner && depth < 8 ? descriptionOf(inner, depth + 1) : '';
}

const isOptional = (schema: z.ZodType) => schema.safeParse(undefined).success;

const codeOf = (kind: ErrorKind) => (kind === 'InvalidParameter' ? `${ERRORS[kind].code}|<Param>` : ERRORS[kind].code);
const messageOf = (kind: ErrorKind) => ERRORS[kind].message.replace('{param}', '<Param>').replace('{detail}', '(a sentence saying what conflicts)');

function byArea(requests: RequestDef[]): Array<[Area, RequestDef[]]> {
  const areas = [...new Set(requests.map((r) => r.area))].sort((a, b) => AREA_ORDER.indexOf(a) - AREA_ORDER.indexOf(b));
  return areas.map((area) => [area, requests.filter((r) => r.area === area)]);
}

// ---------- small pieces ----------

const code = (text: string) => html`<pre class="code"><code>${text}</code></pre>`;
const badge = (def: RequestDef) => (def.addition ? html` <span class="badge" title="Not in the original Qualtrics API">Insight addition</span>` : '');
const tableWrap = (caption: string, head: string[], rows: Html[]) =>
  html`<div class="table-wrap"><table><caption>${caption}</caption><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;

function errorRow(kind: ErrorKind): Html {
  const e = ERRORS[kind];
  const origin = ORIGIN[kind] === 'recorded' ? 'Qualtrics (recorded)' : ORIGIN[kind] === 'message' ? 'Message recorded; code and status are Insight’s choice' : 'Insight’s choice';
  return html`<tr><th scope="row"><code>${codeOf(kind)}</code></th><td>${e.http}</td><td>${messageOf(kind)}</td><td>${origin}</td></tr>`;
}

function exampleUrl(root: string, def: RequestDef): string {
  const params = new URLSearchParams({ Request: def.name, User: 'ann#acme', Token: '<token>', Format: 'JSON', Version: V });
  for (const [name, schema] of Object.entries(def.params)) if (!isOptional(schema)) params.set(name, `<${name}>`);
  return `${root}?${params.toString().replace(/%3C/g, '<').replace(/%3E/g, '>')}`;
}

// ---------- one Request ----------

function paramsTable(def: RequestDef): Html {
  const entries = Object.entries(def.params);
  if (entries.length === 0) return html`<p>No parameters beyond the <a href="#globals_${V}">global ones</a>.</p>`;
  const rows = entries.map(
    ([name, schema]) => html`<tr><th scope="row"><code>${name}</code></th><td>${isOptional(schema) ? 'optional' : html`<strong>required</strong>`}</td><td>${descriptionOf(schema)}</td></tr>`,
  );
  return html`${tableWrap(`${def.name} parameters (besides the global ones)`, ['Parameter', 'Required', 'Description'], rows)}`;
}

function requestSection(root: string, def: RequestDef): Html {
  const formats = def.formats ?? ENVELOPE_FORMATS;
  return html`<section class="request" aria-labelledby="${def.name}_${V}">
    <h3 id="${def.name}_${V}"><code>${def.name}</code>${badge(def)}</h3>
    <p>${def.summary}</p>
    <p class="meta"><span>Formats: ${formats.join(', ')}${formats.length === 1 ? ' (Format is ignored)' : ''}</span>${def.rawBody ? html` <span>Reads the raw request body as a document.</span>` : ''}</p>
    <h4>Parameters</h4>
    ${paramsTable(def)}
    <h4>Result</h4>
    <p>${def.result}</p>
    <h4>Example request</h4>
    ${code(exampleUrl(root, def))}
    <h4>Example Result (JSON)</h4>
    ${code(phpJson(def.example, true))}
    <h4>Errors</h4>
    ${def.errors.length === 0
      ? html`<p>Only the <a href="#errors_${V}">errors every Request can give</a> (parameters, authentication).</p>`
      : html`${tableWrap(`Errors of ${def.name}`, ['QualtricsErrorCode', 'HTTP', 'Message', 'Origin'], def.errors.map(errorRow))}
        <p class="hint">Plus the <a href="#errors_${V}">errors every Request can give</a>.</p>`}
  </section>`;
}

// ---------- overview ----------

function examples(): Record<string, string> {
  const ok = successEnvelope({ Divisions: [{ DivisionID: 'DV_0abcdefghijklmn', Name: 'Research' }] });
  const bad = new ServiceError('InvalidParameter', { param: 'Token' });
  const err = errorEnvelope({ requestType: 'getDivisions', httpStatus: bad.httpStatus, qualtricsCode: bad.qualtricsCode, message: bad.message });
  return {
    json: renderEnvelope(ok, 'JSON').body,
    pretty: renderEnvelope(ok, 'JSON', { pretty: true }).body,
    jsonp: renderEnvelope(ok, 'JSONP', { callback: 'handleAnswer' }).body,
    xml: renderEnvelope(ok, 'XML').body,
    errJson: renderEnvelope(err, 'JSON').body,
    errXml: renderEnvelope(err, 'XML', { error: true }).body,
  };
}

function rootSection(base: string, product: Product): Html {
  const root = `${base}/WRAPI/${product}/api.php`;
  return html`<section aria-labelledby="overview_${V}">
    <h2 id="overview_${V}">Overview</h2>
    <p>Insight speaks the Qualtrics v2 (“WRAPI”) dialect, versions 2.0 to 2.5: scripts and client libraries written for it work after changing only the host name. Each product has one URL; the operation is chosen by the <code>Request</code> parameter. Both GET and POST are accepted.</p>
    <h3 id="root_${V}">Root URL</h3>
    ${tableWrap('Root URLs', ['Product', 'URL'], PRODUCTS.map((p) => html`<tr><th scope="row">${p}</th><td><code>${base}/WRAPI/${p}/api.php</code></td></tr>`))}
    <h3 id="example_${V}">Example requests</h3>
    <p>Everything in the query string:</p>
    ${code(`curl '${root}?Request=getUserInfo&User=ann%23acme&Token=<token>&Format=JSON&Version=${V}'`)}
    <p>The operation in the URL, the credentials in a JSON body:</p>
    ${code(`curl -H 'Content-Type: application/json' \\\n  -d '{"User":"ann#acme","Token":"<token>"}' \\\n  '${root}?Request=getUserInfo&Format=JSON'`)}
    <p>A form body (what most v2 clients send for changes):</p>
    ${code(`curl --data-urlencode 'User=ann#acme' --data-urlencode 'Token=<token>' \\\n  -d 'Request=createDivision&Format=JSON&Version=${V}&Name=Research' '${root}'`)}
  </section>`;
}

function parametersSection(): Html {
  return html`<section aria-labelledby="parameters_${V}">
    <h3 id="parameters_${V}">Passing parameters</h3>
    <p>Parameters may come from any of these sources, and several may be combined in one request:</p>
    <ul>
      <li><strong>Query string</strong> of the URL (GET or POST).</li>
      <li><strong>Form body</strong>, <code>application/x-www-form-urlencoded</code> (also assumed for a POST body without a Content-Type).</li>
      <li><strong>Multipart</strong> body, <code>multipart/form-data</code>: text fields are parameters, file parts are uploads for the Requests that take files.</li>
      <li><strong>JSON body</strong>: a JSON object, sent with <code>Content-Type: application/json</code> or <code>text/json</code>. Strings are taken as they are, numbers as their decimal text, <code>true</code>/<code>false</code> as <code>1</code>/<code>0</code>; <code>null</code> counts as absent. An array or object given for a parameter a Request declares is <code>ESRV35|&lt;Param&gt;</code>; a body that is not a JSON object is <code>ESRV35|Body</code>.</li>
      <li><strong>Embedded data</strong>: <code>ED[Key]=value</code> pairs in any source (and a JSON <code>"ED": {"Key": "value"}</code> object) are collected as embedded-data fields, not as parameters.</li>
    </ul>
    <p>Requests that read a document from the request body (marked “Reads the raw request body”) receive it as sent; their other parameters go in the query string. A body larger than ${API_BODY_LIMIT / (1024 * 1024)} MB is refused with <code>ESRV35|Body</code>. Parameters a Request does not use are ignored (for example <code>API_SELECT</code>).</p>
    <h3 id="precedence_${V}">Precedence</h3>
    <p>When a name appears more than once, the rule is the one of PHP’s <code>$_REQUEST</code>, which the original server read: <strong>the query string is read first, then the body overrides it name by name</strong>. Within one source, a repeated name keeps its <strong>last</strong> value. So <code>api.php?Format=XML</code> with the form body <code>Format=JSON</code> answers in JSON, and <code>?Format=XML&amp;Format=JSON</code> also answers in JSON. The <code>Request</code> itself may come from the body.</p>
    <h3 id="case_${V}">Case sensitivity</h3>
    <p>Parameter names and values are case-sensitive: <code>request=getUserInfo</code> is not the <code>Request</code> parameter (the answer is <code>ESRV35|Request</code>), <code>getuserinfo</code> is an unknown Request (<code>ESRV05</code>) and <code>Format=json</code> is <code>ESRV35|Format</code>. The one exception is <code>User</code>: usernames are stored in lower case and compared without regard to case.</p>
  </section>`;
}

function globalsSection(): Html {
  const row = (name: string, req: string, text: Html) => html`<tr><th scope="row"><code>${name}</code></th><td>${req}</td><td>${text}</td></tr>`;
  return html`<section aria-labelledby="globals_${V}">
    <h3 id="globals_${V}">Global parameters</h3>
    ${tableWrap('Parameters of every Request', ['Parameter', 'Required', 'Meaning'], [
      row('Request', 'required', html`The operation, e.g. <code>getUserInfo</code>. Absent: <code>ESRV35|Request</code>; unknown: <code>ESRV05</code> (HTTP 404).`),
      row('User', 'required', html`The username, <code>name#brand</code> (URL-encode <code>#</code> as <code>%23</code>). A bare name works when it names the token’s owner.`),
      row('Token', 'required', html`The user’s 40-character API token.`),
      row('Version', 'optional', html`<code>2.0</code> to <code>2.5</code>; <strong>${V}</strong> when absent. Any other value: <code>ESRV35|Version</code>. All accepted versions behave the same.`),
      row('Format', 'optional', html`<code>XML</code> (the default when absent), <code>JSON</code> or <code>JSONP</code>; some Requests also offer <code>CSV</code> or <code>HTML</code>, and Requests with a single format ignore it. Anything else: <code>ESRV35|Format</code>.`),
      row('JSONPCallback', 'with JSONP', html`The function name the JSON is wrapped in. Only a plain identifier or dotted path is accepted (letters, digits, <code>_</code> and <code>$</code>, not starting with a digit, e.g. <code>handle</code> or <code>app.cb</code>; at most 128 characters); otherwise <code>ESRV35|JSONPCallback</code>, answered as JSON.`),
      row('JSONPrettyPrint', 'optional', html`<code>1</code> indents JSON and JSONP output (4 spaces).`),
    ])}
    <p>Checks run in this order: <code>Request</code> present and known → <code>Format</code>, <code>JSONPCallback</code>, <code>Version</code> → <code>User</code> and <code>Token</code> present → authentication → the Request’s own parameters → the operation.</p>
  </section>`;
}

function responsesSection(ex: Record<string, string>): Html {
  return html`<section aria-labelledby="responses_${V}">
    <h3 id="responses_${V}">The answer</h3>
    <p>Every answer but a few documents (exports, survey definitions) is an envelope: <code>Meta</code> then <code>Result</code>, in the asked Format.</p>
    <h4>Success, JSON (<code>Content-Type: application/json</code>)</h4>
    <p>As PHP’s <code>json_encode</code> wrote it: <code>/</code> is escaped as <code>\\/</code> and every character outside ASCII as <code>\\uXXXX</code>.</p>
    ${code(ex.json ?? '')}
    <h4>Success, JSON with <code>JSONPrettyPrint=1</code></h4>
    ${code(ex.pretty ?? '')}
    <h4>Success, JSONP (<code>Content-Type: application/javascript</code>, with <code>X-Content-Type-Options: nosniff</code>)</h4>
    ${code(ex.jsonp ?? '')}
    <h4>Success, XML (<code>Content-Type: text/xml; charset=utf-8</code>)</h4>
    <p>The root is <code>&lt;XML&gt;</code>; array items are <code>&lt;element id="N"&gt;</code>; keys that are not XML names become <code>&lt;element id="key"&gt;</code>; <code>true</code> is <code>1</code>, <code>false</code> and <code>null</code> are empty elements.</p>
    ${code(ex.xml ?? '')}
    <h4 id="errorenvelope_${V}">Error, JSON</h4>
    ${code(ex.errJson ?? '')}
    <h4>Error, XML</h4>
    <p>Empty values are written as open/close pairs in error documents, as the original server did.</p>
    ${code(ex.errXml ?? '')}
    <h3 id="http_${V}">HTTP status and headers</h3>
    <ul>
      <li>A success is HTTP 200. An error’s HTTP status equals <code>Meta.ErrorCode</code> (see the catalogue below): 400 for a missing or invalid parameter, 404 for an unknown Request, 401 for failed authentication, 403 without API permission, and 500 for permission and object errors inside a Request (the original server’s habit, kept for compatible clients).</li>
      <li>Errors carry the headers <code>Status: &lt;HTTP status&gt;</code> and <code>RequestStatus: Failure</code>; successes carry neither.</li>
      <li>Errors are written in the asked Format when it could be read; with <code>Format=JSONP</code> and an unusable callback they are JSON; Requests that only answer XML answer their errors in XML.</li>
      <li>Every answer carries <code>Cache-Control: no-store</code>. This is a deliberate change: the original server sent <code>Cache-Control: max-age=315360000</code> (ten years) and a matching <code>Expires</code>, which let proxies and browsers keep answers full of personal data.</li>
    </ul>
  </section>`;
}

function authSection(): Html {
  return html`<section aria-labelledby="auth_${V}">
    <h3 id="auth_${V}">Authentication, tokens and lockout</h3>
    <p>Every Request carries <code>User</code> and <code>Token</code>. A wrong token and an unknown user get the same answer, <code>ESEC01</code> “Incorrect Username or Password” (HTTP 401), so the API never tells which usernames exist. A disabled account gets <code>ESEC02</code>; a user without the API permission gets <code>ESEC05</code> (HTTP 403).</p>
    <h4>Usernames</h4>
    <p>Usernames have the form <code>name#brand</code>, as in Qualtrics (<code>ann#acme</code>); the <code>#brand</code> part is added when an account is created without it. A bare name (<code>ann</code>) is accepted wherever it is unambiguous: with the API, the token already names its owner; on the sign-in page, a bare name works when only one brand has it.</p>
    <h4>Tokens</h4>
    <ul>
      <li>A token is 40 letters and digits from a cryptographic random source. Only a hash of it is stored, so it is <strong>shown once</strong>, when it is generated.</li>
      <li>Users generate their own under Account Settings → Qualtrics IDs → Generate Token; Brand Administrators can generate one for any user of their brand (Users page, or <a href="#generateToken_${V}"><code>generateToken</code></a>); the operator can use <code>insight token generate --username ann#acme</code>.</li>
      <li><strong>Generating a new token revokes the previous one at once</strong>: integrations using the old token stop working immediately.</li>
      <li>The time a token was created and last used (to the minute) is shown to the user and to their Brand Administrator.</li>
    </ul>
    <h4>Lockout</h4>
    <p>The API and the sign-in page share one rule for failed attempts:</p>
    <ul>
      <li><strong>${USER_FAILURE_LIMIT} failures for one username within ${minutes(LOCKOUT_WINDOW_MS)}</strong> lock that username for ${minutes(LOCKOUT_DURATION_MS)}.</li>
      <li><strong>${ADDRESS_FAILURE_LIMIT} failures from one client address within ${minutes(LOCKOUT_WINDOW_MS)}</strong> lock that address for ${minutes(LOCKOUT_DURATION_MS)} (higher, because many people may share one address).</li>
      <li>The failure that triggers a lock, and every attempt while it lasts (even with the right token), get <code>ESEC04</code> “Too many failed login attempts. Your account has been disabled for 10 minutes.” (HTTP 401).</li>
      <li>Failures are counted whether or not the username exists. A successful sign-in clears the username’s count.</li>
    </ul>
    <h4 id="usertypes_${V}">User types and permissions</h4>
    ${tableWrap('Built-in user types', ['Type ID', 'Name', 'Meaning'], [
      html`<tr><th scope="row"><code>UT_BRANDADMIN</code></th><td>${USER_TYPES.UT_BRANDADMIN}</td><td>Holds every permission and manages the users, divisions and groups of their own brand. A brand always keeps at least one active Brand Administrator.</td></tr>`,
      html`<tr><th scope="row"><code>UT_STANDARD</code></th><td>${USER_TYPES.UT_STANDARD}</td><td>The default for new users. Holds the permissions a Brand Administrator grants.</td></tr>`,
    ])}
    <p>The type IDs are stable, so scripts can pass them to <code>createUser</code> without a look-up. Permissions: ${Object.values(PERMISSIONS).map((p, i) => html`${i ? '; ' : ''}${p}`)}. Passwords have at least ${MIN_PASSWORD_LENGTH} characters. Data never crosses brands: every Request acts within the caller’s brand.</p>
  </section>`;
}

function catalogueSection(): Html {
  return html`<section aria-labelledby="errors_${V}">
    <h3 id="errors_${V}">Error catalogue</h3>
    <p>Every error the API can give. <code>&lt;Param&gt;</code> is the name of the parameter at fault, in both the code and the message (e.g. <code>ESRV35|SurveyID</code>). “Qualtrics (recorded)” codes and texts are the original server’s and never change; the others are Insight’s choices where the recorded traffic is silent.</p>
    ${tableWrap('Error catalogue', ['QualtricsErrorCode', 'HTTP', 'Message', 'Origin'], (Object.keys(ERRORS) as ErrorKind[]).map(errorRow))}
  </section>`;
}

// ---------- the page ----------

function contents(groups: Array<[Area, RequestDef[]]>): Html {
  const overview: Array<[string, string]> = [
    ['root', 'Root URL'], ['example', 'Example requests'], ['parameters', 'Passing parameters'], ['precedence', 'Precedence'], ['case', 'Case sensitivity'],
    ['globals', 'Global parameters'], ['responses', 'The answer'], ['http', 'HTTP status and headers'], ['auth', 'Authentication, tokens and lockout'],
    ['usertypes', 'User types and permissions'], ['errors', 'Error catalogue'],
  ];
  return html`<nav aria-labelledby="toc-heading" class="toc">
    <h2 id="toc-heading">Contents</h2>
    <ul>
      <li><a href="#overview_${V}">Overview</a><ul>${overview.map(([id, label]) => html`<li><a href="#${id}_${V}">${label}</a></li>`)}</ul></li>
      ${groups.map(([area, defs]) => html`<li><a href="#area-${area}_${V}">${area}</a><ul>${defs.map((d) => html`<li><a href="#${d.name}_${V}"><code>${d.name}</code></a>${d.addition ? html` <span class="badge small">Insight addition</span>` : ''}</li>`)}</ul></li>`)}
    </ul>
  </nav>`;
}

function docsBody(base: string, product: Product): Html {
  const groups = byArea(allRequests(product));
  const root = `${base}/WRAPI/${product}/api.php`;
  const other = PRODUCTS.find((p) => p !== product) as Product;
  return html`<link rel="stylesheet" href="/assets/docs.css">
    <div class="docs">
    <h1>${TITLES[product]} reference <span class="version">v${V}</span></h1>
    <p class="lead">Endpoint <code>${root}</code>. See also the <a href="/WRAPI/${other}/docs.php">${TITLES[other]} reference</a>. Requests marked <span class="badge">Insight addition</span> are not part of the original Qualtrics API.</p>
    ${contents(groups)}
    ${rootSection(base, product)}
    ${parametersSection()}
    ${globalsSection()}
    ${responsesSection(examples())}
    ${authSection()}
    ${catalogueSection()}
    ${groups.length === 0 ? html`<h2>Requests</h2><p>No Requests are available for this product yet.</p>` : ''}
    ${groups.map(([area, defs]) => html`<section aria-labelledby="area-${area}_${V}" class="area"><h2 id="area-${area}_${V}">${area}</h2>${defs.map((d) => requestSection(root, d))}</section>`)}
    </div>`;
}

/** The public API reference, rendered from the Request registry so it always matches what the server does. */
export async function docsPages(app: FastifyInstance, services: Services): Promise<void> {
  app.get('/assets/docs.css', async (_req, reply) => reply.type('text/css; charset=utf-8').header('Cache-Control', 'public, max-age=3600').send(DOCS_CSS));
  for (const product of PRODUCTS) {
    const url = `/WRAPI/${product}/docs.php`;
    app.get(url, async (request, reply) => {
      const body = docsBody(services.config.publicUrl, product);
      const doc = page({ title: `${TITLES[product]} reference`, actor: request.actor, csrfToken: request.csrfToken, current: product === 'ControlPanel' ? url : undefined, body });
      return reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-cache').send(doc.toString());
    });
  }
}

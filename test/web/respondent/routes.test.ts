import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { buildQsf, mc, te } from '../../helpers/qsf.ts';
import { seedBrand, seedUser, type SeededUser } from '../../helpers/seed.ts';
import { sessionCookie } from '../../helpers/web.ts';
import { RespondentBrowser as Respondent, hidden, type Form } from '../../helpers/respondent-browser.ts';
import { responsesStore } from '../../../src/store/responses.ts';
import { legacyTarget } from '../../../src/web/respondent/routes.ts';

let t: TestApp;
let ann: SeededUser;

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
});
afterAll(async () => t?.close());

/** Page 1: a forced single choice and a text box; page 2: a text box. */
const SURVEY = buildQsf({
  name: 'Fruit <b>survey</b>',
  pages: [['QID1', 'QID2'], ['QID3']],
  questions: [mc('QID1', 'Q1', 3, { force: 'ON', text: 'Pick a fruit' }), te('QID2', 'Q2', { text: 'Why?' }), te('QID3', 'Q3', { text: 'Anything else?' })],
  options: { BackButton: 'true' },
});

async function importSurvey(qsf = SURVEY, activate = true): Promise<string> {
  return t.services.surveys.importSurvey(ann.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate });
}


/** The cookie value from the `name=value` header sessionCookie gives. */
function signedIn(header: string): string {
  return decodeURIComponent(header.slice(header.indexOf('=') + 1));
}


function pageFields(html: string): Form {
  return { _session: hidden(html, '_session'), _token: hidden(html, '_token') };
}

async function responses(surveyId: string) {
  const rows = await t.store.db.selectFrom('responses').selectAll().where('survey_id', '=', surveyId).orderBy('seq').execute();
  return rows;
}

describe('taking a survey over HTTP', () => {
  it('walks the anonymous link page by page (post/redirect/get) and records one response', async () => {
    const surveyId = await importSurvey();
    const b = new Respondent(t.app);
    const first = await b.get(`/jfe/form/${surveyId}`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.headers['content-security-policy']).toContain("script-src 'self'");
    expect(first.body).toContain('Pick a fruit');
    // The survey name is text, never markup.
    expect(first.body).toContain('Fruit &lt;b&gt;survey&lt;/b&gt;');
    expect(b.cookies[`insight_fs_${surveyId}`]).toMatch(/^FS_/);

    // A refresh shows the same page of the same session.
    const again = await b.get(`/jfe/form/${surveyId}`);
    expect(hidden(again.body, '_session')).toBe(hidden(first.body, '_session'));
    expect(hidden(again.body, '_token')).toBe(hidden(first.body, '_token'));

    const next = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID1:s': '2', 'QID2:t:': 'Tasty & cheap', action: 'next' });
    expect(next.statusCode).toBe(303);
    expect(next.headers.location).toBe(`/jfe/form/${surveyId}`);
    const second = await b.get(`/jfe/form/${surveyId}`);
    expect(second.body).toContain('Anything else?');
    expect(second.body).not.toContain('Pick a fruit');

    const end = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(second.body), 'QID3:t:': 'No' });
    expect(end.statusCode).toBe(303);
    expect(end.headers.location).toBe(`/jfe/form/${surveyId}/done`);
    const done = await b.get(`/jfe/form/${surveyId}/done`);
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Your response has been recorded');

    const rows = await responses(surveyId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 0, finished: 1, ip_address: '127.0.0.1' });
    expect(JSON.parse(rows[0]!.answers_values)).toEqual({ QID1: 2, QID2: 'Tasty & cheap', QID3: 'No' });
    expect(await t.services.respondent.responseCount(surveyId)).toBe(1);

    // Posting the last page again (a double submit or a replay) records nothing more.
    await b.post(`/jfe/form/${surveyId}`, { ...pageFields(second.body), 'QID3:t:': 'Changed' });
    expect(await responses(surveyId)).toHaveLength(1);
    // Coming back to the link afterwards starts a new response (no ballot-box stuffing prevention here).
    const fresh = await b.get(`/jfe/form/${surveyId}`);
    expect(fresh.body).toContain('Pick a fruit');
    expect(hidden(fresh.body, '_session')).not.toBe(hidden(first.body, '_session'));
  });

  it('answers the posts survey.js makes itself with the next page in place, and says where to go at the end', async () => {
    const surveyId = await importSurvey();
    const b = new Respondent(t.app);
    const inline = { 'x-insight-inline': '1' };
    const first = await b.get(`/jfe/form/${surveyId}`);

    // Refused by validation: the same page with the problem, as for a plain post.
    const refused = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID2:t:': 'kept text', action: 'next' }, inline);
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('kept text');
    expect(hidden(refused.body, '_token')).toBe(hidden(first.body, '_token'));

    // Accepted: the next page itself, no redirect and no second request.
    const second = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID1:s': '2', action: 'next' }, inline);
    expect(second.statusCode).toBe(200);
    expect(second.headers['content-type']).toMatch(/^text\/html/);
    expect(second.headers['cache-control']).toBe('no-store');
    expect(second.body).toContain('Anything else?');
    expect(hidden(second.body, '_token')).not.toBe(hidden(first.body, '_token'));
    // Shown inside the survey's own document (which has the CSP): only the headers a fetched answer needs.
    expect(second.headers['x-content-type-options']).toBe('nosniff');
    expect(second.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(second.headers['content-security-policy']).toBeUndefined();
    expect(second.headers['x-frame-options']).toBeUndefined();
    expect(first.headers['content-security-policy']).toContain("script-src 'self'");

    // A stale page (the first page's token again) changes nothing and shows where the session is.
    const stale = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID1:s': '3', action: 'next' }, inline);
    expect(stale.statusCode).toBe(200);
    expect(hidden(stale.body, '_token')).toBe(hidden(second.body, '_token'));

    // The end: no page to show, so the target comes back for the script to go to (a 303 it could not read).
    const end = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(second.body), 'QID3:t:': 'No' }, inline);
    expect(end.statusCode).toBe(204);
    expect(end.body).toBe('');
    expect(end.headers['x-insight-location']).toBe(`/jfe/form/${surveyId}/done`);
    expect(b.cookies[`insight_done_${surveyId}`]).toBe('1');
    expect((await b.get(`/jfe/form/${surveyId}/done`)).body).toContain('Your response has been recorded');
    const rows = await responses(surveyId);
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.answers_values)).toEqual({ QID1: 2, QID3: 'No' });

    // A post naming no session of this browser: sent to the survey's address, not answered with a page.
    const stranger = await new Respondent(t.app).post(`/jfe/form/${surveyId}`, { _session: 'FS_unknown', _token: 'x', action: 'next' }, inline);
    expect(stranger.statusCode).toBe(204);
    expect(stranger.headers['x-insight-location']).toBe(`/jfe/form/${surveyId}`);
  });

  it('refuses a page that breaks validation in place, keeping what was typed', async () => {
    const surveyId = await importSurvey();
    const b = new Respondent(t.app);
    const first = await b.get(`/jfe/form/${surveyId}`);
    const refused = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID2:t:': 'kept <text>' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('role="alert"');
    expect(refused.body).toContain('kept &lt;text&gt;');
    expect(hidden(refused.body, '_token')).toBe(hidden(first.body, '_token'));
    // An unknown choice is not an answer: still refused.
    const tampered = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID1:s': '99' });
    expect(tampered.statusCode).toBe(422);
    expect(await responses(surveyId)).toHaveLength(0);
  });

  it('goes back a page when the survey allows it, with the answers kept', async () => {
    const surveyId = await importSurvey();
    const b = new Respondent(t.app);
    const first = await b.get(`/jfe/form/${surveyId}`);
    await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID1:s': '3' });
    const second = await b.get(`/jfe/form/${surveyId}`);
    expect(second.body).toContain('value="back"');
    const back = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(second.body), action: 'back' });
    expect(back.statusCode).toBe(303);
    const again = await b.get(`/jfe/form/${surveyId}`);
    expect(again.body).toContain('Pick a fruit');
    expect(again.body).toMatch(/value="3"[^>]*checked/);
  });

  it('ignores a post that names another session, and one without any', async () => {
    const surveyId = await importSurvey();
    const victim = new Respondent(t.app);
    const page = await victim.get(`/jfe/form/${surveyId}`);
    const attacker = new Respondent(t.app);
    await attacker.get(`/jfe/form/${surveyId}`);
    const forged = await attacker.post(`/jfe/form/${surveyId}`, { ...pageFields(page.body), 'QID1:s': '1' });
    expect(forged.statusCode).toBe(303);
    const none = await new Respondent(t.app).post(`/jfe/form/${surveyId}`, { 'QID1:s': '1' });
    expect(none.statusCode).toBe(303);
    const invented = await new Respondent(t.app).post(`/jfe/form/${surveyId}`, { _session: 'FS_doesnotexist123', _token: '1.x', 'QID1:s': '1' });
    expect(invented.statusCode).toBe(303);
    // The victim's page is unchanged.
    const still = await victim.get(`/jfe/form/${surveyId}`);
    expect(hidden(still.body, '_token')).toBe(hidden(page.body, '_token'));
    expect(await responses(surveyId)).toHaveLength(0);
  });

  it('answers closed, unknown and malformed links with a page, not a survey', async () => {
    const inactive = await importSurvey(SURVEY, false);
    const closed = await new Respondent(t.app).get(`/jfe/form/${inactive}`);
    expect(closed.statusCode).toBe(403);
    expect(closed.body).not.toContain('_session');
    const unknown = await new Respondent(t.app).get('/jfe/form/SV_doesNotExist1234');
    expect(unknown.statusCode).toBe(404);
    for (const bad of ['/jfe/form/SV_%3Cscript%3E', '/jfe/form/..%2F..', '/jfe/form/MS_123']) {
      const res = await new Respondent(t.app).get(bad);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('<script>');
    }
    const deleted = await importSurvey();
    await t.services.surveys.delete(ann.actor, deleted);
    expect((await new Respondent(t.app).get(`/jfe/form/${deleted}`)).statusCode).toBe(404);
  });

  it('survives hostile posts: junk types, huge bodies, a JSON body', async () => {
    const surveyId = await importSurvey();
    const b = new Respondent(t.app);
    const first = await b.get(`/jfe/form/${surveyId}`);
    const junk = await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID1:s': ['1', '2', '2'], 'QID2:t:': ['a', 'b'], '__proto__': 'x', 'constructor[prototype]': 'y' });
    expect([303, 422]).toContain(junk.statusCode);
    const huge = await t.app.inject({ method: 'POST', url: `/jfe/form/${surveyId}`, cookies: b.cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `QID2:t:=${'x'.repeat(2 * 1024 * 1024)}` });
    expect(huge.statusCode).toBe(413);
    const json = await t.app.inject({ method: 'POST', url: `/jfe/form/${surveyId}`, cookies: b.cookies, headers: { 'content-type': 'application/json' }, payload: '{"_session": {"$ne": 1}}' });
    expect(json.statusCode).toBeLessThan(500);
    expect(await responses(surveyId)).toHaveLength(0);
  });

  it('keeps one response per browser when ballot-box stuffing prevention is on', async () => {
    const surveyId = await importSurvey(buildQsf({ pages: [['QID1']], questions: [te('QID1', 'Q1')], options: { BallotBoxStuffingPrevention: 'true' } }));
    const b = new Respondent(t.app);
    const page = await b.get(`/jfe/form/${surveyId}`);
    await b.post(`/jfe/form/${surveyId}`, { ...pageFields(page.body), 'QID1:t:': 'once' });
    const again = await b.get(`/jfe/form/${surveyId}`);
    expect(again.statusCode).toBe(403);
    expect(again.body).not.toContain('_session');
    expect(await responses(surveyId)).toHaveLength(1);
  });

  it('previews for the signed-in owner only, recorded with Status 1 and not counted', async () => {
    const surveyId = await importSurvey(SURVEY, false);
    const anonymous = await new Respondent(t.app).get(`/jfe/preview/${surveyId}`);
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toContain('/login?next=');
    const stranger = await seedUser(t, 'acme', 'stranger');
    const s = new Respondent(t.app);
    s.cookies.insight_session = signedIn(await sessionCookie(t, stranger));
    expect((await s.get(`/jfe/preview/${surveyId}`)).statusCode).toBe(404);

    const b = new Respondent(t.app);
    b.cookies.insight_session = signedIn(await sessionCookie(t, ann));
    const first = await b.get(`/jfe/preview/${surveyId}`);
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain(`action="/jfe/preview/${surveyId}"`);
    await b.post(`/jfe/preview/${surveyId}`, { ...pageFields(first.body), 'QID1:s': '1' });
    const second = await b.get(`/jfe/preview/${surveyId}`);
    const end = await b.post(`/jfe/preview/${surveyId}`, { ...pageFields(second.body) });
    expect(end.headers.location).toBe(`/jfe/preview/${surveyId}/done`);
    const rows = await responses(surveyId);
    expect(rows.map((r) => r.status)).toEqual([1]);
    expect(await t.services.respondent.responseCount(surveyId)).toBe(0);
  });

  it('attaches a personal link (/SE?Q_DL=…) to its panel member', async () => {
    const surveyId = await importSurvey();
    const panelId = (await t.services.panels.createPanel(ann.actor, ann.id, 'Invitees')).id;
    const ada = await t.services.panels.addRecipient(ann.actor, ann.id, panelId, { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' });
    const dist = await t.services.respondent.createLinkDistribution(ann.actor, { surveyId, panelId, linkType: 'Individual' });
    const qdl = t.services.respondent.personalLink(dist, ada.id, surveyId);
    const b = new Respondent(t.app);
    const hop = await b.get(`/SE?Q_DL=${encodeURIComponent(qdl)}`);
    expect(hop.statusCode).toBe(302);
    expect(hop.headers.location).toBe(`/jfe/form/${surveyId}?Q_DL=${encodeURIComponent(qdl)}`);
    const first = await b.get(hop.headers.location as string);
    await b.post(`/jfe/form/${surveyId}`, { ...pageFields(first.body), 'QID1:s': '1' });
    const second = await b.get(`/jfe/form/${surveyId}`);
    await b.post(`/jfe/form/${surveyId}`, pageFields(second.body));
    const rows = await responses(surveyId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'Lovelace, Ada', email: 'ada@example.org', recipient_id: ada.id, distribution_id: dist });
    // An individual link works once.
    const reuse = await new Respondent(t.app).get(`/jfe/form/${surveyId}?Q_DL=${encodeURIComponent(qdl)}`);
    expect(reuse.statusCode).toBe(403);
    const forged = await new Respondent(t.app).get(`/jfe/form/${surveyId}?Q_DL=${encodeURIComponent(qdl.replace(/.$/, 'x'))}`);
    expect(forged.statusCode).toBe(403);
    expect(await responsesStore.count(t.store.db, 'acme', surveyId)).toBe(1);
  });

  it('serves the page assets with a long cache life and nothing else under /jfe/assets', async () => {
    const js = await t.app.inject({ method: 'GET', url: '/jfe/assets/survey.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect((await t.app.inject({ method: 'GET', url: '/jfe/assets/survey.css' })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/jfe/assets/..%2Fapp.ts' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/jfe/assets/__proto__' })).statusCode).toBe(404);
  });
});

describe('fresh questions rendered once', () => {
  it('shows every respondent the same fresh question, but piped text and their own answers to each', async () => {
    const surveyId = await importSurvey(buildQsf({
      pages: [['QID1'], ['QID2']],
      questions: [mc('QID1', 'Q1', 3, { text: 'Pick one' }), te('QID2', 'Q2', { text: 'Why ${q://QID1/ChoiceGroup/SelectedChoices}?' })],
      options: { BackButton: 'true' },
    }));
    const [a, b] = [new Respondent(t.app), new Respondent(t.app)];
    const [a1, b1] = [await a.get(`/jfe/form/${surveyId}`), await b.get(`/jfe/form/${surveyId}`)];
    const question = (html: string) => /<fieldset[\s\S]*<\/fieldset>/.exec(html)?.[0];
    expect(question(a1.body)).toContain('Pick one');
    expect(question(b1.body)).toBe(question(a1.body));
    // Each picks another choice: the next page's text pipes each one's own answer.
    expect((await a.post(`/jfe/form/${surveyId}`, { ...pageFields(a1.body), 'QID1:s': '1' })).statusCode).toBe(303);
    expect((await b.post(`/jfe/form/${surveyId}`, { ...pageFields(b1.body), 'QID1:s': '3' })).statusCode).toBe(303);
    const [a2, b2] = [await a.get(`/jfe/form/${surveyId}`), await b.get(`/jfe/form/${surveyId}`)];
    expect(a2.body).toContain('Why Choice 1?');
    expect(b2.body).toContain('Why Choice 3?');
    // Back on page 1, a's answer is checked there; a fresh visitor still sees nothing checked.
    const back = await a.post(`/jfe/form/${surveyId}`, { ...pageFields(a2.body), action: 'back' });
    expect(back.statusCode).toBe(303);
    const again = await a.get(`/jfe/form/${surveyId}`);
    expect(again.body).toMatch(/value="1" checked/);
    const c1 = await new Respondent(t.app).get(`/jfe/form/${surveyId}`);
    expect(c1.body).not.toContain('checked');
    expect(question(c1.body)).toBe(question(a1.body));
  });
});

describe('legacy link shapes', () => {
  it('redirects /SE/?SID=… keeping the other parameters as embedded data', () => {
    expect(legacyTarget(new URLSearchParams('SID=SV_abc123&dept=R%26D'))).toBe('/jfe/form/SV_abc123?dept=R%26D');
    expect(legacyTarget(new URLSearchParams('Q_DL=6nduaXKdnt1BBSl_7VhhXvVZfJo4j41_MLRP_8rbSYZkfwm4IWjz'))).toBe('/jfe/form/SV_7VhhXvVZfJo4j41?Q_DL=6nduaXKdnt1BBSl_7VhhXvVZfJo4j41_MLRP_8rbSYZkfwm4IWjz');
    expect(legacyTarget(new URLSearchParams('SID=<script>'))).toBeUndefined();
    expect(legacyTarget(new URLSearchParams(''))).toBeUndefined();
  });

  it('answers an unknown legacy link with a 404 page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/SE/?SID=nonsense' });
    expect(res.statusCode).toBe(404);
    const ok = await t.app.inject({ method: 'GET', url: '/SE/?SID=SV_abc123&x=1' });
    expect(ok.statusCode).toBe(302);
    expect(ok.headers.location).toBe('/jfe/form/SV_abc123?x=1');
  });
});

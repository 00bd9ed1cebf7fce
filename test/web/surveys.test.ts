import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { signedInBrowser } from '../helpers/web.ts';

const FIXTURE = readFileSync('/work/shared/fixtures/qsf/sample-survey/survey.qsf');

let t: TestApp;
let user: SeededUser;

beforeEach(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  user = await seedUser(t, 'acme', 'carol');
});
afterEach(async () => t?.close());

const browser = (who: SeededUser) => signedInBrowser(t, who, '/surveys');

async function importViaForm(who: SeededUser, file: Buffer | string, fields: Record<string, string> = {}) {
  return (await browser(who)).upload('/surveys/import', fields, { name: 'survey.qsf', content: file });
}

async function importedId(res: { statusCode: number; headers: Record<string, unknown> }): Promise<string> {
  expect(res.statusCode).toBe(303);
  const m = /^\/surveys\/(SV_\w+)\?done=imported$/.exec(String(res.headers.location));
  expect(m).not.toBeNull();
  return m![1] as string;
}

/** A minimal QSF with one question whose text is hostile. */
function hostileQsf(): string {
  return JSON.stringify({
    SurveyEntry: { SurveyID: 'SV_x', SurveyName: 'Hostile <b onmouseover=alert(2)>name</b>' },
    SurveyElements: [
      { Element: 'BL', PrimaryAttribute: 'Survey Blocks', Payload: [{ Type: 'Default', Description: 'Block <i>one</i>', ID: 'BL_1', BlockElements: [{ Type: 'Question', QuestionID: 'QID1' }, { Type: 'Question', QuestionID: 'QID2' }] }] },
      { Element: 'FL', PrimaryAttribute: 'Survey Flow', Payload: { Type: 'Root', FlowID: 'FL_1', Flow: [
        { Type: 'EmbeddedData', FlowID: 'FL_2', EmbeddedData: [{ Field: 'source', Type: 'Custom', Value: 'web' }] },
        { Type: 'Randomizer', FlowID: 'FL_3', Flow: [{ Type: 'Block', ID: 'BL_1', FlowID: 'FL_4' }] },
        { Type: 'Teleporter', FlowID: 'FL_5' },
        { Type: 'EndSurvey', FlowID: 'FL_6' },
      ] } },
      { Element: 'SQ', PrimaryAttribute: 'QID1', Payload: { QuestionID: 'QID1', DataExportTag: 'Q1', QuestionType: 'MC', Selector: 'SAVR', QuestionText: 'Pick one<script>alert(1)</script><img src=x onerror=alert(1)> &amp; go' } },
      { Element: 'SQ', PrimaryAttribute: 'QID2', Payload: { QuestionID: 'QID2', DataExportTag: 'Q2', QuestionType: 'Hologram', Selector: 'Spin', QuestionText: 'Future' } },
      { Element: 'ZZ', PrimaryAttribute: 'Mystery', Payload: null },
    ],
  });
}

describe('surveys: list and import', () => {
  it('lists the user’s surveys with status, dates, a “—” response count and the import form', async () => {
    const empty = await (await browser(user)).get('/surveys');
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toContain('<a href="/surveys" aria-current="page">Surveys</a>');
    expect(empty.body).toContain('You have no surveys yet');
    expect(empty.body).toContain('enctype="multipart/form-data"');
    expect(empty.body).toContain('<label for="f-file">QSF file</label>');
    expect(empty.body).toContain('<label for="f-activate">Activate now</label>');

    const id = await t.services.surveys.importSurvey(user.actor, { format: 'QSF', source: async () => FIXTURE, activate: false });
    const res = await (await browser(user)).get('/surveys');
    expect(res.body).toContain(`<a href="/surveys/${id}">Better Sample Survey</a>`);
    expect(res.body).toContain('<th scope="col">Responses</th>');
    expect(res.body).toMatch(/<td class="">Inactive<\/td><td><time datetime="[^"]+">/);
    expect(res.body).toContain('<span aria-hidden="true">—</span>');
    expect(res.body).toContain(`action="/surveys/${id}/activate"`);
    expect(res.body).toContain(`href="/surveys/${id}/export.qsf"`);
    expect(res.body).toContain(`action="/surveys/${id}/copy"`);
    expect(res.body).toContain(`href="/surveys/${id}/delete"`);
  });

  it('imports the fixture through the form; the outline shows blocks, questions and flow; the export is byte-identical', async () => {
    const id = await importedId(await importViaForm(user, FIXTURE, { name: '', activate: '1' }));
    expect(await t.services.surveys.getSurvey(user.actor, id)).toMatchObject({ name: 'Better Sample Survey', status: 'Active' });

    const b = await browser(user);
    const outline = await b.get(`/surveys/${id}?done=imported`);
    expect(outline.statusCode).toBe(200);
    expect(outline.body).toContain('The survey was imported.');
    expect(outline.body).toContain(`<code id="anon-link">${t.config.publicUrl}/jfe/form/${id}</code>`);
    expect(outline.body).toContain('data-copy-target="anon-link"');
    expect(outline.body).toContain('<script src="/assets/copy.js" defer></script>');
    expect(outline.body).toContain('First Question Block');
    expect(outline.body).toContain('<strong>QID1</strong>');
    expect(outline.body).toContain('<code>q2_favorite</code>');
    expect(outline.body).toContain('Type: MC / SAVR');
    expect(outline.body).toContain('Please select your favorite fruit from the following options');
    expect(outline.body).toMatch(/<div class="flow"><ul><li><span class="flow-type">Block<\/span>: First Question Block<\/li><\/ul><\/div>/);
    // Every element, question and flow type of the fixture is known: no warning box.
    expect(outline.body).not.toContain('id="unsupported"');
    const js = await b.get('/assets/copy.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');

    const download = await b.get(`/surveys/${id}/export.qsf`);
    expect(download.statusCode).toBe(200);
    expect(download.headers['content-disposition']).toBe(`attachment; filename="Better-Sample-Survey-${id}.qsf"`);
    expect(download.rawPayload.equals(FIXTURE)).toBe(true);
  });

  it('uses the name given on the form', async () => {
    const id = await importedId(await importViaForm(user, FIXTURE, { name: 'Fruit study' }));
    expect(await t.services.surveys.getSurvey(user.actor, id)).toMatchObject({ name: 'Fruit study', status: 'Inactive' });
  });

  it('shows a bad file’s error in an alert, answers 4xx and stores nothing', async () => {
    const bad = await importViaForm(user, 'not json at all', { name: 'Kept name' });
    expect(bad.statusCode).toBe(409);
    expect(bad.body).toContain('role="alert"');
    expect(bad.body).toContain('Error parsing file: The file does not appear to be a valid survey');
    expect(bad.body).toContain('value="Kept name"');
    const missing = await importViaForm(user, '');
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('<a href="#f-file">QSF file</a>');
    expect(await t.services.surveys.listSurveys(user.actor)).toEqual([]);
  });

  it('refuses an import without the CSRF token (403) and stores nothing', async () => {
    const b = await browser(user);
    const res = await b.upload('/surveys/import', {}, { name: 'survey.qsf', content: FIXTURE }, { csrf: false });
    expect(res.statusCode).toBe(403);
    const forged = await b.post(`/surveys/SV_whatever/activate`, {}, { csrf: 'forged' });
    expect(forged.statusCode).toBe(403);
    expect(await t.services.surveys.listSurveys(user.actor)).toEqual([]);
  });

  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/surveys' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fsurveys');
  });
});

describe('surveys: lifecycle', () => {
  it('activates, deactivates, copies and deletes (after a confirmation page)', async () => {
    const id = await t.services.surveys.importSurvey(user.actor, { format: 'QSF', source: async () => FIXTURE, activate: false });
    const b = await browser(user);
    const on = await b.post(`/surveys/${id}/activate`, {});
    expect(on.statusCode).toBe(303);
    expect(on.headers.location).toBe('/surveys?done=activated');
    expect((await t.services.surveys.getSurvey(user.actor, id)).status).toBe('Active');
    expect((await b.get('/surveys?done=activated')).body).toContain(`action="/surveys/${id}/deactivate"`);
    const off = await b.post(`/surveys/${id}/deactivate`, {});
    expect(off.headers.location).toBe('/surveys?done=deactivated');
    expect((await t.services.surveys.getSurvey(user.actor, id)).status).toBe('Inactive');

    expect((await b.post(`/surveys/${id}/copy`, {})).headers.location).toBe('/surveys?done=copied');
    expect((await t.services.surveys.listSurveys(user.actor)).map((s) => s.name).sort()).toEqual(['Better Sample Survey', 'Better Sample Survey - Copy']);

    const confirm = await b.get(`/surveys/${id}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('This cannot be undone.');
    expect(confirm.body).toContain(`<form method="post" action="/surveys/${id}/delete">`);
    expect((await t.services.surveys.listSurveys(user.actor)).length).toBe(2);
    const gone = await b.post(`/surveys/${id}/delete`, {}, { from: `/surveys/${id}/delete` });
    expect(gone.headers.location).toBe('/surveys?done=deleted');
    expect((await t.services.surveys.listSurveys(user.actor)).map((s) => s.id)).not.toContain(id);
    expect((await b.get(`/surveys/${id}`)).statusCode).toBe(404);
  });

  it('shows the active-survey limit in an alert with 409 and changes nothing', async () => {
    await t.services.accounts.createBrand({ id: 'tiny', name: 'Tiny', maxActiveSurveys: 1 });
    const tiny = await seedUser(t, 'tiny', 'dora');
    await t.services.surveys.importSurvey(tiny.actor, { format: 'QSF', source: async () => FIXTURE, activate: true });
    const second = await t.services.surveys.importSurvey(tiny.actor, { format: 'QSF', source: async () => FIXTURE, activate: false, name: 'Second' });
    const res = await (await browser(tiny)).post(`/surveys/${second}/activate`, {});
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('role="alert"');
    expect(res.body).toContain('The maximum number of active surveys has been reached');
    expect((await t.services.surveys.getSurvey(tiny.actor, second)).status).toBe('Inactive');

    const viaForm = await importViaForm(tiny, FIXTURE, { activate: '1' });
    expect(viaForm.statusCode).toBe(409);
    expect(viaForm.body).toContain('The maximum number of active surveys has been reached');
    expect((await t.services.surveys.listSurveys(tiny.actor)).length).toBe(2);
  });

  it('answers 404 for another brand’s survey on every route, and changes nothing', async () => {
    const other = await seedBrand(t, 'globex');
    const id = await t.services.surveys.importSurvey(other.actor, { format: 'QSF', source: async () => FIXTURE, activate: false });
    const b = await browser(user);
    for (const url of [`/surveys/${id}`, `/surveys/${id}/export.qsf`, `/surveys/${id}/delete`, '/surveys/SV_nope']) {
      const res = await b.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain('Better Sample Survey');
    }
    for (const action of ['activate', 'delete']) expect((await b.post(`/surveys/${id}/${action}`, {})).statusCode).toBe(404);
    expect(await t.services.surveys.getSurvey(other.actor, id)).toMatchObject({ status: 'Inactive' });
  });
});

describe('surveys: outline of hostile or unusual files', () => {
  it('renders question text as inert plain text and lists what is kept but not supported', async () => {
    const id = await importedId(await importViaForm(user, hostileQsf()));
    const res = await (await browser(user)).get(`/surveys/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(/<script>alert|<img src=x|onerror=|<b onmouseover|<i>one<\/i>/);
    expect(res.body).toContain('<p class="question-text">Pick one &amp; go</p>');
    expect(res.body).toContain('Hostile &lt;b onmouseover=alert(2)&gt;name&lt;/b&gt;');
    expect(res.body).toMatch(/id="unsupported"[\s\S]*Survey element type “ZZ”[\s\S]*Question QID2 of type “Hologram \/ Spin”[\s\S]*Survey flow element type “Teleporter”/);
    expect(res.body).toContain('<span class="flow-type">EmbeddedData</span> (source = web)');
    expect(res.body).toMatch(/<span class="flow-type">Randomizer<\/span><ul><li><span class="flow-type">Block<\/span>: Block one<\/li><\/ul>/);
    expect(res.body).toContain('<span class="flow-type">EndSurvey</span>');
  });
});

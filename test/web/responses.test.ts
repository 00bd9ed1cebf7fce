import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'csv-parse/sync';
import { DomUtils, parseDocument } from 'htmlparser2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_FORMATS, type FileFormat } from '../../src/domain/export/files.ts';
import type { Entry, PageModel } from '../../src/services/respondent.ts';
import type { QuestionAnswer } from '../../src/domain/survey/session-state.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildQsf, mc, te } from '../helpers/qsf.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { sessionCookie, signedInBrowser } from '../helpers/web.ts';

/**
 * The signed-in response pages: the paged table with its filters and column chooser, one response
 * with embedded-data edits and deletion, downloads in every format, and the report. Responses come
 * from taking the survey through the respondent service (anonymous and personal links) and from
 * importResponses.
 */
let t: TestApp;
let ann: SeededUser;
let noDownload: SeededUser;
let foreign: SeededUser;
let surveyId: string;
let pagedId: string;
let foreignSurveyId: string;
let panelId: string;
/** surveyId's live responses: r1, r2 (hostile), r3 (panel), r4 (late on Nov 30), r5 (in progress, Dec 1). */
const ids: string[] = [];
/** pagedId's responses in the order they were imported (row 1 … row 120). */
let pagedIds: string[] = [];

const HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>';
const visitor = { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 test' };

/** Ten question columns (Q1, Q2 × 3, Q3 … Q8) so that the default shows only the first eight. */
const SURVEY = buildQsf({
  name: 'Fruit <b>survey</b>',
  pages: [['QID1', 'QID2'], ['QID3', 'QID4', 'QID5', 'QID6', 'QID7', 'QID8']],
  embedded: [{ Field: 'SubjectID', Type: 'Custom' }],
  questions: [
    mc('QID1', 'Q1', 3, { text: 'Favourite <img src=x onerror=alert(1)>fruit?' }),
    mc('QID2', 'Q2', 3, { multi: true, text: 'Colours' }),
    te('QID3', 'Q3', { text: 'Comments' }),
    ...['4', '5', '6', '7', '8'].map((n) => te(`QID${n}`, `Q${n}`)),
  ],
});

function pageOf(e: Entry): PageModel {
  if (e.kind !== 'page') throw new Error(`expected a page, got ${JSON.stringify(e)}`);
  return e.page;
}

const submit = (sid: string, p: PageModel, answers: Record<string, QuestionAnswer>) =>
  t.services.respondent.submit({ ...visitor, surveyId: sid, sessionId: p.sessionId, pageToken: p.pageToken, action: 'next', answers, confirmSoft: false });

/** One respondent through both pages; returns the ResponseID. */
async function respond(sid: string, q1: string, q2: string[], comment: string, extra: { subject?: string; mode?: 'anonymous' | 'preview' | 'personal'; link?: string } = {}): Promise<string> {
  const p1 = pageOf(await t.services.respondent.enter({
    ...visitor, surveyId: sid, mode: extra.mode ?? 'anonymous', personalLink: extra.link, query: extra.subject ? { SubjectID: extra.subject } : {}, previewActor: ann.actor,
  }));
  const p2 = pageOf(await submit(sid, p1, { QID1: { selected: [q1] }, QID2: { selected: q2 } }));
  const end = await submit(sid, p2, { QID3: { text: { '': comment } } });
  if (end.kind !== 'end' || !end.responseId) throw new Error(`expected the end, got ${JSON.stringify(end)}`);
  return end.responseId;
}

const DAY = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  t = await createTestApp();
  const admin = await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  noDownload = await seedUser(t, 'acme', 'nodl');
  await t.services.accounts.updateUser(admin.actor, noDownload.id, { permissions: { downloadResponses: false } });
  foreign = await seedBrand(t, 'globex');
  const importSurvey = (user: SeededUser, qsf: string) => t.services.surveys.importSurvey(user.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });
  surveyId = await importSurvey(ann, SURVEY);
  pagedId = await importSurvey(ann, SURVEY);
  foreignSurveyId = await importSurvey(foreign, SURVEY);
  await t.services.surveys.shareWith(ann.actor, surveyId, { userId: noDownload.id });

  // The clock starts at 2026-11-28 12:00 UTC, 05:00 in the brand's zone (America/Denver).
  ids.push(await respond(surveyId, '2', ['1', '3'], 'Tasty, "very"', { subject: 'S1' }));
  t.clock.advance(DAY);
  ids.push(await respond(surveyId, '1', [], HOSTILE, { subject: HOSTILE }));
  t.clock.advance(DAY);
  panelId = (await t.services.panels.createPanel(ann.actor, ann.id, 'Tasters')).id;
  const ada = await t.services.panels.addRecipient(ann.actor, ann.id, panelId, { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' });
  const dist = await t.services.respondent.createLinkDistribution(ann.actor, { surveyId, panelId, linkType: 'Individual' });
  ids.push(await respond(surveyId, '3', ['2'], 'from the panel', { mode: 'personal', link: t.services.respondent.personalLink(dist, ada.id, surveyId) }));
  const imported = await t.services.responses.importResponses(ann.actor, surveyId, Buffer.from(
    'EndDate,Finished,Q1,Q3,SubjectID\n' +
    'endDate,finished,QID1,QID3-TEXT,SubjectID\n' +
    '2026-11-30 23:59:30,1,2,late night,S4\n' +
    '2026-12-01 00:00:10,0,2,unfinished one,S5\n',
  ));
  ids.push(...imported.responseIds);
  // Neither a preview nor another survey's response is part of this survey's pages.
  await respond(surveyId, '1', [], 'a preview', { mode: 'preview' });

  const rows = Array.from({ length: 120 }, (_, i) => `2026-10-01 10:00:00,1,${(i % 3) + 1},row ${i + 1},P${i + 1}\n`).join('');
  pagedIds = (await t.services.responses.importResponses(ann.actor, pagedId, Buffer.from('EndDate,Finished,Q1,Q3,SubjectID\nendDate,finished,QID1,QID3-TEXT,SubjectID\n' + rows))).responseIds;
});
afterAll(async () => t?.close());

const browser = (who: SeededUser = ann, csrfPage = '/surveys') => signedInBrowser(t, who, csrfPage);
const responsesUrl = (sid = surveyId) => `/surveys/${sid}/responses`;

/** The response IDs the table shows, in order. */
function tableIds(body: string): string[] {
  return [...body.matchAll(/<th scope="row"><a href="\/surveys\/SV_\w+\/responses\/(R_\w+)">/g)].map((m) => m[1] as string);
}

/** The column headers of the table (their names). */
function headers(body: string): string[] {
  const head = /<thead>([\s\S]*?)<\/thead>/.exec(body)?.[1] ?? '';
  return [...head.matchAll(/<th scope="col">(?:<span class="col-name">)?([^<]*)/g)].map((m) => m[1] as string);
}

/** An href from the page, entities undone, found by its link text. */
function link(body: string, text: string): string | undefined {
  const m = new RegExp(`<a href="([^"]+)"[^>]*>${text}</a>`).exec(body);
  return m ? (m[1] as string).replace(/&amp;/g, '&') : undefined;
}

/**
 * Parsed as a browser would: no script but the site's own files, no event-handler attribute, no
 * image or frame anywhere, and the hostile text still there as text.
 */
function expectInert(body: string, hostileText = true): void {
  const doc = parseDocument(body);
  const elements = DomUtils.findAll(() => true, doc.children);
  for (const el of elements) {
    if (el.name === 'script') expect(el.attribs.src ?? '', 'script').toMatch(/^\/assets\//);
    // The report's charts are SVG drawn by the renderer; nothing a survey or respondent wrote becomes markup.
    expect(['img', 'iframe', 'object', 'embed', 'style', 'foreignobject'], el.name).not.toContain(el.name);
    for (const name of Object.keys(el.attribs)) expect(name, `${el.name} attribute`).not.toMatch(/^on/i);
  }
  if (hostileText) expect(DomUtils.textContent(doc)).toContain(HOSTILE);
}

describe('the responses table', () => {
  it('lists the live responses newest first with a caption, column headers and row links; previews left out', async () => {
    const res = await (await browser()).get(responsesUrl());
    expect(res.statusCode).toBe(200);
    expect(tableIds(res.body)).toEqual([...ids].reverse());
    expect(res.body).toContain('<caption id="responses-caption">Responses, newest first: 5 shown</caption>');
    expect(res.body).toContain('role="region" aria-labelledby="responses-caption" tabindex="0"');
    expect(res.body).toContain('<th scope="col">Response ID</th>');
    expect(res.body).toContain(`<a href="/surveys/${surveyId}/responses" aria-current="page">Responses</a>`);
    expect(res.body).toContain('Survey: <strong>Fruit &lt;b&gt;survey&lt;/b&gt;</strong>');
    expect(res.body).not.toContain('a preview');
    expect(res.body).not.toMatch(/rel="(next|prev)"/);
  });

  it('shows the default columns: EndDate, Finished and the first eight question columns', async () => {
    const res = await (await browser()).get(responsesUrl());
    const questions = (await t.services.responses.responsePage(ann.actor, surveyId, { size: 1 })).columns.filter((c) => c.kind === 'question').map((c) => c.name);
    expect(questions).toHaveLength(10);
    expect(headers(res.body)).toEqual(['Response ID', 'EndDate', 'Finished', ...questions.slice(0, 8)]);
    // Labels come from the survey as plain text: its markup is dropped.
    expect(res.body).toContain('<span class="col-label">Favourite fruit?</span>');
  });

  it('pages 50 at a time with Older and Newer links that keep the filters', async () => {
    const b = await browser();
    const newest = [...pagedIds].reverse();
    const first = await b.get(responsesUrl(pagedId));
    expect(tableIds(first.body)).toEqual(newest.slice(0, 50));
    expect(link(first.body, 'Newer')).toBeUndefined();
    const older = link(first.body, 'Older')!;
    expect(older).toMatch(/[?&]before=\d+/);
    const second = await b.get(older);
    expect(tableIds(second.body)).toEqual(newest.slice(50, 100));
    expect(second.body).toContain('older page');
    const third = await b.get(link(second.body, 'Older')!);
    expect(tableIds(third.body)).toEqual(newest.slice(100));
    expect(link(third.body, 'Older')).toBeUndefined();
    const back = await b.get(link(third.body, 'Newer')!);
    expect(tableIds(back.body)).toEqual(newest.slice(50, 100));
    const top = await b.get(link(back.body, 'Newer')!);
    expect(tableIds(top.body)).toEqual(newest.slice(0, 50));
    expect(tableIds((await b.get(link(third.body, 'Newest')!)).body)).toEqual(newest.slice(0, 50));

    // A search narrows the pages and the links keep it: "row 1" matches row 1, 10–19 and 100–120.
    const found = await b.get(`${responsesUrl(pagedId)}?q=row+1`);
    const matching = pagedIds.filter((_, i) => String(i + 1).startsWith('1')).reverse();
    expect(matching).toHaveLength(32);
    expect(tableIds(found.body)).toEqual(matching);
    expect(found.body).toContain('value="row 1"');
  });

  it('filters by EndDate day range in the brand’s zone, both days included', async () => {
    const b = await browser();
    const range = await b.get(`${responsesUrl()}?from=2026-11-29&to=2026-11-30`);
    expect(range.statusCode).toBe(200);
    // r2 (Nov 29), r3 (Nov 30 05:00) and r4 (Nov 30 23:59:30 local); r5 ended 00:00:10 on Dec 1.
    expect(tableIds(range.body)).toEqual([ids[3], ids[2], ids[1]]);
    expect(range.body).toContain('value="2026-11-29"');
    expect(range.body).toContain('Days in America/Denver');
    expect(tableIds((await b.get(`${responsesUrl()}?from=2026-12-01`)).body)).toEqual([ids[4]]);
    expect(tableIds((await b.get(`${responsesUrl()}?to=2026-11-28`)).body)).toEqual([ids[0]]);

    const bad = await b.get(`${responsesUrl()}?from=2026-02-30`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('<a href="#f-from">From (date)</a>');
    expect(bad.body).toMatch(/id="f-from" name="from" value="2026-02-30"[^>]*aria-invalid="true"/);
    const backwards = await b.get(`${responsesUrl()}?from=2026-11-30&to=2026-11-29`);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.body).toContain('<a href="#f-to">To (date)</a>');
  });

  it('filters finished / in progress, by panel and by text in answers or embedded data', async () => {
    const b = await browser();
    expect(tableIds((await b.get(`${responsesUrl()}?finished=0`)).body)).toEqual([ids[4]]);
    expect(tableIds((await b.get(`${responsesUrl()}?finished=1`)).body)).toEqual([ids[3], ids[2], ids[1], ids[0]]);
    const byPanel = await b.get(`${responsesUrl()}?panel=${panelId}`);
    expect(tableIds(byPanel.body)).toEqual([ids[2]]);
    expect(byPanel.body).toContain(`<option value="${panelId}" selected>Tasters (Ann Tester)</option>`);
    expect(tableIds((await b.get(`${responsesUrl()}?q=TASTY`)).body)).toEqual([ids[0]]);
    expect(tableIds((await b.get(`${responsesUrl()}?q=S4`)).body)).toEqual([ids[3]]);
    const none = await b.get(`${responsesUrl()}?q=nothing-like-this`);
    expect(tableIds(none.body)).toEqual([]);
    expect(none.body).toContain('No responses match these filters.');
    // Filters combine.
    expect(tableIds((await b.get(`${responsesUrl()}?finished=1&from=2026-11-30&q=night`)).body)).toEqual([ids[3]]);
  });

  it('shows the chosen columns, remembers them in the query string and keeps them in links and forms', async () => {
    const b = await browser();
    const res = await b.get(`${responsesUrl(pagedId)}?col=Q3&col=SubjectID&col=Nonsense`);
    // In the survey's column order, whatever the order asked.
    expect(headers(res.body)).toEqual(['Response ID', 'SubjectID', 'Q3']);
    expect(res.body).toContain('<td>row 120</td>');
    expect(res.body).toMatch(/<input type="checkbox" id="f-col-\d+" name="col" value="Q3" checked>/);
    expect(res.body).toMatch(/<input type="checkbox" id="f-col-\d+" name="col" value="Q1">/);
    expect(res.body).toContain('<input type="hidden" name="col" value="SubjectID">');
    const older = link(res.body, 'Older')!;
    expect(older).toContain('col=SubjectID&col=Q3');
    expect(headers((await b.get(older)).body)).toEqual(['Response ID', 'SubjectID', 'Q3']);
    // Nothing known chosen: the default columns, and links do not carry them.
    const fallback = await b.get(`${responsesUrl(pagedId)}?col=Nonsense`);
    expect(headers(fallback.body).slice(0, 3)).toEqual(['Response ID', 'EndDate', 'Finished']);
    expect(link(fallback.body, 'Older')).not.toContain('col=');
  });

  it('renders hostile answers and embedded data as text', async () => {
    const res = await (await browser()).get(`${responsesUrl()}?col=SubjectID&col=Q3`);
    expect(res.body).toContain('<td class="text">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</td>');
    expectInert(res.body);
  });

  it('the survey list links the response count to the table; the survey page links every response page', async () => {
    const b = await browser();
    const list = await b.get('/surveys');
    expect(list.body).toContain(`<a href="/surveys/${surveyId}/responses" aria-label="5 responses to Fruit &lt;b&gt;survey&lt;/b&gt;">5</a>`);
    const outline = await b.get(`/surveys/${surveyId}`);
    for (const [href, text] of [['/responses', 'Responses'], ['/report', 'Report'], ['/download', 'Download responses']]) {
      expect(outline.body).toContain(`<a href="/surveys/${surveyId}${href}">${text}</a>`);
    }
  });
});

describe('one response', () => {
  it('shows the answers question by question, with choice texts, inside the site frame', async () => {
    const res = await (await browser()).get(`${responsesUrl()}/${ids[0]}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`<h1>Response ${ids[0]}</h1>`);
    expect(res.body).toContain('<h2 id="answers-heading">Answers</h2>');
    expect(res.body).toMatch(/<h3>Q1\. Favourite fruit\?<\/h3>\s*<table><tr><th scope="row">Answer<\/th><td>Choice 2<\/td><\/tr><\/table>/);
    expect(res.body).toContain('<td>Tasty, &quot;very&quot;</td>');
    expect(res.body).toContain('<link rel="stylesheet" href="/assets/app.css">');
    expect(res.body).not.toContain('<style');
    expect(res.body).not.toContain('<!DOCTYPE html PUBLIC');
    // The embedded-data form holds the stored field.
    expect(res.body).toMatch(/<input type="hidden" name="ed0_key" value="SubjectID">\s*<label for="f-ed-0">SubjectID<\/label><input type="text" id="f-ed-0" name="ed0_value" value="S1"/);
  });

  it('renders a hostile answer and a hostile embedded value inert', async () => {
    const res = await (await browser()).get(`${responsesUrl()}/${ids[1]}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(res.body).toContain('value="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expectInert(res.body);
  });

  it('an unknown, deleted or other survey’s response is a 404 page', async () => {
    const b = await browser();
    expect((await b.get(`${responsesUrl()}/R_000000000000000`)).statusCode).toBe(404);
    expect((await b.get(`${responsesUrl()}/nonsense`)).statusCode).toBe(404);
    const other = await b.get(`${responsesUrl(pagedId)}/${ids[0]}`);
    expect(other.statusCode).toBe(404);
    expect(other.body).toContain('Response not found');
  });

  it('edits embedded data: changes a field, adds one, removes one; CSRF required', async () => {
    const sid = await t.services.surveys.importSurvey(ann.actor, { format: 'QSF', source: async () => Buffer.from(SURVEY), activate: true });
    const rid = await respond(sid, '1', [], 'to edit', { subject: 'before' });
    const url = `${responsesUrl(sid)}/${rid}`;
    const b = await browser(ann, url);

    const refused = await b.post(`${url}/embedded-data`, { ed0_key: 'SubjectID', ed0_value: 'forged' }, { csrf: false });
    expect(refused.statusCode).toBe(403);
    expect(await t.services.responses.embeddedData(ann.actor, sid, rid)).toEqual({ SubjectID: 'before' });

    const saved = await b.post(`${url}/embedded-data`, { ed0_key: 'SubjectID', ed0_value: 'after', new_key: 'Reviewed', new_value: 'yes <b>' });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`${url}?done=saved`);
    expect(await t.services.responses.embeddedData(ann.actor, sid, rid)).toEqual({ SubjectID: 'after', Reviewed: 'yes <b>' });
    const shown = await b.get(`${url}?done=saved`);
    expect(shown.body).toContain('The embedded data was saved.');
    expect(shown.body).toContain('name="ed1_value" value="yes &lt;b&gt;"');
    // The export sees the declared field's new value.
    expect(await t.services.responses.getResponse(ann.actor, sid, rid)).toMatchObject({ SubjectID: 'after' });

    const removed = await b.post(`${url}/embedded-data`, { ed0_key: 'SubjectID', ed0_value: 'after', ed1_key: 'Reviewed', ed1_value: '' });
    expect(removed.statusCode).toBe(303);
    expect(await t.services.responses.embeddedData(ann.actor, sid, rid)).toEqual({ SubjectID: 'after' });

    // Nothing to save: the form again with the error, nothing changed.
    const empty = await b.post(`${url}/embedded-data`, { new_key: '   ', new_value: 'x' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('<a href="#f-ed-new-key">New field name</a>');
    expect(empty.body).toMatch(/id="f-ed-new-key"[^>]*aria-invalid="true"/);
  });

  it('deletes after a confirmation step; CSRF required; the table then says so and leaves it out', async () => {
    const sid = await t.services.surveys.importSurvey(ann.actor, { format: 'QSF', source: async () => Buffer.from(SURVEY), activate: true });
    const keep = await respond(sid, '1', [], 'keep me');
    const gone = await respond(sid, '2', [], 'delete me');
    const url = `${responsesUrl(sid)}/${gone}`;
    const b = await browser(ann, `${url}/delete`);

    const view = await b.get(url);
    expect(view.body).toContain(`<a class="button secondary" href="${url}/delete">Delete this response</a>`);
    const confirm = await b.get(`${url}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(`<form method="post" action="${url}/delete">`);
    expect(confirm.body).toContain('aria-describedby="delete-warning"');
    expect(confirm.body).toContain(`<a class="button secondary" href="${url}">Keep the response</a>`);

    expect((await b.post(`${url}/delete`, {}, { csrf: false })).statusCode).toBe(403);
    expect((await b.post(`${url}/delete`, {}, { csrf: 'forged-token' })).statusCode).toBe(403);
    expect(tableIds((await b.get(responsesUrl(sid))).body)).toEqual([gone, keep]);

    const done = await b.post(`${url}/delete`, {});
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`${responsesUrl(sid)}?done=deleted`);
    const after = await b.get(String(done.headers.location));
    expect(after.body).toContain('The response was deleted.');
    expect(tableIds(after.body)).toEqual([keep]);
    expect((await b.get(url)).statusCode).toBe(404);
    expect((await b.post(`${url}/delete`, {})).statusCode).toBe(404);
  });
});

describe('downloads', () => {
  const FORMATS = Object.keys(FILE_FORMATS) as FileFormat[];
  const fileUrl = (format: FileFormat, params = '') => `/surveys/${surveyId}/download.${FILE_FORMATS[format].extension}?format=${format}${params}`;
  /** A delimited download's rows after its header rows, as objects by the first row's names. */
  function records(body: Buffer, format: FileFormat): Record<string, string>[] {
    const utf16 = format === 'tsv' || format === 'legacy-tsv';
    const text = (utf16 ? body.toString('utf16le') : body.toString('utf8')).replace(/^\ufeff/, '');
    // TSV quotes only a cell that starts with a quote (delimited.ts), so inner quotes are plain text.
    const rows = parse(text, { delimiter: utf16 ? '\t' : ',', relax_column_count: true, relax_quotes: utf16 }) as string[][];
    const names = rows[0] as string[];
    return rows.slice(2).map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? ''])));
  }

  it('offers every format, labels or codes, a date range and finished only', async () => {
    const res = await (await browser()).get(`/surveys/${surveyId}/download`);
    expect(res.statusCode).toBe(200);
    for (const f of FORMATS) expect(res.body).toContain(`<input type="radio" id="f-format-${f}" name="format" value="${f}"`);
    expect(res.body).toContain('<input type="radio" id="f-labels-1" name="labels" value="1" checked>');
    expect(res.body).toContain('<input type="date" id="f-from" name="from"');
    expect(res.body).toContain('<input type="checkbox" id="f-finished" name="finished" value="1">');
  });

  it('the submitted form leads to the file’s own address; a bad format or date is shown on the form', async () => {
    const b = await browser();
    const go = await b.get(`/surveys/${surveyId}/download?format=legacy-tsv&labels=0&from=2026-11-29&to=&finished=1`);
    expect(go.statusCode).toBe(303);
    expect(go.headers.location).toBe(`/surveys/${surveyId}/download.tsv?format=legacy-tsv&labels=0&from=2026-11-29&finished=1`);
    const badFormat = await b.get(`/surveys/${surveyId}/download?format=pdf`);
    expect(badFormat.statusCode).toBe(400);
    expect(badFormat.body).toContain('<a href="#f-format-csv">Format</a>');
    const badDate = await b.get(`/surveys/${surveyId}/download?format=csv&to=yesterday`);
    expect(badDate.statusCode).toBe(400);
    expect(badDate.body).toContain('<a href="#f-to">To (date)</a>');
    expect((await b.get(`/surveys/${surveyId}/download.csv?format=xlsx`)).statusCode).toBe(400);
  });

  it('streams every format as an attachment with its content type', async () => {
    const b = await browser();
    for (const format of FORMATS) {
      const res = await b.get(fileUrl(format, '&labels=0'));
      expect(res.statusCode, format).toBe(200);
      expect(res.headers['content-type'], format).toBe(FILE_FORMATS[format].contentType);
      expect(res.headers['content-disposition'], format).toMatch(new RegExp(`^attachment; filename="Fruit-bsurveyb-${surveyId}\\.${FILE_FORMATS[format].extension}"$`));
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.rawPayload;
      expect(body.length, format).toBeGreaterThan(0);
      switch (format) {
        case 'csv':
        case 'tsv': {
          const rows = records(body, format);
          expect(rows.map((r) => r.ResponseId)).toEqual(ids);
          expect(rows.map((r) => r.Q1)).toEqual(['2', '1', '3', '2', '2']);
          expect(rows[1]?.Q3).toBe(HOSTILE);
          break;
        }
        case 'legacy-csv':
        case 'legacy-tsv': {
          const rows = records(body, format);
          expect(rows.map((r) => r.V1)).toEqual(ids);
          break;
        }
        case 'json': {
          const doc = JSON.parse(body.toString('utf8')) as Array<Record<string, unknown>>;
          expect(doc.map((r) => r.ResponseId)).toEqual(ids);
          expect(doc.map((r) => r.Finished)).toEqual([1, 1, 1, 1, 0]);
          break;
        }
        case 'ndjson': {
          const lines = body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
          expect(lines.map((r) => r.ResponseId)).toEqual(ids);
          break;
        }
        case 'xlsx':
          expect(body.subarray(0, 4).toString('binary')).toBe('PK\x03\x04');
          break;
        case 'sav':
          expect(body.subarray(0, 4).toString('latin1')).toBe('$FL2');
          break;
      }
    }
  });

  it('applies labels, the date range and finished only', async () => {
    const b = await browser();
    const labelled = records((await b.get(fileUrl('csv', '&labels=1'))).rawPayload, 'csv');
    expect(labelled.map((r) => r.Q1)).toEqual(['Choice 2', 'Choice 1', 'Choice 3', 'Choice 2', 'Choice 2']);
    expect(records((await b.get(fileUrl('csv', '&finished=1'))).rawPayload, 'csv').map((r) => r.ResponseId)).toEqual(ids.slice(0, 4));
    expect(records((await b.get(fileUrl('csv', '&from=2026-11-29&to=2026-11-30'))).rawPayload, 'csv').map((r) => r.ResponseId)).toEqual(ids.slice(1, 4));
    const ndjson = (await b.get(fileUrl('ndjson', '&from=2026-12-01'))).body.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(ndjson.map((r) => r.ResponseId)).toEqual([ids[4]]);
  });

  it('a client that goes away mid-download stops the export without harming the server', async () => {
    const sid = await t.services.surveys.importSurvey(ann.actor, { format: 'QSF', source: async () => Buffer.from(SURVEY), activate: true });
    // About 8 MB of CSV: far more than the loopback socket buffers hold, so the close cuts the export short.
    const long = 'x'.repeat(10_000);
    const rows = Array.from({ length: 800 }, (_, i) => `2026-10-01 10:00:00,1,1,${long} ${i}\n`).join('');
    await t.services.responses.importResponses(ann.actor, sid, Buffer.from(`EndDate,Finished,Q1,Q3\nendDate,finished,QID1,QID3-TEXT\n${rows}`));
    const failures: unknown[] = [];
    const onFailure = (e: unknown) => failures.push(e);
    process.on('unhandledRejection', onFailure);
    process.on('uncaughtException', onFailure);
    try {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = t.app.server.address() as AddressInfo;
      const cookie = await sessionCookie(t, ann);
      const received = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: `/surveys/${sid}/download.csv`, headers: { cookie } }, (res) => {
          expect(res.statusCode).toBe(200);
          res.once('data', (chunk: Buffer) => {
            req.destroy();
            resolve(chunk.length);
          });
        });
        req.on('error', (e) => ((e as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(e)));
        req.end();
      });
      expect(received).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      // The server still answers, and the whole file is far larger than what was sent before the close.
      const again = await (await browser()).get(`${responsesUrl(sid)}?col=Q3`);
      expect(again.statusCode).toBe(200);
      // Long answers are cut in the table (the response's own page has all of it).
      expect(again.body).toMatch(/<td class="text">x{159}…<\/td>/);
      expect(failures).toEqual([]);
    } finally {
      process.off('unhandledRejection', onFailure);
      process.off('uncaughtException', onFailure);
    }
  });
});

describe('the report', () => {
  /** The count in the report's table row for a choice of Q1's table. */
  function choiceCount(body: string, choice: string): number | undefined {
    const q1 = body.slice(body.indexOf('<span class="rp-tag">Q1</span>'));
    const m = new RegExp(`<tr><th scope="row">${choice}</th><td class="rp-num">(\\d+)</td>`).exec(q1);
    return m ? Number(m[1]) : undefined;
  }

  it('shows the response totals and per-question frequencies that match the downloaded data', async () => {
    const b = await browser();
    const res = await b.get(`/surveys/${surveyId}/report`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<link rel="stylesheet" href="/assets/report.css">');
    expect(res.body).toContain('<div><dt>Responses</dt><dd>5</dd></div>');
    expect(res.body).toContain('<div><dt>In progress</dt><dd>1</dd></div>');
    const csv = parse((await b.get(`/surveys/${surveyId}/download.csv?format=csv&labels=1`)).body.replace(/^\ufeff/, ''), { columns: true }) as Record<string, string>[];
    const data = csv.slice(1);
    for (const choice of ['Choice 1', 'Choice 2', 'Choice 3']) expect(choiceCount(res.body, choice), choice).toBe(data.filter((r) => r.Q1 === choice).length);
    expect(choiceCount(res.body, 'Choice 2')).toBe(3);
    expectInert(res.body);
    expect(res.body).not.toContain('onerror=alert(1)>fruit');

    const css = await b.get('/assets/report.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
    expect(css.body).toContain('.rp-report');
  });

  it('filters by date range and finished only', async () => {
    const b = await browser();
    const finished = await b.get(`/surveys/${surveyId}/report?finished=1`);
    expect(finished.body).toContain('<div><dt>Responses</dt><dd>4</dd></div>');
    expect(choiceCount(finished.body, 'Choice 2')).toBe(2);
    expect(finished.body).toContain('<input type="checkbox" id="f-finished" name="finished" value="1" checked>');
    const range = await b.get(`/surveys/${surveyId}/report?from=2026-11-30&to=2026-11-30`);
    expect(range.body).toContain('<div><dt>Responses</dt><dd>2</dd></div>');
    expect(choiceCount(range.body, 'Choice 3')).toBe(1);
    expect(choiceCount(range.body, 'Choice 1')).toBe(0);
    const bad = await b.get(`/surveys/${surveyId}/report?from=soon`);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('<a href="#f-from">From (date)</a>');
  });
});

describe('who may see response data', () => {
  const pages = (sid: string, rid: string) => [
    `/surveys/${sid}/responses`,
    `/surveys/${sid}/responses/${rid}`,
    `/surveys/${sid}/responses/${rid}/delete`,
    `/surveys/${sid}/download`,
    `/surveys/${sid}/download.csv?format=csv`,
    `/surveys/${sid}/download.xlsx`,
    `/surveys/${sid}/report`,
  ];

  it('a user without downloadResponses gets a 403 page with the catalogue’s message, never a file', async () => {
    const b = await browser(noDownload);
    // The survey is shared with them: its page is there, its responses are not.
    expect((await b.get(`/surveys/${surveyId}`)).statusCode).toBe(200);
    for (const url of pages(surveyId, ids[0] as string)) {
      const res = await b.get(url);
      expect(res.statusCode, url).toBe(403);
      expect(res.headers['content-type'], url).toBe('text/html; charset=utf-8');
      expect(res.headers['content-disposition'], url).toBeUndefined();
      expect(res.body, url).toContain('You do not have permission to download survey data.');
    }
  });

  it('another brand’s survey, or an unknown one, is a 404 page', async () => {
    const b = await browser(ann);
    for (const url of [...pages(foreignSurveyId, ids[0] as string), ...pages('SV_000000000000000', ids[0] as string)]) {
      const res = await b.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body, url).toContain('There is no survey with that ID among your surveys.');
    }
    const theirs = await browser(foreign);
    expect((await theirs.get(`/surveys/${surveyId}/responses`)).statusCode).toBe(404);
    expect((await theirs.post(`/surveys/${surveyId}/responses/${ids[0]}/delete`, {}, { from: `/surveys/${foreignSurveyId}/download` })).statusCode).toBe(404);
  });

  it('signed-out visitors are sent to sign in', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/surveys/${surveyId}/download.csv` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(`/surveys/${surveyId}/download.csv`)}`);
  });
});

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from '../domain/survey/fixtures.ts';
import { TEST_DATABASE_URL, createTestEnv, type TestEnv } from '../helpers/app.ts';
import { buildQsf, mc, meta, te, timing, type QsfSpec } from '../helpers/qsf.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { exportColumns } from '../../src/domain/survey/export-columns.ts';
import { readQsf } from '../../src/domain/survey/qsf.ts';
import { responseValues } from '../../src/domain/survey/response-values.ts';
import { columnKey } from '../../src/domain/export/legacy-columns.ts';
import type { QsfSurvey } from '../../src/domain/survey/qsf.ts';
import type { QuestionAnswer } from '../../src/domain/survey/session-state.ts';
import { CLOSED_MESSAGES, DEFAULT_END_MESSAGE, EXPIRE_SESSIONS_JOB, type Entry, type PageModel, type PageQuestionModel, type SubmitRequest } from '../../src/services/respondent.ts';
import { openStore } from '../../src/store/db.ts';
import { GroupCommit, StaleWriteError } from '../../src/store/group-commit.ts';
import { responsesStore } from '../../src/store/responses.ts';
import { sessionsStore } from '../../src/store/sessions.ts';

const visitor = { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0' };

let t: TestEnv;
let ann: SeededUser;
let bob: SeededUser;
let foreign: SeededUser;

beforeAll(async () => {
  t = await createTestEnv();
  await seedBrand(t, 'acme');
  ann = await seedUser(t, 'acme', 'ann');
  bob = await seedUser(t, 'acme', 'bob');
  foreign = await seedBrand(t, 'globex');
});
afterAll(async () => t?.close());

const r = () => t.services.respondent;

async function importSurvey(user: SeededUser, qsf: string | Buffer, activate = true, env: TestEnv = t): Promise<string> {
  return env.services.surveys.importSurvey(user.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate });
}

function pageOf(e: Entry): PageModel {
  if (e.kind !== 'page') throw new Error(`expected a page, got ${JSON.stringify(e)}`);
  return e.page;
}

function enter(surveyId: string, extra: Partial<Parameters<ReturnType<typeof r>['enter']>[0]> = {}, env: TestEnv = t): Promise<Entry> {
  return env.services.respondent.enter({ ...visitor, surveyId, mode: 'anonymous', query: {}, ...extra });
}

function submit(surveyId: string, p: PageModel, answers: Record<string, QuestionAnswer>, extra: Partial<SubmitRequest> = {}, env: TestEnv = t): Promise<Entry> {
  return env.services.respondent.submit({
    ...visitor, surveyId, sessionId: p.sessionId, pageToken: p.pageToken, action: 'next', answers, confirmSoft: false, ...extra,
  });
}

const text = (s: string): QuestionAnswer => ({ text: { '': s } });

/** Stored values (keyed by columnKey, empty cells left out) under their export column names, in column order. */
function named(survey: QsfSurvey, stored: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const col of exportColumns(survey)) {
    const key = columnKey(col, survey);
    if (Object.prototype.hasOwnProperty.call(stored, key)) out[col.name] = stored[key];
  }
  return out;
}

/** A stored response's values by export column name. */
async function valuesOf(responseId: string, env: TestEnv = t): Promise<Record<string, unknown>> {
  const row = (await responsesStore.find(env.store.db, 'acme', responseId))!;
  const survey = await env.store.db.selectFrom('surveys').select('qsf').where('id', '=', row.survey_id).executeTakeFirstOrThrow();
  return named(readQsf(JSON.parse(survey.qsf)), JSON.parse(row.answers_values) as Record<string, unknown>);
}

const nonEmpty = (cells: Record<string, unknown>) => Object.fromEntries(Object.entries(cells).filter(([, v]) => v !== ''));
const sessionRow = async (id: string, env: TestEnv = t) => (await sessionsStore.find(env.store.db, id))!;
const qids = (p: PageModel) => p.questions.map((q) => q.qid);

/** Two pages: a text question each. */
const TWO_PAGES: QsfSpec = { pages: [['QID1'], ['QID2']], questions: [te('QID1', 'Q1'), te('QID2', 'Q2')] };

/** The scripted respondent: the first offered choice / scale point everywhere, numbers on sliders, text in boxes. */
function answerFor(q: PageQuestionModel): QuestionAnswer | undefined {
  const first = q.choiceOrder[0] as string;
  switch (q.question.questionType) {
    case 'MC':
      return q.question.choices.get(first)?.textEntry ? { selected: [first], text: { [first]: 'other fruit' } } : { selected: [first] };
    case 'Matrix':
      return { matrix: Object.fromEntries(q.choiceOrder.map((row) => [row, [q.answerOrder[0] as string]])) };
    case 'SBS': {
      const matrix: Record<string, string[]> = {};
      q.question.additionalQuestions.forEach((col, i) => {
        for (const row of q.choiceOrder) matrix[`${i + 1}/${row}`] = [col.answerOrder[0] as string];
      });
      return { matrix };
    }
    case 'Slider':
      return { numeric: Object.fromEntries(q.choiceOrder.map((c, i) => [c, 10 * (i + 1)])) };
    case 'TE':
      return text(`typed ${q.qid}`);
    default:
      return undefined;
  }
}

describe('a whole survey', () => {
  it('takes a fixture survey from the link to a stored response whose values are responseValues of the answers', async () => {
    const file = readFileSync(`${FIXTURES}many-different-question-types/survey.qsf`, 'utf8');
    const surveyId = await importSurvey(ann, file);
    const started = t.clock.now();
    let entry = await enter(surveyId);
    const sent: Record<string, QuestionAnswer> = {};
    const shown: string[] = [];
    let pages = 0;
    while (entry.kind === 'page') {
      pages += 1;
      const answers: Record<string, QuestionAnswer> = {};
      for (const q of entry.page.questions) {
        shown.push(q.qid);
        const a = answerFor(q);
        if (a) answers[q.qid] = sent[q.qid] = a;
      }
      t.clock.advance(5000);
      entry = await submit(surveyId, entry.page, answers);
    }
    expect(pages).toBe(4);
    if (entry.kind !== 'end') throw new Error(`expected the end, got ${entry.kind}`);
    expect(entry.messageHtml).toBe(DEFAULT_END_MESSAGE);
    expect(entry.responseId).toMatch(/^R_[0-9a-e][0-9A-Za-z]{14}$/);

    const row = (await responsesStore.find(t.store.db, 'acme', entry.responseId!))!;
    const qsf = readQsf(JSON.parse(file.replace(/^\uFEFF/, '')));
    const columns = exportColumns(qsf).filter((c) => c.kind === 'question');
    const expected = responseValues(qsf, columns, sent, { displayed: shown });
    const stored = named(qsf, JSON.parse(row.answers_values) as Record<string, unknown>);
    expect(stored).toEqual(nonEmpty(expected));
    expect(Object.keys(stored)).toEqual(Object.keys(nonEmpty(expected)));
    expect(JSON.parse(row.displayed)).toEqual(shown);
    expect(stored.Q18).toBe('typed QID18');
    expect([stored.Q5_1, stored.Q5_2, stored.Q5_3]).toEqual([10, 20, 30]);
    expect(row).toMatchObject({
      survey_id: surveyId, brand_id: 'acme', response_set_id: 'Default', status: 0, finished: 1, start_date: started, end_date: t.clock.now(),
      ip_address: visitor.ip, name: null, email: null, recipient_id: null, session_id: entry.sessionId,
    });
    expect(await sessionRow(entry.sessionId)).toMatchObject({ status: 'finished', response_id: entry.responseId, version: 5 });

    // Coming back shows the end again; the response count has it.
    expect(await r().show(surveyId, entry.sessionId, visitor)).toMatchObject({ kind: 'end', responseId: entry.responseId });
    expect(await r().responseCount(surveyId)).toBe(1);
    const listed = (await t.services.surveys.listSurveys(ann.actor)).find((s) => s.id === surveyId);
    expect(listed?.responses).toBe(1);
  });

  it('fills Timing from the client figures and the server clock, and Meta Info from the request', async () => {
    const surveyId = await importSurvey(ann, buildQsf({ pages: [['QID1', 'QID2', 'QID3']], questions: [te('QID1', 'Q1'), timing('QID2', 'T'), meta('QID3', 'M')] }));
    const p = pageOf(await enter(surveyId));
    t.clock.advance(12_500);
    const end = await submit(surveyId, p, { QID1: text('x'), QID2: { numeric: { '3': 999 } } }, {
      clientTiming: { QID2: { firstClick: 1.25, lastClick: 9.5, clicks: 4 } }, clientMeta: { resolution: '1280x800' },
    });
    if (end.kind !== 'end') throw new Error('expected the end');
    const values = await valuesOf(end.responseId!);
    expect(values).toEqual({
      Q1: 'x', T_FIRST_CLICK: 1.25, T_LAST_CLICK: 9.5, T_PAGE_SUBMIT: 12.5, T_CLICK_COUNT: 4,
      M_BROWSER: 'Firefox', M_VERSION: '127.0', M_OS: 'Linux', M_RESOLUTION: '1280x800',
    });
  });
});

describe('validation', () => {
  let surveyId: string;
  beforeAll(async () => {
    surveyId = await importSurvey(ann, buildQsf({
      pages: [['QID1', 'QID2'], ['QID3']],
      questions: [te('QID1', 'Q1', { force: 'ON' }), mc('QID2', 'Q2', 3, { force: 'RequestResponse' }), te('QID3', 'Q3')],
    }));
  });

  it('refuses a page with a blocking issue: same page and token, the posted answers kept, nothing stored', async () => {
    const p1 = pageOf(await enter(surveyId));
    const refused = pageOf(await submit(surveyId, p1, { QID2: { selected: ['2'] } }));
    expect([refused.pageId, refused.pageToken, refused.softOnly]).toEqual([p1.pageId, p1.pageToken, false]);
    expect(refused.questions.map((q) => [q.qid, q.issues.map((i) => i.code)])).toEqual([['QID1', ['required']], ['QID2', []]]);
    expect(refused.questions[1]?.answer).toEqual({ selected: ['2'] });
    const row = await sessionRow(p1.sessionId);
    expect(row.version).toBe(1);
    expect(JSON.parse(row.state).answers).toEqual({});
  });

  it('shows soft issues once, then goes on when the respondent confirms', async () => {
    const p1 = pageOf(await enter(surveyId));
    const soft = pageOf(await submit(surveyId, p1, { QID1: text('here') }));
    expect(soft.softOnly).toBe(true);
    expect(soft.pageToken).toBe(p1.pageToken);
    expect(soft.questions[1]?.issues.map((i) => [i.code, i.soft])).toEqual([['request-response', true]]);
    const p2 = pageOf(await submit(surveyId, soft, { QID1: text('here') }, { confirmSoft: true }));
    expect(qids(p2)).toEqual(['QID3']);
    expect((await sessionRow(p1.sessionId)).version).toBe(2);
  });
});

describe('page tokens', () => {
  it('a forged or stale token changes nothing and shows the current page', async () => {
    const surveyId = await importSurvey(ann, buildQsf(TWO_PAGES));
    const p1 = pageOf(await enter(surveyId));
    const forged = pageOf(await submit(surveyId, { ...p1, pageToken: '1.PG_forged' }, { QID1: text('a') }));
    expect([forged.pageId, forged.pageToken]).toEqual([p1.pageId, p1.pageToken]);
    expect((await sessionRow(p1.sessionId)).version).toBe(1);

    const p2 = pageOf(await submit(surveyId, p1, { QID1: text('first') }));
    const replay = pageOf(await submit(surveyId, p1, { QID1: text('changed') }));
    expect([replay.pageId, replay.pageToken]).toEqual([p2.pageId, p2.pageToken]);
    const row = await sessionRow(p1.sessionId);
    expect(row.version).toBe(2);
    expect(JSON.parse(row.state).answers).toEqual({ QID1: text('first') });
  });

  it('two posts of the same page at once: one moves on, the other is shown where the session is', async () => {
    const surveyId = await importSurvey(ann, buildQsf(TWO_PAGES));
    const p1 = pageOf(await enter(surveyId));
    const p2 = pageOf(await submit(surveyId, p1, { QID1: text('a') }));
    const [a, b] = await Promise.all([submit(surveyId, p2, { QID2: text('x') }), submit(surveyId, p2, { QID2: text('y') })]);
    expect([a.kind, b.kind]).toEqual(['end', 'end']);
    if (a.kind !== 'end' || b.kind !== 'end') return;
    expect(a.responseId).toBe(b.responseId);
    expect((await responsesStore.listBySurvey(t.store.db, 'acme', surveyId)).length).toBe(1);
  });
});

describe('back button', () => {
  it('goes back with the answers of both pages kept', async () => {
    const surveyId = await importSurvey(ann, buildQsf({ ...TWO_PAGES, options: { BackButton: 'true' } }));
    const p1 = pageOf(await enter(surveyId));
    expect(p1.canGoBack).toBe(false);
    const p2 = pageOf(await submit(surveyId, p1, { QID1: text('first') }));
    expect(p2.canGoBack).toBe(true);
    const back = pageOf(await submit(surveyId, p2, { QID2: text('draft') }, { action: 'back' }));
    expect(back.pageId).toBe(p1.pageId);
    expect(back.questions[0]?.answer).toEqual(text('first'));
    expect(back.canGoBack).toBe(false);
    const again = pageOf(await submit(surveyId, back, { QID1: text('second') }));
    expect(again.pageId).toBe(p2.pageId);
    expect(again.questions[0]?.answer).toEqual(text('draft'));
    const end = await submit(surveyId, again, { QID2: text('final') });
    if (end.kind !== 'end') throw new Error('expected the end');
    const values = await valuesOf(end.responseId!);
    expect(values).toEqual({ Q1: 'second', Q2: 'final' });
  });

  it('is refused when the survey has no back button', async () => {
    const surveyId = await importSurvey(ann, buildQsf(TWO_PAGES));
    const p2 = pageOf(await submit(surveyId, pageOf(await enter(surveyId)), { QID1: text('first') }));
    expect(p2.canGoBack).toBe(false);
    const still = pageOf(await submit(surveyId, p2, { QID2: text('draft') }, { action: 'back' }));
    expect([still.pageId, still.pageToken]).toEqual([p2.pageId, p2.pageToken]);
    expect((await sessionRow(p2.sessionId)).version).toBe(2);
  });
});

describe('survey status and dates', () => {
  it('an inactive survey is closed with its message; its owner can still preview it', async () => {
    const surveyId = await importSurvey(ann, buildQsf(TWO_PAGES), false);
    expect(await enter(surveyId)).toEqual({ kind: 'closed', surveyId, surveyName: 'Test survey', reason: 'inactive', messageHtml: CLOSED_MESSAGES.inactive });
    const custom = await importSurvey(ann, buildQsf({ ...TWO_PAGES, options: { InactiveSurvey: 'CustomMessage', InactiveMessage: 'Closed for the summer.' } }), false);
    expect(await enter(custom)).toMatchObject({ kind: 'closed', reason: 'inactive', messageHtml: 'Closed for the summer.' });

    expect(await enter(surveyId, { mode: 'preview', previewActor: bob.actor })).toMatchObject({ kind: 'closed', reason: 'forbidden' });
    expect(await enter(surveyId, { mode: 'preview', previewActor: foreign.actor })).toMatchObject({ kind: 'closed', reason: 'forbidden' });
    expect(await enter(surveyId, { mode: 'preview' })).toMatchObject({ kind: 'closed', reason: 'forbidden' });
    await t.services.surveys.shareWith(ann.actor, surveyId, { userId: bob.id });
    expect((await enter(surveyId, { mode: 'preview', previewActor: bob.actor })).kind).toBe('page');

    const p1 = pageOf(await enter(surveyId, { mode: 'preview', previewActor: ann.actor }));
    const p2 = pageOf(await submit(surveyId, p1, { QID1: text('a') }));
    const end = await submit(surveyId, p2, { QID2: text('b') });
    expect(end).toMatchObject({ kind: 'end', mode: 'preview' });
    if (end.kind !== 'end') return;
    expect((await responsesStore.find(t.store.db, 'acme', end.responseId!))?.status).toBe(1);
    expect(await r().responseCount(surveyId)).toBe(0);
    expect((await t.services.surveys.listSurveys(ann.actor)).find((s) => s.id === surveyId)?.responses).toBe(0);
  });

  it('a survey deactivated or deleted while a respondent is in it closes their session', async () => {
    const surveyId = await importSurvey(ann, buildQsf(TWO_PAGES));
    const p1 = pageOf(await enter(surveyId));
    await t.services.surveys.deactivate(ann.actor, surveyId);
    expect(await submit(surveyId, p1, { QID1: text('a') })).toMatchObject({ kind: 'closed', reason: 'inactive' });
    expect((await sessionRow(p1.sessionId)).version).toBe(1);
    await t.services.surveys.activate(ann.actor, surveyId);
    expect((await submit(surveyId, p1, { QID1: text('a') })).kind).toBe('page');
    await t.services.surveys.delete(ann.actor, surveyId);
    expect(await r().show(surveyId, p1.sessionId, visitor)).toEqual({ kind: 'closed', surveyId, reason: 'not-found', messageHtml: CLOSED_MESSAGES['not-found'] });
    expect(await enter(surveyId)).toMatchObject({ kind: 'closed', reason: 'not-found' });
    expect(await enter('SV_0000000000none')).toMatchObject({ kind: 'closed', reason: 'not-found' });
    expect(await r().show(surveyId, 'FS_0000000000none', visitor)).toMatchObject({ kind: 'closed', reason: 'not-found' });
  });

  it('honours start and expiration dates from the survey options', async () => {
    const now = t.clock.now();
    // ISO dates with their zone: independent of the brand's time zone.
    const spec = (start: number, end: number) => buildQsf({ ...TWO_PAGES, options: { SurveyExpiration: 'on', SurveyStartDate: new Date(start).toISOString(), SurveyExpirationDate: new Date(end).toISOString() } });
    expect(await enter(await importSurvey(ann, spec(now + 3600_000, now + 7200_000)))).toMatchObject({ kind: 'closed', reason: 'not-started' });
    expect(await enter(await importSurvey(ann, spec(now - 7200_000, now - 1)))).toMatchObject({ kind: 'closed', reason: 'expired' });
    expect((await enter(await importSurvey(ann, spec(now - 7200_000, now + 7200_000)))).kind).toBe('page');
  });

  it('refuses a second response from a browser that finished when ballot-box stuffing is prevented', async () => {
    const open = await importSurvey(ann, buildQsf(TWO_PAGES));
    const guarded = await importSurvey(ann, buildQsf({ ...TWO_PAGES, options: { BallotBoxStuffingPrevention: 'true' } }));
    expect((await enter(open, { alreadyCompleted: true })).kind).toBe('page');
    expect(await enter(guarded, { alreadyCompleted: true })).toMatchObject({ kind: 'closed', reason: 'already-taken' });
  });

  it('resumes the session of this browser, or starts anew when the survey does not save and continue', async () => {
    const saving = await importSurvey(ann, buildQsf(TWO_PAGES));
    const p = pageOf(await enter(saving));
    expect(pageOf(await enter(saving, { resumeSessionId: p.sessionId })).sessionId).toBe(p.sessionId);
    const other = await importSurvey(ann, buildQsf(TWO_PAGES));
    expect(pageOf(await enter(saving, { resumeSessionId: pageOf(await enter(other)).sessionId })).sessionId).not.toBe(p.sessionId);
    const noSave = await importSurvey(ann, buildQsf({ ...TWO_PAGES, options: { SaveAndContinue: 'false' } }));
    const q = pageOf(await enter(noSave));
    expect(pageOf(await enter(noSave, { resumeSessionId: q.sessionId })).sessionId).not.toBe(q.sessionId);
  });
});

describe('end of survey', () => {
  it('shows a library message of the brand, piped; another brand cannot name it', async () => {
    const msg = await t.services.messages.create(ann.actor, ann.id, { category: 'EndOfSurveyMessages', name: 'Thanks', body: '<p>Thanks, ${e://Field/src}!</p>' });
    const spec = buildQsf({
      ...TWO_PAGES, embedded: [{ Field: 'src', Type: 'Custom' }],
      options: { SurveyTermination: 'DisplayMessage', EOSMessage: msg.id, EOSMessageLibrary: ann.id },
    });
    const finish = async (surveyId: string, env: TestEnv = t) => {
      const p1 = pageOf(await enter(surveyId, { query: { src: 'a <mail>' } }, env));
      const p2 = pageOf(await submit(surveyId, p1, { QID1: text('a') }, {}, env));
      return submit(surveyId, p2, { QID2: text('b') }, {}, env);
    };
    expect(await finish(await importSurvey(ann, spec))).toMatchObject({ kind: 'end', messageHtml: '<p>Thanks, a &lt;mail&gt;!</p>' });
    expect(await finish(await importSurvey(foreign, spec))).toMatchObject({ kind: 'end', messageHtml: DEFAULT_END_MESSAGE });
  });

  it('redirects when the survey says so', async () => {
    const surveyId = await importSurvey(ann, buildQsf({ ...TWO_PAGES, options: { SurveyTermination: 'Redirect', EOSRedirectURL: 'https://example.org/thanks' } }));
    const p2 = pageOf(await submit(surveyId, pageOf(await enter(surveyId)), { QID1: text('a') }));
    const end = await submit(surveyId, p2, {});
    expect(end).toMatchObject({ kind: 'end', redirectUrl: 'https://example.org/thanks' });
    expect(end.kind === 'end' && end.messageHtml).toBe(undefined);
  });
});

describe('embedded data and piping', () => {
  it('takes URL values only for fields the flow declares, pipes them escaped and records them', async () => {
    const surveyId = await importSurvey(ann, buildQsf({
      pages: [['QID1']], embedded: [{ Field: 'src', Type: 'Custom' }, { Field: 'fixed', Type: 'Custom', Value: 'set by flow' }],
      questions: [te('QID1', 'Q1', { text: 'From ${e://Field/src} (${e://Field/fixed})' })],
    }));
    const p = pageOf(await enter(surveyId, { query: { src: '<b>mail</b>', fixed: 'url', other: 'x' } }));
    expect(p.pipe(p.questions[0]!.question.questionText)).toBe('From &lt;b&gt;mail&lt;/b&gt; (set by flow)');
    const end = await submit(surveyId, p, { QID1: text('a') });
    if (end.kind !== 'end') throw new Error('expected the end');
    const row = (await responsesStore.find(t.store.db, 'acme', end.responseId!))!;
    expect(JSON.parse(row.embedded)).toEqual({ src: '<b>mail</b>', fixed: 'set by flow' });
  });
});

describe('personal links', () => {
  let surveyId: string;
  let panelId: string;
  let ada: { id: string };
  let grace: { id: string };

  beforeAll(async () => {
    surveyId = await importSurvey(ann, buildQsf({
      ...TWO_PAGES, embedded: [{ Field: 'dept', Type: 'Recipient' }],
      questions: [te('QID1', 'Q1', { text: 'Hi ${m://FirstName} from ${e://Field/dept}' }), te('QID2', 'Q2')],
    }));
    panelId = (await t.services.panels.createPanel(ann.actor, ann.id, 'Panel')).id;
    ada = await t.services.panels.addRecipient(ann.actor, ann.id, panelId, { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', externalRef: 'EXT1', embeddedData: { dept: 'R&D' } });
    grace = await t.services.panels.addRecipient(ann.actor, ann.id, panelId, { firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.org' });
  });

  const personal = (link: string, extra: Parameters<typeof enter>[1] = {}) => enter(surveyId, { mode: 'personal', personalLink: link, ...extra });

  it('an Individual link attaches the panel member, resumes from any browser and works once', async () => {
    const dist = await r().createLinkDistribution(ann.actor, { surveyId, panelId, linkType: 'Individual' });
    expect(dist).toMatch(/^EMD_/);
    const link = r().personalLink(dist, ada.id, surveyId);
    const p1 = pageOf(await personal(link, { query: { dept: 'from the url' } }));
    expect(p1.pipe(p1.questions[0]!.question.questionText)).toBe('Hi Ada from R&amp;D');
    const p2 = pageOf(await submit(surveyId, p1, { QID1: text('a') }));
    const elsewhere = pageOf(await personal(link));
    expect([elsewhere.sessionId, elsewhere.pageId]).toEqual([p1.sessionId, p2.pageId]);
    const end = await submit(surveyId, elsewhere, { QID2: text('b') });
    if (end.kind !== 'end') throw new Error('expected the end');
    const row = (await responsesStore.find(t.store.db, 'acme', end.responseId!))!;
    expect(row).toMatchObject({
      name: 'Lovelace, Ada', email: 'ada@example.org', external_ref: 'EXT1', recipient_id: ada.id, panel_id: panelId, distribution_id: dist, status: 0, finished: 1,
    });
    expect(JSON.parse(row.embedded)).toEqual({ dept: 'R&D' });
    expect(await personal(link)).toMatchObject({ kind: 'closed', reason: 'already-taken' });
    // Another member of the same distribution still gets in.
    expect((await personal(r().personalLink(dist, grace.id, surveyId))).kind).toBe('page');
  });

  it('a Multiple link starts a new session each time unless the browser resumes one', async () => {
    const dist = await r().createLinkDistribution(ann.actor, { surveyId, panelId, linkType: 'Multiple' });
    const link = r().personalLink(dist, grace.id, surveyId);
    const a = pageOf(await personal(link));
    const b = pageOf(await personal(link));
    expect(a.sessionId).not.toBe(b.sessionId);
    expect(pageOf(await personal(link, { resumeSessionId: a.sessionId })).sessionId).toBe(a.sessionId);
  });

  it('refuses links that do not hold together, and expired ones', async () => {
    const dist = await r().createLinkDistribution(ann.actor, { surveyId, panelId, linkType: 'Individual' });
    const otherPanel = (await t.services.panels.createPanel(ann.actor, ann.id, 'Other')).id;
    const stranger = await t.services.panels.addRecipient(ann.actor, ann.id, otherPanel, { firstName: 'S' });
    const otherSurvey = await importSurvey(ann, buildQsf(TWO_PAGES));
    expect(await personal(r().personalLink(dist, stranger.id, surveyId))).toMatchObject({ kind: 'closed', reason: 'link-invalid' });
    expect(await personal('nonsense')).toMatchObject({ kind: 'closed', reason: 'link-invalid' });
    expect(await personal(r().personalLink(dist, ada.id, otherSurvey))).toMatchObject({ kind: 'closed', reason: 'link-invalid' });
    expect(await personal(r().personalLink('EMD_00000000000none', ada.id, surveyId))).toMatchObject({ kind: 'closed', reason: 'link-invalid' });
    const single = await r().createLinkDistribution(ann.actor, { surveyId, recipientId: grace.id, linkType: 'Individual' });
    expect((await personal(r().personalLink(single, grace.id, surveyId))).kind).toBe('page');
    expect(await personal(r().personalLink(single, ada.id, surveyId))).toMatchObject({ kind: 'closed', reason: 'link-invalid' });
    const expired = await r().createLinkDistribution(ann.actor, { surveyId, panelId, linkType: 'Individual', expirationDate: t.clock.now() - 1 });
    expect(await personal(r().personalLink(expired, ada.id, surveyId))).toMatchObject({ kind: 'closed', reason: 'link-expired' });
  });

  it('only someone who may use the survey and the panel creates a distribution', async () => {
    await expect(r().createLinkDistribution(bob.actor, { surveyId, linkType: 'Anonymous' })).rejects.toMatchObject({ kind: 'UnknownSurvey' });
    await expect(r().createLinkDistribution(foreign.actor, { surveyId, linkType: 'Anonymous' })).rejects.toMatchObject({ kind: 'UnknownSurvey' });
    const bobsSurvey = await importSurvey(bob, buildQsf(TWO_PAGES));
    await expect(r().createLinkDistribution(bob.actor, { surveyId: bobsSurvey, panelId, linkType: 'Individual' })).rejects.toMatchObject({ kind: 'InvalidParameter', param: 'PanelID' });
    await expect(r().createLinkDistribution(bob.actor, { surveyId: bobsSurvey, linkType: 'Individual' })).rejects.toMatchObject({ kind: 'InvalidParameter', param: 'PanelID' });
    await expect(r().createLinkDistribution(ann.actor, { surveyId, panelId, recipientId: 'MLRP_0000000000none', linkType: 'Individual' })).rejects.toMatchObject({ param: 'RecipientID' });
  });
});

describe('partial data', () => {
  let env: TestEnv;
  let owner: SeededUser;
  beforeAll(async () => {
    env = await createTestEnv();
    owner = await seedBrand(env, 'acme');
  });
  afterAll(async () => env?.close());

  it('closes sessions past the deadline: unfinished responses for those with answers', async () => {
    const surveyId = await importSurvey(owner, buildQsf({ ...TWO_PAGES, options: { PartialData: '+2 days' } }), true, env);
    const answered = pageOf(await submit(surveyId, pageOf(await enter(surveyId, {}, env)), { QID1: text('partial') }, {}, env));
    const lastActivity = env.clock.now();
    const idle = pageOf(await enter(surveyId, {}, env));
    const noPartial = await importSurvey(owner, buildQsf({ ...TWO_PAGES, options: { PartialData: 'No' } }), true, env);
    const discarded = pageOf(await submit(noPartial, pageOf(await enter(noPartial, {}, env)), { QID1: text('gone') }, {}, env));

    env.clock.advance(24 * 3600_000);
    expect(await env.services.respondent.expireSessions()).toBe(0);
    env.clock.advance(24 * 3600_000 + 1);
    expect(await env.services.respondent.expireSessions()).toBe(2);
    expect(await env.services.respondent.show(surveyId, answered.sessionId, visitor)).toMatchObject({ kind: 'closed', reason: 'session-expired' });

    const [row] = await responsesStore.listBySurvey(env.store.db, 'acme', surveyId);
    expect(row).toMatchObject({ finished: 0, status: 0, session_id: answered.sessionId, end_date: lastActivity });
    expect(await valuesOf(row!.id, env)).toEqual({ Q1: 'partial' });
    expect(await sessionRow(answered.sessionId, env)).toMatchObject({ status: 'expired', response_id: row!.id });
    expect(await sessionRow(idle.sessionId, env)).toMatchObject({ status: 'expired', response_id: null });
    expect(await responsesStore.listBySurvey(env.store.db, 'acme', surveyId)).toHaveLength(1);

    // PartialData "No": its deadline is the default week; then nothing is recorded. The sweep also runs as a job.
    env.clock.advance(6 * 24 * 3600_000);
    const job = await env.services.jobs.enqueue(EXPIRE_SESSIONS_JOB, 'acme', {});
    expect(await env.services.jobs.runOne('test-worker')).toBe(true);
    expect(await env.services.jobs.get('acme', job.id)).toMatchObject({ status: 'done', result: { expired: 1 } });
    expect(await sessionRow(discarded.sessionId, env)).toMatchObject({ status: 'expired', response_id: null });
    expect(await responsesStore.listBySurvey(env.store.db, 'acme', noPartial)).toHaveLength(0);
    expect(await env.services.respondent.expireSessions()).toBe(0);
  });
});

describe('group commit', () => {
  let env: TestEnv;
  let owner: SeededUser;
  beforeAll(async () => {
    env = await createTestEnv();
    owner = await seedBrand(env, 'acme');
  });
  afterAll(async () => env?.close());

  it('commits many concurrent submits together, every one durable', async () => {
    const surveyId = await importSurvey(owner, buildQsf(TWO_PAGES), true, env);
    const n = 120;
    const firsts = (await Promise.all(Array.from({ length: n }, () => enter(surveyId, {}, env)))).map(pageOf);
    const before = { ...env.services.respondent.writer.stats };
    const seconds = (await Promise.all(firsts.map((p, i) => submit(surveyId, p, { QID1: text(`a${i}`) }, {}, env)))).map(pageOf);
    const ends = await Promise.all(seconds.map((p, i) => submit(surveyId, p, { QID2: text(`b${i}`) }, {}, env)));
    expect(ends.every((e) => e.kind === 'end')).toBe(true);
    const stats = env.services.respondent.writer.stats;
    expect(stats.writes - before.writes).toBe(2 * n);
    // Far fewer transactions than writes: the submits shared commits.
    expect(stats.batches - before.batches).toBeLessThan(n / 4);

    // A fresh connection to the same database sees every acknowledged write.
    await env.store.close();
    const reopened = openStore({ dataDir: env.dataDir, databaseUrl: TEST_DATABASE_URL, pgSchema: env.pgSchema });
    try {
      const rows = await responsesStore.listBySurvey(reopened.db, 'acme', surveyId);
      expect(rows).toHaveLength(n);
      const byAnswer = new Map(rows.map((row) => [JSON.parse(row.answers_values).QID1 as string, JSON.parse(row.answers_values).QID2 as string]));
      for (let i = 0; i < n; i++) expect(byAnswer.get(`a${i}`)).toBe(`b${i}`);
      for (const p of firsts) expect(await sessionsStore.find(reopened.db, p.sessionId)).toMatchObject({ version: 3, status: 'finished' });
    } finally {
      await reopened.close();
    }
  });
});

describe('group commit: failures stay with their write', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
    await seedBrand(env, 'acme');
  });
  afterAll(async () => env?.close());

  const insert = (id: string) => ({
    sql: 'INSERT INTO distributions (id, brand_id, survey_id, owner_id, panel_id, recipient_id, link_type, expiration_date, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    params: [id, 'acme', 'SV_x', 'UR_x', null, null, 'Anonymous', null, 1],
  });

  it('a failing write and a stale one are refused alone; their neighbours commit', async () => {
    const writer = new GroupCommit(env.store);
    await writer.submit({ statements: [insert('EMD_existing')] });
    const good = Array.from({ length: 10 }, (_, i) => writer.submit({ statements: [insert(`EMD_good${i}`)] }));
    // A duplicate key half-way through a two-statement write: its first insert must be undone too.
    const bad = writer.submit({ statements: [insert('EMD_badfirst'), insert('EMD_existing')] });
    const stale = writer.submit({ guard: { sql: 'UPDATE distributions SET created_at = ? WHERE id = ?', params: [2, 'EMD_nothing'] }, statements: [insert('EMD_staleinsert')] });
    const guarded = writer.submit({ guard: { sql: 'UPDATE distributions SET created_at = ? WHERE id = ?', params: [3, 'EMD_existing'] }, statements: [insert('EMD_guarded')] });
    const more = Array.from({ length: 10 }, (_, i) => writer.submit({ statements: [insert(`EMD_more${i}`)] }));
    const results = await Promise.allSettled([...good, bad, stale, guarded, ...more]);
    expect(results.map((x) => x.status)).toEqual([...Array(10).fill('fulfilled'), 'rejected', 'rejected', 'fulfilled', ...Array(10).fill('fulfilled')]);
    const reason = (i: number) => (results[i] as PromiseRejectedResult).reason as unknown;
    expect(reason(10)).not.toBeInstanceOf(StaleWriteError);
    expect(reason(11)).toBeInstanceOf(StaleWriteError);
    const ids = (await env.store.db.selectFrom('distributions').select(['id', 'created_at']).execute()).map((x) => `${x.id}:${x.created_at}`).sort();
    expect(ids).toEqual([
      'EMD_existing:3', 'EMD_guarded:1',
      ...Array.from({ length: 10 }, (_, i) => `EMD_good${i}:1`), ...Array.from({ length: 10 }, (_, i) => `EMD_more${i}:1`),
    ].sort());
    // The whole set went out as one batch (plus the first write on its own).
    expect(writer.stats.batches).toBe(2);
    await writer.drain();
  });

  // SQLite only: PostgreSQL has no file to fail to open.
  it.skipIf(Boolean(process.env.TEST_DATABASE_URL))('refuses the writes (rather than hanging) when the database cannot be written at all', async () => {
    // SQLite commits on a thread of its own: one that cannot open the file fails what it was given.
    const writer = new GroupCommit({ ...env.store, sqliteFile: `${env.dataDir}/missing/dir/insight.db` });
    const results = await Promise.allSettled([writer.submit({ statements: [insert('EMD_lost1')] }), writer.submit({ statements: [insert('EMD_lost2')] })]);
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    await expect(writer.submit({ statements: [insert('EMD_lost3')] })).rejects.toThrow();
    const ids = (await env.store.db.selectFrom('distributions').select('id').where('id', 'like', 'EMD_lost%').execute()).map((x) => x.id);
    expect(ids).toEqual([]);
    await writer.drain();
  });
});

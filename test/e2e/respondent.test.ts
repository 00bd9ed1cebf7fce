/**
 * Taking surveys in a real browser (Debian's chromium) against the running app: every fixture survey
 * completed by a scripted respondent through the page controls (and once with JavaScript off), the
 * every-type survey with the survey.js enhancements, axe accessibility checks and the keyboard, and
 * the Back button, refresh and browser history. Stored responses are read back from the database.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { columnKey } from '../../src/domain/export/legacy-columns.ts';
import { exportColumns, type ExportColumn, type LegacyDialect } from '../../src/domain/survey/export-columns.ts';
import { readQsf } from '../../src/domain/survey/qsf.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium, watchPage } from '../helpers/browser.ts';
import { everyTypeQsf } from '../helpers/every-type-survey.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';
import { DIALECT, FIXTURES } from '../domain/survey/fixtures.ts';

let t: TestApp;
let user: SeededUser;
let base: string;
let browser: Browser;
/** What this chromium sends when it runs with a window: the headless token is not a real visitor's. */
let userAgent: string;

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  user = await seedUser(t, 'acme', 'rita');
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  // Launched last: when chromium is missing this throws and the test fails, saying how to install it.
  browser = await launchChromium();
  const probe = await browser.newPage();
  userAgent = (await probe.evaluate(() => navigator.userAgent)).replace('HeadlessChrome/', 'Chrome/');
  await probe.context().close();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const FIXTURE_NAMES = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const END_TEXT = 'Your response has been recorded';
const VIEWPORT = { width: 1280, height: 720 };

async function importSurvey(qsf: string): Promise<string> {
  return t.services.surveys.importSurvey(user.actor, { format: 'QSF', source: async () => Buffer.from(qsf), activate: true });
}

async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: VIEWPORT, screen: VIEWPORT, userAgent, ...options });
}

/** Page errors, console errors, dialogs and failed requests (told by method and path), as readable lines. */
function watch(page: Page): string[] {
  return watchPage(page, { refuseDialogs: true, describe: (r) => `${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}` });
}

interface StoredResponse {
  finished: number;
  status: number;
  values: Record<string, string | number>;
  displayed: string[];
}

async function responsesOf(surveyId: string): Promise<StoredResponse[]> {
  const rows = await t.store.db.selectFrom('responses').select(['finished', 'status', 'answers_values', 'displayed']).where('survey_id', '=', surveyId).execute();
  return rows.map((r) => ({
    finished: Number(r.finished),
    status: Number(r.status),
    values: JSON.parse(r.answers_values) as Record<string, string | number>,
    displayed: JSON.parse(r.displayed) as string[],
  }));
}

// -------------------------------------------------------------------------------------------------
// The scripted respondent

type Action = { kind: 'check'; selector: string } | { kind: 'fill' | 'select'; selector: string; value: string };

interface PagePlan {
  /** Question ids whose fieldset the page shows. */
  seen: string[];
  /** Question ids the respondent gave something to. */
  answered: string[];
  actions: Action[];
}

const EMAIL = 'respondent@example.org';

/**
 * What a diligent respondent does on the page, worked out in the page: the first radio of each group
 * (rank tables: a different rank per row), the first non-exclusive checkbox of each group, the first
 * real option of each list (rank lists: 1..n), and a fitting value in every visible box (an address
 * for e-mail boxes, a number for number boxes, the required total for a constant sum, ranks for rank
 * boxes, text elsewhere).
 */
async function planPage(page: Page): Promise<PagePlan> {
  return page.evaluate((email) => {
    const seen: string[] = [];
    const answered: string[] = [];
    const actions: Action[] = [];
    const shown = (el: Element): boolean => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
    const selectorOf = (el: Element): string => {
      if (el.id) return `#${CSS.escape(el.id)}`;
      const input = el as HTMLInputElement;
      return `[name="${CSS.escape(input.name)}"][value="${CSS.escape(input.value)}"]`;
    };
    for (const fs of Array.from(document.querySelectorAll('fieldset.sv-q'))) {
      // The fieldset id is `q-` and the QID (letters and digits, so kept as it is).
      const qid = fs.id.replace(/^q-/, '');
      seen.push(qid);
      const before = actions.length;
      const groups = new Map<string, HTMLInputElement[]>();
      for (const input of Array.from(fs.querySelectorAll<HTMLInputElement>('input[type=radio], input[type=checkbox]'))) {
        if (!shown(input)) continue;
        const list = groups.get(input.name) ?? [];
        list.push(input);
        groups.set(input.name, list);
      }
      let rankRow = 0;
      for (const inputs of groups.values()) {
        const first = inputs[0] as HTMLInputElement;
        let pick = first;
        if (first.closest('table.sv-rank-table')) pick = inputs[rankRow++ % inputs.length] as HTMLInputElement;
        else if (first.type === 'checkbox') pick = inputs.find((i) => !i.classList.contains('sv-excl')) ?? first;
        actions.push({ kind: 'check', selector: selectorOf(pick) });
      }
      for (const select of Array.from(fs.querySelectorAll('select'))) {
        if (!shown(select)) continue;
        const item = select.closest('ol.sv-rank > li');
        const value = item
          ? String(Array.prototype.indexOf.call(item.parentElement?.children ?? [], item) + 1)
          : (Array.from(select.options).find((o) => o.value !== '')?.value ?? '');
        if (value !== '') actions.push({ kind: 'select', selector: selectorOf(select), value });
      }
      const boxes = Array.from(fs.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('input[type=text], input[type=number], input[type=password], input[type=email], textarea')).filter(shown);
      const total = fs.querySelector('.sv-cs')?.getAttribute('data-total') ?? '';
      boxes.forEach((box, i) => {
        let value: string;
        if (box instanceof HTMLInputElement && box.type === 'number') {
          const min = Number(box.min || 0);
          const step = Number(box.step) > 0 ? Number(box.step) : 1;
          const max = box.max === '' ? min + step : Number(box.max);
          value = String(min + step <= max ? min + step : min);
        } else if (total !== '') value = i === 0 ? total : '0';
        else if (fs.classList.contains('sv-q-ro')) value = String(i + 1);
        else if (box.type === 'email' || box.inputMode === 'email' || box.autocomplete === 'email') value = email;
        else if (box.inputMode === 'decimal' || box.inputMode === 'numeric' || box.classList.contains('sv-num')) value = String(i + 2);
        else value = `Answer ${qid} ${i + 1}`;
        actions.push({ kind: 'fill', selector: selectorOf(box), value });
      });
      if (actions.length > before) answered.push(qid);
    }
    return { seen, answered, actions };
  }, EMAIL);
}

/**
 * Real clicks, typing and choosing. `force` skips the wait for a steady layout (costly on a busy
 * machine, and these pages do not move); a click that lands on something else still fails, as
 * check() verifies the control's new state.
 */
async function perform(page: Page, actions: Action[]): Promise<void> {
  for (const a of actions) {
    const control = page.locator(a.selector);
    if (a.kind === 'check') await control.check({ force: true });
    else if (a.kind === 'fill') await control.fill(a.value, { force: true });
    else await control.selectOption(a.value, { force: true });
  }
}

/** Clicks a submit button and waits for the page the post leads to (shown in place by survey.js, or the end page loaded). */
async function press(page: Page, button: 'next' | 'back' = 'next'): Promise<void> {
  await afterPost(page, () => page.locator(`form.sv-form button[type=submit][value=${button}]`).click());
}

/**
 * Posts the page by `act` and waits for what follows: survey.js marks every page it shows with a new
 * view id on <html>; a page loaded without it (the end page) has none.
 */
async function afterPost(page: Page, act: () => Promise<void>): Promise<void> {
  const before = await page.locator('html').getAttribute('data-sv-view');
  if (before === null) {
    // No script on this page (JavaScript is off): the browser posts and loads what it is sent.
    const loaded = page.waitForEvent('load');
    await act();
    await loaded;
    return;
  }
  await act();
  await page.waitForFunction((b) => document.readyState === 'complete' && document.documentElement.getAttribute('data-sv-view') !== b, before);
}

async function clickNext(page: Page): Promise<void> {
  // Next must be the first submit button: it is the one Enter uses.
  expect(await page.locator('form.sv-form button[type=submit]').first().getAttribute('value')).toBe('next');
  await press(page, 'next');
}

function summaryText(page: Page): Promise<string | null> {
  return page.locator('#sv-summary').count().then((n) => (n === 0 ? null : page.locator('#sv-summary').innerText()));
}

interface Walk {
  pages: number;
  seen: Set<string>;
  answered: Set<string>;
}

/** Answers and submits pages until the end of the survey. */
async function completeSurvey(page: Page, label: string): Promise<Walk> {
  const walk: Walk = { pages: 0, seen: new Set(), answered: new Set() };
  while (await page.locator('form.sv-form').count() > 0) {
    expect(walk.pages, `${label}: too many pages`).toBeLessThan(30);
    const plan = await planPage(page);
    await perform(page, plan.actions);
    plan.seen.forEach((q) => walk.seen.add(q));
    plan.answered.forEach((q) => walk.answered.add(q));
    walk.pages += 1;
    await clickNext(page);
    expect(await summaryText(page), `${label}: page ${walk.pages} refused`).toBeNull();
  }
  expect(new URL(page.url()).pathname, label).toMatch(/\/done$/);
  expect(await page.locator('main').innerText(), label).toContain(END_TEXT);
  return walk;
}

// -------------------------------------------------------------------------------------------------
// Checking a stored response against the fixture's recorded export

function headerRow(name: string): Set<string> {
  const rows = parse(readFileSync(`${FIXTURES}${name}/legacy.csv`), { bom: true, to_line: 1, relax_column_count: true, relax_quotes: true }) as string[][];
  return new Set(rows[0]);
}

function columnsByKey(qsf: string, dialect: LegacyDialect): Map<string, ExportColumn> {
  const survey = readQsf(JSON.parse(qsf));
  return new Map(exportColumns(survey, { dialect }).filter((c) => c.kind === 'question').map((c) => [columnKey(c, survey), c]));
}

async function checkStoredFixture(name: string, qsf: string, surveyId: string, walk: Walk): Promise<void> {
  const responses = await responsesOf(surveyId);
  expect(responses, name).toHaveLength(1);
  const [r] = responses as [StoredResponse];
  expect(r.finished, name).toBe(1);
  expect(r.status, name).toBe(0);
  const columns = columnsByKey(qsf, DIALECT[name] as LegacyDialect);
  const header = headerRow(name);
  const names = Object.keys(r.values).map((key) => columns.get(key)?.name ?? `(no column for key ${key})`);
  expect(names.filter((n) => !header.has(n)), `${name}: stored keys that are not columns of legacy.csv`).toEqual([]);
  for (const qid of walk.seen) expect(r.displayed, `${name}: ${qid} was shown`).toContain(qid);
  const filled = new Set(Object.entries(r.values).filter(([, v]) => v !== '').map(([k]) => columns.get(k)?.qid));
  expect([...walk.answered].filter((qid) => !filled.has(qid)), `${name}: answered questions with nothing stored`).toEqual([]);
  expect(walk.answered.size, name).toBeGreaterThan(0);
}

async function takeFixture(name: string, options: BrowserContextOptions = {}): Promise<Walk> {
  const qsf = readFileSync(`${FIXTURES}${name}/survey.qsf`, 'utf8');
  const surveyId = await importSurvey(qsf);
  const context = await newContext(options);
  try {
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${base}/jfe/form/${surveyId}`);
    if (options.javaScriptEnabled === false) {
      // Without script the slider is its number box alone and the rank list has no move buttons.
      expect(await page.locator('input[type=range], .sv-move').count()).toBe(0);
    }
    const walk = await completeSurvey(page, name);
    expect(problems, name).toEqual([]);
    await checkStoredFixture(name, qsf, surveyId, walk);
    return walk;
  } finally {
    await context.close();
  }
}

// Concurrent: each walk mostly waits on the browser, so a few at once share the two cores well.
describe.concurrent('fixture surveys in chromium', () => {
  it.each(FIXTURE_NAMES)('completes %s through the page controls, storing only its export columns', async (name) => {
    await takeFixture(name);
  }, 60_000);

  it('completes a several-page fixture with JavaScript off', async () => {
    const walk = await takeFixture('many-different-question-types', { javaScriptEnabled: false });
    expect(walk.pages).toBeGreaterThan(1);
  }, 60_000);
});

// -------------------------------------------------------------------------------------------------
// The every-type survey

const EVERY_TYPE = JSON.stringify(everyTypeQsf());

/** The every-type survey, imported and open on its first page in a browser context of its own. */
async function openEveryType(): Promise<{ surveyId: string; context: BrowserContext; page: Page; problems: string[] }> {
  const surveyId = await importSurvey(EVERY_TYPE);
  const context = await newContext();
  const page = await context.newPage();
  const problems = watch(page);
  await page.goto(`${base}/jfe/form/${surveyId}`);
  return { surveyId, context, page, problems };
}

/** The legend texts that say which page of the every-type survey is on screen. */
const PAGE_MARK = ['Which fruit do you like best?', 'Which of these do you own?', 'How much do you agree?', 'How satisfied are you?'];

async function onPage(page: Page): Promise<number> {
  const legends = await page.locator('legend').allInnerTexts();
  return PAGE_MARK.findIndex((m) => legends.includes(m)) + 1;
}

function hidden(page: Page, name: string): Promise<string | null> {
  return page.locator(`input[name=${name}]`).getAttribute('value');
}

describe('the every-type survey in chromium', () => {
  it('is completed with the script enhancements and stores each type as the export expects', async () => {
    const { surveyId, context, page, problems } = await openEveryType();
    const radio = (name: string) => page.getByRole('radio', { name, exact: true });
    const checkbox = (name: string) => page.getByRole('checkbox', { name, exact: true });
    const box = (name: string) => page.getByRole('textbox', { name, exact: true });

    // Page 1: single choices in every layout, lists, NPS (recoded: choice 8 says 7).
    expect(await onPage(page)).toBe(1);
    await radio('Banana').check();
    await radio('Weekly').check();
    await radio('Green').check();
    await page.getByRole('combobox', { name: 'Your country' }).selectOption({ label: 'Denmark' });
    await page.getByRole('listbox', { name: 'Your region' }).selectOption({ label: 'East' });
    await radio('7').check();
    // The page-submit time is the server's: let its clock move while the respondent reads.
    t.clock.advance(4_000);
    await clickNext(page);

    // Page 2: an exclusive choice clears the others and is cleared by them.
    expect(await onPage(page)).toBe(2);
    await checkbox('Bicycle').check();
    await checkbox('Car').check();
    await checkbox('None of these').check();
    expect(await checkbox('Bicycle').isChecked()).toBe(false);
    expect(await checkbox('Car').isChecked()).toBe(false);
    await checkbox('Bicycle').check();
    expect(await checkbox('None of these').isChecked()).toBe(false);
    await checkbox('Something else').check();
    await box('Something else').fill('A scooter');
    await checkbox('Mon').check();
    await checkbox('Wed').check();
    await checkbox('Tennis').check();
    await page.getByRole('listbox', { name: 'Languages you speak' }).selectOption(['1', '3']);
    await box('Your email address').fill('ann@example.org');
    await box('Tell us about your day').fill('Line one\nLine two');
    await page.getByLabel('Choose a passphrase').fill('secret words');
    await box('First name').fill('Ann');
    await box('Last name').fill('Lee');
    await clickNext(page);

    // Page 3: matrices.
    expect(await onPage(page)).toBe(3);
    await radio('The site is fast Agree').check();
    await radio('The site is clear Neutral').check();
    await box('Other aspect').fill('Accessibility');
    await radio('Other aspect Not applicable').check();
    await checkbox('Email Today').check();
    await checkbox('Email This month').check();
    await checkbox('Phone This week').check();
    await page.getByRole('combobox', { name: 'Support' }).selectOption({ label: 'Good' });
    await page.getByRole('combobox', { name: 'Billing' }).selectOption({ label: 'Poor' });
    await radio('Cheap 2 Expensive').check();
    await radio('Slow 5 Fast').check();
    await box('Work Weekdays').fill('8');
    await box('Sleep Weekends').fill('9');
    await box('Budget A Rent').fill('70');
    await box('Budget A Food').fill('30');
    await clickNext(page);

    // Page 4: slider by keyboard, ranking by a move button and by dragging, constant sum to its total.
    expect(await onPage(page)).toBe(4);
    const overall = page.getByRole('slider', { name: 'Overall' });
    await overall.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('spinbutton', { name: 'Overall' }).inputValue()).toBe('3');
    await page.getByRole('spinbutton', { name: 'Value for money' }).fill('8');
    expect(await page.getByRole('slider', { name: 'Value for money' }).inputValue()).toBe('8');
    const items = page.locator('#q-QID23 ol.sv-rank > li');
    await page.getByRole('button', { name: 'Move Price down' }).click();
    expect(await items.locator('label').allInnerTexts()).toEqual(['Quality', 'Price', 'Service']);
    await items.nth(2).dragTo(items.nth(0));
    expect(await items.locator('label').allInnerTexts()).toEqual(['Service', 'Quality', 'Price']);
    expect(await items.locator('select').evaluateAll((s) => s.map((e) => (e as HTMLSelectElement).value))).toEqual(['1', '2', '3']);
    await radio('Paris 2').check();
    await radio('Rome 1').check();
    await radio('Oslo 3').check();
    await box('Spring').fill('3');
    await box('Summer').fill('1');
    await box('Winter').fill('2');
    const sum = page.locator('#q-QID26 .sv-cs');
    await box('Savings').fill('40');
    expect(await sum.locator('output').innerText()).toBe('40');
    expect(await sum.getAttribute('class')).toContain('sv-off');
    await box('Spending').fill('60');
    expect(await sum.locator('output').innerText()).toBe('100');
    expect(await sum.getAttribute('class')).not.toContain('sv-off');
    await radio('Brand A Awareness Aware').check();
    await radio('Brand B Awareness Not aware').check();
    await checkbox('Brand A Used Last year').check();
    await checkbox('Brand A Used Ever').check();
    await clickNext(page);

    expect(new URL(page.url()).pathname).toBe(`/jfe/form/${surveyId}/done`);
    expect(await page.locator('main').innerText()).toContain(END_TEXT);
    expect(problems).toEqual([]);
    await context.close();

    const responses = await responsesOf(surveyId);
    expect(responses).toHaveLength(1);
    const r = responses[0] as StoredResponse;
    expect(r.finished).toBe(1);
    expect(r.displayed).toEqual(expect.arrayContaining(['QID1', 'QID7', 'QID16', 'QID22', 'QID27', 'QID29', 'QID30']));
    const v = r.values;
    expect(v).toMatchObject({
      // MC single: the recode (NPS choice 8 is recoded 7), else the choice id.
      QID1: 2, QID2: 2, QID3: 2, QID4: 2, QID5: 3, QID6: 7,
      // MC multi: 1 per chosen choice, the "other" text in its _TEXT column.
      QID7_1: 1, QID7_3: 1, QID7_3_TEXT: 'A scooter', QID8_1: 1, QID8_3: 1, QID9_2: 1, QID10_1: 1, QID10_3: 1,
      QID11: 'ann@example.org', QID12: 'Line one\nLine two', QID14: 'secret words', QID15_1: 'Ann', QID15_2: 'Lee',
      // Matrices: the scale point's recode per row, 1 per chosen cell of a multi-answer row.
      QID16_1: 3, QID16_2: 2, QID16_3: 4, QID16_3_TEXT: 'Accessibility',
      QID17_1_1: 1, QID17_1_3: 1, QID17_2_2: 1, QID18_1: 3, QID18_2: 1, QID19_1: 2, QID19_2: 5,
      // Text and constant-sum matrices with several columns: a cell per row and column.
      QID20_1_1: '8', QID20_2_2: '9', QID21_1_1: 70, QID21_1_2: 30,
      QID22_1: 3, QID22_2: 8,
      // Rank numbers per item: Service first, Quality second, Price third.
      QID23_1: 3, QID23_2: 2, QID23_3: 1, QID24_1: 2, QID24_2: 1, QID24_3: 3, QID25_1: 3, QID25_2: 1, QID25_3: 2,
      QID26_1: 40, QID26_2: 60,
      'QID27#1_1': 1, 'QID27#1_2': 2, 'QID27#2_1_1': 1, 'QID27#2_1_2': 1,
      QID29_3: 4,
      QID30_1: 'Chrome', QID30_3: 'Linux', QID30_4: '1280x720',
    });
    // Unticked by the exclusive choice, never ticked, or left empty: no cell.
    for (const key of ['QID7_2', 'QID7_4', 'QID8_2', 'QID13', 'QID17_2_1', 'QID20_1_2', 'QID21_2_1', 'QID27#2_2_1', 'QID27#2_2_2']) expect(v, key).not.toHaveProperty(key);
    const [first, last, clicks] = [v.QID29_1, v.QID29_2, v.QID29_4] as number[];
    expect(first).toBeGreaterThan(0);
    expect(last).toBeGreaterThanOrEqual(first as number);
    expect(clicks).toBeGreaterThanOrEqual(5);
    expect(String(v.QID30_2)).toMatch(/^\d+(\.\d+)+$/);
  }, 60_000);
});

// -------------------------------------------------------------------------------------------------
// Accessibility and the keyboard

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const readable = violations.map((v) => [
    `${v.id} (${v.impact ?? 'n/a'}): ${v.help} — ${v.helpUrl}`,
    ...v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`),
  ].join('\n'));
  expect(readable, `axe on ${label}`).toEqual([]);
}

describe('accessibility of the respondent pages', () => {
  it('passes axe on every page, the error page, a phone-sized matrix page and the end page; works by keyboard', async () => {
    const { surveyId, context, page, problems } = await openEveryType();
    await expectNoAxeViolations(page, 'page 1');

    // Page 1 posted empty: its forced question refuses it in place, with an error summary in focus.
    await clickNext(page);
    expect(await onPage(page)).toBe(1);
    expect(await page.title()).toMatch(/^Error: /);
    expect(await page.locator('#sv-summary').innerText()).toContain('Which fruit do you like best?');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sv-summary');
    expect(await page.locator('#q-QID1-c-1').getAttribute('aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'page 1 with validation errors');

    // Keyboard only: Tab past the summary's link to the first radio, Space picks it, an arrow key
    // moves the choice, Enter submits the page with Next.
    let tabs = 0;
    while ((await page.evaluate(() => document.activeElement?.id)) !== 'q-QID1-c-1' && tabs < 5) {
      await page.keyboard.press('Tab');
      tabs += 1;
    }
    expect(tabs).toBe(2);
    await page.keyboard.press('Space');
    expect(await page.locator('#q-QID1-c-1').isChecked()).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q-QID1-c-2');
    expect(await page.locator('#q-QID1-c-2').isChecked()).toBe(true);
    await afterPost(page, () => page.keyboard.press('Enter'));
    expect(await onPage(page)).toBe(2);

    for (const n of [2, 3, 4]) {
      expect(await onPage(page)).toBe(n);
      await expectNoAxeViolations(page, `page ${n}`);
      if (n === 3) {
        // The matrix page on a phone: rows stacked, nothing wider than the screen.
        await page.setViewportSize({ width: 390, height: 844 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
        expect(await page.locator('#q-QID16 thead').isVisible()).toBe(false);
        await expectNoAxeViolations(page, 'page 3 at 390 px wide');
        await page.setViewportSize(VIEWPORT);
      }
      await perform(page, (await planPage(page)).actions);
      await clickNext(page);
      expect(await summaryText(page), `page ${n} refused`).toBeNull();
    }
    expect(new URL(page.url()).pathname).toBe(`/jfe/form/${surveyId}/done`);
    await expectNoAxeViolations(page, 'the end page');
    // The only failed request is the refused page, answered 422 in place.
    expect(problems).toEqual([`422 POST /jfe/form/${surveyId}`]);
    await context.close();

    const responses = await responsesOf(surveyId);
    expect(responses.map((r) => [r.finished, r.values.QID1])).toEqual([[1, 2]]);
  }, 60_000);
});

// -------------------------------------------------------------------------------------------------
// Back button, refresh and browser history

describe('going back and forth', () => {
  it('shows the next page in place (one request, no load), focuses its heading, and Back stays on the survey', async () => {
    const { surveyId, context, page, problems } = await openEveryType();
    // Survives only while the document does: a page load would lose it.
    await page.evaluate(() => Object.assign(window, { svMarker: 'kept' }));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
    await page.getByRole('radio', { name: 'Banana', exact: true }).check();
    await page.getByRole('combobox', { name: 'Your country' }).selectOption({ label: 'Denmark' });
    await clickNext(page);
    expect(await onPage(page)).toBe(2);
    expect(requests).toEqual([`POST /jfe/form/${surveyId}`]);
    expect(await page.evaluate(() => (window as unknown as { svMarker?: string }).svMarker)).toBe('kept');
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    expect(await page.title()).not.toMatch(/^Error/);
    await expectNoAxeViolations(page, 'a page shown in place');

    // The browser's Back stays on the survey's address, showing the current page.
    await page.goBack();
    expect(new URL(page.url()).pathname).toBe(`/jfe/form/${surveyId}`);
    expect(await onPage(page)).toBe(2);
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('keeps its place on refresh, goes Back with answers kept, and history never makes a second response', async () => {
    const { surveyId, context, page, problems } = await openEveryType();
    // Page 1 has no Back button; the later pages do.
    expect(await page.locator('button[value=back]').count()).toBe(0);
    await page.getByRole('radio', { name: 'Banana', exact: true }).check();
    await page.getByRole('combobox', { name: 'Your country' }).selectOption({ label: 'Denmark' });
    await clickNext(page);
    expect(await onPage(page)).toBe(2);
    const session = await hidden(page, '_session');
    const token = await hidden(page, '_token');

    // Refresh: the same page of the same session.
    await page.reload();
    expect(await onPage(page)).toBe(2);
    expect(await hidden(page, '_session')).toBe(session);
    expect(await hidden(page, '_token')).toBe(token);

    // Back keeps what was given on page 2 (unvalidated) and shows page 1 as it was answered.
    await page.getByRole('checkbox', { name: 'Tue', exact: true }).check();
    await page.getByRole('textbox', { name: 'Your email address' }).fill('not yet an address');
    await press(page, 'back');
    expect(await onPage(page)).toBe(1);
    expect(await page.getByRole('radio', { name: 'Banana', exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('combobox', { name: 'Your country' }).inputValue()).toBe('2');
    await clickNext(page);
    expect(await onPage(page)).toBe(2);
    expect(await page.getByRole('checkbox', { name: 'Tue', exact: true }).isChecked()).toBe(true);
    expect(await page.getByRole('textbox', { name: 'Your email address' }).inputValue()).toBe('not yet an address');

    // The browser's own history: every entry is the survey's one address, which shows the current page.
    const current = await hidden(page, '_token');
    await page.goBack();
    expect(await onPage(page)).toBe(2);
    await page.goForward();
    expect(await onPage(page)).toBe(2);
    expect(await hidden(page, '_session')).toBe(session);
    expect(await hidden(page, '_token')).toBe(current);

    await completeSurvey(page, 'every-type after going back');
    expect(await responsesOf(surveyId)).toHaveLength(1);
    // History back and forward from the end page post nothing: still the one response.
    await page.goBack();
    await page.goForward();
    await page.goBack();
    const responses = await responsesOf(surveyId);
    expect(responses).toHaveLength(1);
    expect(responses[0]?.finished).toBe(1);
    expect(responses[0]?.values).toMatchObject({ QID1: 2, QID4: 2, QID8_2: 1 });
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});

/**
 * Survey pages in a real browser (Debian's chromium), served with the respondent CSP: what chromium
 * really posts (checked against the browserPost model the unit tests use), survey.js behaviour, the
 * accessibility tree, and the narrow-screen matrix layout.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readPageForm } from '../../../src/web/respondent/form.ts';
import { renderSurveyPage } from '../../../src/web/respondent/page.ts';
import type { PageQuestionView } from '../../../src/web/respondent/view.ts';
import { launchChromium } from '../../helpers/browser.ts';
import { everyTypeQsf } from '../../helpers/every-type-survey.ts';
import { fullAnswer } from './answers.ts';
import { browserPost, type PostedBody } from './browser-post.ts';
import { fixtureSurveys, pageView, questionViews, withAnswer } from './views.ts';

const ASSETS: Record<string, [string, Buffer]> = {
  '/jfe/assets/survey.js': ['text/javascript', readFileSync(new URL('../../../src/web/respondent/assets/survey.js', import.meta.url))],
  '/jfe/assets/survey.css': ['text/css', readFileSync(new URL('../../../src/web/respondent/assets/survey.css', import.meta.url))],
};
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; form-action 'self'";

const pages = new Map<string, string>();
const posts: string[] = [];
let postDelay = 0;
let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        posts.push(body);
        setTimeout(() => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>posted</title><p>posted</p>'), postDelay);
      });
      return;
    }
    if (url === '/favicon.ico') return void res.writeHead(204).end();
    const asset = ASSETS[url];
    if (asset) return void res.writeHead(200, { 'content-type': asset[0] }).end(asset[1]);
    const page = pages.get(url);
    if (page === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CSP }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Launched last: when chromium is missing this throws and the test fails, saying how to install it.
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/** A posted urlencoded body as @fastify/formbody gives it to the routes: repeated names become arrays. */
function formBody(raw: string): PostedBody {
  const out: PostedBody = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Fields survey.js fills in (screen size, Timing clicks): not part of the no-script model. */
function withoutScriptFields(body: PostedBody): PostedBody {
  return Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_res' && !/:c:(first|last|clicks)$/.test(k)));
}

async function open(path: string, html: string, width = 1024): Promise<{ page: Page; problems: string[] }> {
  pages.set(path, html);
  const context = await browser.newContext({ viewport: { width, height: 800 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${base}${path}`);
  return { page, problems };
}

async function submit(page: Page, value = 'next'): Promise<PostedBody> {
  const before = posts.length;
  await page.click(`button[name=action][value=${value}]`);
  await expect.poll(() => posts.length).toBeGreaterThan(before);
  return formBody(posts[posts.length - 1]);
}

const SURVEYS = [...fixtureSurveys(), { name: 'every-type', doc: everyTypeQsf() }];

describe('survey pages in chromium', () => {
  it('posts what the no-script model says for every question, and it reads back as the answers', async () => {
    const { page, problems } = await open('/blank', '<!doctype html><title>blank</title>');
    for (const { name, doc } of SURVEYS) {
      const views = questionViews(doc).map((v) => withAnswer(v, fullAnswer(v)));
      const html = renderSurveyPage(pageView(views));
      pages.set(`/answered/${name}`, html);
      await page.goto(`${base}/answered/${name}`);
      const posted = await submit(page);
      expect(withoutScriptFields(posted), name).toEqual(withoutScriptFields(browserPost(html)));
      const form = readPageForm(posted, views);
      for (const v of views) expect(form.answers[v.qid], `${name} ${v.qid}`).toEqual(v.answer);
    }
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('enhances the page: exclusive choices, sliders, ranking, totals, timing, resolution', async () => {
    const views = questionViews(everyTypeQsf());
    const { page, problems } = await open('/every-type', renderSurveyPage(pageView(views)));
    // Exclusive "None of these" clears the others, and the others clear it.
    await page.getByLabel('Bicycle').check();
    await page.getByLabel('None of these').check();
    expect(await page.getByLabel('Bicycle').isChecked()).toBe(false);
    await page.getByLabel('Car').check();
    expect(await page.getByLabel('None of these').isChecked()).toBe(false);
    // A range track drives the number box; the untouched slider stays unanswered.
    const track = page.getByRole('slider', { name: 'Overall' });
    await track.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('spinbutton', { name: 'Overall' }).inputValue()).toBe('3');
    expect(await page.getByRole('spinbutton', { name: 'Value for money' }).inputValue()).toBe('');
    // Ranking with the move buttons keeps the rank dropdowns in step with the list.
    await page.getByRole('button', { name: 'Move Price down' }).click();
    expect(await page.locator('ol.sv-rank li label').allTextContents()).toEqual(['Quality', 'Price', 'Service']);
    expect(await page.locator('ol.sv-rank select').evaluateAll((s) => s.map((e) => (e as HTMLSelectElement).value))).toEqual(['1', '2', '3']);
    // Picking a rank in a dropdown moves the item.
    await page.getByLabel('Service', { exact: true }).selectOption('1');
    expect(await page.locator('ol.sv-rank li label').allTextContents()).toEqual(['Service', 'Quality', 'Price']);
    // Running total.
    await page.getByLabel('Savings').fill('30');
    await page.getByLabel('Spending').fill('50');
    expect(await page.locator('.sv-cs output').textContent()).toBe('80');
    expect(await page.locator('.sv-cs').getAttribute('class')).toContain('sv-off');
    await page.getByLabel('Spending').fill('70');
    expect(await page.locator('.sv-cs output').textContent()).toBe('100');
    expect(await page.locator('.sv-cs').getAttribute('class')).not.toContain('sv-off');

    const form = readPageForm(await submit(page), views);
    expect(form.answers.QID7).toEqual({ selected: ['2'] });
    expect(form.answers.QID22).toEqual({ numeric: { 1: 3 } });
    expect(form.answers.QID23).toEqual({ numeric: { 3: 1, 2: 2, 1: 3 } });
    expect(form.answers.QID26).toEqual({ numeric: { 1: 30, 2: 70 } });
    const timing = form.clientTiming.QID29;
    expect(timing.clicks).toBeGreaterThanOrEqual(4);
    expect(timing.firstClick).toBeGreaterThanOrEqual(0);
    expect(timing.lastClick).toBeGreaterThanOrEqual(timing.firstClick as number);
    expect(form.clientMeta.resolution).toMatch(/^\d+x\d+$/);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('posts a page once however often Next is pressed', async () => {
    const views = questionViews(everyTypeQsf()).slice(0, 2);
    const { page } = await open('/twice', renderSurveyPage(pageView(views)));
    const before = posts.length;
    postDelay = 700;
    try {
      // The second click comes while the first post is still waiting for its answer.
      await page
        .evaluate(() => new Promise<void>((resolve) => {
          const next = document.querySelector('button.sv-next') as HTMLButtonElement;
          next.click();
          setTimeout(() => {
            next.click();
            resolve();
          }, 200);
        }))
        .catch(() => undefined);
      // survey.js shows the answer in place.
      await page.waitForFunction(() => document.title === 'posted');
    } finally {
      postDelay = 0;
    }
    expect(posts.length).toBe(before + 1);
    await page.context().close();
  });

  it('focuses the error summary, and every control has an accessible name', async () => {
    const views = questionViews(everyTypeQsf()).map((v, i) => (i === 0 ? { ...v, issues: [{ code: 'required', message: 'Please answer this question.' }] } : v));
    const { page, problems } = await open('/a11y', renderSurveyPage(pageView(views)));
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sv-summary');
    await page.getByRole('link', { name: /Which fruit do you like best/ }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q-QID1-c-1');
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: Array<{ role?: { value: string }; name?: { value: string }; ignored: boolean }> };
    const controls = nodes.filter((n) => !n.ignored && ['radio', 'checkbox', 'textbox', 'combobox', 'listbox', 'slider', 'spinbutton'].includes(n.role?.value ?? ''));
    expect(controls.length).toBeGreaterThan(80);
    expect(controls.filter((n) => (n.name?.value ?? '').trim() === '').map((n) => n.role?.value)).toEqual([]);
    const names = new Set(controls.map((n) => n.name?.value));
    // Matrix cells say their row and column; side-by-side cells their column group too.
    expect(names.has('The site is fast Disagree')).toBe(true);
    expect(names.has('Cheap 1 Expensive')).toBe(true);
    expect(names.has('Brand A Used Last year')).toBe(true);
    expect(names.has('Support')).toBe(true);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('stacks matrix rows on a narrow screen and shows a table on a wide one', async () => {
    const views = questionViews(everyTypeQsf()).filter((v) => ['Matrix', 'SBS', 'RO'].includes(v.question.questionType));
    const html = renderSurveyPage(pageView(views as PageQuestionView[]));
    const narrow = await open('/narrow', html, 360);
    expect(await narrow.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(await narrow.page.locator('#q-QID16 thead').isVisible()).toBe(false);
    expect(await narrow.page.locator('#q-QID16 .sv-cl').first().isVisible()).toBe(true);
    expect(await narrow.page.locator('#q-QID27 .sv-gl').first().isVisible()).toBe(true);
    await narrow.page.context().close();
    const wide = await open('/wide', html, 1024);
    expect(await wide.page.locator('#q-QID16 table').evaluate((t) => getComputedStyle(t).display)).toBe('table');
    expect(await wide.page.locator('#q-QID16 thead').isVisible()).toBe(true);
    expect(await wide.page.locator('#q-QID16 .sv-cl').first().evaluate((e) => e.getBoundingClientRect().width)).toBeLessThanOrEqual(1);
    expect(await wide.page.locator('#q-QID27 .sv-gl').first().isVisible()).toBe(false);
    await wide.page.context().close();
  });
});

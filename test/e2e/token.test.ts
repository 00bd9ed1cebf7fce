import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium, watchPage } from '../helpers/browser.ts';
import { seedBrand, type SeededUser } from '../helpers/seed.ts';

let t: TestApp;
let admin: SeededUser;
let base: string;
let browser: Browser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await seedBrand(t, 'acme');
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  // Launched last: when chromium is missing this throws and the test fails, saying how to install it.
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const WARNING =
  'Generating a new token will invalidate your current token. Any existing integrations that use it will be interrupted and must be updated with the new token.';

/** The API as a script would call it: plain HTTP, the query-string form of the seed. */
async function getUserInfo(token: string): Promise<{ status: number; json: { Meta: { Status: string; ErrorMessage?: string }; Result: unknown } }> {
  const q = new URLSearchParams({ Request: 'getUserInfo', User: admin.username, Token: token, Format: 'JSON', Version: '2.5' });
  const res = await fetch(`${base}/WRAPI/ControlPanel/api.php?${q}`);
  return { status: res.status, json: await res.json() };
}

/** Cheap accessibility checks: every visible control has a label, and there is one h1 and a main landmark. */
async function checkBasics(page: Page): Promise<void> {
  const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (els) =>
    els.filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML),
  );
  expect(unlabelled).toEqual([]);
  expect(await page.locator('h1').count()).toBe(1);
  expect(await page.locator('main#main').count()).toBe(1);
  expect(await page.getAttribute('html', 'lang')).toBe('en');
}

/** From Qualtrics IDs: Generate Token, confirm the warning, and read the token the page shows once. */
async function generateReplacingToken(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Generate Token' }).click();
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Generate a new API token?');
  expect(await page.locator('#regenerate-warning').textContent()).toContain(WARNING);
  await page.getByRole('button', { name: 'Generate new token' }).click();
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Your new API token');
  const token = ((await page.locator('#api-token').textContent()) ?? '').trim();
  expect(token).toMatch(/^[A-Za-z0-9]{40}$/);
  expect(await page.getByText('it will not be shown again').count()).toBe(1);
  return token;
}

describe('Qualtrics IDs → Generate Token, in a browser', () => {
  it('signs in, generates a token that works, regenerates and the old token is refused', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await context.newPage();
    // The wrong password on purpose: the sign-in page answers 401.
    const problems = watchPage(page, { expected: (r) => new URL(r.url()).pathname === '/login' && r.status() === 401 });

    // Signing in from a signed-in page comes back to it.
    await page.goto(`${base}/account/ids`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await checkBasics(page);
    await page.getByLabel('Username').fill(admin.username);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect(await page.getByRole('alert').textContent()).toBe('Incorrect Username or Password');
    expect(await page.getByLabel('Username').inputValue()).toBe(admin.username);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/account/ids`);

    await checkBasics(page);
    expect(await page.locator('#user-id').textContent()).toBe(admin.id);
    expect(await page.locator('#brand-id').textContent()).toBe('acme');
    expect(await page.locator('#token-status').textContent()).toBe('Generated');

    // The seeded admin already has a token, so the first generation asks to confirm too.
    t.clock.advance(60_000);
    const first = await generateReplacingToken(page);
    // The copy button exists only when /assets/copy.js ran (the CSP allows no inline script).
    await page.getByRole('button', { name: 'Copy token' }).click();
    await expect.poll(() => page.locator('#copy-status').textContent()).toMatch(/copied|selected/);

    const ok = await getUserInfo(first);
    expect(ok.status).toBe(200);
    expect(ok.json.Meta.Status).toBe('Success');
    expect((await getUserInfo(admin.token)).status).toBe(401);

    await page.getByRole('link', { name: 'Back to Qualtrics IDs' }).click();
    await page.waitForURL(`${base}/account/ids`);
    expect(await page.content()).not.toContain(first);
    expect(await page.locator('#token-last-used time').count()).toBe(1);

    t.clock.advance(60_000);
    const second = await generateReplacingToken(page);
    expect(second).not.toBe(first);
    const refused = await getUserInfo(first);
    expect(refused.status).toBe(401);
    expect(refused.json.Meta.ErrorMessage).toBe('Incorrect Username or Password');
    const works = await getUserInfo(second);
    expect(works.status).toBe(200);
    expect(works.json.Meta.Status).toBe('Success');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login`);
    await page.goto(`${base}/account/ids`);
    expect(new URL(page.url()).pathname).toBe('/login');

    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium, watchPage } from '../helpers/browser.ts';
import { seedBrand, seedUser, type SeededUser } from '../helpers/seed.ts';

let t: TestApp;
let user: SeededUser;
let base: string;
let browser: Browser;

beforeAll(async () => {
  t = await createTestApp();
  await seedBrand(t, 'acme');
  user = await seedUser(t, 'acme', 'carol');
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  // Launched last: when chromium is missing this throws and the test fails, saying how to install it.
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** Cheap accessibility checks: every visible control has a label; one h1; a main landmark. */
async function checkBasics(page: Page): Promise<void> {
  const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea', (els) =>
    els.filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label')).map((el) => el.outerHTML),
  );
  expect(unlabelled).toEqual([]);
  expect(await page.locator('h1').count()).toBe(1);
  expect(await page.locator('main#main').count()).toBe(1);
}

const CSV = '\ufeffEmail,First name,Last name,Team\r\nann@example.org,Ann,"Lee, Jr.",Red\r\n,No,Address,Blue\r\nbo@example.org,<img src=x onerror=alert(1)>,Stone,Green\r\n';

describe('Contacts in a browser', () => {
  it('creates a panel, imports a CSV through the mapping step and sees the members', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const problems = watchPage(page, { refuseDialogs: true });

    await page.goto(`${base}/login`);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/account/ids`);
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.waitForURL(`${base}/contacts`);
    await checkBasics(page);

    await page.getByLabel('Panel name').fill('Newsletter');
    await page.getByLabel('Category').fill('Marketing');
    await page.getByRole('button', { name: 'Create panel' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Newsletter');
    expect(await page.getByText('This panel has no members yet.').count()).toBe(1);

    await page.getByRole('link', { name: 'Import CSV' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Import a CSV file');
    await checkBasics(page);
    await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await page.getByRole('button', { name: 'Upload and continue' }).click();

    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Choose what each column holds');
    await checkBasics(page);
    expect(await page.getByLabel('Column 1 (Email) becomes').inputValue()).toBe('email');
    expect(await page.getByLabel('Column 2 (First name) becomes').inputValue()).toBe('first');
    expect(await page.getByLabel('Column 3 (Last name) becomes').inputValue()).toBe('last');
    expect(await page.getByLabel('Column 4 (Team) becomes').inputValue()).toBe('ed');
    expect(await page.locator('table.preview tbody').textContent()).toContain('Lee, Jr.');
    // The progress bar is hidden until the script shows it on submit.
    expect(await page.locator('#import-progress').isHidden()).toBe(true);
    await page.getByLabel('Column 3 (Last name) becomes').selectOption('ignore');
    // Hold the import POST back so the enhancement can be seen working: while the POST is pending the
    // script (shown the bar and) polls the JSON status endpoint. The page cannot be inspected while a
    // navigation is pending, so the poll and its answer are the evidence.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/contacts/import/*', async (route) => {
      if (route.request().method() === 'POST') await held;
      await route.continue();
    });
    const polled = page.waitForResponse((r) => r.url().endsWith('/status'));
    // The click starts the navigation held back above; do not wait for it here.
    await page.getByRole('button', { name: 'Import' }).click({ noWaitAfter: true });
    const status = await polled;
    expect(status.headers()['content-type']).toContain('application/json');
    expect(status.status()).toBe(200);
    release();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Import finished');
    expect(await page.locator('#imported-count').textContent()).toBe('2');
    expect(await page.locator('#ignored-count').textContent()).toBe('1');
    await page.getByRole('link', { name: 'See the members' }).click();

    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Newsletter');
    const rows = page.locator('table tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).locator('th').textContent()).toBe('ann@example.org');
    expect(await rows.nth(0).textContent()).toContain('Team: Red');
    expect(await rows.nth(0).textContent()).not.toContain('Lee');
    expect(await rows.nth(1).textContent()).toContain('<img src=x onerror=alert(1)>');
    expect(await page.locator('main img').count()).toBe(0);

    await page.getByLabel('Search by name, e-mail or reference').fill('bo@');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.nth(0).locator('th').textContent()).toBe('bo@example.org');

    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});

/**
 * Distributing a survey in a real browser (Debian's chromium) at phone width: sign in, open the
 * survey's Distribute tab, preview the e-mail, send to a small panel with a thank-you e-mail, and
 * watch the counters of the distribution page update themselves once the send job ran. axe checks
 * the pages on the way. The thank-you fields' labels contain "Message" and "Subject": the sender's
 * fields are found by their exact names.
 */
import { AxeBuilder } from '@axe-core/playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium, watchPage } from '../helpers/browser.ts';
import { drainJobs, seedMailFixture, type MailFixture } from '../helpers/mail.ts';

let t: TestApp;
let f: MailFixture;
let base: string;
let browser: Browser;

beforeAll(async () => {
  t = await createTestApp();
  f = await seedMailFixture(t, 'acme', 2);
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  // Launched last: when chromium is missing this throws and the test fails, saying how to install it.
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * The preview frame is left out: it is sandboxed without scripts (the e-mail must stay inert), so axe
 * cannot run inside it (@axe-core/playwright would wait for it forever), and its content is the
 * user's own message. Its title is checked below instead.
 */
async function expectNoAxeViolations(page: Page, label: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_TAGS).exclude('iframe.mail-body').analyze();
  const readable = violations.map((v) => [
    `${v.id} (${v.impact ?? 'n/a'}): ${v.help} — ${v.helpUrl}`,
    ...v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`),
  ].join('\n'));
  expect(readable, `axe on ${label}`).toEqual([]);
}

/** Nothing wider than a phone screen but the scrolling table regions. */
async function expectNoSideways(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
}

describe('Distribute in a browser', () => {
  it('previews, sends to a panel with a thank-you through the form and sees the counters update; axe finds nothing', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const problems = watchPage(page);

    await page.goto(`${base}/login`);
    await page.getByLabel('Username').fill(f.user.username);
    await page.getByLabel('Password').fill(f.user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/account/ids`);
    await page.goto(`${base}/surveys/${f.surveyId}`);
    await page.getByRole('navigation', { name: 'This survey' }).getByRole('link', { name: 'Distribute' }).click();
    await page.waitForURL(`${base}/surveys/${f.surveyId}/distribute`);
    await expectNoAxeViolations(page, 'the distribute form');
    await expectNoSideways(page);

    // Sent empty: refused, each error linked from the summary and shown at its field.
    await page.getByLabel('Subject', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Send or schedule' }).click();
    await expect.poll(() => page.title()).toMatch(/^Error: Distribute/);
    expect(await page.locator('#error-summary a').allTextContents()).toEqual(['Panel: choose the panel to send to.', 'Message: choose the message to send.', 'Subject: enter a subject.']);
    expect(await page.getByLabel('Subject', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await expectNoAxeViolations(page, 'the refused distribute form');
    // The refusal answers 400, as it should; nothing else went wrong so far.
    expect(problems.splice(0)).toEqual([`400 ${base}/surveys/${f.surveyId}/distribute`]);

    await page.getByLabel('Panel', { exact: true }).selectOption({ label: 'Invitees (2 members)' });
    await page.getByLabel('Message', { exact: true }).selectOption({ label: 'Invite — Mailer Tester (your library)' });
    await page.getByLabel('Subject', { exact: true }).fill('Hello ${m://FirstName}');
    expect(await page.getByLabel('From e-mail address').inputValue()).toBe('mailer@acme.example');
    await page.getByRole('button', { name: 'Preview the e-mail' }).click();
    await expect.poll(() => page.locator('#preview-heading').textContent()).toBe('Preview for First0 Last0');
    expect(await page.locator('.mail-head').textContent()).toContain('Hello First0');
    const frame = page.frameLocator('iframe.mail-body');
    await expect.poll(() => frame.locator('body').textContent()).toContain('Dear First0 Last0');
    expect(await page.locator('iframe.mail-body').getAttribute('title')).toBe('E-mail body for First0 Last0');
    await expectNoAxeViolations(page, 'the distribute form with a preview');
    await expectNoSideways(page);

    // The form kept its values: add a thank-you (any message may be one) and send it.
    await page.getByLabel('Send a thank-you e-mail when a recipient finishes').check();
    await page.getByLabel('Thank-you message').selectOption({ label: 'Reminder — Mailer Tester (your library)' });
    expect(await page.getByLabel('Thank-you subject').getAttribute('placeholder')).toBe('Thank you for taking our survey');
    await page.getByRole('button', { name: 'Send or schedule' }).click();
    await page.waitForURL(/\/distributions\/EMD_\w+\?done=queued$/);
    const sent = page.locator('[data-distribution] [data-counter="sent"]');
    expect(await sent.textContent()).toBe('0');
    expect(await page.locator('#live-toggle').isVisible()).toBe(true);
    await expectNoAxeViolations(page, 'a pending distribution');
    await expectNoSideways(page);

    // The job runs; the page's script picks the numbers up without a reload.
    await drainJobs(t);
    await expect.poll(() => sent.textContent(), { timeout: 15_000 }).toBe('2');
    await expect.poll(() => page.locator('#live-status').textContent()).toContain('finished');
    expect(await page.locator('dl.settings [data-status]').textContent()).toBe('Done');
    expect(await page.locator('dl.settings').textContent()).toContain('Thank-you subjectThank you for taking our survey (default)');

    await page.reload();
    expect(await page.locator('table.recipients tbody tr').count()).toBe(2);
    await expectNoAxeViolations(page, 'a finished distribution with its recipients');
    await expectNoSideways(page);

    await page.getByRole('link', { name: 'All distributions of this survey' }).click();
    await page.waitForURL(`${base}/surveys/${f.surveyId}/distributions`);
    expect(await page.locator('.distribution [data-counter="sent"]').textContent()).toBe('2');
    await expectNoAxeViolations(page, 'the distributions list');

    expect(problems).toEqual([]);
    await context.close();
  }, 90_000);
});

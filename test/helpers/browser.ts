import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';

// ---------------------------------------------------------------------------------------------
// A real browser for the end-to-end tests: Debian's chromium, never a downloaded one.
// ---------------------------------------------------------------------------------------------

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

/** The chromium binary to drive (CHROMIUM_PATH overrides). Throws, so the test fails, when there is none. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    throw new Error(
      `No chromium at ${path}. The browser tests drive Debian's chromium: install it with ` +
        '`apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH to a chromium binary).',
    );
  }
  return path;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // No sandbox: CI runs as root in a container. The rest keeps chromium off the network and quiet.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchOptions {
  /** Responses of 400 and above that the test means to cause (the favicon's never counts). */
  expected?: (response: Response) => boolean;
  /** How a response is told in the list; default its status and URL. */
  describe?: (response: Response) => string;
  /** A dialog the page opens is a problem too, and is dismissed (off where the test accepts confirmations). */
  refuseDialogs?: boolean;
}

/**
 * What goes wrong on a page while a test uses it, as readable lines that fill as it happens: script
 * errors, console errors (CSP violations among them; a failed load is told by its response instead),
 * and responses of 400 and above.
 */
export function watchPage(page: Page, options: WatchOptions = {}): string[] {
  const problems: string[] = [];
  const describe = options.describe ?? ((r: Response) => `${r.status()} ${r.url()}`);
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  if (options.refuseDialogs) {
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
  }
  page.on('response', (r) => {
    if (r.status() < 400 || new URL(r.url()).pathname === '/favicon.ico' || options.expected?.(r)) return;
    problems.push(describe(r));
  });
  return problems;
}

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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

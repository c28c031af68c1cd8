/**
 * Headless Chromium for the tests that look at a page as a person would (the plan comment beside
 * Atlantis's, the evidence pack's index.html): Debian's Chromium, driven by playwright-core. Where
 * it is not installed those tests are skipped, and the run says so loudly, with how to install it.
 */
import { existsSync } from 'node:fs';
import { type BrowserContext, chromium } from 'playwright-core';
import { tempDir } from '../engine/helpers.js';

const CHROMIUM = '/usr/bin/chromium';

/** Whether Chromium is installed; when not, warns that `what` will be skipped and how to run it. */
export function chromiumInstalled(what: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.warn(
    `\n\n*** chromium not found: install it with \`apt-get install -y chromium\` (Debian) to run ${what} ***\n\n`,
  );
  return false;
}

/** Starts Chromium headless with a fresh profile (a temporary --user-data-dir) and no background traffic. */
export function launchChromium(viewport?: { width: number; height: number }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir('jml-chromium-'), {
    executablePath: CHROMIUM,
    ...(viewport ? { viewport } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

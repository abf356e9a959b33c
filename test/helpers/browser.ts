/**
 * Real Chromium (Debian's `chromium`) driven by playwright-core. As root on a closed network it needs
 * these flags, or it hangs trying to reach Google's hosts; playwright gives it a fresh profile.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { track } from './fixtures.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
  // Closed by the root hooks if the test file does not (test/helpers/root-hooks.ts).
  const untrack = track(`Chromium ${browser.version()}`, () => browser.close());
  browser.once('disconnected', untrack);
  return browser;
}

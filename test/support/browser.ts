import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';
import { until } from './until.js';

/**
 * Headless Chromium for the dashboard's tests: the Debian `chromium` package (.ci/run installs it
 * when missing), or the one `CHROMIUM_BIN` names. A missing browser fails the test, never skips it.
 */
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_BIN)) throw new Error(`no Chromium at ${CHROMIUM_BIN}: apt-get install -y chromium, or set CHROMIUM_BIN`);
  // No sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, args: ['--no-sandbox'] });
  onTestFinished(() => browser.close());
  return browser;
}

/** A page at `url`, failing the test on any script error in it. */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  onTestFinished(() => {
    if (errors.length > 0) throw new Error(`script errors on the page: ${errors.join('; ')}`);
  });
  page.setDefaultTimeout(20_000);
  await page.goto(url);
  return page;
}

/** The dashboard's address, once `ccasp run --dashboard` or `ccasp dashboard` has printed it. */
export function dashboardAddress(output: () => string): Promise<string> {
  return until(() => /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(output())?.[1], 'the dashboard address');
}

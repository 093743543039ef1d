import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Headless Chromium for the page tests: Debian's chromium driven by playwright-core. Locally a test is
 * skipped when /usr/bin/chromium is missing; in CI (CI set) it fails instead: install it with
 * `apt-get update && apt-get install -y chromium`.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** The `skip` option of a describe() that needs the browser. */
export const SKIP_WITHOUT_CHROMIUM = !HAVE_CHROMIUM && !process.env.CI ? `${CHROMIUM} is missing (apt-get install -y chromium); CI fails instead of skipping` : false;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS, timeout: 30_000 });
}

/**
 * Watches every request the page makes: anything but file: and data: is aborted and listed in the
 * array returned (a self-contained page makes none).
 */
export async function watchNetwork(page: Page): Promise<string[]> {
  const external: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  return external;
}

/**
 * Opens `file` in a new 1280 × 900 page of `browser`, every request watched (see watchNetwork) and every
 * page error or dialog (a script that ran) listed, and waits for the load event.
 */
export async function openWatched(browser: Browser, file: string): Promise<{ page: Page; external: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const external = await watchNetwork(page);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, external, errors };
}

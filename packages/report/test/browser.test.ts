import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compareSweeps } from '../src/index.ts';
import { CHROMIUM, HAVE_CHROMIUM, SKIP_WITHOUT_CHROMIUM as skip, launchChromium, openWatched, watchNetwork } from './chromium.ts';
import { REPO_ROOT, scaleAll, tightResults } from './helpers.ts';

/** The shipped index.html in a real headless browser (see chromium.ts). */
const SHIPPED = fileURLToPath(new URL('reports/quick/', REPO_ROOT));
/** Where the full-page screenshots go (a temp folder, never the repository). */
export const SCREENSHOT = join(tmpdir(), 'socketlab-report', 'index.png');
const COMPARE_SCREENSHOT = join(tmpdir(), 'socketlab-report', 'compare.png');

describe('index.html in headless chromium', { skip }, () => {
  it('shows every chart with a non-zero size, loads nothing from the network, and screenshots', { timeout: 60_000 }, async (t) => {
    assert.ok(HAVE_CHROMIUM, `${CHROMIUM} is missing: the browser test needs Debian's chromium (apt-get update && apt-get install -y chromium)`);
    const charts = readdirSync(SHIPPED).filter((f) => f.endsWith('.svg')).sort();
    assert.ok(charts.length > 0, 'reports/quick has charts');
    const browser = await launchChromium();
    try {
      const { page, external, errors } = await openWatched(browser, join(SHIPPED, 'index.html'));
      assert.deepEqual(external, [], 'no network requests');
      assert.deepEqual(errors, [], 'no page errors');
      assert.match(await page.title(), /^socketlab report/);

      // The shipped folder is light (--light): the page shows the SVG files beside it, one <img> each.
      const figures = page.locator('main img');
      assert.equal(await figures.count(), charts.length, 'one chart per SVG file');
      const seen: string[] = [];
      for (let i = 0; i < charts.length; i++) {
        const img = figures.nth(i);
        const name = (await img.getAttribute('src'))!;
        seen.push(name);
        await img.scrollIntoViewIfNeeded();
        assert.ok(await img.isVisible(), `${name} is visible`);
        // Loaded and drawn: the browser decoded the SVG file to a real size.
        assert.ok(await img.evaluate((e: { complete: boolean; naturalWidth: number }) => e.complete && e.naturalWidth > 100), `${name} loaded`);
        const box = await img.boundingBox();
        assert.ok(box && box.width > 100 && box.height > 100, `${name} has a real size (${JSON.stringify(box)})`);
        assert.ok(box!.width <= 1280, `${name} fits the page width`);
      }
      assert.deepEqual([...seen].sort(), charts);
      mkdirSync(join(tmpdir(), 'socketlab-report'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      assert.ok(existsSync(SCREENSHOT));
      t.diagnostic(`screenshot: ${SCREENSHOT}`);
    } finally {
      await browser.close();
    }
  });

  it('shows the compare page: its banner, its one chart with the rule at 1, nothing from the network', { timeout: 60_000 }, async (t) => {
    assert.ok(HAVE_CHROMIUM, `${CHROMIUM} is missing`);
    const dir = mkdtempSync(join(tmpdir(), 'report-compare-browser-'));
    const browser = await launchChromium();
    try {
      const base = join(dir, 'base.json');
      const next = join(dir, 'new.json');
      const slow = scaleAll(tightResults(), 1.5);
      slow.environment.cpuModel = 'Other CPU 9000';
      writeFileSync(base, JSON.stringify(tightResults()));
      writeFileSync(next, JSON.stringify(slow));
      await compareSweeps({ base, new: next, outDir: join(dir, 'out'), failOnRegression: 0.1 });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const external = await watchNetwork(page);
      await page.goto(pathToFileURL(join(dir, 'out', 'index.html')).href, { waitUntil: 'load' });
      assert.deepEqual(external, []);
      assert.match(await page.title(), /^socketlab compare: new\.json \(NEW\) vs base\.json \(BASE\)$/);
      // The banner is the first thing on the page after the title.
      const first = page.locator('main > blockquote').first();
      assert.match((await first.textContent())!, /WARNING: BASE and NEW ran on different machines/);
      const figures = page.locator('span.chart');
      assert.equal(await figures.count(), 1, 'one chart');
      const box = await figures.locator('svg').boundingBox();
      assert.ok(box && box.width > 100 && box.height > 100, `the chart has a real size (${JSON.stringify(box)})`);
      assert.ok((await figures.locator('[aria-roledescription="rule mark container"] line').count()) === 1, 'the rule at 1');
      await page.screenshot({ path: COMPARE_SCREENSHOT, fullPage: true });
      t.diagnostic(`screenshot: ${COMPARE_SCREENSHOT}`);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

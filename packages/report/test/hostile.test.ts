import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_NAME, RUNS_CSV_NAME } from '../src/index.ts';
import { renderHtml } from '../src/html.ts';
import { CHROMIUM, HAVE_CHROMIUM, SKIP_WITHOUT_CHROMIUM, launchChromium, openWatched } from './chromium.ts';
import { EVIL, HOSTILE, hostileResults, markdownReferences } from './hostile.ts';

/**
 * A results file is untrusted: a crafted one (code-span and fence break-outs, HTML, links, spreadsheet
 * formulas, terminal escapes, a megabyte string) rendered by the built CLI must give a report that
 * references nothing outside itself, a CSV no spreadsheet runs, and terminal output with no escapes.
 */
const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('a hostile results file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-hostile-'));
  const out = join(dir, 'out');
  let files: string[] = [];
  before(() => {
    writeFileSync(join(dir, 'hostile.json'), JSON.stringify(hostileResults()));
    const r = spawnSync(process.execPath, [BIN, '--in', 'hostile.json', '--out', 'out'], { encoding: 'utf8', cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, CONTROL);
    files = readdirSync(out);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('README.md: no HTML, no link or image but the report\'s own files and anchors, no control character', () => {
    const markdown = readFileSync(join(out, 'README.md'), 'utf8');
    const refs = markdownReferences(markdown);
    assert.deepEqual(refs.html, [], 'no raw HTML');
    for (const href of refs.links) assert.ok(href.startsWith('#') || files.includes(href), `link to ${href}`);
    for (const src of refs.images) assert.ok(src.endsWith('.svg') && files.includes(src), `image ${src}`);
    assert.ok(refs.images.length > 5, 'the charts are still there');
    assert.doesNotMatch(markdown, CONTROL);
    // The megabyte warning is cut, and counted.
    assert.ok(markdown.length < 200_000, `README.md is ${markdown.length} characters`);
    assert.match(markdown, /… \(999501 more characters\)/);
    // The reproduce block stays one block: its commands hold the fence break-out on one line.
    const reproduce = markdown.slice(markdown.indexOf('## How to reproduce'), markdown.indexOf('## What Node.js could not do'));
    assert.equal(reproduce.split('\n').filter((l) => /^\s{0,3}```/.test(l)).length, 4, 'two sh blocks, each opened and closed once');
    assert.match(reproduce, /--server \$'single-iterative=sh -c \\'a\\n```\\n<img src=/);
  });

  it('runs.csv: formulas neutralised with a quote, text quoted', () => {
    const csv = readFileSync(join(out, RUNS_CSV_NAME), 'utf8');
    const firstError = `"'${HOSTILE.formula.replace(/"/g, '""')}"`;
    const rows = csv.trimEnd().split('\r\n').slice(1);
    assert.ok(rows.length > 0);
    for (const row of rows) assert.ok(row.includes(`,${firstError},`), row.slice(0, 200));
    // No field, quoted or not, starts with a character a spreadsheet reads as a formula (a negative number is a number).
    for (const row of rows) assert.doesNotMatch(row, /(^|,)"?[=+@\t\r]/);
  });

  it('the folder: a manifest of the files written, and nothing else removed on a rebuild', () => {
    const manifest = JSON.parse(readFileSync(join(out, MANIFEST_NAME), 'utf8')) as { files: string[] };
    assert.deepEqual(manifest.files, files.filter((f) => f !== MANIFEST_NAME).sort());
  });

  describe('index.html in headless chromium, every request watched', { skip: SKIP_WITHOUT_CHROMIUM }, () => {
    it('loads nothing from outside and holds no image, link or script that leaves the page', { timeout: 60_000 }, async () => {
      assert.ok(HAVE_CHROMIUM, `${CHROMIUM} is missing`);
      const browser = await launchChromium();
      try {
        const { page, external, errors } = await openWatched(browser, join(out, 'index.html'));
        await page.waitForTimeout(500); // late loads (an onerror handler, a lazy image) would show here
        assert.deepEqual(external, [], 'no request leaves the page');
        assert.deepEqual(errors, [], 'no script ran');
        assert.equal(await page.locator('img, script, iframe, object, embed, link').count(), 0, 'no element that loads anything');
        const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
        for (const href of hrefs) assert.ok(href.startsWith('#') || files.includes(href), `link to ${href}`);
        // The crafted strings are shown as text.
        assert.ok((await page.locator('main').textContent())!.includes(`<img src=${EVIL}/h1.png>`));
      } finally {
        await browser.close();
      }
    });
  });
});

describe('renderHtml keeps only links and images of the report itself', () => {
  it('a link or image to anything else becomes its text', () => {
    const html = renderHtml(`[out](${EVIL}/a) [own](runs.csv) [anchor](#x) ![img](${EVIL}/i.png) ![chart](c.svg) <img src=${EVIL}/raw.png>`, 't', new Map([['c.svg', '<svg></svg>']]), new Set(['runs.csv']));
    assert.doesNotMatch(html, /href="http|src="http|<img/);
    assert.match(html, /out <a href="runs\.csv">own<\/a> <a href="#x">anchor<\/a> img <span class="chart"/);
    assert.match(html, /&lt;img src=/);
  });
});

describe('compare with hostile files', () => {
  it('prints no control character and no long string on the terminal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-hostile-compare-'));
    try {
      const a = hostileResults();
      const b = hostileResults();
      b.environment.cpuModel = `${HOSTILE.terminal}${HOSTILE.long}`;
      b.environment.node = HOSTILE.terminal;
      writeFileSync(join(dir, 'a.json'), JSON.stringify(a));
      writeFileSync(join(dir, 'b.json'), JSON.stringify(b));
      const r = spawnSync(process.execPath, [BIN, 'compare', 'a.json', 'b.json', '--out', 'c'], { encoding: 'utf8', cwd: dir });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /WARNING: .*different machines/);
      assert.doesNotMatch(r.stdout + r.stderr, CONTROL);
      assert.match(r.stderr, /\\x1b\[2J/, 'the escape is shown, not sent');
      assert.ok(r.stderr.length < 2000, `stderr is ${r.stderr.length} characters`);
      const refs = markdownReferences(readFileSync(join(dir, 'c', 'README.md'), 'utf8'));
      assert.deepEqual(refs.html, []);
      for (const href of refs.links) assert.ok(href.startsWith('#'), href);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

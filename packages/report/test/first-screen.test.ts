import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { combineInputs, inputFromResults, renderReport } from '../src/index.ts';
import { analyse } from '../src/analysis.ts';
import { fastestSentence } from '../src/summary-prose.ts';
import { rankingAt } from '../src/ranking.ts';
import { REPO_ROOT, noiseRecord, smallResults, tightResults } from './helpers.ts';

/**
 * The first screen answers before any detail: one ranking table (designs × N, tied groups, noisy cells
 * marked), then three to five sentences on why the winners win, each of at most three clauses.
 */

/** Clauses of a sentence: the parts its top-level `, `, `; ` and ` and ` separate (parentheses, code, quoted titles and emphasis left out). */
export function clauses(sentence: string): number {
  let s = sentence.replace(/`[^`]*`/g, 'x').replace(/"[^"]*"/g, 'x').replace(/\*\*/g, '');
  for (let prev = ''; prev !== s;) [prev, s] = [s, s.replace(/\([^()]*\)/g, '')];
  return 1 + (s.match(/, |; | and /g) ?? []).length;
}

/** The sentences of a paragraph. */
function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+(?=[A-Z*`])/).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** The README's first screen: the lines between the title and the intro paragraph that starts the details. */
function firstScreenOf(readme: string): { table: string[]; prose: string } {
  const lines = readme.split('\n');
  const end = lines.findIndex((l) => l.startsWith('This report was generated'));
  assert.ok(end > 0, 'the intro paragraph follows the first screen');
  const screen = lines.slice(1, end);
  assert.ok(lines.slice(0, end).every((l) => !l.startsWith('## ')), 'no section before the first screen ends');
  const table = screen.filter((l) => l.startsWith('|'));
  const prose = screen.filter((l) => l.trim() && !l.startsWith('|') && !l.endsWith(':')).join(' ');
  const firstTable = lines.findIndex((l) => l.startsWith('|'));
  const firstDetail = lines.findIndex((l) => l.startsWith('## ') || l.startsWith('This report was generated') || l.startsWith('- '));
  assert.ok(firstTable > 0 && firstTable < firstDetail, 'the ranking table comes before any detail');
  return { table, prose };
}

describe('the first screen', () => {
  it('counts clauses the way the rule means (and can fail)', () => {
    assert.equal(clauses('In sleep, **mt-pool** ranks first alone at 8 of 10 N and is tied first at 2 more.'), 3);
    assert.equal(clauses('Each extra client costs it 2.61 ms (the model predicts 2.50 ms, 2 at a time), against 29.4 ms.'), 2);
    // The old Summary's fib bullet: one clause per N.
    const old = 'Fastest, by the comparison rule: no clear winner at N = 10 (a and b tie), no clear winner at N = 20 (a and b tie), no clear winner at N = 30 (a tie) and no clear winner at N = 40 (b tie).';
    assert.ok(clauses(old) > 3);
  });

  it('the shipped quick report opens with the ranking table and 3-5 short sentences, in README.md and index.html', () => {
    const readme = readFileSync(new URL('reports/quick/README.md', REPO_ROOT), 'utf8');
    const { table, prose } = firstScreenOf(readme);
    assert.equal(table.length, 2 + 11 * 2, 'one row per design and workload');
    assert.match(table[0]!, /^\| workload \| design \| N = 10 \| 20 \|/);
    const said = sentences(prose);
    assert.ok(said.length >= 3 && said.length <= 5, `${said.length} sentences`);
    for (const s of said) assert.ok(clauses(s) <= 3, `at most three clauses: ${s}`);
    const html = readFileSync(new URL('reports/quick/index.html', REPO_ROOT), 'utf8');
    assert.ok(html.indexOf('<table>') > 0 && html.indexOf('<table>') < html.indexOf('<h2'), 'index.html: the table before the first section');
    // Every "Fastest" sentence of the Summary too (the fib bullet was ten clauses).
    const summary = readme.slice(readme.indexOf('## Summary'), readme.indexOf('\nSections: '));
    for (const line of summary.split('\n').filter((l) => l.startsWith('- **'))) {
      for (const s of sentences(line.replace(/^- \*\*[^*]+\*\* \([^)]*\): /, ''))) assert.ok(clauses(s) <= 3, `at most three clauses: ${s}`);
    }
  });

  it('ties are groups by the comparison rule, and a noisy N is withheld and marked', async () => {
    const r = tightResults();
    const a = analyse(combineInputs([inputFromResults(r)]), 0.5);
    const w = a.workloads[0]!;
    const n = a.dataset.clients[0]!;
    const ranking = rankingAt(w, n)!;
    assert.equal(ranking.withheld, false);
    assert.ok(ranking.cells.every((c) => c.rank !== null && c.rank >= 1));
    // A noisy run at N: no ranks there, the cell marked.
    const noisy = smallResults();
    noisy.cells[0]!.runs[0]!.noise = noiseRecord(0.9);
    const report = await renderReport([inputFromResults(noisy)]);
    const { table } = firstScreenOf(report.markdown);
    assert.ok(table.some((row) => row.includes('| noisy |')), 'the noisy cell is marked');
    for (const w2 of report.analysis.workloads) assert.ok(sentences(fastestSentence(w2) ?? '').every((s) => clauses(s) <= 3));
  });
});

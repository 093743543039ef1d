import { readFileSync } from 'node:fs';
import type { SweepResults } from '@socketlab/results';

/** The small fixture: a real, tiny loadgen sweep (see test/fixtures/README.md). */
export const SMALL_FIXTURE = new URL('./fixtures/small.json', import.meta.url);

/** A fresh, mutable copy of the small fixture. */
export function smallResults(): SweepResults {
  return JSON.parse(readFileSync(SMALL_FIXTURE, 'utf8')) as SweepResults;
}

/** Replaces every run of `design` (copies of its first run) with one run per total time `perN(N)` gives. */
export function setRuns(results: SweepResults, design: string, perN: (n: number) => number[]): SweepResults {
  for (const c of results.cells) {
    if (c.design !== design) continue;
    const proto = c.runs[0]!;
    c.runs = perN(c.clients).map((t, i) => ({ ...structuredClone(proto), index: i, totalMs: t }));
  }
  return results;
}

/** Multiplies every total time of one design (and its summary) by `factor`. */
export function scaleDesign(results: SweepResults, design: string, factor: number): SweepResults {
  for (const c of results.cells) {
    if (c.design !== design) continue;
    for (const r of c.runs) if (r.totalMs !== null) r.totalMs *= factor;
    c.summary.totalMs.values = c.summary.totalMs.values.map((v) => (v === null ? null : v * factor));
    for (const k of ['median', 'min', 'max'] as const) if (c.summary.totalMs[k] !== null) c.summary.totalMs[k]! *= factor;
  }
  return results;
}

/**
 * The small fixture with three tight runs per cell (N × 100 ms + a per-design offset, then +1, +2 ms):
 * enough runs for the comparison rule to decide (it calls two runs a tie, however far apart).
 */
export function tightResults(): SweepResults {
  const r = smallResults();
  r.config.runs = 3;
  for (const [i, d] of r.config.designs.entries()) setRuns(r, d, (n) => [n * 100 + i * 7, n * 100 + i * 7 + 1, n * 100 + i * 7 + 2]);
  return r;
}

/** `results` with every total time multiplied by `factor` (every design). */
export function scaleAll(results: SweepResults, factor: number): SweepResults {
  for (const d of new Set(results.cells.map((c) => c.design))) scaleDesign(results, d, factor);
  return results;
}

/** A run's noise record as loadgen 0.3+ writes it: quiet unless `share` is above loadgen's 0.2 threshold. */
export function noiseRecord(share: number): NonNullable<SweepResults['cells'][number]['runs'][number]['noise']> {
  const noisy = share > 0.2;
  return { foreignCpuShare: share, foreignCpuMs: share * 200, windowMs: 100, loadAverageStart: [0.1, 0.2, 0.3], loadAverageEnd: [0.4, 0.5, 0.6], quietWaitMs: 100, quiet: !noisy, attempts: noisy ? 3 : 1, attemptShares: noisy ? [share, share, share] : [share], noisy };
}

/** The repository root (this file is packages/report/test/helpers.ts). */
export const REPO_ROOT = new URL('../../../', import.meta.url);

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*$/;
const ENTITY = /^&(?:[a-zA-Z]+|#[0-9]+|#x[0-9a-fA-F]+);/;

/**
 * A small XML well-formedness check (no dependency): tags nest and match, attributes are quoted and
 * unique, `&` starts an entity, no stray `<`. Throws an Error saying where the document breaks.
 * Returns the number of elements.
 */
export function checkWellFormedXml(xml: string): number {
  const stack: string[] = [];
  let elements = 0;
  let i = 0;
  let rootClosed = false;
  const fail = (what: string): never => {
    throw new Error(`not well-formed XML at offset ${i}: ${what} (…${xml.slice(Math.max(0, i - 40), i + 40)}…)`);
  };
  const checkText = (text: string) => {
    for (let j = text.indexOf('&'); j !== -1; j = text.indexOf('&', j + 1)) {
      if (!ENTITY.test(text.slice(j))) fail('bare & in text or attribute');
    }
  };
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (text.includes('>')) fail('stray >');
    checkText(text);
    if (stack.length === 0 && text.trim() !== '') fail('text outside the root element');
    if (lt === -1) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end === -1) fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end === -1) fail('unterminated CDATA');
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf('>', i);
    if (gt === -1) fail('unterminated tag');
    // Attribute values may not contain '>' unescaped in our output; vega escapes them.
    const tag = xml.slice(i + 1, gt);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) fail(`</${name}> closes <${open ?? 'nothing'}>`);
      if (stack.length === 0) rootClosed = true;
    } else {
      if (rootClosed) fail('a second root element');
      const selfClosing = tag.endsWith('/');
      const body = selfClosing ? tag.slice(0, -1) : tag;
      const m = /^([^\s]+)/.exec(body);
      if (!m || !NAME.test(m[1]!)) fail(`bad element name ${JSON.stringify(m?.[1])}`);
      const attrs = body.slice(m![1]!.length);
      const seen = new Set<string>();
      const attrRe = /\s+([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/y;
      let pos = 0;
      while (pos < attrs.length) {
        if (/^\s*$/.test(attrs.slice(pos))) break;
        attrRe.lastIndex = pos;
        const a = attrRe.exec(attrs);
        if (!a) fail(`bad attribute syntax in <${m![1]}>`);
        if (!NAME.test(a![1]!)) fail(`bad attribute name ${a![1]}`);
        if (seen.has(a![1]!)) fail(`duplicate attribute ${a![1]}`);
        seen.add(a![1]!);
        const value = a![3] ?? a![4] ?? '';
        if (value.includes('<')) fail('< in an attribute value');
        checkText(value);
        pos = attrRe.lastIndex;
      }
      elements++;
      if (!selfClosing) stack.push(m![1]!);
      else if (stack.length === 0) rootClosed = true;
    }
    i = gt + 1;
  }
  if (stack.length) fail(`unclosed <${stack[stack.length - 1]}>`);
  if (elements === 0) fail('no element');
  return elements;
}

/** Symbols vega drew as points of a scatter/line chart (each carries an aria-label with its values). */
export function pointLabels(svg: string): string[] {
  return [...svg.matchAll(/<path\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => tag.includes('aria-roledescription="point"'))
    .map((tag) => /aria-label="([^"]*)"/.exec(tag)?.[1] ?? '');
}

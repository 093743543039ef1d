import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { SweepResults } from '@socketlab/results';
import { gunzipInput, type LoadedInput } from './load.ts';

/**
 * A light report folder (`--light`, what `report:shipped` writes into reports/): the same README.md and
 * SVGs, an index.html that shows the SVGs beside it instead of inlining a second copy, and the data
 * gzip-compressed: `runs.csv.gz`, and input copies `sweep.json.gz` without the per-request timelines
 * (`runs[].clients.timeline`), which no part of a report reads. The rest of each run is kept whole, so
 * the folder still rebuilds itself byte for byte.
 */

/** gzip level of every `.gz` a report writes: the smallest output, and fixed, so the bytes are too. */
export const GZIP_LEVEL = 9;

/** Offset of the OS byte in a gzip header (RFC 1952); set to 3 (Unix) whatever the platform. */
const GZIP_OS_BYTE = 9;

/** `text` gzip-compressed, deterministically: level GZIP_LEVEL, mtime 0 (zlib's default), OS byte 3. */
export function gzipText(text: string): Buffer {
  const gz = gzipSync(Buffer.from(text, 'utf8'), { level: GZIP_LEVEL });
  gz[GZIP_OS_BYTE] = 3;
  return gz;
}

/**
 * Writes `text` gzip-compressed to `path` unless the file there already inflates to `text`: zlib builds
 * may compress the same text to other bytes (SIMD variants), and a report that did not change must not
 * rewrite its files.
 */
export function writeGzipIfChanged(path: string, text: string): void {
  if (existsSync(path)) {
    try {
      if (gunzipInput(readFileSync(path), path) === text) return;
    } catch {
      // Not gzip, or too large: rewrite it.
    }
  }
  writeFileSync(path, gzipText(text));
}

/** The input as a light folder holds it: named `<name>.gz`, without per-request timelines. */
export function lightInput(input: LoadedInput): LoadedInput {
  const name = input.name.endsWith('.gz') ? input.name : `${input.name}.gz`;
  if (!hasTimelines(input.results)) return Object.freeze({ ...input, name });
  const results = JSON.parse(input.text) as SweepResults;
  for (const cell of results.cells) {
    for (const run of cell.runs) delete (run.clients as { timeline?: unknown }).timeline;
  }
  const text = JSON.stringify(results, null, 2) + '\n';
  return Object.freeze({ ...input, name, text, sha256: createHash('sha256').update(text).digest('hex'), results });
}

function hasTimelines(results: SweepResults): boolean {
  return results.cells.some((c) => c.runs.some((r) => (r.clients as { timeline?: unknown }).timeline !== undefined));
}

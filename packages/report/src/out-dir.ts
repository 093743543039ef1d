import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ReportOutDirError } from './errors.ts';
import { printable } from './format.ts';
import { writeGzipIfChanged } from './light.ts';

/**
 * The report folder's manifest: the files the report (or compare) wrote there, so that a later run
 * removes only those and never a file of the user's. JSON: `{ "writtenBy": "@socketlab/report",
 * "files": [names, sorted] }`; written last, with the same bytes for the same files.
 */
export const MANIFEST_NAME = '.socketlab-report.json';
const WRITTEN_BY = '@socketlab/report';

/** At most this many of a folder's other files are named in the refusal (the rest are counted). */
const MAX_NAMED = 5;

/** What writeReportFolder() did, by file name within the folder. */
export interface FolderWrite {
  /** Files written or already up to date. */
  readonly written: readonly string[];
  /** Files an earlier run wrote that this one does not (its manifest listed them). */
  readonly removed: readonly string[];
}

/** Writes `content` unless the file already holds it (so an unchanged report keeps its files' times). */
export function writeIfChanged(path: string, content: string): void {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return;
  writeFileSync(path, content);
}

/** A plain file name (no folder, not `.` or `..`): the only kind a manifest may list. */
const plainName = (name: unknown): name is string => typeof name === 'string' && name !== '.' && name !== '..' && name.length > 0 && !/[/\\\0]/.test(name);

/** The names the folder's manifest lists (plain names only); none when there is no readable manifest. */
function manifestFiles(dir: string): Set<string> {
  try {
    const doc = JSON.parse(readFileSync(join(dir, MANIFEST_NAME), 'utf8')) as { writtenBy?: unknown; files?: unknown };
    return doc.writtenBy === WRITTEN_BY && Array.isArray(doc.files) ? new Set(doc.files.filter(plainName)) : new Set();
  } catch {
    return new Set();
  }
}

/**
 * Writes a report's `files` (name → content) into `dir`, created if needed, and its manifest. `keep`
 * names files of the folder this run reads (its inputs): never removed, never counted as other files;
 * `listed`, files of the report already in place (an input that is its own copy): in the manifest, not written.
 *
 * A folder holding files that neither its manifest nor `keep` lists is refused with ReportOutDirError
 * (exit 1), unless `force`: then this run's files are written beside them (a file of the same name is
 * overwritten) and the others are left alone. Files the manifest lists that this run does not write
 * (charts of a design no longer in the sweep, extra input copies) are removed; nothing else ever is.
 */
export function writeReportFolder(dir: string, files: ReadonlyMap<string, string>, options: { keep: ReadonlySet<string>; listed?: ReadonlySet<string>; force: boolean; flag: string }): FolderWrite {
  mkdirSync(dir, { recursive: true });
  const own = manifestFiles(dir);
  const other = readdirSync(dir).sort().filter((n) => n !== MANIFEST_NAME && !own.has(n) && !options.keep.has(n));
  if (other.length > 0 && !options.force) {
    const named = other.slice(0, MAX_NAMED).map((n) => JSON.stringify(printable(n, 80))).join(', ');
    const more = other.length > MAX_NAMED ? ` and ${other.length - MAX_NAMED} more` : '';
    throw new ReportOutDirError(
      `${printable(dir, 300)} holds ${other.length} file${other.length === 1 ? '' : 's'} this report did not write (${named}${more}); it writes only into an empty folder or one it wrote itself (listed in ${MANIFEST_NAME}). Choose another ${options.flag}, or pass --force to write there anyway (other files are kept, files of the same name overwritten)`,
    );
  }
  const written: string[] = [];
  for (const [name, content] of files) {
    // A `.gz` is written compressed, and left alone if it already inflates to `content` (see light.ts).
    (name.endsWith('.gz') ? writeGzipIfChanged : writeIfChanged)(join(dir, name), content);
    written.push(name);
  }
  const removed: string[] = [];
  for (const name of [...own].sort()) {
    if (files.has(name) || options.keep.has(name)) continue;
    const path = join(dir, name);
    if (!existsSync(path) || !lstatSync(path).isFile()) continue;
    rmSync(path);
    removed.push(name);
  }
  const listed = [...new Set([...files.keys(), ...(options.listed ?? [])])].sort();
  writeIfChanged(join(dir, MANIFEST_NAME), `${JSON.stringify({ writtenBy: WRITTEN_BY, files: listed }, null, 2)}\n`);
  return { written: [...written, ...(options.listed ?? [])], removed };
}

/**
 * `node --import tsx tools/architecture/src/cli.ts [package-dir …]` (default: the current folder): checks
 * each package against the project's rules (rules.ts), prints every violation and a summary line per
 * package, and exits 1 if there was a violation. Every package's `lint` script runs it.
 */
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkPackage, type PackageReport, type Rules } from './check.ts';
import { RULES } from './rules.ts';

export function formatReport(report: PackageReport, dir: string): string[] {
  const lines = report.violations.map((v) => `${dir}/${v.where}: ${v.message} [${v.rule}]`);
  const largest = report.largest ? `largest ${report.largest.file} (${report.largest.lines} lines)` : 'no source';
  lines.push(`architecture ${report.name}: ${report.files} files, ${largest}, ${report.cycles.length} import cycles, ${report.up.length} arrows up (allowed: ${report.up.length - report.violations.filter((v) => v.rule === 'layer').length}), ${report.violations.length} violations`);
  return lines;
}

export function run(dirs: readonly string[], rules: Rules = RULES): { output: string[]; ok: boolean } {
  const output: string[] = [];
  let ok = true;
  for (const d of dirs) {
    const report = checkPackage(resolve(d), rules);
    output.push(...formatReport(report, relative(process.cwd(), resolve(d)) || '.'));
    if (report.violations.length > 0) ok = false;
  }
  if (!ok) output.push('architecture: see tools/architecture/README.md for the rules; allow-lists are in tools/architecture/src/rules.ts and only shrink');
  return { output, ok };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dirs = process.argv.slice(2);
  const { output, ok } = run(dirs.length > 0 ? dirs : ['.']);
  for (const line of output) console.log(line);
  process.exitCode = ok ? 0 : 1;
}

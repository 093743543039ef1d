/**
 * The architecture check of one package's src/: import cycles (relative imports), files over the line
 * limit, arrows from a layer up into a layer above it, and imports of @socketlab packages that are not
 * below the package's own layer. Imports are read with ts.preProcessFile (no program, no type checking):
 * `import`, `import type`, `export … from`, `require()` and `import()` of a literal all count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

/** One layer of a package's src/: `files` are paths relative to src/, a trailing `/` for a folder. */
export interface Layer {
  readonly name: string;
  readonly files: readonly string[];
}

export interface PackageRules {
  /**
   * The package's layers, highest first. A file may import its own layer and those below it, never one
   * above. A file no layer lists is in the last layer (the shared base).
   */
  readonly layers?: readonly Layer[];
  /** Arrows up that exist today, to be removed (`from -> to`, relative to src/). An entry that no longer exists fails. */
  readonly allowedUp?: readonly string[];
  /** Files over the limit today, frozen at their line count (relative to src/). Growing fails; so does shrinking without lowering the entry. */
  readonly frozen?: Readonly<Record<string, number>>;
}

export interface Rules {
  /** Most lines a source file may have. */
  readonly maxLines: number;
  /** The monorepo's packages by layer, highest first (names without the @socketlab/ scope). */
  readonly packageLayers: readonly (readonly string[])[];
  /** By package name without the scope; a package not listed gets the line limit and the cycle rule only. */
  readonly packages: Readonly<Record<string, PackageRules>>;
}

export type RuleName = 'cycle' | 'size' | 'layer' | 'package' | 'allow-list';

export interface Violation {
  readonly rule: RuleName;
  /** Relative to the package folder, with `:line` for an import. */
  readonly where: string;
  readonly message: string;
}

export interface PackageReport {
  /** The package name without the @socketlab/ scope. */
  readonly name: string;
  readonly files: number;
  readonly largest: { readonly file: string; readonly lines: number } | null;
  /** One cycle per group of files that import each other, as a path that returns to its first file. */
  readonly cycles: readonly (readonly string[])[];
  /** Every arrow up, allowed or not (`from -> to`). */
  readonly up: readonly string[];
  readonly violations: readonly Violation[];
}

interface SourceFile {
  readonly path: string;
  readonly lines: number;
  /** Relative imports resolved to files of src/, with the line of each. */
  readonly local: readonly { readonly to: string; readonly line: number }[];
  /** @socketlab/<name> imports: the name, with the line. */
  readonly packages: readonly { readonly name: string; readonly line: number }[];
}

const SCOPE = '@socketlab/';

/** Lines as `wc -l` counts them, plus a last line without a newline. */
export function lineCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.length > 0 && !text.endsWith('\n') ? n + 1 : n;
}

function listSources(src: string): string[] {
  return (readdirSync(src, { recursive: true }) as string[])
    .map((f) => f.split(/[\\/]/).join('/'))
    .filter((f) => /\.(ts|mts|cts)$/.test(f) && !/\.d\.[mc]?ts$/.test(f))
    .sort();
}

function resolveLocal(from: string, spec: string, known: ReadonlySet<string>): string | null {
  const base = posix.normalize(posix.join(posix.dirname(from), spec));
  const candidates = [base, base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, `${base}/index.ts`];
  return candidates.find((c) => known.has(c)) ?? null;
}

function readSources(src: string): SourceFile[] {
  const paths = listSources(src);
  const known = new Set(paths);
  return paths.map((path) => {
    const text = readFileSync(join(src, path), 'utf8');
    const lineOf = (pos: number) => lineCount(text.slice(0, pos + 1));
    const local: { to: string; line: number }[] = [];
    const packages: { name: string; line: number }[] = [];
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      const spec = ref.fileName;
      if (spec.startsWith('.')) {
        const to = resolveLocal(path, spec, known);
        if (to !== null) local.push({ to, line: lineOf(ref.pos) });
      } else if (spec.startsWith(SCOPE)) {
        packages.push({ name: spec.slice(SCOPE.length).split('/')[0]!, line: lineOf(ref.pos) });
      }
    }
    return { path, lines: lineCount(text), local, packages };
  });
}

/** Groups of files that import each other (Tarjan's strongly connected components), each as one cycle. */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (edges.get(v) ?? []).includes(v)) groups.push(group);
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return groups.map((group) => shortestCycle(group.sort()[0]!, new Set(group), edges)).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The shortest path from `start` back to itself inside its group (breadth first). */
function shortestCycle(start: string, group: ReadonlySet<string>, edges: ReadonlyMap<string, readonly string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (w === start) {
        const path: string[] = [];
        for (let u = v; u !== start; u = previous.get(u)!) path.unshift(u);
        return [start, ...path, start];
      }
      if (group.has(w) && !previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

function layerIndex(file: string, layers: readonly Layer[]): number {
  const i = layers.findIndex((l) => l.files.some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p)));
  return i === -1 ? layers.length - 1 : i;
}

function checkSizes(files: readonly SourceFile[], rules: Rules, own: PackageRules): Violation[] {
  const out: Violation[] = [];
  const frozen = own.frozen ?? {};
  const where = (f: string) => `src/${f}`;
  for (const f of files) {
    const limit = frozen[f.path];
    if (limit === undefined) {
      if (f.lines > rules.maxLines) out.push({ rule: 'size', where: where(f.path), message: `${f.lines} lines, over the limit of ${rules.maxLines}: split it` });
    } else if (f.lines > limit) {
      out.push({ rule: 'size', where: where(f.path), message: `${f.lines} lines: grew past the ${limit} it is frozen at (limit ${rules.maxLines}): split it, do not raise the entry` });
    } else if (f.lines <= rules.maxLines) {
      out.push({ rule: 'allow-list', where: where(f.path), message: `${f.lines} lines, within the limit of ${rules.maxLines} now: remove its frozen entry` });
    } else if (f.lines < limit) {
      out.push({ rule: 'allow-list', where: where(f.path), message: `${f.lines} lines, frozen at ${limit}: lower its frozen entry to ${f.lines}` });
    }
  }
  const present = new Set(files.map((f) => f.path));
  for (const f of Object.keys(frozen)) if (!present.has(f)) out.push({ rule: 'allow-list', where: where(f), message: 'frozen, but there is no such file: remove its entry' });
  return out;
}

/** Checks one package folder (the one with package.json and src/). */
export function checkPackage(dir: string, rules: Rules): PackageReport {
  const pkgName = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
  const name = pkgName.startsWith(SCOPE) ? pkgName.slice(SCOPE.length) : pkgName;
  const own = rules.packages[name] ?? {};
  const files = readSources(join(dir, 'src'));
  const violations: Violation[] = [];

  const edges = new Map(files.map((f) => [f.path, [...new Set(f.local.map((i) => i.to))]]));
  const cycles = findCycles(edges);
  for (const c of cycles) violations.push({ rule: 'cycle', where: `src/${c[0]}`, message: `import cycle: ${c.map((f) => `src/${f}`).join(' → ')}` });

  violations.push(...checkSizes(files, rules, own));

  const layers = own.layers ?? [];
  const allowed = new Set(own.allowedUp ?? []);
  const up: string[] = [];
  for (const f of files) {
    const from = layerIndex(f.path, layers);
    for (const i of f.local) {
      const to = layerIndex(i.to, layers);
      if (to >= from) continue;
      const arrow = `${f.path} -> ${i.to}`;
      if (up.includes(arrow)) continue;
      up.push(arrow);
      if (!allowed.has(arrow)) {
        violations.push({ rule: 'layer', where: `src/${f.path}:${i.line}`, message: `imports src/${i.to}: the ${layers[from]!.name} layer may not import the ${layers[to]!.name} layer above it` });
      }
    }
  }
  for (const a of allowed) if (!up.includes(a)) violations.push({ rule: 'allow-list', where: 'src/', message: `allowed arrow up "${a}" no longer exists: remove its entry` });

  const ownLayer = rules.packageLayers.findIndex((l) => l.includes(name));
  if (ownLayer !== -1) {
    for (const f of files) {
      for (const p of f.packages) {
        const layer = rules.packageLayers.findIndex((l) => l.includes(p.name));
        if (p.name === name || layer === -1 || layer > ownLayer) continue;
        violations.push({ rule: 'package', where: `src/${f.path}:${p.line}`, message: `imports ${SCOPE}${p.name}: ${name} may import only packages in a layer below its own (${rules.packageLayers.slice(ownLayer + 1).map((l) => l.join(', ')).join(' / ') || 'none'})` });
      }
    }
  }

  const largest = files.reduce<SourceFile | null>((a, f) => (a === null || f.lines > a.lines ? f : a), null);
  return { name, files: files.length, largest: largest && { file: `src/${largest.path}`, lines: largest.lines }, cycles, up, violations };
}

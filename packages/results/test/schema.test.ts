import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RESULTS_JSON_SCHEMA, SCHEMA_VERSION, assertValidResults, schemaFileText, validateConfig, validateResults } from '../src/index.ts';
import { makeResults } from './helpers.ts';

const pkgDir = new URL('../', import.meta.url);

describe('schema.json', () => {
  it('is what the code generates (run `npm run build` to refresh it)', () => {
    assert.equal(readFileSync(new URL('schema.json', pkgDir), 'utf8'), schemaFileText());
  });

  it('ships in the package and is exported as ./schema.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', pkgDir), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    assert.ok(pkg.files.includes('schema.json'));
    assert.equal(pkg.exports['./schema.json'], './schema.json');
  });

  it('matches the exported schema object', () => {
    assert.deepEqual(JSON.parse(readFileSync(new URL('schema.json', pkgDir), 'utf8')), RESULTS_JSON_SCHEMA);
    assert.ok((RESULTS_JSON_SCHEMA.properties as { schemaVersion: { enum: number[] } }).schemaVersion.enum.includes(SCHEMA_VERSION));
  });

  it('describes every field (descriptions are the units\' home)', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          if (!v.description) missing.push(`${path}/${k}`);
          walk(v, `${path}/${k}`);
        }
      }
      if (n.items) walk(n.items, `${path}/*`);
      for (const key of ['anyOf', 'allOf']) if (Array.isArray(n[key])) for (const s of n[key] as unknown[]) walk(s, path);
    };
    walk(RESULTS_JSON_SCHEMA, '');
    assert.deepEqual(missing, []);
  });

  it('docs/results-format.md documents every field', () => {
    const doc = readFileSync(new URL('../../docs/results-format.md', pkgDir), 'utf8');
    const names = new Set<string>();
    const walk = (node: unknown) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties) for (const [k, v] of Object.entries(n.properties as Record<string, unknown>)) { names.add(k); walk(v); }
      if (n.items) walk(n.items);
      for (const key of ['anyOf', 'allOf']) if (Array.isArray(n[key])) for (const s of n[key] as unknown[]) walk(s);
    };
    walk(RESULTS_JSON_SCHEMA);
    const undocumented = [...names].filter((n) => !doc.includes(`\`${n}\``));
    assert.deepEqual(undocumented, []);
  });
});

describe('validateResults', () => {
  it('accepts a valid document', () => {
    const r = makeResults();
    assert.deepEqual(validateResults(r), { ok: true, errors: [] });
    assert.doesNotThrow(() => assertValidResults(r));
  });

  it('names the failing field', () => {
    const r = makeResults() as unknown as { cells: { runs: Record<string, unknown>[]; design?: unknown }[]; extra?: number };
    r.cells[0]!.runs[0]!.totalMs = 'slow';
    delete r.cells[0]!.design;
    r.extra = 1;
    const res = validateResults(r);
    assert.equal(res.ok, false);
    assert.deepEqual(res.errors, [
      { path: '/extra', message: 'is not a known field' },
      { path: '/cells/0/design', message: 'is required' },
      { path: '/cells/0/runs/0/totalMs', message: 'must be number or null' },
    ]);
    assert.throws(() => assertValidResults(r), { code: 'SOCKETLAB_ERR_RESULTS_INVALID', message: /\/extra is not a known field; \/cells\/0\/design is required/ });
  });

  it('names enum and range failures', () => {
    const r = makeResults() as unknown as { config: { clientMode: string; runs: number }; cells: { runs: { loadgen: { utilization: number } }[] }[] };
    r.config.clientMode = 'threads';
    r.config.runs = 0;
    r.cells[0]!.runs[0]!.loadgen.utilization = -1;
    const res = validateResults(r);
    assert.deepEqual(res.errors.map((e) => e.path).sort(), ['/cells/0/runs/0/loadgen/utilization', '/config/clientMode', '/config/runs']);
    assert.match(res.errors.find((e) => e.path === '/config/clientMode')!.message, /must be one of "workers", "process"/);
  });

  it('takes a user server\'s name as a design only when config.servers lists it (a misspelt built-in stays an error)', () => {
    const r = makeResults() as unknown as { config: { designs: string[]; servers?: unknown[] }; cells: { design: string }[] };
    r.config.designs = ['mt-pol'];
    r.cells[0]!.design = 'mt-pol';
    const bad = validateResults(r);
    assert.deepEqual(bad.errors.map((e) => e.path), ['/config/designs/0', '/cells/0/design']);
    assert.match(bad.errors[0]!.message, /neither a built-in design .*external, nor a server in \/config\/servers/);
    r.config.servers = [{ name: 'mt-pol', command: ['python3', 'x.py', '--port', '{port}'], port: null }];
    assert.deepEqual(validateResults(r), { ok: true, errors: [] });
  });

  it('still reads results that name a design retired since (the one-shot -warm ones)', () => {
    const r = makeResults() as unknown as { config: { designs: string[] }; cells: { design: string; servers: { design: string }[] }[] };
    r.config.designs = ['mt-per-connection-warm'];
    r.cells[0]!.design = 'mt-per-connection-warm';
    for (const s of r.cells[0]!.servers) s.design = 'mt-per-connection-warm';
    assert.deepEqual(validateResults(r), { ok: true, errors: [] });
  });

  it('rejects other schema versions with one clear error', () => {
    assert.deepEqual(validateResults({ ...makeResults(), schemaVersion: 99 }).errors, [
      { path: '/schemaVersion', message: 'is 99; this version of @socketlab/results reads schemaVersion 1 and 2' },
    ]);
  });

  it('rejects non-objects', () => {
    assert.equal(validateResults(null).ok, false);
    assert.equal(validateResults([]).ok, false);
  });

  it('validates a resolved config on its own', () => {
    assert.equal(validateConfig(makeResults().config).ok, true);
    assert.deepEqual(validateConfig({ ...makeResults().config, runs: 'x' }).errors, [{ path: '/runs', message: 'must be integer' }]);
  });
});

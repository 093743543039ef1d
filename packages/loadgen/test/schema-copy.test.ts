import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RESULTS_JSON_SCHEMA, schemaFileText } from '@socketlab/results';
import { RESULTS_JSON_SCHEMA as LOADGEN_SCHEMA } from '../src/index.ts';

const pkgDir = new URL('../', import.meta.url);

describe('@socketlab/loadgen/schema.json', () => {
  it('is @socketlab/results\' schema, written by the build', () => {
    assert.equal(readFileSync(new URL('schema.json', pkgDir), 'utf8'), schemaFileText());
    assert.equal(LOADGEN_SCHEMA, RESULTS_JSON_SCHEMA);
  });

  it('ships in the package and is exported as ./schema.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', pkgDir), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    assert.ok(pkg.files.includes('schema.json'));
    assert.equal(pkg.exports['./schema.json'], './schema.json');
  });
});

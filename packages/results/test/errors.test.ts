import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, SocketlabError } from '@socketlab/protocol';
import { RESULTS_ERROR_CLASSES, ResultsInvalidError } from '../src/index.ts';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set([...docs.matchAll(/^\| `(SOCKETLAB_ERR_[A-Z0-9_]+)` \| results \|/gm)].map((m) => m[1]));

describe('results errors', () => {
  it('are SocketlabErrors with stable codes of their own', () => {
    for (const cls of RESULTS_ERROR_CLASSES) {
      const err = new cls();
      assert.ok(err instanceof SocketlabError);
      assert.equal(err.code, cls.code);
      assert.equal(err.name, cls.name);
      assert.ok(!ERROR_CODES.includes(err.code), `${err.code} does not collide with @socketlab/protocol's codes`);
    }
    assert.equal(ResultsInvalidError.code, 'SOCKETLAB_ERR_RESULTS_INVALID');
  });

  it('are listed in docs/errors.md (rows of package "results"), and only those', () => {
    assert.deepEqual([...documented].sort(), RESULTS_ERROR_CLASSES.map((c) => c.code).sort());
  });
});

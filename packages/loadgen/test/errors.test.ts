import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, SocketlabError } from '@socketlab/protocol';
import { LOADGEN_ERROR_CLASSES, LoadgenWorkerError, ResultsInvalidError, ServerStartError } from '../src/errors.ts';

const docs = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set([...docs.matchAll(/^\| `(SOCKETLAB_ERR_[A-Z0-9_]+)` \| loadgen \|/gm)].map((m) => m[1]));

describe('loadgen errors', () => {
  it('are SocketlabErrors with stable, new SOCKETLAB_ERR_* codes', () => {
    for (const cls of LOADGEN_ERROR_CLASSES) {
      const err = new cls();
      assert.ok(err instanceof SocketlabError);
      assert.match(err.code, /^SOCKETLAB_ERR_[A-Z0-9_]+$/);
      assert.equal(err.code, cls.code);
      assert.equal(err.name, cls.name);
      assert.ok(err.message.length > 0);
      assert.ok(!ERROR_CODES.includes(err.code), `${err.code} does not collide with @socketlab/protocol's codes`);
      assert.deepEqual(JSON.parse(JSON.stringify(err)), { code: err.code, message: err.message, fatal: false });
    }
    assert.deepEqual([ServerStartError.code, LoadgenWorkerError.code, ResultsInvalidError.code], ['SOCKETLAB_ERR_SERVER_START', 'SOCKETLAB_ERR_LOADGEN_WORKER', 'SOCKETLAB_ERR_RESULTS_INVALID']);
  });

  it('are listed in docs/errors.md (rows of package "loadgen"), and only those', () => {
    assert.deepEqual([...documented].sort(), LOADGEN_ERROR_CLASSES.map((c) => c.code).sort());
  });
});

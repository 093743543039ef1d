import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { ERROR_CLASSES, ERROR_CODES, SocketlabError, errorFromCode, toSocketlabError, resolveLimits } from '../src/index.ts';

describe('errors', () => {
  it('every class has a stable code, its name and a default message', () => {
    for (const [code, cls] of Object.entries(ERROR_CLASSES)) {
      const err = new cls();
      assert.ok(err instanceof SocketlabError);
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.match(code, /^SOCKETLAB_ERR_[A-Z0-9_]+$/);
      assert.equal(err.name, cls.name);
      assert.ok(err.message.length > 0);
      assert.deepEqual(JSON.parse(JSON.stringify(err)), { code, message: err.message, fatal: err.fatal });
    }
  });

  it('is rebuilt from its code after a hop', () => {
    const err = errorFromCode('SOCKETLAB_ERR_LIMIT_EXCEEDED', 'FIB 99 too big');
    assert.equal(err.constructor.name, 'LimitExceededError');
    assert.equal(err.message, 'FIB 99 too big');
    assert.equal(errorFromCode('SOCKETLAB_ERR_FROM_THE_FUTURE', 'x').code, 'SOCKETLAB_ERR_FROM_THE_FUTURE');
    assert.equal(toSocketlabError(new TypeError('boom')).code, 'SOCKETLAB_ERR_INTERNAL');
    assert.equal(toSocketlabError({ code: 'SOCKETLAB_ERR_WORKER_CRASHED', message: 'm' }).code, 'SOCKETLAB_ERR_WORKER_CRASHED');
  });

  it('docs/errors.md lists every code, and only those (rows of package "protocol"), each once', async () => {
    const doc = await readFile(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const all = [...doc.matchAll(/^\| `(SOCKETLAB_ERR_[A-Z0-9_]+)` \| ([a-z-]+) \|/gm)];
    assert.equal(new Set(all.map((m) => m[1])).size, all.length, 'no code is documented twice');
    const documented = new Set(all.filter((m) => m[2] === 'protocol').map((m) => m[1]));
    for (const code of ERROR_CODES) assert.ok(documented.has(code), `${code} is documented in docs/errors.md`);
    for (const code of documented) assert.ok(ERROR_CODES.includes(code!), `${code} in docs/errors.md exists in code`);
  });
});

describe('limits', () => {
  it('resolves defaults and freezes', () => {
    const l = resolveLimits({ maxFibN: 30 });
    assert.equal(l.maxFibN, 30);
    assert.equal(l.maxLineBytes, 65536);
    assert.ok(Object.isFrozen(l));
  });
  it('names the option in every validation error', () => {
    assert.throws(() => resolveLimits({ maxLineBytes: -1 }), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message: /limits\.maxLineBytes must be an integer between 16 and/ });
    assert.throws(() => resolveLimits({ maxFibN: 99 }), { message: /limits\.maxFibN must be an integer between 0 and 50 \(got 99\)/ });
    assert.throws(() => resolveLimits({ maxInFlight: 1.5 }), { message: /limits\.maxInFlight/ });
    assert.throws(() => resolveLimits({ maxSleep: 1 } as never), { message: /unknown option limits\.maxSleep/ });
  });
});

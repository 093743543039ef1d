import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '@socketlab/protocol';
import { createFramer, encodeFor, lessonRequest, matches, parseExpectation, type Expectation } from '../src/adapters.ts';

const exact = (value: string): Expectation => ({ kind: 'exact', value });

describe('protocol adapters', () => {
  it('socketlab: OK and ERR lines, split anywhere', () => {
    const f = createFramer('socketlab');
    f.push(Buffer.from('OK PO'));
    assert.equal(f.next(null), null);
    f.push(Buffer.from('NG\nERR BAD_REQUEST no such task\n'));
    assert.deepEqual(f.next(null), { ok: true, value: 'PONG' });
    const err = f.next(null);
    assert.equal(err?.ok, false);
    assert.equal(err && !err.ok && err.code, 'BAD_REQUEST');
    assert.equal(f.pending(), false);
  });

  it('line: one reply per line, \\r\\n accepted, a partial line waits', () => {
    const f = createFramer('line');
    f.push(Buffer.from('Slept 5 ms\r\nGood'));
    assert.deepEqual(f.next(null), { ok: true, value: 'Slept 5 ms' });
    assert.equal(f.next(null), null);
    assert.equal(f.gapMs, null, 'a line framer never ends a reply on a timer');
    f.push(Buffer.from('bye!\n'));
    assert.deepEqual(f.next(null), { ok: true, value: 'Goodbye!' });
    assert.equal(encodeFor('line', 'sleep 5').toString(), 'sleep 5\n');
  });

  it('raw with a terminator or a byte count', () => {
    const t = createFramer('raw', { terminator: '\0', bytes: null, gapMs: 20 });
    t.push(Buffer.from('a\0b'));
    assert.deepEqual(t.next(null), { ok: true, value: 'a' });
    assert.equal(t.next(null), null);
    const b = createFramer('raw', { terminator: null, bytes: 3, gapMs: 20 });
    b.push(Buffer.from('abcd'));
    assert.deepEqual(b.next(null), { ok: true, value: 'abc' });
    assert.equal(b.pending(), true);
    assert.equal(encodeFor('raw', 'exit').toString(), 'exit', 'raw sends the task as is, no newline');
  });

  it('raw by quiet gap: ends at once when an exact or regex expectation holds, else only on flush', () => {
    const f = createFramer('raw');
    assert.ok(f.gapMs !== null && f.gapMs > 0);
    f.push(Buffer.from('Slept 3'));
    assert.equal(f.next(exact('Slept 30 ms')), null, 'a prefix of the expected reply is not the reply');
    f.push(Buffer.from('0 ms'));
    assert.deepEqual(f.next(exact('Slept 30 ms')), { ok: true, value: 'Slept 30 ms' });
    f.push(Buffer.from('Slept 30 ms and more'));
    assert.equal(f.next({ kind: 'prefix', value: 'Slept' }), null, 'a prefix expectation cannot say the reply is whole');
    assert.equal(f.pending(), true);
    assert.deepEqual(f.flush(), { ok: true, value: 'Slept 30 ms and more' });
    assert.equal(f.flush(), null);
    f.push(Buffer.from('Wrong!'));
    assert.equal(f.next(exact('Goodbye!')), null, 'a wrong reply waits for the gap, then is judged (and fails)');
    assert.deepEqual(f.flush(), { ok: true, value: 'Wrong!' });
  });

  it('expectations: exact, prefix, whole-reply regex; bad regex named by option', () => {
    assert.deepEqual(parseExpectation('Goodbye!', '--exit-reply'), exact('Goodbye!'));
    assert.deepEqual(parseExpectation('prefix:Slept', '--expect'), { kind: 'prefix', value: 'Slept' });
    const re = parseExpectation('/Slept \\d+ ms/', '--expect');
    assert.equal(re.kind, 'regex');
    assert.ok(matches(re, 'Slept 30 ms'));
    assert.ok(!matches(re, 'xSlept 30 ms'), 'anchored at the start');
    assert.ok(!matches(re, 'Slept 30 ms!'), 'anchored at the end');
    assert.throws(() => parseExpectation('regex:(', '--expect'), (e: unknown) => e instanceof InvalidOptionError && /^--expect: "\(" is not a valid regular expression/.test(e.message));
  });

  it('lesson requests: lower-case words with the lesson catalogue replies, the user overrides by task word', () => {
    assert.deepEqual(lessonRequest('SLEEP 30'), { request: 'sleep 30', expected: exact('Slept 30 ms') });
    assert.deepEqual(lessonRequest('FIB 10'), { request: 'fib 10', expected: exact('fib(10) = 55') });
    assert.equal(lessonRequest('WAIT 30'), null, 'the lesson has no WAIT: the caller must refuse it');
    assert.deepEqual(lessonRequest('WAIT 30', { wait: { kind: 'prefix', value: 'ok' } }), { request: 'wait 30', expected: { kind: 'prefix', value: 'ok' } });
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, TASKS, executeTask, parseTask, parseInfo, fib, type Framing } from '../src/index.ts';
import { INLINE_TEXT_MAX_BYTES, occupiesThread } from '../src/server/index.ts';

const ctx = { design: 'test', strategy: 'inline' };
async function run(request: string | Buffer, framing: Framing = 'text'): Promise<string> {
  const task = parseTask(typeof request === 'string' ? Buffer.from(request) : request, framing, DEFAULT_LIMITS);
  const v = await executeTask(task, ctx);
  return typeof v === 'string' ? v : Buffer.from(v).toString('utf8');
}

describe('task catalogue', () => {
  it('runs every task', async () => {
    assert.equal(await run('PING'), 'PONG');
    assert.equal(await run('ping'), 'PONG', 'command names are case-insensitive');
    assert.equal(await run('ECHO hello  world '), 'hello  world ');
    assert.equal(await run('ECHO'), '');
    assert.equal(await run('UPPER straße'), 'STRASSE');
    assert.equal(await run('REVERSE ab😀c'), 'c😀ba', 'by code point, not UTF-16 unit');
    assert.equal(await run('SLEEP 5'), '5');
    assert.equal(await run('WAIT 5'), '5');
    assert.equal(await run('FIB 20'), '6765');
    assert.equal(await run('HASH 1 abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.equal((await run('HASH 2 abc')).length, 64);
    assert.equal(await run('EXIT'), 'Goodbye!');
    const info = parseInfo(await run('INFO'));
    assert.deepEqual([info.design, info.strategy, info.pid, info.io], ['test', 'inline', process.pid, null]);
  });

  it('INFO appends io= only where the design says which thread does the I/O; parseInfo reads old and new replies', () => {
    const task = parseTask(Buffer.from('INFO'), 'text', DEFAULT_LIMITS);
    const reply = String(executeTask(task, { design: 'mt', strategy: 'per-connection', io: 'thread' }));
    assert.match(reply, /^design=mt strategy=per-connection pid=\d+ thread=\d+ io=thread$/);
    assert.equal(parseInfo(reply).io, 'thread');
    assert.deepEqual(parseInfo('design=mt strategy=pool pid=7 thread=0'), { design: 'mt', strategy: 'pool', pid: 7, thread: 0, io: null });
  });

  it('SLEEP blocks the calling thread; WAIT does not', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await new Promise((r) => setTimeout(r, 5));
    const before = ticks;
    await run('SLEEP 60');
    assert.equal(ticks, before, 'no timer fired while SLEEP held the thread');
    await run('WAIT 60');
    clearInterval(timer);
    assert.ok(ticks > before, 'timers fired during WAIT');
  });

  it('rejects bad arguments and limits with coded errors', () => {
    const cases: [string, string][] = [
      ['NOPE', 'SOCKETLAB_ERR_UNKNOWN_COMMAND'],
      ['SLEEP', 'SOCKETLAB_ERR_INVALID_ARGUMENT'],
      ['SLEEP -1', 'SOCKETLAB_ERR_INVALID_ARGUMENT'],
      ['SLEEP 1.5', 'SOCKETLAB_ERR_INVALID_ARGUMENT'],
      ['SLEEP 999999', 'SOCKETLAB_ERR_LIMIT_EXCEEDED'],
      ['WAIT x', 'SOCKETLAB_ERR_INVALID_ARGUMENT'],
      [`FIB ${DEFAULT_LIMITS.maxFibN + 1}`, 'SOCKETLAB_ERR_LIMIT_EXCEEDED'],
      ['HASH 0 x', 'SOCKETLAB_ERR_INVALID_ARGUMENT'],
      ['HASH 99999999 x', 'SOCKETLAB_ERR_LIMIT_EXCEEDED'],
      ['PING extra', 'SOCKETLAB_ERR_INVALID_ARGUMENT'],
    ];
    for (const [req, code] of cases) {
      assert.throws(() => parseTask(Buffer.from(req), 'text', DEFAULT_LIMITS), { code }, req);
    }
    assert.throws(() => parseTask(Buffer.from([0x45, 0x43, 0x48, 0x4f, 0x20, 0xc3]), 'text', DEFAULT_LIMITS), { code: 'SOCKETLAB_ERR_INVALID_UTF8' });
    assert.throws(() => parseTask(Buffer.from([0x55, 0x50, 0x50, 0x45, 0x52, 0x20, 0xc3]), 'binary', DEFAULT_LIMITS), { code: 'SOCKETLAB_ERR_INVALID_UTF8' });
  });

  it('ECHO is binary-safe in binary framing', async () => {
    const bytes = Buffer.from([0x45, 0x43, 0x48, 0x4f, 0x20, 0x00, 0xff, 0x0a, 0x0d]);
    const task = parseTask(bytes, 'binary', DEFAULT_LIMITS);
    assert.deepEqual(Buffer.from(executeTask(task, ctx) as Uint8Array), Buffer.from([0x00, 0xff, 0x0a, 0x0d]));
  });

  it('catalogue is documented in docs/protocol.md', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
    for (const t of TASKS) assert.ok(doc.includes(`\`${t.syntax}\``), `docs/protocol.md documents ${t.syntax}`);
  });

  it('occupiesThread: blocking I/O and CPU tasks, and UPPER/REVERSE over INLINE_TEXT_MAX_BYTES; the rest return at once', () => {
    const occupies = (request: string) => occupiesThread(parseTask(Buffer.from(request), 'text', DEFAULT_LIMITS));
    assert.deepEqual(
      ['PING', 'ECHO x', 'UPPER x', 'REVERSE x', 'SLEEP 1', 'WAIT 1', 'FIB 1', 'HASH 1 x', 'INFO', 'EXIT'].filter(occupies),
      ['SLEEP 1', 'FIB 1', 'HASH 1 x'],
    );
    const at = 'a'.repeat(INLINE_TEXT_MAX_BYTES);
    for (const name of ['UPPER', 'REVERSE']) {
      assert.equal(occupies(`${name} ${at}`), false, `${name} of exactly the limit runs inline`);
      assert.equal(occupies(`${name} ${at}a`), true, `${name} of one byte more occupies its thread`);
    }
    assert.equal(occupies(`ECHO ${at}a`), false, 'ECHO returns its bytes whatever their size');
  });

  it('fib is the naive recursion', () => {
    assert.deepEqual([0, 1, 2, 3, 10].map(fib), [0, 1, 1, 2, 55]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidOptionError } from '@socketlab/protocol';
import { fillCommand, parseServerSpec, splitCommand } from '../src/external-servers.ts';

const rejects = (raw: string, message: RegExp) =>
  assert.throws(() => parseServerSpec(raw), (e: unknown) => e instanceof InvalidOptionError && message.test(e.message));

describe('--server NAME=COMMAND', () => {
  it('splits a command as a shell would: quotes and backslashes, nothing else', () => {
    assert.deepEqual(splitCommand(`python3 'my server.py' --name "a \\"b\\"" x\\ y $HOME`, '--server'), ['python3', 'my server.py', '--name', 'a "b"', 'x y', '$HOME']);
    assert.deepEqual(splitCommand(`a '' b`, '--server'), ['a', '', 'b']);
    assert.throws(() => splitCommand(`a 'b`, '--server'), /unterminated ' quote/);
  });

  it('parses a name, an optional fixed port and the command; fills {port} and {host}', () => {
    const s = parseServerSpec('lesson-mt=python3 serverMT.py --host {host} --port {port}');
    assert.deepEqual(s, { name: 'lesson-mt', command: ['python3', 'serverMT.py', '--host', '{host}', '--port', '{port}'], port: null });
    assert.deepEqual(fillCommand(s, '127.0.0.1', 4242), ['python3', 'serverMT.py', '--host', '127.0.0.1', '--port', '4242']);
    assert.deepEqual(parseServerSpec('mine:8080=./server').port, 8080);
  });

  it('refuses what it cannot run, naming the flag and the fix', () => {
    rejects('python3 x.py', /^--server must be NAME=COMMAND/);
    rejects('Lesson=python3 x.py {port}', /the name "Lesson" must be lower-case/);
    rejects('mt-pool=python3 x.py {port}', /is a built-in design's/);
    rejects('mine=python3 x.py', /has no \{port\} placeholder/);
    rejects('mine:80=python3 x.py {port}', /both a fixed port and a \{port\} placeholder/);
    rejects('mine=   ', /empty command/);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { connect } from '@socketlab/protocol';
import { parseServerArgs } from '@socketlab/protocol/server';
import { runCli, spawnServerCli } from '@socketlab/test-utils';
import { CLI } from '../src/cli.ts';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

describe('socketlab-server-single CLI', () => {
  it('prints the lesson\'s log lines, with the real bound port, and stops cleanly on SIGTERM', async () => {
    const server = await spawnServerCli(BIN, ['--port', '0']);
    assert.ok(server.port > 0);
    assert.equal(server.lines[0], `Server is running on 127.0.0.1:${server.port}...`);
    await server.waitForLine(/^Waiting for a client to connect\.\.\.$/);
    const client = await connect({ port: server.port });
    await client.request('PING');
    const peer = `127.0.0.1:${client.socket.localPort}`;
    await server.waitForLine(new RegExp(`^TCP connection established with ${peer}$`));
    await server.waitForLine(new RegExp(`^Received task from ${peer}: PING$`));
    await client.exit();
    await server.waitForLine(new RegExp(`^Closing connection with ${peer}$`));
    const other = await connect({ port: server.port });
    await other.request('PING');
    other.socket.destroy();
    await server.waitForLine(/^Client 127\.0\.0\.1:\d+ disconnected\.$/);
    server.proc.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  });

  it('--log json writes one JSON object per line; --mode event-loop', async () => {
    const server = await spawnServerCli(BIN, ['--port', '0', '--log', 'json', '--mode', 'event-loop']);
    const first = JSON.parse(server.lines[0]!);
    assert.equal(first.event, 'listening');
    assert.equal(first.port, server.port);
    assert.equal(first.strategy, 'event-loop');
    server.proc.kill('SIGINT');
    assert.equal(await server.exited, 0);
  });

  it('--help lists every option; bad flags exit 2 naming the flag', async () => {
    const help = await runCli(BIN, ['--help']);
    assert.equal(help.code, 0);
    for (const flag of ['--host', '--port', '--mode', '--backlog', '--max-connections', '--idle-timeout-ms', '--max-line-bytes', '--max-in-flight', '--quiet', '--log']) {
      assert.ok(help.stdout.includes(flag), flag);
    }
    const bad = await runCli(BIN, ['--mode', 'forking']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--mode must be one of iterative, event-loop/);
    const unknown = await runCli(BIN, ['--prot', '1']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown flag --prot/);
    const range = await runCli(BIN, ['--port', '70000']);
    assert.equal(range.code, 2);
    assert.match(range.stderr, /port must be an integer between 0 and 65535/);
  });

  it('parses flags into API options', () => {
    const { options } = parseServerArgs(['--port=5000', '--mode', 'event-loop', '--max-fib-n', '30', '-q'], CLI);
    assert.deepEqual(options, { log: 'text', quiet: true, port: 5000, mode: 'event-loop', limits: { maxFibN: 30 } });
    assert.equal(parseServerArgs(['--silent'], CLI).options.log, 'silent');
  });
});

describe('--quiet', () => {
  it('keeps the lifecycle lines and drops per-connection and per-request lines', async () => {
    const server = await spawnServerCli(BIN, ['--port', '0', '--quiet', '--mode', 'event-loop']);
    const client = await connect({ port: server.port });
    await client.request('PING');
    await client.exit();
    server.proc.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.equal(server.lines[0], `Server is running on 127.0.0.1:${server.port}...`);
    assert.ok(server.lines.some((l) => l === 'Server closed.'));
    assert.ok(!server.lines.some((l) => /Received task|TCP connection|Closing connection/.test(l)), server.lines.join('\n'));
  });
});

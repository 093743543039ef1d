import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { connect, parseInfo } from '@socketlab/protocol';
import { pidAlive, runCli, runPoolDesignCliSuite, spawnServerCli, waitFor } from '@socketlab/test-utils';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

runPoolDesignCliSuite('socketlab-server-mp', BIN);

const STRATEGIES = [['per-connection'], ['pool'], ['prefork', '--accept', 'rr'], ['prefork', '--accept', 'os'], ['prefork', '--accept', 'reuseport']];

describe('no orphan processes', () => {
  for (const [strategy, ...more] of STRATEGIES) {
    it(`${[strategy, ...more].join(' ')}: children exit when the parent is SIGKILLed`, async () => {
      const server = await spawnServerCli(BIN, ['--port', '0', '--quiet', '--log', 'json', '--strategy', strategy!, '--pool-size', '2', ...more]);
      const client = await connect({ port: server.port });
      const { pid } = parseInfo(await client.request('INFO'));
      assert.notEqual(pid, server.proc.pid);
      assert.ok(pidAlive(pid));
      server.proc.kill('SIGKILL');
      await server.exited;
      assert.ok(await waitFor(() => !pidAlive(pid), 5000), `child ${pid} exited with its parent`);
      client.socket.destroy();
    });
  }
});

describe('Ctrl-C in a terminal', () => {
  for (const [strategy, ...more] of STRATEGIES) {
    it(`${[strategy, ...more].join(' ')}: SIGINT to the whole process group drains gracefully (children do not die first)`, async () => {
      const server = await spawnServerCli(BIN, ['--port', '0', '--strategy', strategy!, '--pool-size', '2', ...more], 15000, { detached: true });
      const client = await connect({ port: server.port });
      assert.equal(await client.request('PING'), 'PONG');
      const pending = client.request('SLEEP 400').then((v) => v, (e: { code?: string }) => e.code);
      await new Promise((r) => setTimeout(r, 100));
      process.kill(-server.proc.pid!, 'SIGINT');
      assert.equal(await pending, '400', 'the in-flight task is answered');
      assert.equal(await server.exited, 0);
      assert.ok(!server.lines.some((l) => /died|killed|replaced/.test(l)), server.lines.join('\n'));
    });
  }
});

describe('prefork CLI', () => {
  it('--help documents --accept; a bad value exits 2; --accept without --strategy prefork exits 2', async () => {
    const help = await runCli(BIN, ['--help']);
    assert.match(help.stdout, /--accept <rr\|os\|reuseport>/);
    const bad = await runCli(BIN, ['--strategy', 'prefork', '--accept', 'kernel']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--accept must be one of rr, os, reuseport \(got "kernel"\)/);
    const wrong = await runCli(BIN, ['--strategy', 'pool', '--accept', 'os']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--accept applies to strategy prefork only/);
  });

  it('--log json --quiet: the listening line names the policy; an idle line gives each child\'s share once the last connection closes', async () => {
    const server = await spawnServerCli(BIN, ['--port', '0', '--quiet', '--log', 'json', '--strategy', 'prefork', '--accept', 'reuseport', '--pool-size', '2']);
    try {
      const listening = JSON.parse(server.lines.find((l) => l.includes('"event":"listening"'))!) as { accept?: string };
      assert.equal(listening.accept, 'reuseport');
      const clients = await Promise.all([1, 2, 3].map(() => connect({ port: server.port })));
      for (const c of clients) assert.equal(await c.request('PING'), 'PONG');
      await Promise.all(clients.map((c) => c.exit()));
      const line = await server.waitForLine(/"event":"idle"/);
      const idle = JSON.parse(line) as { accept: string; accepted: string };
      assert.equal(idle.accept, 'reuseport');
      assert.equal(idle.accepted.split(',').length, 2, 'one count per child');
      assert.equal(idle.accepted.split(',').map(Number).reduce((a, b) => a + b, 0), 3, 'every connection counted once');
    } finally {
      server.proc.kill('SIGTERM');
      assert.equal(await server.exited, 0);
    }
  });
});

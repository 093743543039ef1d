import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { connect, parseInfo } from '@socketlab/protocol';
import { pidAlive, runPoolDesignCliSuite, spawnServerCli, waitFor } from '@socketlab/test-utils';

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url));

runPoolDesignCliSuite('socketlab-server-mp', BIN);

describe('no orphan processes', () => {
  for (const strategy of ['per-connection', 'pool']) {
    it(`${strategy}: children exit when the parent is SIGKILLed`, async () => {
      const server = await spawnServerCli(BIN, ['--port', '0', '--quiet', '--log', 'json', '--strategy', strategy, '--pool-size', '2']);
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
  for (const strategy of ['per-connection', 'pool']) {
    it(`${strategy}: SIGINT to the whole process group drains gracefully (children do not die first)`, async () => {
      const server = await spawnServerCli(BIN, ['--port', '0', '--strategy', strategy, '--pool-size', '2'], 15000, { detached: true });
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

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

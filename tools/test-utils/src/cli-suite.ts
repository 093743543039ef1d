import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, parseInfo } from '@socketlab/protocol';
import { runCli, spawnServerCli } from './cli.ts';

/** The CLI behaviour server-mp and server-mt share: both strategies start, serve, and stop on SIGTERM. */
export function runPoolDesignCliSuite(name: string, bin: string): void {
  const BIN = bin;
  describe(`${name} CLI`, () => {
    for (const strategy of ['per-connection', 'pool']) {
      it(`--strategy ${strategy} starts on --port 0, serves, and stops cleanly on SIGTERM`, async () => {
        const server = await spawnServerCli(BIN, ['--port', '0', '--strategy', strategy, '--pool-size', '2']);
        assert.equal(server.lines[0], `Server is running on 127.0.0.1:${server.port}...`);
        const client = await connect({ port: server.port });
        assert.equal(await client.request('FIB 20'), '6765');
        const info = parseInfo(await client.request('INFO'));
        assert.equal(info.strategy, strategy);
        await client.exit();
        await server.waitForLine(/^Closing connection with 127\.0\.0\.1:\d+$/);
        server.proc.kill('SIGTERM');
        assert.equal(await server.exited, 0);
      });
    }

    it('--help documents --strategy and --pool-size; a bad value exits 2', async () => {
      const help = await runCli(BIN, ['--help']);
      assert.equal(help.code, 0);
      assert.match(help.stdout, /--strategy <per-connection\|pool[|>]/); // server-mp adds |prefork
      assert.match(help.stdout, /--pool-size <n>/);
      const bad = await runCli(BIN, ['--pool-size', '0']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--pool-size must be an integer between 1 and 1024/);
    });

    it('--spares starts warm workers for per-connection only, never beyond --max-workers', async () => {
      assert.match((await runCli(BIN, ['--help'])).stdout, /--spares <n>/);
      const pool = await runCli(BIN, ['--strategy', 'pool', '--spares', '1']);
      assert.equal(pool.code, 2);
      assert.match(pool.stderr, /--spares applies to strategy per-connection only/);
      const over = await runCli(BIN, ['--max-workers', '2', '--spares', '3']);
      assert.equal(over.code, 2);
      assert.match(over.stderr, /--spares must be at most --max-workers \(2\)/);
    });
  });
}

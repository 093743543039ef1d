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

    it('--min-spares, --max-spares, --max-connections-per-worker: per-connection only, documented, checked against each other', async () => {
      const help = (await runCli(BIN, ['--help'])).stdout;
      for (const flag of ['--min-spares', '--max-spares', '--max-connections-per-worker']) assert.match(help, new RegExp(`${flag} <n>`));
      const pool = await runCli(BIN, ['--strategy', 'pool', '--min-spares', '1']);
      assert.equal(pool.code, 2);
      assert.match(pool.stderr, /--min-spares applies to strategy per-connection only/);
      const recycled = await runCli(BIN, ['--strategy', 'pool', '--max-connections-per-worker', '0']);
      assert.equal(recycled.code, 2);
      assert.match(recycled.stderr, /--max-connections-per-worker applies to strategy per-connection only/);
      const over = await runCli(BIN, ['--max-workers', '2', '--min-spares', '3']);
      assert.equal(over.code, 2);
      assert.match(over.stderr, /--min-spares must be at most --max-workers \(2\)/);
      const inverted = await runCli(BIN, ['--min-spares', '3', '--max-spares', '2']);
      assert.equal(inverted.code, 2);
      assert.match(inverted.stderr, /--max-spares must be at least --min-spares \(3\), got 2/);
      const negative = await runCli(BIN, ['--max-connections-per-worker=-1']);
      assert.equal(negative.code, 2);
      assert.match(negative.stderr, /--max-connections-per-worker must be a non-negative integer \(got "-1"\)/);
    });
  });
}

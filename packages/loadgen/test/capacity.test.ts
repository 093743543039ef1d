import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { openFileLimit, validateResults } from '@socketlab/results';
import { autoClientsPerAddress, checkClientCapacity, runSweep, sourceAddressesFor, type MachineLimits } from '../src/index.ts';
import { resolveConfig } from '../src/options.ts';

const LINUX = process.platform === 'linux';
const RANGE = { low: 32768, high: 60999 }; // Linux's default: 28,232 ports

/** A PING/EXIT server that notes the address each connection comes from. */
async function pingServer(seen: string[]): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer((socket) => {
    seen.push(socket.remoteAddress!);
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let nl;
      while ((nl = buffered.indexOf('\n')) !== -1) {
        const request = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (request === 'EXIT') socket.end('OK Goodbye!\n');
        else socket.write('OK PONG\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('source addresses', () => {
  it('auto: the OS picks for a few clients; past a third of the port range, as many 127.0.0.x as N needs', { skip: !LINUX && '127/8 is all loopback on Linux only' }, () => {
    const per = autoClientsPerAddress(RANGE);
    assert.equal(per, 9410);
    assert.deepEqual(sourceAddressesFor('auto', '127.0.0.1', 100, per), []);
    assert.deepEqual(sourceAddressesFor('auto', '127.0.0.1', per, per), []);
    assert.deepEqual(sourceAddressesFor('auto', '127.0.0.1', per + 1, per), ['127.0.0.1', '127.0.0.2']);
    assert.deepEqual(sourceAddressesFor('auto', '127.0.0.1', 30_000, per), ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']);
    assert.deepEqual(sourceAddressesFor('auto', '10.1.2.3', 30_000, per), [], 'not loopback: the route decides the address');
    assert.deepEqual(sourceAddressesFor('auto', '::1', 30_000, per), []);
    assert.deepEqual(sourceAddressesFor(['127.0.0.5'], '127.0.0.1', 3, per), ['127.0.0.5'], 'a list is used as given');
  });
});

describe('the capacity check', () => {
  const cfg = resolveConfig({ designs: ['single-event-loop'], clients: [100, 12_000], loadgenWorkers: 2 });
  const limits = (openFiles: number | null, portRange: MachineLimits['portRange'] = RANGE): MachineLimits => ({ openFiles, portRange });

  it('passes when every process has the files and every address the ports', () => {
    checkClientCapacity(cfg, limits(20_000));
    checkClientCapacity(cfg, limits(null, null));
  });

  it('names the server when it needs more open files than a process may have', () => {
    assert.throws(() => checkClientCapacity(cfg, limits(10_000)), {
      code: 'SOCKETLAB_ERR_CLIENT_CAPACITY',
      message: /^N = 12000 clients: the server needs about 12064 \(one per client, plus 64\) open files, but this machine allows 10000 per process .*Raise the hard limit/,
    });
  });

  it('against an external target, names the client processes and suggests more of them', () => {
    const external = resolveConfig({ target: '127.0.0.1:9', clients: [12_000], loadgenWorkers: 2 });
    assert.throws(() => checkClientCapacity(external, limits(5000)), { message: /each of 2 client process\(es\) needs about 6064 open files.*or use more --loadgen-workers/ });
    checkClientCapacity(resolveConfig({ target: '127.0.0.1:9', clients: [12_000], loadgenWorkers: 4 }), limits(5000));
  });

  it('refuses more clients than the source addresses have ports', () => {
    const one = resolveConfig({ target: '127.0.0.1:9', clients: [3000], sourceAddresses: ['127.0.0.1'] });
    assert.throws(() => checkClientCapacity(one, limits(null, { low: 50_000, high: 50_999 })), {
      code: 'SOCKETLAB_ERR_CLIENT_CAPACITY',
      message: /^N = 3000 clients need 3000 local ports, but 1 source address\(es\) give 1000 \(ip_local_port_range 50000–50999: 1000 per address\)\. Connect from more addresses \(--source-addresses 3/,
    });
    // auto spreads over as many addresses as it takes.
    if (LINUX) checkClientCapacity(resolveConfig({ target: '127.0.0.1:9', clients: [3000] }), limits(null, { low: 50_000, high: 50_999 }));
  });

  // 100,000 clients need 100,064 open files in the server: more than most machines allow a process.
  const roomy = (openFileLimit()?.soft ?? Infinity) >= 100_064;
  it('runSweep refuses before it starts anything', { skip: roomy && 'this machine allows 100,064 open files per process' }, async () => {
    const progress: string[] = [];
    await assert.rejects(runSweep({ designs: ['single-event-loop'], clients: [100_000], workloads: ['ping'], runs: 1 }, { onProgress: (e) => progress.push(e.type) }), { code: 'SOCKETLAB_ERR_CLIENT_CAPACITY' });
    assert.deepEqual(progress, [], 'no start event: nothing ran');
  });
});

describe('clients connect from the source addresses given', { skip: !LINUX && '127/8 is all loopback on Linux only' }, () => {
  it('the server sees client i from the (i mod n)-th address, and the results record them', { timeout: 30_000 }, async () => {
    const seen: string[] = [];
    const server = await pingServer(seen);
    try {
      const results = await runSweep({ target: `127.0.0.1:${server.port}`, workloads: ['ping'], clients: [5], runs: 1, loadgenWorkers: 2, sourceAddresses: ['127.0.0.2', '127.0.0.3'], quietWaitMs: 0, noiseRetries: 0 }); // one attempt: a re-run would connect again
      assert.deepEqual(validateResults(results).errors, []);
      const run = results.cells[0]!.runs[0]!;
      assert.equal(run.errors.total, 0);
      assert.equal(run.clients.completed, 5);
      assert.deepEqual([...seen].sort(), ['127.0.0.2', '127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3'], 'clients 0, 2, 4 from the first, 1 and 3 from the second');
      assert.deepEqual(results.config.sourceAddresses, ['127.0.0.2', '127.0.0.3']);
      assert.deepEqual(run.loadgen.sourceAddresses, ['127.0.0.2', '127.0.0.3']);
      assert.equal(typeof results.environment.localPortRange?.low, 'number');
    } finally {
      await server.close();
    }
  });

  it('auto with a few clients lets the OS pick, and records that none was chosen', { timeout: 30_000 }, async () => {
    const seen: string[] = [];
    const server = await pingServer(seen);
    try {
      const results = await runSweep({ target: `127.0.0.1:${server.port}`, workloads: ['ping'], clients: [2], runs: 1, quietWaitMs: 0, noiseRetries: 0 }); // one attempt: a re-run would connect again
      const run = results.cells[0]!.runs[0]!;
      assert.equal(run.errors.total, 0);
      assert.equal(results.config.sourceAddresses, 'auto');
      assert.deepEqual(run.loadgen.sourceAddresses, []);
      assert.deepEqual(seen, ['127.0.0.1', '127.0.0.1']);
    } finally {
      await server.close();
    }
  });
});

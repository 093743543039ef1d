import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DESIGNS, sweepFlags, type ResolvedSweepConfig } from '@socketlab/results';
import { parseArgs } from '../src/cli.ts';
import { resolveConfig, type SweepOptions } from '../src/options.ts';

/** The fields sweepFlags promises to carry: everything that shapes the measurements. */
function measured(c: ResolvedSweepConfig) {
  return {
    preset: c.preset, designs: c.designs, target: c.target, clients: c.clients, runs: c.runs, workloads: c.workloads,
    tasksPerClient: c.tasksPerClient, timeScale: c.timeScale, clientMode: c.clientMode,
    loadgenWorkers: c.clientMode === 'workers' ? c.loadgenWorkers : null,
    serverLifecycle: c.target ? null : c.serverLifecycle,
    poolSize: c.designs.some((d) => d === 'mp-pool' || d === 'mt-pool') ? c.poolSize : null,
    sampleIntervalMs: c.sampleIntervalMs, saturationThreshold: c.saturationThreshold,
    servers: c.servers, protocol: c.protocol,
    runDefinition: c.runDefinition, eventLoopDelayThresholdMs: c.eventLoopDelayThresholdMs,
  };
}

/** A recorded config → @socketlab/results' command line → loadgen's own parser → the same config. */
function roundTrip(options: SweepOptions): void {
  const recorded = resolveConfig(options);
  const flags = sweepFlags(recorded);
  assert.deepEqual(measured(resolveConfig(parseArgs(flags).options)), measured(recorded), flags.join(' '));
}

describe('sweepFlags round trip through loadgen\'s parser', () => {
  const cases: SweepOptions[] = [
    {},
    { preset: 'seed' },
    { preset: 'smoke', clientMode: 'process' },
    { designs: ['mt-pool', 'single-event-loop'], poolSize: 3, clients: [1, 2, 5], workloads: ['wait', 'mix', 'ping'], timeScale: 0.0042 },
    { target: '127.0.0.1:5000', clients: [10, 20, 30, 40], runs: 2 },
    { target: { host: '::1', port: 7 }, clients: [3] },
    { clients: [1, 2, 3, 4], tasksPerClient: 3, serverLifecycle: 'run', sampleIntervalMs: 20, saturationThreshold: 0.75, loadgenWorkers: 3 },
    { preset: 'lesson' },
    { preset: 'lesson', designs: ['mt-pool'], expect: { sleep: 'regex:Slept \\d+ ms', fib: 'prefix:exact:' }, exitReply: '/Bye.*/', rawTerminator: '\n' },
    { servers: [`mine=python3 'my server.py' --port {port} --name "it's"`, 'theirs:9000=./srv'], protocol: 'line', exitRequest: 'QUIT', clients: [2] },
    { runDefinition: 'release-then-connect', eventLoopDelayThresholdMs: 35 },
  ];
  for (const options of cases) it(`carries ${JSON.stringify(options)}`, () => roundTrip(options));

  it('carries any client list, design subset and time scale', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 12 }),
        fc.subarray([...DESIGNS], { minLength: 1 }),
        fc.double({ min: 0.0001, max: 3, noNaN: true }),
        (clients, designs, timeScale) => roundTrip({ clients, designs, timeScale }),
      ),
      { numRuns: 200 },
    );
  });
});

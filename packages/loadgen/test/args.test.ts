import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FLAGS, helpText, parseArgs } from '../src/cli.ts';
import { DEFAULT_SWEEP_OPTIONS, PRESETS, resolveConfig, type SweepOptions } from '../src/options.ts';
import { DESIGNS } from '@socketlab/results';

describe('parseArgs', () => {
  it('gives empty options and the CLI defaults without flags', () => {
    assert.deepEqual(parseArgs([]), { help: false, version: false, json: false, quiet: false, progress: true, out: null, shard: null, targetPid: null, verdict: { thresholds: [], allowErrors: false, failOnNoise: false }, options: {} });
  });

  it('parses --target-pid beside the options, not into them (a pid is this machine\'s, not the sweep\'s)', () => {
    const p = parseArgs(['--target', '127.0.0.1:5000', '--target-pid', '4321']);
    assert.equal(p.targetPid, 4321);
    assert.deepEqual(p.options, { target: { host: '127.0.0.1', port: 5000 } });
  });

  it('parses thresholds in order, with units in ms, and the verdict switches', () => {
    const p = parseArgs(['--threshold', 'mt-pool:sleep:total.median<2s', '--threshold', 'p99<=500us', '--threshold', '*:fib:40:errors<1', '--allow-errors', '--fail-on-noise']);
    assert.deepEqual(p.verdict.thresholds.map((t) => [t.design, t.workload, t.clients, t.metric, t.op, t.limit]), [
      ['mt-pool', 'sleep', null, 'total.median', '<', 2000],
      [null, null, null, 'latency.p99', '<=', 0.5],
      [null, 'fib', 40, 'errors', '<', 1],
    ]);
    assert.equal(p.verdict.allowErrors, true);
    assert.equal(p.verdict.failOnNoise, true);
  });

  const cases: [string[], SweepOptions][] = [
    [['--preset', 'seed'], { preset: 'seed' }],
    [['--preset=smoke'], { preset: 'smoke' }],
    [['--designs', 'mp-pool,mt-pool'], { designs: ['mp-pool', 'mt-pool'] }],
    [['--designs', 'all'], { designs: [...DESIGNS] }],
    [['--target', '127.0.0.1:5000'], { target: { host: '127.0.0.1', port: 5000 } }],
    [['--target', '[::1]:7'], { target: { host: '::1', port: 7 } }],
    [['--clients', '1,2,5'], { clients: [1, 2, 5] }],
    [['--clients', '10..50:20'], { clients: [10, 30, 50] }],
    [['--clients', '1..3,10'], { clients: [1, 2, 3, 10] }],
    [['--runs', '5'], { runs: 5 }],
    [['--workloads', 'wait,mix'], { workloads: ['wait', 'mix'] }],
    [['--tasks-per-client', '4'], { tasksPerClient: 4 }],
    [['--time-scale', '0.25'], { timeScale: 0.25 }],
    [['--time-scale', '1e-3'], { timeScale: 0.001 }],
    [['--client-mode', 'process'], { clientMode: 'process' }],
    [['--loadgen-workers', '3'], { loadgenWorkers: 3 }],
    [['--server-lifecycle', 'cell'], { serverLifecycle: 'cell' }],
    [['--pool-size', '4'], { poolSize: 4 }],
    [['--host', '::1'], { host: '::1' }],
    [['--connect-timeout-ms', '500'], { connectTimeoutMs: 500 }],
    [['--run-timeout-ms', '0'], { runTimeoutMs: 0 }],
    [['--start-timeout-ms', '2000'], { startTimeoutMs: 2000 }],
    [['--stop-timeout-ms', '3000'], { stopTimeoutMs: 3000 }],
    [['--sample-interval-ms', '100'], { sampleIntervalMs: 100 }],
    [['--saturation-threshold', '0.8'], { saturationThreshold: 0.8 }],
    [['--event-loop-delay-threshold-ms', '50'], { eventLoopDelayThresholdMs: 50 }],
    [['--run-definition', 'release-then-connect'], { runDefinition: 'release-then-connect' }],
    [['--source-addresses', 'auto'], { sourceAddresses: 'auto' }],
    [['--source-addresses', '3'], { sourceAddresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3'] }],
    [['--source-addresses', '127.0.0.254-127.0.1.1,127.0.5.5'], { sourceAddresses: ['127.0.0.254', '127.0.0.255', '127.0.1.0', '127.0.1.1', '127.0.5.5'] }],
    [['--source-addresses', '::1'], { sourceAddresses: ['::1'] }],
  ];
  for (const [argv, options] of cases) {
    it(`parses ${argv.join(' ')}`, () => assert.deepEqual(parseArgs(argv).options, options));
  }

  it('splits --args (how `nx run loadgen:sweep --args="…"` passes them)', () => {
    assert.deepEqual(parseArgs(['--args=--preset seed  --runs 1']).options, { preset: 'seed', runs: 1 });
    assert.deepEqual(parseArgs(['--args', '--clients 1,2', '--json']), { ...parseArgs(['--clients', '1,2', '--json']) });
  });

  it('parses the CLI-only flags', () => {
    const p = parseArgs(['--json', '--out', 'x.json', '--no-progress', '--', '--runs', '2']);
    assert.equal(p.json, true);
    assert.equal(p.out, 'x.json');
    assert.equal(p.progress, false);
    assert.equal(p.options.runs, 2);
    assert.equal(parseArgs(['-q']).progress, false, '--quiet implies no progress');
    assert.equal(parseArgs(['-h']).help, true);
    assert.equal(parseArgs(['-v']).version, true);
  });

  const bad: [string[], RegExp][] = [
    [['--bogus'], /unknown flag --bogus/],
    [['runs'], /unexpected argument "runs"/],
    [['--runs'], /--runs needs a value/],
    [['--runs', '--json'], /--runs needs a value/],
    [['--runs', 'two'], /--runs must be a non-negative integer \(got "two"\)/],
    [['--time-scale', 'fast'], /--time-scale must be a number/],
    [['--preset', 'huge'], /--preset must be one of quick, full, seed, lesson, smoke/],
    [['--designs', 'single,mt-pool'], /--designs: unknown value "single"/],
    [['--workloads', 'disk'], /--workloads: unknown value "disk"/],
    [['--clients', '10..5'], /--clients: range "10..5" must go up/],
    [['--clients', 'ten'], /--clients: "ten" is neither a count nor a range/],
    [['--target', 'localhost'], /--target must be host:port/],
    [['--target', 'h:70000'], /--target must be host:port with a port between 1 and 65535/],
    [['--client-mode', 'threads'], /--client-mode must be one of workers, process/],
    [['--source-addresses', '0'], /--source-addresses must be a count between 1 and 254/],
    [['--source-addresses', '300'], /--source-addresses must be a count between 1 and 254/],
    [['--source-addresses', '127.0.0.9-127.0.0.1'], /--source-addresses: range "127.0.0.9-127.0.0.1" must go up/],
    [['--source-addresses', '127.0.0.1-127.0.9.1'], /--source-addresses names more than 254 addresses/],
    [['--source-addresses', '127.0.0.1-x'], /--source-addresses: range "127.0.0.1-x" must be two IPv4 addresses/],
    [['--source-addresses', ','], /--source-addresses needs at least one address/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')} naming the flag`, () => assert.throws(() => parseArgs(argv), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message }));
  }

  it('--help lists every flag with its default', () => {
    const help = helpText();
    for (const f of FLAGS) {
      assert.ok(help.includes(f.flag), `${f.flag} in --help`);
      assert.ok(help.includes(`(default: ${f.default})`), `${f.flag}'s default in --help`);
    }
    for (const flag of ['--out', '--json', '--quiet', '--no-progress', '--help', '--version', 'quick', 'seed', 'smoke']) assert.ok(help.includes(flag), flag);
  });
});

describe('resolveConfig', () => {
  it('resolves the quick preset by default, fully and frozen', () => {
    const c = resolveConfig();
    assert.equal(c.preset, 'quick');
    assert.deepEqual(c.designs, [...DESIGNS], 'every built-in design');
    assert.deepEqual(c.clients, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    assert.equal(c.runs, 3);
    assert.deepEqual(c.workloads.map((w) => w.name), ['sleep', 'fib']);
    assert.equal(c.timeScale, PRESETS.quick.timeScale);
    assert.equal(c.loadgenWorkers, DEFAULT_SWEEP_OPTIONS.loadgenWorkers);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.workloads[0]));
  });

  it('resolves the seed preset to the lesson\'s parameters', () => {
    const c = resolveConfig({ preset: 'seed' });
    assert.deepEqual(c.designs, ['single-iterative', 'mp-per-connection', 'mt-per-connection']);
    assert.deepEqual(c.workloads.map((w) => w.tasks), [['SLEEP 3000']]);
    assert.equal(c.runs, 3);
    assert.equal(c.tasksPerClient, 1);
  });

  it('applies options over the preset', () => {
    const c = resolveConfig({ preset: 'seed', clients: [1], runs: 1, timeScale: 0.01 });
    assert.deepEqual(c.clients, [1]);
    assert.deepEqual(c.workloads[0]!.tasks, ['SLEEP 30']);
    assert.equal(c.designs.length, 3);
  });

  it('uses the external server as the only design with a target', () => {
    const c = resolveConfig({ target: 'localhost:7000' });
    assert.deepEqual(c.designs, ['external']);
    assert.deepEqual(c.target, { host: 'localhost', port: 7000 });
    assert.equal(c.host, 'localhost');
  });

  const bad: [SweepOptions, RegExp][] = [
    [{ preset: 'x' as never }, /^preset must be one of "quick", "full", "seed", "lesson", "smoke"/],
    [{ designs: [] }, /^designs must be a non-empty array/],
    [{ designs: ['mp-pool', 'mp-pool'] }, /^designs\[1\] repeats "mp-pool"/],
    [{ designs: ['nope' as never] }, /^designs\[0\] must be one of/],
    [{ clients: [10, 0] }, /^clients\[1\] must be an integer between 1 and 100000 \(got 0\)/],
    [{ sourceAddresses: [] }, /^sourceAddresses must be "auto" or an array of 1 to 254 addresses \(got 0 items\)/],
    [{ sourceAddresses: ['127.0.0.1', 'localhost'] }, /^sourceAddresses\[1\] must be an IP address \(got "localhost"\)/],
    [{ sourceAddresses: ['::1'] }, /^sourceAddresses\[0\] ::1 is IPv6, but the clients connect to IPv4 127\.0\.0\.1/],
    [{ sourceAddresses: ['127.0.0.2', '127.0.0.2'] }, /^sourceAddresses\[1\] repeats 127\.0\.0\.2/],
    [{ sourceAddresses: ['192.0.2.1'] }, /^sourceAddresses\[0\] 192\.0\.2\.1 is not an address of this machine/],
    [{ clients: [1.5] }, /^clients\[0\] must be an integer/],
    [{ runs: 0 }, /^runs must be an integer between 1 and 1000/],
    [{ workloads: ['disk' as never] }, /^workloads\[0\] must be one of/],
    [{ tasksPerClient: 0 }, /^tasksPerClient must be an integer between 1 and 100000/],
    [{ timeScale: 0 }, /^timeScale must be a number > 0/],
    [{ timeScale: 4 }, /timeScale 4 makes SLEEP 12000 ms, above the servers' default maxSleepMs/],
    [{ clientMode: 'threads' as never }, /^clientMode must be one of "workers", "process"/],
    [{ loadgenWorkers: 0 }, /^loadgenWorkers must be an integer between 1 and 256/],
    [{ serverLifecycle: 'sweep' as never }, /^serverLifecycle must be one of "run", "cell"/],
    [{ poolSize: 0 }, /^poolSize must be an integer between 1 and 1024/],
    [{ host: '' }, /^host must be a non-empty string/],
    [{ connectTimeoutMs: 0 }, /^connectTimeoutMs must be an integer/],
    [{ runTimeoutMs: -1 }, /^runTimeoutMs must be an integer/],
    [{ startTimeoutMs: 0 }, /^startTimeoutMs must be an integer/],
    [{ stopTimeoutMs: 0 }, /^stopTimeoutMs must be an integer/],
    [{ sampleIntervalMs: 1 }, /^sampleIntervalMs must be an integer between 5 and 60000/],
    [{ saturationThreshold: 1.5 }, /^saturationThreshold must be a number >= 0 and <= 1/],
    [{ target: 'nohost' }, /^target must be host:port/],
    [{ target: { host: 'h', port: 0 } }, /^target\.port must be an integer between 1 and 65535/],
    [{ target: 'h:1', designs: ['mp-pool'] }, /designs and target cannot be combined/],
    [{ target: 'h:1', serverLifecycle: 'run' }, /serverLifecycle does not apply with a target/],
    [{ target: 'h:1', poolSize: 2 }, /poolSize does not apply with a target/],
    [{ clientMode: 'process', loadgenWorkers: 2 }, /loadgenWorkers applies only to clientMode "workers"/],
    [{ runz: 1 } as never, /unknown option runz; known options:/],
  ];
  for (const [options, message] of bad) {
    it(`rejects ${JSON.stringify(options)} naming the option`, () => assert.throws(() => resolveConfig(options), { code: 'SOCKETLAB_ERR_INVALID_OPTION', message }));
  }
});

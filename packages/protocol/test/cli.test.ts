import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidOptionError } from '../src/errors.ts';
import { choiceValue, helpText, integerValue, nameFlags, numberValue, parseCommandLine, suggestFlag, type CliFlag } from '../src/cli/index.ts';

const TABLE: readonly CliFlag[] = [
  { flag: '--time-scale', type: 'string', arg: '<x>', option: 'timeScale', parse: numberValue, help: 'task time multiplier', default: 1 },
  { flag: '--max-fib-n', type: 'string', arg: '<n>', option: 'limits.maxFibN', parse: integerValue, help: 'largest FIB n' },
  { flag: '--mode', type: 'string', option: 'mode', parse: choiceValue(['a', 'b'] as const), help: 'mode' },
  { flag: '--in', short: '-i', type: 'string', multiple: true, option: 'inputs', help: 'input file' },
  { flag: '--out', short: '-o', type: 'string', arg: '<file>', help: 'output file' },
  { flag: '--quiet', short: '-q', type: 'boolean', help: 'say nothing' },
  { flag: '--no-copy', type: 'boolean', option: 'copyInputs', sets: false, help: 'do not copy' },
];

const usage = (message: RegExp) => (err: unknown) => err instanceof InvalidOptionError && message.test((err as Error).message);

describe('parseCommandLine', () => {
  it('reads values, repeats, switches, dotted options and the "--" separator', () => {
    const p = parseCommandLine(['--', '--time-scale=0.5', '--max-fib-n', '30', '-i', 'a', '--in=b', '-qo', 'r.json', '--no-copy'], TABLE, { initialOptions: { log: 'text' } });
    assert.deepEqual(p.options, { log: 'text', timeScale: 0.5, limits: { maxFibN: 30 }, inputs: ['a', 'b'], copyInputs: false });
    assert.deepEqual(p.flags, { quiet: true, out: 'r.json' });
    assert.equal(p.help, false);
    assert.equal(parseCommandLine(['-h'], TABLE).help, true);
    assert.equal(parseCommandLine(['--version'], TABLE).version, true);
  });

  it('does not share initial options between calls', () => {
    const initialOptions = { limits: {} };
    parseCommandLine(['--max-fib-n', '3'], TABLE, { initialOptions });
    assert.deepEqual(initialOptions, { limits: {} });
  });

  const bad: [string[], RegExp][] = [
    [['--out', '-q'], /^--out needs a value; "-q" looks like a flag \(write --out=-q if it is the value\)$/],
    [['-o', '--quiet'], /^-o needs a value; "--quiet" looks like a flag/],
    [['--out'], /^--out needs a value$/],
    [['--out='], /^--out needs a value$/],
    [['--quiet=yes'], /^--quiet takes no value \(got "yes"\)$/],
    [['--time-scal', '1'], /^unknown flag --time-scal; did you mean --time-scale\?$/],
    [['--tiem-scale', '1'], /did you mean --time-scale\?/],
    [['--time', '1'], /did you mean --time-scale\?/],
    [['--frobnicate'], /^unknown flag --frobnicate$/],
    [['-x'], /^unknown flag -x$/],
    [['file.json'], /^unexpected argument "file.json"$/],
    [['--mode', 'c'], /^--mode must be one of a, b \(got "c"\)$/],
    [['--max-fib-n', '1.5'], /^--max-fib-n must be a non-negative integer \(got "1.5"\)$/],
    [['--time-scale', 'fast'], /^--time-scale must be a number \(got "fast"\)$/],
  ];
  for (const [argv, message] of bad) {
    it(`rejects ${argv.join(' ')}`, () => assert.throws(() => parseCommandLine(argv, TABLE), usage(message)));
  }

  it('accepts a value that starts with a dash when it is written inline', () => {
    assert.equal(parseCommandLine(['--out=-q'], TABLE).flags.out, '-q');
  });

  it('adds the hint to an unexpected argument', () => {
    assert.throws(() => parseCommandLine(['x.json'], TABLE, { positionalHint: 'input files go after --in' }), usage(/^unexpected argument "x.json"; input files go after --in$/));
  });
});

describe('suggestFlag', () => {
  it('suggests near misses only', () => {
    assert.equal(suggestFlag('--prot', ['--port', '--host']), '--port');
    assert.equal(suggestFlag('--hots', ['--port', '--host']), '--host');
    assert.equal(suggestFlag('--zzzz', ['--port', '--host']), null);
  });
});

describe('nameFlags', () => {
  it('names the flag, not the API option', () => {
    assert.equal(nameFlags('timeScale must be a number > 0 and <= 100 (got 0)', TABLE), '--time-scale must be a number > 0 and <= 100 (got 0)');
    assert.equal(nameFlags('limits.maxFibN must be an integer >= 1 (got 0)', TABLE), '--max-fib-n must be an integer >= 1 (got 0)');
    assert.equal(nameFlags('inputs[1] must be a non-empty string', TABLE), '--in[1] must be a non-empty string');
    assert.equal(nameFlags('copyInputs applies only with timeScale 1', TABLE), '--no-copy applies only with --time-scale 1');
  });

  it('leaves plain words alone unless they start the message', () => {
    assert.equal(nameFlags('the mode is fine', TABLE), 'the mode is fine');
    assert.equal(nameFlags('mode must be one of "a", "b"', TABLE), '--mode must be one of "a", "b"');
  });
});

describe('helpText', () => {
  it('has one row per flag with its value, default, and the standard flags', () => {
    const help = helpText({ bin: 'x', summary: ['Does x.'], epilogue: ['Exit codes: 0, 1, 2.'] }, TABLE);
    assert.match(help, /^Usage: x \[options\]\n\nDoes x\.\n\nOptions:\n/);
    assert.match(help, /\n {2}--time-scale <x> +task time multiplier \(default: 1\)\n/);
    assert.match(help, /\n {2}-o, --out <file> +output file\n/);
    assert.match(help, /\n {2}-q, --quiet +say nothing\n/);
    assert.match(help, /\n {2}-v, --version +print the version\n {2}-h, --help +print this help\n\nExit codes: 0, 1, 2\.$/);
  });
});

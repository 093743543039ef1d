import { InvalidOptionError, checkInteger, checkKnownKeys, checkOneOf, checkString } from '@socketlab/protocol';
import type { ProtocolConfig } from '@socketlab/results';
import { DEFAULT_ADAPTER_OPTIONS, PROTOCOLS, parseExpectation, type Expectation } from './adapters.ts';

const PROTOCOL_KEYS = ['rawTerminator', 'rawBytes', 'rawGapMs', 'exitRequest', 'exitReply', 'expect'] as const;

/** The protocol of external servers, or null when there are none (and nothing protocol-related was given). */
export function resolveProtocol(given: Readonly<Record<string, unknown>>, presetProtocol: (typeof PROTOCOLS)[number] | undefined, external: boolean): ProtocolConfig | null {
  const name = given.protocol === undefined ? (presetProtocol ?? DEFAULT_ADAPTER_OPTIONS.protocol) : checkOneOf('protocol', given.protocol, PROTOCOLS);
  const set = PROTOCOL_KEYS.filter((k) => given[k] !== undefined);
  if (!external) {
    if (given.protocol !== undefined || set.length > 0) throw new InvalidOptionError(`${given.protocol !== undefined ? 'protocol' : set[0]} applies to external servers only (servers or target); the built-in designs always speak socketlab`);
    return null;
  }
  if (name === 'socketlab' && set.length > 0) throw new InvalidOptionError(`${set[0]} applies to protocol line or raw, not socketlab`);
  if (name === 'line' && (given.rawTerminator !== undefined || given.rawBytes !== undefined || given.rawGapMs !== undefined)) {
    throw new InvalidOptionError(`${given.rawTerminator !== undefined ? 'rawTerminator' : given.rawBytes !== undefined ? 'rawBytes' : 'rawGapMs'} applies to protocol raw only (a line ends at \\n)`);
  }
  const rawTerminator = given.rawTerminator === undefined || given.rawTerminator === null ? null : checkString('rawTerminator', given.rawTerminator);
  const rawBytes = given.rawBytes === undefined || given.rawBytes === null ? null : checkInteger('rawBytes', given.rawBytes, 1, 1024 * 1024);
  if (rawTerminator !== null && rawBytes !== null) throw new InvalidOptionError('rawTerminator and rawBytes cannot be combined: a reply ends at one or the other');
  const expectation = (option: string, v: unknown): Expectation => {
    if (typeof v === 'string') return parseExpectation(v, option);
    const o = checkKnownKeys(option, v, ['kind', 'value']);
    return parseExpectation(`${checkOneOf(`${option}.kind`, o.kind, ['exact', 'prefix', 'regex'] as const)}:${checkString(`${option}.value`, o.value)}`, option);
  };
  const expect: Record<string, Expectation> = {};
  if (given.expect !== undefined) {
    if (!given.expect || typeof given.expect !== 'object' || Array.isArray(given.expect)) throw new InvalidOptionError('expect must be an object of task word → expectation');
    for (const [word, v] of Object.entries(given.expect)) {
      if (!/^[a-z0-9_-]+$/.test(word)) throw new InvalidOptionError(`expect: the task word ${JSON.stringify(word)} must be lower-case letters, digits, "_" or "-"`);
      expect[word] = expectation(`expect.${word}`, v);
    }
  }
  return {
    name,
    rawTerminator,
    rawBytes,
    rawGapMs: given.rawGapMs === undefined ? DEFAULT_ADAPTER_OPTIONS.rawGapMs : checkInteger('rawGapMs', given.rawGapMs, 1, 60_000),
    exitRequest: given.exitRequest === undefined ? DEFAULT_ADAPTER_OPTIONS.exitRequest : checkString('exitRequest', given.exitRequest),
    exitReply: given.exitReply === undefined ? { kind: 'exact', value: DEFAULT_ADAPTER_OPTIONS.exitReply } : expectation('exitReply', given.exitReply),
    expect,
  };
}

import { choiceValue, integerValue, numberValue } from '@socketlab/protocol/cli';
import { ARRIVAL_PROCESSES, LOAD_MODELS } from '@socketlab/results';
import type { LoadgenFlag } from '../flag.ts';
import { DEFAULT_OPEN_OPTIONS, ratesValue } from './options.ts';

const d = DEFAULT_OPEN_OPTIONS;

/** The open model's flags (in --help after the closed model's); each sets one OpenSweepOptions field. */
export const OPEN_FLAGS: readonly LoadgenFlag[] = [
  { flag: '--model', option: 'model', type: 'string', arg: '<model>', parse: choiceValue(LOAD_MODELS), help: 'closed: N clients released at once, each waits for its reply (the lesson\'s); open: requests arrive at --rates on --connections (see The open model)', default: d.model },
  { flag: '--rates', option: 'rates', type: 'string', arg: '<list>', parse: ratesValue, help: 'open: target rates, requests/s ("100,200,400") and/or % of a probed capacity ("10%..120%:10%"); one cell per rate', default: '10%..120%:10%' },
  { flag: '--arrival', option: 'arrival', type: 'string', arg: '<process>', parse: choiceValue(ARRIVAL_PROCESSES), help: 'open: constant (evenly spaced) or poisson (exponential gaps, seeded) arrivals', default: d.arrival },
  { flag: '--seed', option: 'seed', type: 'string', arg: '<n>', parse: integerValue, help: 'open: seed of the Poisson arrivals (loadgen process i uses seed + i); recorded', default: String(d.seed) },
  { flag: '--duration-ms', option: 'durationMs', type: 'string', arg: '<ms>', parse: integerValue, help: 'open: how long arrivals are generated per run, ms', default: String(d.durationMs) },
  { flag: '--connections', option: 'connections', type: 'string', arg: '<n>', parse: integerValue, help: 'open: connections that carry the load, opened before the release (the cells\' clients)', default: String(d.connections) },
  { flag: '--max-in-flight', option: 'maxInFlight', type: 'string', arg: '<n>', parse: integerValue, help: 'open: most requests outstanding per connection; an arrival finding no free slot is queued and sent late', default: String(d.maxInFlight) },
  { flag: '--queue-limit', option: 'queueLimit', type: 'string', arg: '<n>', parse: integerValue, help: 'open: most arrivals waiting for a slot (all processes together); beyond it arrivals are dropped and counted', default: String(d.queueLimit) },
  { flag: '--drain-ms', option: 'drainMs', type: 'string', arg: '<ms>', parse: integerValue, help: 'open: after the arrivals, how long outstanding requests may still complete; the rest count as timeouts, ms', default: String(d.drainMs) },
  { flag: '--probe-ms', option: 'probeMs', type: 'string', arg: '<ms>', parse: integerValue, help: 'open: length of the capacity probe behind % rates (every connection at --max-in-flight, closed loop), ms', default: String(d.probeMs) },
  { flag: '--rate-tolerance', option: 'rateTolerance', type: 'string', arg: '<x>', parse: numberValue, help: 'open: flag a run saturated (the server could not keep up) when its throughput is this fraction under the offered rate; 0–1', default: String(d.rateTolerance) },
  { flag: '--pacing-lag-threshold-ms', option: 'pacingLagThresholdMs', type: 'string', arg: '<ms>', parse: numberValue, help: 'open: flag a run generatorLimited when loadgen\'s pacing-lag p99 exceeds this, ms', default: String(d.pacingLagThresholdMs) },
];

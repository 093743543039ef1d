import { InvalidOptionError, checkInteger, checkOneOf } from '@socketlab/protocol';
import { ARRIVAL_PROCESSES, LOAD_MODELS, type ArrivalProcess, type LoadModel, type OpenConfig } from '@socketlab/results';

/** The open model's options (part of SweepOptions; see the README's "The open model"). */
export interface OpenSweepOptions {
  /** `closed` (default: the lesson's model, N clients each waiting for its reply) or `open` (requests arrive at a rate). */
  model?: LoadModel;
  /** Open model: target rates, each a number of requests/s or a percentage of the probed capacity (`'50%'`). */
  rates?: readonly (number | string)[];
  /** Open model: `constant` (evenly spaced) or `poisson` arrivals. */
  arrival?: ArrivalProcess;
  /** Open model: seed of the Poisson arrivals (process i uses seed + i). */
  seed?: number;
  /** Open model: how long arrivals are generated per run, ms. */
  durationMs?: number;
  /** Open model: connections that carry the load (the cells' `clients`). */
  connections?: number;
  /** Open model: most requests outstanding per connection. */
  maxInFlight?: number;
  /** Open model: most arrivals waiting for a free slot, over all processes; more are dropped. */
  queueLimit?: number;
  /** Open model: after the arrivals, the longest wait for outstanding replies, ms. */
  drainMs?: number;
  /** Open model: length of the capacity probe behind percentage rates, ms. */
  probeMs?: number;
  /** Open model: throughput below (1 − this) × the offered rate flags the run `saturated`; 0–1. */
  rateTolerance?: number;
  /** Open model: a pacing-lag p99 above this flags the run `generatorLimited`, ms. */
  pacingLagThresholdMs?: number;
}

/** Defaults of the open model, with units. */
export const DEFAULT_OPEN_OPTIONS = Object.freeze({
  model: 'closed' as LoadModel,
  // 10 % … 120 % of the probed capacity in steps of 10 %: below, around and past the knee.
  rates: Object.freeze(Array.from({ length: 12 }, (_, i) => `${(i + 1) * 10}%`)) as readonly string[],
  arrival: 'constant' as ArrivalProcess, // wrk2's: evenly spaced, so a run's latency is not the arrivals' noise
  seed: 1,
  durationMs: 5000, // ms of arrivals per run: 50 requests at 10/s, enough for a p99 from 1000/s up
  connections: 16, // connections: enough slots for a pool of 2–8 workers to be kept busy at maxInFlight 1
  maxInFlight: 1, // requests per connection: the lesson's client, one request then its reply
  // 10 000 arrivals: 10 s of backlog at 1000/s. Far beyond any latency worth measuring, but a bound:
  // a server that stops answering costs memory proportional to this, not to the run's length.
  queueLimit: 10_000, // arrivals, over all loadgen processes
  drainMs: 2000, // ms after the arrivals for outstanding replies; what is left counts as timed out
  probeMs: 1000, // ms of the capacity probe
  // 5 %: a server that keeps up answers within a few ms of the last arrival, which is well under 5 % of
  // a run of a second or more; one that falls behind builds a queue that stretches the window further.
  rateTolerance: 0.05,
  // 10 ms: timer wake-ups are normally late by ~1 ms (setTimeout's granularity); a p99 of 10 ms means
  // loadgen's own event loop was busy for that long, i.e. the generator, not the server, set the pace.
  pacingLagThresholdMs: 10, // ms
});

/** Keys of OpenSweepOptions (for checkKnownKeys). */
export const OPEN_OPTION_KEYS = ['model', 'rates', 'arrival', 'seed', 'durationMs', 'connections', 'maxInFlight', 'queueLimit', 'drainMs', 'probeMs', 'rateTolerance', 'pacingLagThresholdMs'] as const;

/** Largest rate loadgen accepts, requests/s. */
const MAX_RATE = 10_000_000;
/** Largest percentage of the probed capacity. */
const MAX_PERCENT = 1000;
/** Most rates in one sweep. */
const MAX_RATES = 1000;

function checkFraction(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new InvalidOptionError(`${name} must be a number >= 0 and <= ${max} (got ${typeof value === 'number' ? value : typeof value})`);
  }
  return value;
}

/** `12.5%` → 12.5; null if not a percentage. */
function percentOf(text: string): number | null {
  const m = /^([0-9]*\.?[0-9]+)%$/.exec(text.trim());
  return m ? Number(m[1]) : null;
}

/** Splits checked rates into requests/s and percentages, each ascending; names the option on any problem. */
export function resolveRates(name: string, value: unknown): { rates: number[]; ratePercents: number[] } {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidOptionError(`${name} must be a non-empty array of rates (requests/s, or "N%" of the probed capacity)`);
  if (value.length > MAX_RATES) throw new InvalidOptionError(`${name} has ${value.length} rates; at most ${MAX_RATES}`);
  const rates: number[] = [];
  const ratePercents: number[] = [];
  value.forEach((v: unknown, i) => {
    const at = `${name}[${i}]`;
    if (typeof v === 'string' && percentOf(v) !== null) {
      const p = percentOf(v)!;
      if (p <= 0 || p > MAX_PERCENT) throw new InvalidOptionError(`${at} must be a percentage > 0 and <= ${MAX_PERCENT}% (got ${JSON.stringify(v)})`);
      if (ratePercents.includes(p)) throw new InvalidOptionError(`${at} repeats ${JSON.stringify(v)}; each rate may appear once`);
      ratePercents.push(p);
    } else if (typeof v === 'number') {
      const r = checkInteger(at, v, 1, MAX_RATE);
      if (rates.includes(r)) throw new InvalidOptionError(`${at} repeats ${r}; each rate may appear once`);
      rates.push(r);
    } else {
      throw new InvalidOptionError(`${at} must be a whole number of requests/s or a percentage like "50%" (got ${JSON.stringify(v)})`);
    }
  });
  return { rates: rates.sort((a, b) => a - b), ratePercents: ratePercents.sort((a, b) => a - b) };
}

/** Options that mean nothing in the open model, and what to use instead. */
const CLOSED_ONLY: Readonly<Record<string, string>> = Object.freeze({
  clients: 'connections carry the load in the open model (connections)',
  tasksPerClient: 'the open model sends what its rate and duration make (rates, durationMs)',
  runTimeoutMs: 'the open model bounds a run by durationMs + drainMs',
});

/**
 * The open model's part of the resolved configuration: `{}` for the closed model (whose files stay as
 * they were), `{ model: 'open', open }` otherwise. Refuses open-model options without model "open", and
 * closed-model options with it, naming the option.
 */
export function resolveOpenConfig(given: Readonly<Record<string, unknown>>, clientMode: string): { model?: 'open'; open?: OpenConfig } {
  const d = DEFAULT_OPEN_OPTIONS;
  const model = given.model === undefined ? d.model : checkOneOf('model', given.model, LOAD_MODELS);
  const openKeys = OPEN_OPTION_KEYS.filter((k) => k !== 'model' && given[k] !== undefined);
  if (model === 'closed') {
    if (openKeys.length > 0) throw new InvalidOptionError(`${openKeys[0]} applies only to model "open" (the closed model's clients send tasksPerClient tasks each)`);
    return {};
  }
  for (const [key, why] of Object.entries(CLOSED_ONLY)) {
    if (given[key] !== undefined) throw new InvalidOptionError(`${key} does not apply to model "open": ${why}`);
  }
  if (clientMode === 'process') throw new InvalidOptionError('clientMode "process" does not apply to model "open": its connections are spread over loadgenWorkers processes');
  const pick = <T>(key: (typeof OPEN_OPTION_KEYS)[number], fallback: T, check: (name: string, v: unknown) => T): T => (given[key] === undefined ? fallback : check(key, given[key]));
  const { rates, ratePercents } = resolveRates('rates', given.rates ?? d.rates);
  return {
    model: 'open',
    open: {
      rates,
      ratePercents,
      arrival: pick('arrival', d.arrival, (n, v) => checkOneOf(n, v, ARRIVAL_PROCESSES)),
      seed: pick('seed', d.seed, (n, v) => checkInteger(n, v, 0, 0xffff_ffff)),
      durationMs: pick('durationMs', d.durationMs, (n, v) => checkInteger(n, v, 1, 86_400_000)),
      connections: pick('connections', d.connections, (n, v) => checkInteger(n, v, 1, 10_000)),
      maxInFlight: pick('maxInFlight', d.maxInFlight, (n, v) => checkInteger(n, v, 1, 1000)),
      queueLimit: pick('queueLimit', d.queueLimit, (n, v) => checkInteger(n, v, 0, 10_000_000)),
      drainMs: pick('drainMs', d.drainMs, (n, v) => checkInteger(n, v, 0, 600_000)),
      probeMs: pick('probeMs', d.probeMs, (n, v) => checkInteger(n, v, 1, 600_000)),
      rateTolerance: pick('rateTolerance', d.rateTolerance, (n, v) => checkFraction(n, v, 1)),
      pacingLagThresholdMs: pick('pacingLagThresholdMs', d.pacingLagThresholdMs, (n, v) => checkFraction(n, v, 3_600_000)),
    },
  };
}

/**
 * `--rates`: a comma-separated list of rates (requests/s) and percentages of the probed capacity, and
 * ranges of either: `100,200,400`, `10%..120%:10%`, `100..1000:100`. Returns numbers and `"N%"` strings
 * for resolveRates; values are only checked for syntax here.
 */
export function ratesValue(raw: string, flag: string): (number | string)[] {
  const out: (number | string)[] = [];
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const range = /^([0-9.]+)(%?)\.\.([0-9.]+)(%?)(?::([0-9.]+)(%?))?$/.exec(part);
    if (range) {
      const percent = range[2] === '%';
      if (range[4] !== range[2] || (range[5] !== undefined && range[6] !== range[2])) throw new InvalidOptionError(`${flag}: range "${part}" mixes percentages and requests/s`);
      const [from, to, step] = [Number(range[1]), Number(range[3]), Number(range[5] ?? 1)];
      if (![from, to, step].every(Number.isFinite) || step <= 0 || to < from) throw new InvalidOptionError(`${flag}: range "${part}" must go up with a step > 0`);
      const count = Math.floor((to - from) / step + 1e-9) + 1;
      if (count > MAX_RATES) throw new InvalidOptionError(`${flag}: range "${part}" has too many values`);
      // from + i × step, rounded to 6 decimals: 0.1-steps must not print as 30.000000000000004 %.
      for (let i = 0; i < count; i++) {
        const v = Math.round((from + i * step) * 1e6) / 1e6;
        out.push(percent ? `${v}%` : v);
      }
    } else if (percentOf(part) !== null) {
      out.push(`${percentOf(part)!}%`);
    } else if (/^[0-9]+(\.[0-9]+)?$/.test(part)) {
      out.push(Number(part));
    } else {
      throw new InvalidOptionError(`${flag}: "${part}" is neither a rate (requests/s), a percentage like 50%, nor a range like 10%..120%:10%`);
    }
  }
  if (out.length === 0) throw new InvalidOptionError(`${flag} needs at least one value`);
  return out;
}

import { isPool } from './designs.ts';
import type { ResolvedSweepConfig } from './schema.ts';
import { runDefinitionOf } from './run-definition.ts';

/** `10..100:10` for an evenly spaced list of at least 3 values, else `10,20,50` (loadgen's --clients syntax). */
export function clientsFlag(clients: readonly number[]): string {
  const step = clients.length >= 3 ? clients[1]! - clients[0]! : 0;
  const even = step > 0 && clients.every((n, i) => i === 0 || n - clients[i - 1]! === step);
  return even ? `${clients[0]}..${clients[clients.length - 1]}${step === 1 ? '' : `:${step}`}` : clients.join(',');
}

/** A word as a POSIX shell reads it back: bare when safe, else single-quoted. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./{}-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`;
}

/** An expectation as --expect/--exit-reply take it. */
function expectationText(e: { kind: string; value: string }): string {
  return e.kind === 'exact' && !/^(exact|prefix|regex):/.test(e.value) && !(e.value.startsWith('/') && e.value.endsWith('/')) ? e.value : `${e.kind}:${e.value}`;
}

/**
 * loadgen flags that reproduce a sweep's measurements: the recorded config as loadgen's command line.
 * Everything that shapes the numbers is spelled out from the recorded config, not taken from a preset or
 * a default: those may change in a later loadgen, the recorded values do not. Timeouts and the host are
 * left at loadgen's defaults. loadgen's tests parse the result with loadgen's own parser and compare.
 */
export function sweepFlags(config: ResolvedSweepConfig): string[] {
  const flags: string[] = [];
  if (config.preset !== null) flags.push('--preset', config.preset);
  if (config.target) flags.push('--target', `${config.target.host.includes(':') ? `[${config.target.host}]` : config.target.host}:${config.target.port}`);
  else {
    // Users' servers are --server flags (their commands as recorded, placeholders kept); the rest --designs.
    const servers = config.servers ?? [];
    const builtIn = config.designs.filter((d) => !servers.some((x) => x.name === d));
    if (builtIn.length > 0) flags.push('--designs', builtIn.join(','));
    for (const x of servers) flags.push('--server', `${x.name}${x.port === null ? '' : `:${x.port}`}=${x.command.map(shellWord).join(' ')}`);
  }
  const p = config.protocol;
  if (p && p.name !== 'socketlab') {
    flags.push('--protocol', p.name);
    for (const [word, e] of Object.entries(p.expect)) flags.push('--expect', `${word}=${expectationText(e)}`);
    if (p.exitRequest !== 'exit') flags.push('--exit-request', p.exitRequest);
    if (!(p.exitReply.kind === 'exact' && p.exitReply.value === 'Goodbye!')) flags.push('--exit-reply', expectationText(p.exitReply));
    if (p.name === 'raw') {
      if (p.rawTerminator !== null) flags.push('--raw-terminator', p.rawTerminator.replaceAll('\n', '\\n').replaceAll('\0', '\\0'));
      if (p.rawBytes !== null) flags.push('--raw-bytes', String(p.rawBytes));
      flags.push('--raw-gap-ms', String(p.rawGapMs));
    }
  }
  flags.push('--workloads', config.workloads.map((w) => w.name).join(','));
  if (config.model === 'open' && config.open) {
    // The open model (v2): rates instead of client counts; its cells' clients is the connection count.
    const o = config.open;
    flags.push('--model', 'open', '--rates', [...o.rates.map(String), ...o.ratePercents.map((p) => `${p}%`)].join(','));
    flags.push('--arrival', o.arrival, '--seed', String(o.seed), '--duration-ms', String(o.durationMs), '--connections', String(o.connections), '--max-in-flight', String(o.maxInFlight));
    flags.push('--queue-limit', String(o.queueLimit), '--drain-ms', String(o.drainMs), '--probe-ms', String(o.probeMs), '--rate-tolerance', String(o.rateTolerance), '--pacing-lag-threshold-ms', String(o.pacingLagThresholdMs));
    flags.push('--runs', String(config.runs), '--time-scale', String(config.timeScale));
  } else {
    flags.push('--clients', clientsFlag(config.clients));
    flags.push('--runs', String(config.runs), '--time-scale', String(config.timeScale), '--tasks-per-client', String(config.tasksPerClient));
  }
  if (!config.target) flags.push('--server-lifecycle', config.serverLifecycle);
  flags.push('--client-mode', config.clientMode);
  if (config.clientMode === 'workers') flags.push('--loadgen-workers', String(config.loadgenWorkers));
  if (config.designs.some(isPool)) flags.push('--pool-size', String(config.poolSize));
  // Always spelled out: a file without the field ran release-then-connect, which is no longer the default.
  flags.push('--run-definition', runDefinitionOf(config));
  flags.push('--sample-interval-ms', String(config.sampleIntervalMs), '--saturation-threshold', String(config.saturationThreshold));
  if (config.eventLoopDelayThresholdMs !== undefined) flags.push('--event-loop-delay-threshold-ms', String(config.eventLoopDelayThresholdMs));
  // Absent in files written before loadgen 0.3: then loadgen's defaults apply.
  if (config.noiseThreshold !== undefined) flags.push('--noise-threshold', String(config.noiseThreshold));
  if (config.noiseRetries !== undefined) flags.push('--noise-retries', String(config.noiseRetries));
  if (config.quietWaitMs !== undefined) flags.push('--quiet-wait-ms', String(config.quietWaitMs));
  if (config.quietWindowMs !== undefined) flags.push('--quiet-window-ms', String(config.quietWindowMs));
  return flags;
}

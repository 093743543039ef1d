// Shared test helpers for the server packages (private; never published).
export { runConformanceSuite } from './conformance.ts';
export type { Variant, StartedServer } from './conformance.ts';
export { rawExchange, timedRequests, commonInstant, waitFor, pidAlive, procCpuMs } from './helpers.ts';

// Shared test helpers for the server packages (private; never published).
export { runConformanceSuite } from './conformance.ts';
export type { Variant, StartedServer } from './conformance.ts';
export { rawExchange, waitFor, pidAlive, procCpuMs, whoFinishesFirst } from './helpers.ts';
export { spawnServerCli, runCli } from './cli.ts';
export { runParallelDesignSuite } from './parallel-designs.ts';
export type { ParallelDesign } from './parallel-designs.ts';
export { runRecycledSuite } from './recycled.ts';
export type { RecycledVariant } from './recycled.ts';
export type { SpawnedServer } from './cli.ts';
export { runPoolDesignCliSuite } from './cli-suite.ts';
export { runRobustnessSuite } from './robustness.ts';
export type { RobustnessVariant } from './robustness-harness.ts';
export { MARK_ENV, FILE_MARK, markedEnv, newMark, markedPids, killMarked, releaseStdioOnExit } from './marked.ts';
export { runParentKillSuite, KILL_TRIALS, type ParentKillFamily } from './parent-kill.ts';

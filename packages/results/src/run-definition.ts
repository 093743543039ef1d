import type { ResolvedSweepConfig, RunDefinition } from './schema.ts';

/** What loadgen did before `config.runDefinition` was recorded, and so how a reader takes its absence. */
export const LEGACY_RUN_DEFINITION: RunDefinition = 'release-then-connect';

/** The run definition a document's runs used: `config.runDefinition`, or LEGACY_RUN_DEFINITION when absent. */
export function runDefinitionOf(config: ResolvedSweepConfig): RunDefinition {
  return config.runDefinition ?? LEGACY_RUN_DEFINITION;
}

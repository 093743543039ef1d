import type { Options } from 'tsup';

/**
 * Shared tsup options, spread by every package's tsup.config.ts (as changesets shares its baseConfig).
 * Dual ESM + CJS with declarations for each; `target: node22` matches `engines.node` (>=22.12.0).
 */
export const baseConfig: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  platform: 'node',
  splitting: false,
  // import.meta.url in the CJS build (CLI modules read their package.json, entries resolve worker files).
  shims: true,
};

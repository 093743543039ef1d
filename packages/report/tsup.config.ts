import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

// ESM only: vega 6 and vega-lite 6 are ESM-only and reach vega-canvas's top-level await, so a CJS
// build would fail at require() time with ERR_REQUIRE_ASYNC_MODULE (/work/shared/TOOLCHAIN.md §6).
// The package.json `build` script runs `node bin.js` after tsup: it regenerates the shipped report
// (reports/quick/) from its committed sweep.json; see the README, "Building the shipped report".
export default defineConfig({
  ...baseConfig,
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: ['esm'],
  shims: false,
});

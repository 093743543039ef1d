import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

export default defineConfig([
  // `build` empties dist first (the package.json script), so no config cleans: they run concurrently.
  { ...baseConfig, entry: { index: 'src/index.ts' }, clean: false },
  // The CLI is loaded only by bin.js (ESM); it needs no CJS build and no types.
  { ...baseConfig, entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false },
  // The worker thread's entry: one self-contained CommonJS file (protocol inlined), because a thread
  // per connection pays its start-up on every connection, and one CJS file loads much faster than an
  // ESM graph of several files (measured: see README, "Performance").
  { ...baseConfig, entry: { 'entry/worker': 'src/entry/worker.ts' }, format: ['cjs'], dts: false, clean: false, noExternal: [/^@socketlab\/protocol/], sourcemap: false },
]);

import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

export default defineConfig([
  // `build` empties dist first (the package.json script), so no config cleans: they run concurrently.
  { ...baseConfig, entry: { index: 'src/index.ts' }, clean: false },
  // The CLI is loaded only by bin.js (ESM); it needs no CJS build and no types.
  { ...baseConfig, entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false },
  // The child process's entry: one self-contained CommonJS file (protocol inlined), because a process
  // per connection pays its start-up on every connection, and one CJS file loads much faster than an
  // ESM graph of several files (measured: see README, "Performance").
  { ...baseConfig, entry: { 'entry/child': 'src/entry/child.ts' }, format: ['cjs'], dts: false, clean: false, noExternal: [/^@socketlab\/protocol/], sourcemap: false },
  // The prefork child: the same, for the same reason (a replacement child starts while clients wait).
  { ...baseConfig, entry: { 'entry/prefork-child': 'src/entry/prefork-child.ts' }, format: ['cjs'], dts: false, clean: false, noExternal: [/^@socketlab\/protocol/], sourcemap: false },
]);

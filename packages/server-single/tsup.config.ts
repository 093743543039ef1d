import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

export default defineConfig([
  { ...baseConfig, entry: { index: 'src/index.ts' }, clean: false },
  // The CLI is loaded only by bin.js (ESM); it needs no CJS build and no types.
  { ...baseConfig, entry: { cli: 'src/cli.ts' }, format: ['esm'], dts: false, clean: false },
]);

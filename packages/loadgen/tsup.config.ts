import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

// The client worker's entry is a build entry of its own, resolved at run time next to the bundle.
// After the build, schema.json (shipped as ./schema.json) is written from @socketlab/results.
export default defineConfig({
  ...baseConfig,
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'entry/client-worker': 'src/entry/client-worker.ts' },
  onSuccess: 'node --import tsx scripts/write-schema.ts',
});

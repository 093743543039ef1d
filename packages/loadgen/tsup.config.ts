import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

// The client worker's entry is a build entry of its own, resolved at run time next to the bundle.
// After the build, schema.json is regenerated from the TypeBox definitions in src/schema.ts
// (test/schema-file.test.ts fails if the committed file and the code disagree).
export default defineConfig({
  ...baseConfig,
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'entry/client-worker': 'src/entry/client-worker.ts' },
  onSuccess: 'node --import tsx scripts/write-schema.ts',
});

import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

// After the build, schema.json is regenerated from the TypeBox definitions in src/schema.ts
// (test/schema.test.ts fails if the committed file and the code disagree).
export default defineConfig({
  ...baseConfig,
  entry: { index: 'src/index.ts' },
  onSuccess: 'node --import tsx scripts/write-schema.ts',
});

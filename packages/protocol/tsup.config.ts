import { defineConfig } from 'tsup';
import { baseConfig } from '../../tsup.config.base.ts';

export default defineConfig({ ...baseConfig, entry: { index: 'src/index.ts', server: 'src/server/index.ts', cli: 'src/cli/index.ts' }, splitting: true });

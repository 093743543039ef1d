// Writes packages/results/schema.json from the TypeBox definitions in src/schema.ts. Run after every
// build (tsup.config.ts onSuccess); test/schema.test.ts fails if the committed file is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { schemaFileText } from '../src/schema-file.ts';

const path = fileURLToPath(new URL('../schema.json', import.meta.url));
writeFileSync(path, schemaFileText());
process.stdout.write(`schema.json written (${path})\n`);

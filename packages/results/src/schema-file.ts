import { resultsJsonSchema } from './schema.ts';

/** The exact text of schema.json: the generated schema, 2-space indented, with a final newline. */
export function schemaFileText(): string {
  return JSON.stringify(resultsJsonSchema(), null, 2) + '\n';
}

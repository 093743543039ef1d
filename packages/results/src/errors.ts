import { defineError } from '@socketlab/protocol';

/** A results document does not match the results schema (schema.json); the message names the field. */
export const ResultsInvalidError = defineError('ResultsInvalidError', 'SOCKETLAB_ERR_RESULTS_INVALID', 'results do not match the schema');
export type ResultsInvalidError = InstanceType<typeof ResultsInvalidError>;

/** Every error class @socketlab/results defines (for the docs/errors.md registry test). */
export const RESULTS_ERROR_CLASSES = Object.freeze([ResultsInvalidError] as const);

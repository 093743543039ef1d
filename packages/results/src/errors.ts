import { defineError } from '@socketlab/protocol';

/** A results document does not match the results schema (schema.json); the message names the field. */
export const ResultsInvalidError = defineError('ResultsInvalidError', 'SOCKETLAB_ERR_RESULTS_INVALID', 'results do not match the schema');
export type ResultsInvalidError = InstanceType<typeof ResultsInvalidError>;

/**
 * A results document's parts disagree (beyond what the schema checks): a histogram that does not decode
 * or does not match its own count, min and max (corrupt, or swapped with another), a per-client array
 * with the wrong number of entries or values out of range, counts that do not add up.
 */
export const ResultsInconsistentError = defineError('ResultsInconsistentError', 'SOCKETLAB_ERR_RESULTS_INCONSISTENT', 'the parts of a results document disagree');
export type ResultsInconsistentError = InstanceType<typeof ResultsInconsistentError>;

/** Every error class @socketlab/results defines (for the docs/errors.md registry test). */
export const RESULTS_ERROR_CLASSES = Object.freeze([ResultsInvalidError, ResultsInconsistentError] as const);

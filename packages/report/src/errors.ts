import { defineError } from '@socketlab/protocol';

/**
 * The report's own coded errors, declared with @socketlab/protocol's defineError like every socketlab
 * error (match on `err.code`), each documented in docs/errors.md. Two more codes come from elsewhere:
 * - a document that does not match the results schema throws @socketlab/results' ResultsInvalidError
 *   (`SOCKETLAB_ERR_RESULTS_INVALID`), with the file and the JSON Pointer of the failing field;
 * - a bad option throws @socketlab/protocol's InvalidOptionError (`SOCKETLAB_ERR_INVALID_OPTION`).
 */

/** An input file is missing, unreadable or not JSON, or no input was given and there is no default one. */
export const ReportInputError = defineError('ReportInputError', 'SOCKETLAB_ERR_REPORT_INPUT', 'cannot read the report input');
export type ReportInputError = InstanceType<typeof ReportInputError>;

/** A gzip-compressed input (`.json.gz`) inflates past the report's cap (MAX_INPUT_BYTES): refused, not read. */
export const ReportInputTooLargeError = defineError('ReportInputTooLargeError', 'SOCKETLAB_ERR_REPORT_INPUT_TOO_LARGE', 'the report input is too large');
export type ReportInputTooLargeError = InstanceType<typeof ReportInputTooLargeError>;

/** Several inputs cannot be combined into one report (same workload name with other tasks, …). */
export const ReportMergeError = defineError('ReportMergeError', 'SOCKETLAB_ERR_REPORT_MERGE', 'the inputs cannot be combined into one report');
export type ReportMergeError = InstanceType<typeof ReportMergeError>;

/**
 * The report folder (`--out`) holds files the report did not write (its manifest does not list them),
 * and `--force` was not given: the report would otherwise overwrite or sit among a user's own files.
 */
export const ReportOutDirError = defineError('ReportOutDirError', 'SOCKETLAB_ERR_REPORT_OUT_DIR', 'the report folder holds files the report did not write');
export type ReportOutDirError = InstanceType<typeof ReportOutDirError>;

/** Every error class the report defines (for the docs/errors.md registry test). */
export const REPORT_ERROR_CLASSES = Object.freeze([ReportInputError, ReportInputTooLargeError, ReportMergeError, ReportOutDirError] as const);

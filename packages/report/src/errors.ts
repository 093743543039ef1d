import { SocketlabError } from '@socketlab/protocol';

/**
 * The report's own coded errors. Each is a SocketlabError with a stable SOCKETLAB_ERR_* code (match on
 * `err.code`), documented in docs/errors.md. Two more codes come from elsewhere:
 * - a document that does not match the results schema throws @socketlab/loadgen's ResultsInvalidError
 *   (`SOCKETLAB_ERR_RESULTS_INVALID`), with the file and the JSON Pointer of the failing field;
 * - a bad option throws @socketlab/protocol's InvalidOptionError (`SOCKETLAB_ERR_INVALID_OPTION`).
 */

/** An input file is missing, unreadable or not JSON, or no input was given and there is no default one. */
export class ReportInputError extends SocketlabError {
  static readonly code = 'SOCKETLAB_ERR_REPORT_INPUT';
  constructor(message = 'cannot read the report input') {
    super(message, ReportInputError.code);
    this.name = 'ReportInputError';
  }
}

/** Several inputs cannot be combined into one report (same workload name with other tasks, …). */
export class ReportMergeError extends SocketlabError {
  static readonly code = 'SOCKETLAB_ERR_REPORT_MERGE';
  constructor(message = 'the inputs cannot be combined into one report') {
    super(message, ReportMergeError.code);
    this.name = 'ReportMergeError';
  }
}

/** Every error class the report defines (for the docs/errors.md registry test). */
export const REPORT_ERROR_CLASSES = Object.freeze([ReportInputError, ReportMergeError] as const);

// @socketlab/protocol/cli: the one command-line skeleton every socketlab bin is built on (the three
// servers, loadgen, report). It lives in @socketlab/protocol, a subpath of its own, because every bin's
// package already depends on protocol and protocol depends on nothing: @socketlab/report gets it
// without installing a server (which @socketlab/protocol/server would not cost either, but a CLI is not
// server machinery), and @socketlab/results stays a data package with no process policy in it.
export { parseCommandLine, nameFlags, suggestFlag, integerValue, numberValue, choiceValue, HELP_FLAG, VERSION_FLAG } from './flags.ts';
export type { CliFlag, ParsedCommandLine, ParseSettings } from './flags.ts';
export { helpText } from './help.ts';
export type { HelpText } from './help.ts';
export { runCli, reportError, isUsageError, packageVersion, EXIT_CODES } from './run.ts';
export type { CliDefinition } from './run.ts';

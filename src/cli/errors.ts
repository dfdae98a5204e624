/** A failure to report in one line: exit code 1. */
export class CliError extends Error {}

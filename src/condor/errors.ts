/** Typed failures of HTCondor command-line tools, classified from their exit status and stderr. */

export type CondorErrorKind =
  /** The schedd or collector could not be located, reached or authenticated to: retry later, keep state. */
  | 'unavailable'
  /** The tool ran longer than its timeout and was killed. */
  | 'timeout'
  /** The request itself was refused (parse error, policy, permission): retrying the same input will not help. */
  | 'rejected'
  /** The tool could not be started at all (missing binary). */
  | 'spawn'
  /** Anything else. */
  | 'failed';

export class CondorError extends Error {
  constructor(
    readonly kind: CondorErrorKind,
    readonly tool: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
    message: string,
  ) {
    super(message);
    this.name = 'CondorError';
  }

  /** Worth trying again later with the same input. */
  get transient(): boolean {
    return this.kind === 'unavailable' || this.kind === 'timeout' || this.kind === 'failed';
  }
}

/** stderr lines that mean "could not talk to the daemon" (reference/htcondor.md §1.3, §2.1, §3). */
const UNAVAILABLE = [
  /Can't find address of/i,
  /Failed to connect to queue manager/i,
  /Failed to fetch ads from/i,
  /Can't contact condor_collector/i,
  /Collector has no record of schedd/i,
  /cannot get address of schedd/i,
  /No such schedd named/i,
  /SECMAN:\d+/,
  /AUTHENTICATE:\d+/,
  /Connection refused/i,
  /timed out/i,
  /Unable to locate/i,
  /Can't connect to/i,
];

const REJECTED = [
  /Failed to parse/i,
  /Parse error/i,
  /doesn't contain any "queue" commands/i,
  /invalid attribute name/i,
  /Permission denied/i,
  /Failed to commit job submission/i,
  /is not allowed/i,
  /would exceed MAX_JOBS_PER_SUBMISSION/i,
];

/**
 * A job quota that is full now and empties as jobs leave the queue: worth a retry, although condor_submit
 * also says "Failed to commit job submission".
 */
const QUOTA_FULL = [/would exceed MAX_JOBS_PER_OWNER/i, /would exceed MAX_JOBS_SUBMITTED/i];

export function classifyFailure(tool: string, exitCode: number | undefined, stderr: string): CondorError {
  const firstLines = stderr.trim().split('\n').slice(0, 6).join(' | ').slice(0, 1000);
  const message = `${tool} exited ${exitCode ?? '?'}: ${firstLines || '(no error output)'}`;
  if (UNAVAILABLE.some((re) => re.test(stderr)))
    return new CondorError('unavailable', tool, exitCode, stderr, message);
  if (QUOTA_FULL.some((re) => re.test(stderr)))
    return new CondorError('failed', tool, exitCode, stderr, message);
  if (REJECTED.some((re) => re.test(stderr)))
    return new CondorError('rejected', tool, exitCode, stderr, message);
  return new CondorError('failed', tool, exitCode, stderr, message);
}

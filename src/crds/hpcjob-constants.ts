/**
 * The HPCJob's vocabulary: kind, phases, staging modes, runtimes, failure categories, annotations, condition
 * types, the schema's defaults and the path patterns its fields share. One owner for each.
 */
export const HPCJOB_KIND = 'HPCJob';
export const HPCJOB_PLURAL = 'hpcjobs';

export const PHASES = [
  'Pending',
  'Submitted',
  'Queued',
  'Running',
  'Held',
  'Succeeded',
  'Failed',
  'Lost',
] as const;
export type Phase = (typeof PHASES)[number];
export const FINAL_PHASES: readonly Phase[] = ['Succeeded', 'Failed', 'Lost'];

export const STAGING_MODES = ['chirp', 'cctools', 'condor-transfer', 'shared-fs', 'parrot'] as const;
export const CONTAINER_RUNTIMES = [
  'auto',
  'apptainer',
  'singularity',
  'shifter',
  'charliecloud',
  'podman',
  'docker',
  'none',
] as const;

/** Why an attempt ended badly; retry rules match on it. */
export const FAILURE_CATEGORIES = [
  'ExitCode',
  'Signal',
  'Hold',
  'StageIn',
  'StageOut',
  'OutputTooLarge',
  'NoRuntime',
  'WrapperError',
  'Lost',
  'Removed',
  'DeadlineExceeded',
  'SubmitError',
] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

export const RETRY_ACTIONS = ['retry', 'release', 'fail'] as const;

/**
 * The schema's defaults, in one place: the CRD applies them to new objects, and the operator falls back to
 * the same values for objects stored before a default existed.
 */
export const HPCJobDefaults = {
  cpus: 1,
  memory: '1Gi',
  retryLimit: 3,
  releaseLimit: 3,
  backoffInitial: '10s',
  backoffMax: '10m',
  backoffFactor: 2,
  staging: 'chirp',
  containerRuntime: 'auto',
} as const;

/**
 * Annotations a person (or kubectl hpc) sets to ask for an action; any new value asks again.
 * retry: start a new attempt of a finished HPCJob (history kept). cancel: remove the HTCondor job and end the
 * HPCJob as Failed (reason Cancelled) without deleting it.
 */
export const HPCJobAnnotations = {
  Retry: 'hpc.scailfin.io/retry',
  Cancel: 'hpc.scailfin.io/cancel',
} as const;

/** Condition types of an HPCJob. */
export const HPCJobConditions = {
  /** The spec passed the operator's validation; False means it will never be submitted. */
  Accepted: 'Accepted',
  /** An HTCondor job exists for the current attempt. */
  Submitted: 'Submitted',
  /** The current attempt is executing on a worker. */
  Running: 'Running',
  /** Whether slots can run the idle job, from HTCondor's match analysis; False says why it waits. */
  Schedulable: 'Schedulable',
  /** The current attempt is on hold in HTCondor. */
  Held: 'Held',
  /** The job is held on purpose (`spec.suspend`). */
  Suspended: 'Suspended',
  /** The schedd answered the last query; False while it is unreachable (state is kept, work resumes after). */
  SchedulerReachable: 'SchedulerReachable',
  /** The referenced VirtualCluster exists and can take jobs. */
  VirtualClusterReady: 'VirtualClusterReady',
  /** Terminal: the step succeeded. */
  Succeeded: 'Succeeded',
  /** The attempt's output sandbox (stdout, stderr, condor-transfer results) came back; False while fetching fails. */
  OutputsFetched: 'OutputsFetched',
  /** Terminal: the step failed and no retry is left. */
  Failed: 'Failed',
} as const;

export const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** An absolute path without `.` or `..` components, empty components or control characters. */
export const ABS_PATH_PATTERN = '^(/[A-Za-z0-9._+@%=:,~-]+)+/?$';
/** A relative path below the workspace: no leading `/`, no `..`. Globs (`*`, `?`, `[..]`) allowed. */
export const REL_PATH_PATTERN = '^[A-Za-z0-9._+@%=:,~*?\\[\\]-]+(/[A-Za-z0-9._+@%=:,~*?\\[\\]-]+)*/?$';
/** Free text that becomes an argument, a variable or a script: anything but NUL, which none of them can hold. */
export const NO_NUL_PATTERN = '^[^\\x00]*$';

/** Largest base64 payload per environment variable: execve refuses strings over 128 KiB (MAX_ARG_STRLEN). */
export const MAX_ENV_VALUE = 120 * 1024;

/** An OCI image reference, unanchored: [registry[:port]/]name[:tag][@digest]; a registry has a dot, a port or is localhost. */
export const OCI_REF_BODY =
  '(?:(?:[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)+|localhost)(?::[0-9]+)?/|[a-zA-Z0-9-]+:[0-9]+/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?';
/** An absolute path of plain characters (an image file or directory), unanchored. */
export const SAFE_PATH_BODY = '/[A-Za-z0-9._+@%=:,~/-]*';
/** Every image a runtime can take: dir:///path, /path, docker|oras|shifter://<ref>, or a bare <ref>. */
export const IMAGE_PATTERN = `^(?:dir://${SAFE_PATH_BODY}|${SAFE_PATH_BODY}|(?:docker|oras|shifter)://${OCI_REF_BODY}|${OCI_REF_BODY})$`;
/** A ClassAd expression on one submit line: no control characters but tab. */
export const EXPRESSION_PATTERN = '^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$';
/** REANA's workspace layout under any root: <root>/users/<uuid>/workflows/<id>[/...]. */
export const REANA_LAYOUT = {
  rule: "self.matches('^(/[^/]+)*/users/[A-Za-z0-9._-]+/workflows/[A-Za-z0-9._-]+(/.*)?$')",
  message: 'must be a workspace in the REANA layout <root>/users/<uuid>/workflows/<id>',
};
export const NO_DOT_SEGMENTS = {
  rule: "!self.matches('(^|/)\\\\.\\\\.?(/|$)')",
  message: 'must not contain "." or ".." path components',
};

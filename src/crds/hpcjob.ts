/**
 * HPCJob: one workflow step on HPC, reconciled into an HTCondor job.
 * The schema below is the single source of the CRD (config/crd) and of the TypeScript types.
 */
import {
  conditionsSchema,
  duration,
  localRefSchema,
  secretKeyRef,
  type Condition,
  type ObjectMeta,
} from './common.js';
import {
  arr,
  bool,
  dateTime,
  describe,
  enumOf,
  immutable,
  int,
  num,
  obj,
  quantity,
  str,
  withRules,
  type Infer,
} from './schema.js';

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

const NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** An absolute path without `.` or `..` components, empty components or control characters. */
export const ABS_PATH_PATTERN = '^(/[A-Za-z0-9._+@%=:,~-]+)+/?$';
/** A relative path below the workspace: no leading `/`, no `..`. Globs (`*`, `?`, `[..]`) allowed. */
export const REL_PATH_PATTERN = '^[A-Za-z0-9._+@%=:,~*?\\[\\]-]+(/[A-Za-z0-9._+@%=:,~*?\\[\\]-]+)*/?$';
/** Free text that becomes an argument, a variable or a script: anything but NUL, which none of them can hold. */
export const NO_NUL_PATTERN = '^[^\\x00]*$';
/** A ClassAd expression on one submit line: no control characters but tab. */
const EXPRESSION_PATTERN = '^[^\\x00-\\x08\\x0a-\\x1f\\x7f]*$';
/** REANA's workspace layout under any root: <root>/users/<uuid>/workflows/<id>[/...]. */
export const REANA_LAYOUT = {
  rule: "self.matches('^(/[^/]+)*/users/[A-Za-z0-9._-]+/workflows/[A-Za-z0-9._-]+(/.*)?$')",
  message: 'must be a workspace in the REANA layout <root>/users/<uuid>/workflows/<id>',
};
const NO_DOT_SEGMENTS = {
  rule: "!self.matches('(^|/)\\\\.\\\\.?(/|$)')",
  message: 'must not contain "." or ".." path components',
};

const envVarSchema = obj(
  {
    name: str({
      description: 'Name of the environment variable (a POSIX shell identifier).',
      pattern: NAME_PATTERN,
      maxLength: 256,
    }),
    value: str({
      description:
        'Value of the variable. Any text but NUL (line breaks included); it is passed as data, never interpreted by a shell.',
      pattern: NO_NUL_PATTERN,
      maxLength: 32768,
    }),
  },
  { description: 'An environment variable of the step.', required: ['name'] },
);

const resourcesSchema = obj(
  {
    cpus: int({
      description: 'CPU cores (HTCondor request_cpus).',
      minimum: 1,
      maximum: 1024,
      default: HPCJobDefaults.cpus,
    }),
    memory: quantity({
      description: 'Memory, e.g. 2Gi or 512Mi (HTCondor request_memory, rounded up to MiB).',
      default: HPCJobDefaults.memory,
    }),
    disk: quantity({ description: 'Scratch disk, e.g. 10Gi (HTCondor request_disk, rounded up to KiB).' }),
    gpus: int({ description: 'GPUs (HTCondor request_gpus).', minimum: 0, maximum: 64 }),
    walltime: duration(
      'Longest time the step may run, e.g. 2h or 90m (HTCondor allowed_execute_duration); exceeding it holds the job with code 47.',
    ),
  },
  { description: 'What the step needs on the worker.', default: {} },
);

const workspaceSchema = obj(
  {
    path: withRules(
      str({
        description:
          'Absolute path of the workspace on the submit side, normally the REANA layout /reana/users/<uuid>/workflows/<id>. The step sees it at the same path.',
        pattern: ABS_PATH_PATTERN,
        maxLength: 1024,
      }),
      [NO_DOT_SEGMENTS, REANA_LAYOUT],
    ),
    staging: enumOf(STAGING_MODES, {
      description:
        'How the workspace reaches the worker and results come back: chirp (condor_chirp through the job IO proxy), cctools (a chirp_server), condor-transfer (HTCondor file transfer), shared-fs (the worker mounts it), parrot (parrot_run).',
      default: HPCJobDefaults.staging,
    }),
    inputs: arr(
      withRules(
        str({
          description: 'A path or glob relative to the workspace.',
          pattern: REL_PATH_PATTERN,
          maxLength: 1024,
        }),
        [NO_DOT_SEGMENTS],
      ),
      {
        description: 'What to stage in, relative to the workspace. Empty stages the whole workspace.',
        maxItems: 256,
        listType: 'atomic',
      },
    ),
    outputs: arr(
      withRules(
        str({
          description: 'A path or glob relative to the workspace.',
          pattern: REL_PATH_PATTERN,
          maxLength: 1024,
        }),
        [NO_DOT_SEGMENTS],
      ),
      {
        description:
          'What to stage back, relative to the workspace. Empty stages back every new or changed file.',
        maxItems: 256,
        listType: 'atomic',
      },
    ),
    chirp: obj(
      {
        server: str({
          description: 'host:port of the cctools chirp_server that serves the workspace.',
          pattern: '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?:[0-9]{1,5}$',
          maxLength: 260,
        }),
        ticketSecretRef: secretKeyRef(
          'Secret holding a chirp ticket (chirp ticket_create) that grants access to the workspace; shipped with the job.',
          'ticket',
        ),
        root: withRules(
          str({
            description:
              'The workspace-path prefix that the chirp_server exports as its root (chirp_server -r); default /.',
            pattern: ABS_PATH_PATTERN,
            maxLength: 1024,
          }),
          [NO_DOT_SEGMENTS],
        ),
      },
      { description: 'The chirp_server for staging: cctools.', required: ['server'] },
    ),
  },
  {
    description: 'The workflow workspace the step reads and writes.',
    required: ['path'],
    rules: [
      {
        rule: "!has(self.staging) || self.staging != 'cctools' || has(self.chirp)",
        message: 'staging cctools needs chirp.server (and usually chirp.ticketSecretRef)',
      },
    ],
  },
);

const retryRuleSchema = withRules(
  obj(
    {
      onHoldCodes: arr(int({ description: 'An HTCondor HoldReasonCode.', minimum: 0, maximum: 100000 }), {
        description: 'Match when the job is held with one of these HoldReasonCodes.',
        maxItems: 64,
        listType: 'set',
      }),
      onHoldSubCodes: arr(int({ description: 'An HTCondor HoldReasonSubCode.', minimum: 0 }), {
        description: 'With onHoldCodes: also require one of these HoldReasonSubCodes.',
        maxItems: 64,
        listType: 'set',
      }),
      onExitCodes: arr(int({ description: 'A process exit code.', minimum: 0, maximum: 255 }), {
        description: 'Match when the step exits with one of these codes.',
        maxItems: 256,
        listType: 'set',
      }),
      onSignals: arr(int({ description: 'A signal number.', minimum: 1, maximum: 64 }), {
        description: 'Match when the step is killed by one of these signals.',
        maxItems: 64,
        listType: 'set',
      }),
      onCategories: arr(
        enumOf(FAILURE_CATEGORIES, {
          description: 'A failure category (see status.attempts[].failureCategory).',
        }),
        { description: 'Match on the failure category of the attempt.', maxItems: 16, listType: 'set' },
      ),
      action: enumOf(RETRY_ACTIONS, {
        description:
          'retry: a new attempt (a new HTCondor job) after the backoff; release: condor_release the held job after the backoff (only for holds); fail: stop now.',
      }),
      memoryFactor: num({
        description:
          'With action retry: multiply the memory request of the next attempt by this factor (e.g. 1.5 after a memory-exceeded hold).',
        minimum: 1,
        maximum: 16,
      }),
    },
    { description: 'A rule that decides what happens after a matching failure.', required: ['action'] },
  ),
  [
    {
      rule: 'has(self.onHoldCodes) || has(self.onExitCodes) || has(self.onSignals) || has(self.onCategories)',
      message: 'a rule must match on at least one of onHoldCodes, onExitCodes, onSignals, onCategories',
    },
    {
      rule: "self.action != 'release' || (has(self.onHoldCodes) && !has(self.onExitCodes) && !has(self.onSignals))",
      message: 'action release applies to holds only: use onHoldCodes without onExitCodes or onSignals',
    },
    {
      rule: "!has(self.memoryFactor) || self.action == 'retry'",
      message: 'memoryFactor needs action retry',
    },
    {
      rule: '!has(self.onHoldSubCodes) || has(self.onHoldCodes)',
      message: 'onHoldSubCodes needs onHoldCodes',
    },
  ],
);

const retryPolicySchema = obj(
  {
    limit: int({
      description: 'Most attempts after the first (new HTCondor jobs); releases of a held job do not count.',
      minimum: 0,
      maximum: 100,
      default: HPCJobDefaults.retryLimit,
    }),
    releaseLimit: int({
      description: 'Most condor_release calls for one attempt before it is treated as failed.',
      minimum: 0,
      maximum: 100,
      default: HPCJobDefaults.releaseLimit,
    }),
    backoff: obj(
      {
        initial: duration('Delay before the first retry or release.', HPCJobDefaults.backoffInitial),
        max: duration('Longest delay between retries.', HPCJobDefaults.backoffMax),
        factor: num({
          description: 'Growth of the delay per retry.',
          minimum: 1,
          maximum: 10,
          default: HPCJobDefaults.backoffFactor,
        }),
      },
      { description: 'Exponential backoff with jitter between attempts.', default: {} },
    ),
    rules: arr(retryRuleSchema, {
      description:
        'Rules checked in order; the first match decides. Without a match, the defaults apply: transient holds (HTCondor codes 6/110, 11, 12, 13, 18, 36, 45) are released, permanent holds fail, a lost job or stage-in/out failure is retried, a non-zero exit fails.',
      maxItems: 32,
      listType: 'atomic',
    }),
  },
  { description: 'What to do when an attempt fails or is held.', default: {} },
);

export const hpcJobSpecSchema = withRules(
  obj(
    {
      image: immutable(
        str({
          description:
            'Container image: docker://registry/repo:tag, a SIF file path, or an unpacked image directory (dir:///path). Empty runs the step natively (containerRuntime none).',
          pattern: '^[^\\s\\x00-\\x1f]+$',
          maxLength: 1024,
        }),
        'image',
      ),
      command: immutable(
        arr(
          str({ description: 'An argument (any text but NUL).', pattern: NO_NUL_PATTERN, maxLength: 65536 }),
          {
            description: 'The command to run (argv[0] and its first arguments). Exclusive with script.',
            minItems: 1,
            maxItems: 1024,
            listType: 'atomic',
          },
        ),
        'command',
      ),
      args: immutable(
        arr(
          str({ description: 'An argument (any text but NUL).', pattern: NO_NUL_PATTERN, maxLength: 65536 }),
          {
            description: 'Arguments appended to command.',
            maxItems: 4096,
            listType: 'atomic',
          },
        ),
        'args',
      ),
      script: immutable(
        str({
          description: 'A POSIX shell script to run instead of command (run with /bin/sh -c); no NUL.',
          pattern: NO_NUL_PATTERN,
          maxLength: 262144,
        }),
        'script',
      ),
      env: immutable(
        arr(envVarSchema, {
          description: 'Environment variables of the step.',
          maxItems: 256,
          listType: 'map',
          listMapKeys: ['name'],
        }),
        'env',
      ),
      workingDir: immutable(
        withRules(
          str({
            description: 'Working directory of the step (absolute); defaults to the workspace path.',
            pattern: ABS_PATH_PATTERN,
            maxLength: 1024,
          }),
          [NO_DOT_SEGMENTS],
        ),
        'workingDir',
      ),
      resources: immutable(resourcesSchema, 'resources'),
      workspace: immutable(workspaceSchema, 'workspace'),
      containerRuntime: immutable(
        enumOf(CONTAINER_RUNTIMES, {
          description:
            'Container runtime on the worker: auto tries apptainer, singularity, shifter, charliecloud, podman, docker in order; none runs natively.',
          default: HPCJobDefaults.containerRuntime,
        }),
        'containerRuntime',
      ),
      virtualClusterRef: immutable(
        describe(
          localRefSchema,
          'The VirtualCluster (pool grown onto an HPC allocation) to run on; without it the operator default pool is used.',
        ),
        'virtualClusterRef',
      ),
      requirements: immutable(
        str({
          description:
            'An extra HTCondor ClassAd requirements expression, ANDed with the operator own, e.g. (TARGET.OpSysMajorVer >= 9). One line: no control characters but tab.',
          pattern: EXPRESSION_PATTERN,
          maxLength: 4096,
        }),
        'requirements',
      ),
      accountingGroup: immutable(
        str({
          description: 'HTCondor accounting group (accounting_group).',
          pattern: '^[A-Za-z0-9_.-]+$',
          maxLength: 256,
        }),
        'accountingGroup',
      ),
      retryPolicy: retryPolicySchema,
      activeDeadlineSeconds: int({
        description:
          'Seconds from the first submission after which the job is removed and fails with DeadlineExceeded.',
        minimum: 1,
        format: 'int64',
      }),
      ttlSecondsAfterFinished: int({
        description: 'Seconds after completion after which the operator deletes the HPCJob.',
        minimum: 0,
        format: 'int64',
      }),
      suspend: bool({
        description: 'true holds the HTCondor job (or keeps it from being submitted); false releases it.',
        default: false,
      }),
    },
    { description: 'What to run, where and how.' },
  ),
  [
    {
      rule: 'has(self.command) != has(self.script)',
      message: 'exactly one of command and script must be set',
    },
    { rule: '!has(self.args) || has(self.command)', message: 'args needs command' },
    {
      rule: "!has(self.image) || self.containerRuntime != 'none'",
      message: 'containerRuntime none runs natively: remove image, or choose a runtime',
    },
    {
      rule: 'has(oldSelf.image) == has(self.image) && has(oldSelf.workspace) == has(self.workspace) && has(oldSelf.virtualClusterRef) == has(self.virtualClusterRef)',
      message: 'image, workspace and virtualClusterRef cannot be added or removed after creation',
    },
  ],
);

const attemptSchema = obj(
  {
    attempt: int({ description: 'Attempt number, from 1.', minimum: 1 }),
    jobId: str({ description: 'HTCondor job id (ClusterId.ProcId).', maxLength: 64 }),
    schedd: str({ description: 'Name of the schedd the attempt was submitted to.', maxLength: 256 }),
    submitTime: dateTime({ description: 'When the attempt was submitted.' }),
    startTime: dateTime({ description: 'When the attempt started executing.' }),
    endTime: dateTime({ description: 'When the attempt ended.' }),
    host: str({ description: 'Slot or host it ran on (RemoteHost).', maxLength: 512 }),
    exitCode: int({ description: 'Exit code of the step.', minimum: 0, maximum: 255 }),
    signal: int({ description: 'Signal that killed the step.', minimum: 0 }),
    holdCode: int({ description: 'Last HTCondor HoldReasonCode.', minimum: 0 }),
    holdSubCode: int({ description: 'Last HTCondor HoldReasonSubCode.' }),
    holdReason: str({ description: 'Last HTCondor HoldReason.', maxLength: 2048 }),
    holdTime: dateTime({ description: 'When the last hold began.' }),
    releases: int({ description: 'condor_release calls made for this attempt.', minimum: 0 }),
    lastReleaseTime: dateTime({ description: 'When the operator last released the job.' }),
    outcome: enumOf(['Running', 'Succeeded', 'Failed', 'Retried', 'Lost', 'Cancelled'] as const, {
      description: 'How the attempt ended (Running while it has not).',
    }),
    failureCategory: enumOf(FAILURE_CATEGORIES, { description: 'Why the attempt failed.' }),
    runtime: str({ description: 'Container runtime the wrapper used.', maxLength: 64 }),
    memory: str({ description: 'Memory requested for this attempt.', maxLength: 32 }),
    message: str({ description: 'Short description of how it ended.', maxLength: 4096 }),
  },
  { description: 'One HTCondor job submitted for this HPCJob.', required: ['attempt'] },
);

export const hpcJobStatusSchema = obj(
  {
    phase: enumOf(PHASES, { description: 'Where the job is in its life cycle.' }),
    observedGeneration: int({
      description: 'The .metadata.generation the status was computed from.',
      format: 'int64',
    }),
    conditions: conditionsSchema,
    attempt: int({ description: 'Number of the current (or last) attempt, from 1.', minimum: 0 }),
    jobId: str({ description: 'HTCondor job id (ClusterId.ProcId) of the current attempt.', maxLength: 64 }),
    clusterId: int({ description: 'HTCondor ClusterId of the current attempt.', format: 'int64' }),
    procId: int({ description: 'HTCondor ProcId of the current attempt.' }),
    schedd: str({ description: 'Schedd of the current attempt.', maxLength: 256 }),
    pool: str({
      description:
        "Collector (host[:port]) of the pool of the current attempt's schedd; empty for the operator's default pool. Kept so that the job is found again after its VirtualCluster is gone.",
      maxLength: 256,
    }),
    virtualCluster: str({ description: 'VirtualCluster the job runs on, if any.', maxLength: 253 }),
    attempts: arr(attemptSchema, {
      description: 'Every attempt, oldest first (the last 50 are kept).',
      maxItems: 50,
      listType: 'atomic',
    }),
    firstSubmitTime: dateTime({
      description: 'When the first attempt was submitted; activeDeadlineSeconds counts from here.',
    }),
    startTime: dateTime({ description: 'When the first attempt started executing.' }),
    completionTime: dateTime({ description: 'When the job reached a final phase.' }),
    nextRetryTime: dateTime({ description: 'When the next attempt or release is due, while backing off.' }),
    retryToken: str({
      description: 'The last hpc.scailfin.io/retry annotation value acted on (kubectl hpc retry).',
      maxLength: 128,
    }),
    cancelToken: str({
      description: 'The last hpc.scailfin.io/cancel annotation value acted on (kubectl hpc cancel).',
      maxLength: 128,
    }),
    message: str({
      description: 'Short human-readable state, with the last lines of stderr on failure.',
      maxLength: 8192,
    }),
    logs: obj(
      {
        stdout: str({ description: 'Where the stdout of the last attempt is.', maxLength: 2048 }),
        stderr: str({ description: 'Where the stderr of the last attempt is.', maxLength: 2048 }),
      },
      { description: 'Where to find the logs of the last attempt.' },
    ),
  },
  { description: 'Observed state, written by the operator only.' },
);

export type HPCJobSpec = Infer<typeof hpcJobSpecSchema>;
export type HPCJobStatus = Infer<typeof hpcJobStatusSchema>;
export type Attempt = Infer<typeof attemptSchema>;
export type RetryRule = Infer<typeof retryRuleSchema>;
export type RetryPolicy = Infer<typeof retryPolicySchema>;
export type EnvVar = Infer<typeof envVarSchema>;

export interface HPCJob {
  apiVersion: string;
  kind: typeof HPCJOB_KIND;
  metadata: ObjectMeta;
  spec: HPCJobSpec;
  status?: HPCJobStatus;
}

export type { Condition };

export const hpcJobPrinterColumns = [
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Life-cycle phase.' },
  { name: 'Attempts', type: 'integer', jsonPath: '.status.attempt', description: 'Current attempt number.' },
  { name: 'Job', type: 'string', jsonPath: '.status.jobId', description: 'HTCondor ClusterId.ProcId.' },
  {
    name: 'VirtualCluster',
    type: 'string',
    jsonPath: '.spec.virtualClusterRef.name',
    description: 'VirtualCluster it runs on.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  {
    name: 'Message',
    type: 'string',
    jsonPath: '.status.message',
    priority: 1,
    description: 'Last status message.',
  },
] as const;

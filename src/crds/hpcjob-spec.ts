/** The schema of an HPCJob's spec: what to run, where and how (the single source of the CRD and the types). */
import { duration, localRefSchema, secretKeyRef } from './common.js';
import {
  ABS_PATH_PATTERN,
  CONTAINER_RUNTIMES,
  EXPRESSION_PATTERN,
  HPCJobDefaults,
  IMAGE_PATTERN,
  MAX_ENV_VALUE,
  NAME_PATTERN,
  NO_DOT_SEGMENTS,
  NO_NUL_PATTERN,
  REANA_LAYOUT,
  REL_PATH_PATTERN,
  STAGING_MODES,
} from './hpcjob-constants.js';
import { retryPolicySchema } from './hpcjob-retry.js';
import { arr, bool, describe, enumOf, immutable, int, obj, quantity, str, withRules } from './schema.js';

/** The image grammar of every runtime (validate.ts gives the operator's own, more specific, messages). */
export const IMAGE_RULE = {
  rule: `self.matches(r'${IMAGE_PATTERN}')`,
  message:
    'must be docker://, oras:// or shifter:// followed by an image reference (registry/name:tag[@sha256:digest]), dir:///absolute/path, an absolute path (SIF file or unpacked image), or a bare image reference',
};

/**
 * The script travels base64-encoded in one job environment variable, which execve caps (MAX_ENV_VALUE once
 * encoded): at most 3/4 of it in UTF-8 bytes.
 */
export const SCRIPT_SIZE_RULE = {
  rule: `bytes(self).size() <= ${(MAX_ENV_VALUE / 4) * 3}`,
  message: `is too large: at most ${(MAX_ENV_VALUE / 4) * 3} bytes (UTF-8), which are ${MAX_ENV_VALUE} once base64-encoded into the job's environment`,
};

/** The base64 size of one word as b64Words sends it, with its separating space (CEL over a string `x`). */
const encoded = (x: string) => `((bytes(${x}).size() + 2) / 3 * 4 + 1)`;
/** The same counted in characters, not bytes: cheap enough for 4,096 arguments, exact for ASCII. */
const chars = (x: string) => `((size(${x}) + 2) / 3 * 4 + 1)`;

/** command + args and env each travel in one job environment variable (at most MAX_ENV_VALUE encoded). */
export const PAYLOAD_RULES = [
  {
    rule: `(has(self.command) ? self.command.map(c, ${chars('c')}).sum() : 0) + (has(self.args) ? self.args.map(a, ${chars('a')}).sum() : 0) <= ${MAX_ENV_VALUE + 1}`,
    message: `command and args together are too large: at most ${MAX_ENV_VALUE} bytes once each is base64-encoded into the job's environment (counted here in characters; the operator counts UTF-8 bytes)`,
    fieldPath: '.command',
  },
  {
    rule: `!has(self.env) || self.env.map(e, ${encoded("e.name + '=' + (has(e.value) ? e.value : '')")}).sum() <= ${MAX_ENV_VALUE + 1}`,
    message: `env is too large: at most ${MAX_ENV_VALUE} bytes once each NAME=VALUE is base64-encoded into the job's environment`,
    fieldPath: '.env',
  },
];

/** One path or glob of spec.workspace.inputs/outputs. */
function workspacePathSchema() {
  return withRules(
    str({
      description: 'A path or glob relative to the workspace.',
      pattern: REL_PATH_PATTERN,
      maxLength: 1024,
    }),
    [NO_DOT_SEGMENTS],
  );
}

export const envVarSchema = obj(
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
    nodes: int({
      description:
        "Nodes of a gang step (default 1). Above 1 the step takes every node of one pilot of its VirtualCluster whose workers.nodes is the same (HTCondor's parallel universe), and cpus, memory, disk and gpus count per node. The job wrapper starts the command once per node with the site's launcher (SLURM: srun; elsewhere once, with the node list in HPC_HOSTFILE for the step's own mpirun); its exit code and output are the step's. Needs virtualClusterRef.",
      minimum: 1,
      maximum: 1024,
    }),
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
    inputs: arr(workspacePathSchema(), {
      description: 'What to stage in, relative to the workspace. Empty stages the whole workspace.',
      maxItems: 256,
      listType: 'atomic',
    }),
    outputs: arr(workspacePathSchema(), {
      description:
        'What to stage back, relative to the workspace. Empty stages back every new or changed file.',
      maxItems: 256,
      listType: 'atomic',
    }),
    maxOutputBytes: int({
      description:
        'The most bytes staged back to the workspace (chirp, cctools and condor-transfer staging). More: nothing is staged back and the attempt fails with OutputTooLarge, naming the biggest files. Default and ceiling: the operator flags --max-output-bytes and --max-output-bytes-ceiling.',
      minimum: 1,
      format: 'int64',
    }),
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

export const hpcJobSpecSchema = withRules(
  obj(
    {
      image: immutable(
        withRules(
          str({
            description:
              'Container image: docker://registry/repo:tag, a SIF file path, or an unpacked image directory (dir:///path). Empty runs the step natively (containerRuntime none).',
            pattern: '^[^\\s\\x00-\\x1f]+$',
            maxLength: 1024,
          }),
          [IMAGE_RULE],
        ),
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
        withRules(
          str({
            description: 'A POSIX shell script to run instead of command (run with /bin/sh -c); no NUL.',
            pattern: NO_NUL_PATTERN,
            maxLength: 262144,
          }),
          [SCRIPT_SIZE_RULE],
        ),
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
    ...PAYLOAD_RULES,
    {
      rule: '!has(self.resources) || !has(self.resources.nodes) || self.resources.nodes == 1 || has(self.virtualClusterRef)',
      message: 'resources.nodes above 1 needs virtualClusterRef: gang steps run on multi-node pilots',
      fieldPath: '.resources.nodes',
    },
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

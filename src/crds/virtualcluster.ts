/**
 * VirtualCluster: an HTCondor pool grown onto HPC allocations with pilot jobs sent over SSH (the VC3 idea,
 * made declarative). The schema below is the single source of the CRD and of the TypeScript types.
 */
import { conditionsSchema, duration, type ObjectMeta } from './common.js';
import { arr, dateTime, enumOf, immutable, int, obj, str, withRules, type Infer } from './schema.js';
import { ABS_PATH_PATTERN, CONTAINER_RUNTIMES, NO_NUL_PATTERN } from './hpcjob.js';
import { budgetSchema, budgetStatusSchema } from './virtualcluster-budget.js';
import { credentialExpirySchema, pilotTokensStatusSchema, poolSchema } from './virtualcluster-pool.js';
import { stepsSchema } from './virtualcluster-steps.js';
import { allocationWorkerRules, workersSchema } from './virtualcluster-workers.js';

export { WORKER_DEFAULTS } from './virtualcluster-workers.js';

export const VIRTUALCLUSTER_KIND = 'VirtualCluster';
export const VIRTUALCLUSTER_PLURAL = 'virtualclusters';

export const VC_PHASES = [
  'Pending',
  'Validating',
  'Provisioning',
  'Running',
  'Degraded',
  'Terminating',
  'Terminated',
  'Failed',
] as const;
export type VCPhase = (typeof VC_PHASES)[number];

export const BATCH_SYSTEMS = ['slurm', 'pbs', 'torque', 'lsf', 'sge'] as const;
export type BatchSystem = (typeof BATCH_SYSTEMS)[number];

/** Condition types of a VirtualCluster. */
export const VirtualClusterConditions = {
  CredentialsValid: 'CredentialsValid',
  CredentialExpiring: 'CredentialExpiring',
  SiteReachable: 'SiteReachable',
  PoolJoined: 'PoolJoined',
  SiteMaintenance: 'SiteMaintenance',
  BudgetExhausted: 'BudgetExhausted',
  Ready: 'Ready',
} as const;

/**
 * The defaults of an allocation and its HTCondor source (its workers' are WORKER_DEFAULTS): the schema's
 * `default`s below and every place the operator fills in a field the object lacks (an object written before a
 * default existed, or a test object) use these, so the two never disagree.
 */
export const ALLOCATION_DEFAULTS = {
  port: 22,
  walltime: '1h',
  containerRuntime: 'auto',
  condor: {
    source: 'path',
    sbinDir: '/usr/sbin',
    /** Only read with source module; not a schema default (it would show up on every allocation). */
    module: 'htcondor',
    cacheDir: '~/.hpcop',
  },
} as const;

export { PILOT_TOKEN_KEY } from './virtualcluster-pool.js';

const HOST_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$';
const SAFE_WORD = '^[A-Za-z0-9_.@%+=:,/-]+$';

const allocationSchema = withRules(
  obj(
    {
      name: str({
        description: 'Name of the allocation, unique in this VirtualCluster (a DNS label).',
        pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
        maxLength: 40,
      }),
      batchSystem: immutable(
        enumOf(BATCH_SYSTEMS, { description: 'Batch system of the site.' }),
        'batchSystem',
      ),
      loginHost: str({ description: 'Login node reached over SSH.', pattern: HOST_PATTERN, maxLength: 253 }),
      port: int({
        description: 'SSH port of the login node.',
        minimum: 1,
        maximum: 65535,
        default: ALLOCATION_DEFAULTS.port,
      }),
      user: str({
        description: 'Account name on the login node.',
        pattern: '^[a-z_][a-z0-9_.-]*$',
        maxLength: 64,
      }),
      credentials: obj(
        {
          secretName: str({
            description:
              'Secret with the SSH private key (key ssh-privatekey) and, unless hostKey is set, the pinned host key (key known_hosts). Optionally a GSI proxy (key x509-proxy) or a token (key token) whose expiry is watched.',
            pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
            maxLength: 253,
          }),
          hostKey: str({
            description:
              'The login node host public key as in known_hosts, without the host name (e.g. "ssh-ed25519 AAAA..."). Unknown keys are never accepted.',
            pattern:
              '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+/=]+$',
            maxLength: 2048,
          }),
        },
        { description: 'How to log in, and how to recognise the login node.', required: ['secretName'] },
      ),
      account: str({
        description: 'Project/account charged (sbatch -A, qsub -A, bsub -P).',
        pattern: SAFE_WORD,
        maxLength: 128,
      }),
      queue: str({
        description: 'Partition or queue (sbatch -p, qsub -q, bsub -q).',
        pattern: SAFE_WORD,
        maxLength: 128,
      }),
      walltime: duration('Walltime of each pilot batch job, e.g. 4h.', ALLOCATION_DEFAULTS.walltime),
      maxWalltime: duration(
        "Longest walltime a pilot may ask for when queued steps need more than walltime (their resources.walltime, or spec.steps.defaultWalltime, plus spec.steps.walltimeMargin); at most the queue's limit. Unset: walltime.",
      ),
      workers: workersSchema,
      budget: budgetSchema,
      setup: str({
        description:
          "Shell lines run by the pilot before it starts HTCondor (e.g. module load htcondor). Run as is on the site, in the pilot batch script, with the user's own rights. No NUL.",
        pattern: NO_NUL_PATTERN,
        maxLength: 16384,
      }),
      condor: obj(
        {
          source: enumOf(['path', 'module', 'bundle'] as const, {
            description:
              'Where the pilot finds HTCondor: path (installed at binDir/sbinDir), module (module load <module> first), bundle (the operator uploads a tarball once into cacheDir).',
            default: ALLOCATION_DEFAULTS.condor.source,
          }),
          sbinDir: str({
            description: 'Directory holding condor_master.',
            pattern: ABS_PATH_PATTERN,
            maxLength: 1024,
            default: ALLOCATION_DEFAULTS.condor.sbinDir,
          }),
          module: str({
            description: `Environment module that provides HTCondor (with source module; default ${ALLOCATION_DEFAULTS.condor.module}).`,
            pattern: SAFE_WORD,
            maxLength: 128,
          }),
          cacheDir: str({
            description: `Directory on the site for the uploaded bundle and pilot scratch (default ${ALLOCATION_DEFAULTS.condor.cacheDir}).`,
            pattern: '^(~/|/)[A-Za-z0-9._/+-]*$',
            maxLength: 1024,
          }),
        },
        { description: 'How the pilot gets HTCondor on the site.', default: {} },
      ),
      containerRuntime: enumOf(CONTAINER_RUNTIMES, {
        description: 'Container runtime the site offers; advertised by pilots as HPCContainerRuntime.',
        default: ALLOCATION_DEFAULTS.containerRuntime,
      }),
      scratchDir: str({
        description: 'Scratch directory on the workers for pilot state (default: $TMPDIR or /tmp).',
        pattern: ABS_PATH_PATTERN,
        maxLength: 1024,
      }),
    },
    {
      description: 'An HPC allocation (a site account) that pilots are sent to.',
      required: ['name', 'batchSystem', 'loginHost', 'user', 'credentials'],
    },
  ),
  allocationWorkerRules,
);

export const virtualClusterSpecSchema = obj(
  {
    pool: poolSchema,
    allocations: arr(allocationSchema, {
      description: 'Sites that pilots are sent to.',
      minItems: 0,
      maxItems: 32,
      listType: 'map',
      listMapKeys: ['name'],
    }),
    lifetime: duration(
      'How long the VirtualCluster lives from creation; then its pilots are cancelled and it is Terminated.',
    ),
    steps: stepsSchema,
  },
  { description: 'The pool and the allocations that feed it.', required: ['pool'] },
);

const countsSchema = {
  requested: int({ description: 'Pilots the operator wants.', minimum: 0 }),
  queued: int({ description: 'Pilot batch jobs waiting in the batch system.', minimum: 0 }),
  running: int({ description: 'Pilot batch jobs running.', minimum: 0 }),
  idle: int({ description: 'Pilot slots in the pool with no job.', minimum: 0 }),
  busy: int({ description: 'Pilot slots in the pool running a job.', minimum: 0 }),
  error: int({ description: 'Pilots that failed recently.', minimum: 0 }),
};

/** GPUs of the pilots: shown only where an allocation has workers.gpus (a CPU-only pool has none to count). */
const gpuCountsSchema = obj(
  {
    requested: int({
      description: 'GPUs of the pilots the operator wants (pilots × workers.gpus).',
      minimum: 0,
    }),
    busy: int({ description: 'GPUs the joined pilots have given to running jobs.', minimum: 0 }),
    idle: int({ description: 'GPUs the joined pilots advertise that no job holds.', minimum: 0 }),
  },
  { description: "GPU counts, read from the pilots' slots in the pool (TotalSlotGPUs and the GPUs left)." },
);

const allocationStatusSchema = obj(
  {
    name: str({ description: 'Allocation name.', maxLength: 40 }),
    ...countsSchema,
    gpus: gpuCountsSchema,
    nextSequence: int({
      description: 'Sequence number of the next pilot (pilot names carry it).',
      minimum: 0,
    }),
    lastSubmitTime: dateTime({ description: 'When a pilot was last submitted.' }),
    budget: budgetStatusSchema,
    message: str({ description: 'Last problem seen on this allocation.', maxLength: 4096 }),
  },
  { description: 'Worker counts of one allocation.', required: ['name'] },
);

/**
 * One place on an HPC site where the operator put pilots or the pool token: enough to reach it again after the
 * allocation is removed or its site changes (defect 8 of issue 12). Written before the site is touched.
 */
const sitePlaceSchema = obj(
  {
    allocation: str({ description: 'The allocation the place was made for.', maxLength: 40 }),
    batchSystem: enumOf(BATCH_SYSTEMS, { description: 'Batch system the pilots were submitted to.' }),
    loginHost: str({ description: 'Login node.', maxLength: 253 }),
    port: int({ description: 'SSH port of the login node.', minimum: 1, maximum: 65535 }),
    user: str({ description: 'Account on the login node.', maxLength: 64 }),
    directory: str({
      description: 'The directory on the site holding pilot.token, pilot scripts and logs (~/ is the home).',
      maxLength: 1100,
    }),
    pilotPrefix: str({ description: 'Name prefix of the pilot batch jobs sent from here.', maxLength: 32 }),
    secretName: str({ description: 'Secret with the SSH key used to log in.', maxLength: 253 }),
    hostKey: str({
      description: 'The pinned host key, when the allocation set it inline (credentials.hostKey).',
      maxLength: 2048,
    }),
    cleanup: obj(
      {
        since: dateTime({ description: 'When the place stopped matching an allocation.' }),
        pilotsBelow: int({
          description:
            'Pilots of this place are those whose sequence number is below this; they are cancelled, then the token is removed and the entry dropped.',
          minimum: 0,
        }),
        message: str({ description: 'Why the cleanup cannot go on yet.', maxLength: 4096 }),
      },
      {
        description:
          'Set once no allocation matches the place any more (removed, or its loginHost, port, user, cacheDir or batchSystem changed).',
        required: ['since', 'pilotsBelow'],
      },
    ),
  },
  {
    description: 'A place on a site that holds (or held) pilots or the pool token.',
    required: [
      'allocation',
      'batchSystem',
      'loginHost',
      'port',
      'user',
      'directory',
      'pilotPrefix',
      'secretName',
    ],
  },
);

export const virtualClusterStatusSchema = obj(
  {
    phase: enumOf(VC_PHASES, { description: 'Where the VirtualCluster is in its life cycle.' }),
    observedGeneration: int({
      description: 'The .metadata.generation the status was computed from.',
      format: 'int64',
    }),
    conditions: conditionsSchema,
    workers: obj(countsSchema, { description: 'Worker counts over all allocations.' }),
    gpus: gpuCountsSchema,
    allocations: arr(allocationStatusSchema, {
      description: 'Worker counts per allocation.',
      maxItems: 32,
      listType: 'map',
      listMapKeys: ['name'],
    }),
    sites: arr(sitePlaceSchema, {
      description:
        'Every place on a site where the operator put pilots or the pool token, recorded before it touches the site. A place no allocation matches any more is cleaned (pilots cancelled, token removed) and dropped; deletion and the end of the lifetime clean them all.',
      // An allocation can have its current place and old ones being cleaned.
      maxItems: 96,
    }),
    expiresAt: dateTime({ description: 'When the lifetime ends.' }),
    credentialExpiresAt: dateTime({
      description:
        'Earliest expiry of a credential with an expiry date that the operator cannot renew (a proxy or token in an allocation\u2019s Secret, the pool token of pilotTokenSecretRef).',
    }),
    credentials: arr(credentialExpirySchema, {
      description:
        'Each credential with an expiry date that the operator cannot renew, earliest first (credentialExpiresAt is the first).',
      maxItems: 65,
    }),
    pilotTokens: pilotTokensStatusSchema,
    message: str({ description: 'Short human-readable state.', maxLength: 4096 }),
  },
  { description: 'Observed state, written by the operator only.' },
);

export type VirtualClusterSpec = Infer<typeof virtualClusterSpecSchema>;
export type VirtualClusterStatus = Infer<typeof virtualClusterStatusSchema>;
export type Allocation = Infer<typeof allocationSchema>;
export type AllocationStatus = Infer<typeof allocationStatusSchema>;
export type GpuCounts = Infer<typeof gpuCountsSchema>;
export type SitePlace = Infer<typeof sitePlaceSchema>;

export interface VirtualCluster {
  apiVersion: string;
  kind: typeof VIRTUALCLUSTER_KIND;
  metadata: ObjectMeta;
  spec: VirtualClusterSpec;
  status?: VirtualClusterStatus;
}

export const virtualClusterPrinterColumns = [
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Life-cycle phase.' },
  {
    name: 'Requested',
    type: 'integer',
    jsonPath: '.status.workers.requested',
    description: 'Pilots wanted.',
  },
  {
    name: 'Queued',
    type: 'integer',
    jsonPath: '.status.workers.queued',
    description: 'Pilots queued on the sites.',
  },
  { name: 'Running', type: 'integer', jsonPath: '.status.workers.running', description: 'Pilots running.' },
  { name: 'Error', type: 'integer', jsonPath: '.status.workers.error', description: 'Pilots in error.' },
  {
    name: 'GPUs',
    type: 'integer',
    jsonPath: '.status.gpus.requested',
    priority: 1,
    description: 'GPUs of the pilots wanted.',
  },
  {
    name: 'Busy-GPUs',
    type: 'integer',
    jsonPath: '.status.gpus.busy',
    priority: 1,
    description: 'GPUs running jobs.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
] as const;

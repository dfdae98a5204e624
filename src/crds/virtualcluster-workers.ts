/**
 * The workers of a VirtualCluster allocation: how many pilots, and how big each one is (cores, memory, nodes,
 * GPUs). Split from virtualcluster.ts so that each schema module stays small; WORKER_DEFAULTS is the one owner
 * of the workers' defaults.
 */
import { duration } from './common.js';
import {
  bool,
  enumOf,
  int,
  obj,
  quantity,
  str,
  withRules,
  type Infer,
  type ValidationRule,
} from './schema.js';

/**
 * The defaults of an allocation's workers: the schema's `default`s below and every place the operator fills in
 * a field the object lacks (an object written before a default existed, or a test object) use these.
 */
export const WORKER_DEFAULTS = {
  count: 1,
  autoscale: 'Static',
  cores: 1,
  memory: '2Gi',
  nodes: 1,
  idleShutdown: '5m',
  /** Not a schema default: a CPU-only allocation would show `gpus: 0` for nothing. */
  gpus: 0,
  gpuRequest: 'BatchSystem',
} as const;

/**
 * How a pilot gets its GPUs from the site. BatchSystem: its batch script asks for them (SLURM `--gres`, PBS
 * `ngpus`, Torque `gpus`, LSF `-gpu`, SGE `-l gpu`). None: the queue's nodes come with their GPUs and the
 * batch system has no GPU resource to ask for (a GPU partition handing out whole nodes, a site without GRES).
 */
export const GPU_REQUESTS = ['BatchSystem', 'None'] as const;
export type GpuRequest = (typeof GPU_REQUESTS)[number];

/** Batch systems with a documented way to name a GPU model in a request (see src/sites/batch.ts). */
export const GPU_TYPE_BATCH_SYSTEMS = ['slurm', 'lsf'] as const;

/**
 * A GPU model name as batch systems spell them (`a100`, `v100-32g`, `NVIDIAA100_SXM4_80GB`): it goes into a
 * batch directive, so it may hold nothing a shell or the directive's own syntax would read (`:`, `,`, space).
 */
export const GPU_TYPE_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

/** On the field itself, so that the API server names it (spec.allocations[i].workers.gpuType). */
export const GPU_TYPE_RULE: ValidationRule = {
  rule: `self.matches('${GPU_TYPE_PATTERN}')`,
  message:
    "workers.gpuType may hold only letters, digits, '.', '_' and '-', starting with a letter or digit (it goes into a batch directive)",
};

const workerRules: ValidationRule[] = [
  { rule: '!has(self.min) || !has(self.max) || self.min <= self.max', message: 'min must not exceed max' },
  { rule: '!has(self.max) || self.count <= self.max', message: 'count must not exceed max' },
  {
    rule: '!has(self.gpuType) || (has(self.gpus) && self.gpus > 0)',
    message: 'workers.gpuType needs workers.gpus above 0',
    fieldPath: '.gpuType',
  },
];

export const workersSchema = withRules(
  obj(
    {
      count: int({
        description: 'Pilots (workers) wanted when not autoscaling.',
        minimum: 0,
        maximum: 10000,
        default: WORKER_DEFAULTS.count,
      }),
      min: int({ description: 'With autoscaling: fewest pilots kept.', minimum: 0, maximum: 10000 }),
      max: int({
        description: 'Most pilots ever queued or running at once, even after an operator crash.',
        minimum: 0,
        maximum: 10000,
      }),
      autoscale: enumOf(['Static', 'QueuedJobs'] as const, {
        description:
          'Static keeps count pilots; QueuedJobs grows between min and max with the queued HPCJobs and HPCJobSet indices that target this VirtualCluster (their CPUs, and their GPUs on allocations with gpus).',
        default: WORKER_DEFAULTS.autoscale,
      }),
      cores: int({
        description: 'Cores per pilot.',
        minimum: 1,
        maximum: 4096,
        default: WORKER_DEFAULTS.cores,
      }),
      memory: quantity({ description: 'Memory per pilot, e.g. 4Gi.', default: WORKER_DEFAULTS.memory }),
      nodes: int({
        description:
          "Nodes per pilot batch job. Above 1 the pilot starts one startd per node through the site's launcher (SLURM srun, PBS pbsdsh, LSF blaunch, SGE qrsh -inherit), all with the same pilot name; cores, memory and gpus count per node. Single-node steps run on any of its nodes; a step with resources.nodes equal to this takes them all (a gang step).",
        minimum: 1,
        maximum: 1024,
        default: WORKER_DEFAULTS.nodes,
      }),
      exclusive: bool({
        description:
          "true asks the batch system for whole nodes (SLURM --exclusive, PBS place=excl, LSF -x, SGE -l exclusive=true where the site defines that complex): no other job shares a pilot's nodes. cores and memory still say what the pilot offers to steps.",
      }),
      gpus: int({
        description:
          "GPUs per pilot (per node). The pilot asks the batch system for them (see gpuRequest); its startd finds them with HTCondor's GPU discovery (HTCondor 23.5 or later on the site) and advertises them, and HPCJobs with resources.gpus run only on such pilots. 0 or unset: GPU discovery is off and the pilot advertises no GPU.",
        minimum: 0,
        maximum: 64,
      }),
      gpuType: str({
        rules: [GPU_TYPE_RULE],
        description:
          'GPU model to ask the batch system for, as the site names it (SLURM --gres=gpu:<type>:<gpus>, LSF -gpu "num=<gpus>:gmodel=<type>"); only with slurm and lsf, and gpus above 0.',
        maxLength: 64,
      }),
      gpuRequest: enumOf(GPU_REQUESTS, {
        description: `How a pilot gets its GPUs (default ${WORKER_DEFAULTS.gpuRequest}): BatchSystem puts the batch system's GPU request into its batch script; None asks for nothing, for queues whose nodes come with their GPUs and batch systems without a GPU resource.`,
      }),
      idleShutdown: duration(
        'A pilot with no job for this long exits (STARTD_NOCLAIM_SHUTDOWN).',
        WORKER_DEFAULTS.idleShutdown,
      ),
    },
    { description: 'How many pilots, and how big.', default: {} },
  ),
  workerRules,
);

/** The rule an allocation adds about its workers: a GPU model only where the batch system can ask for one. */
export const allocationWorkerRules: ValidationRule[] = [
  {
    rule: `!has(self.workers) || !has(self.workers.gpuType) || self.batchSystem in [${GPU_TYPE_BATCH_SYSTEMS.map((b) => `'${b}'`).join(', ')}]`,
    message:
      'workers.gpuType is only understood by slurm and lsf; on pbs, torque and sge choose the GPU model with queue',
    fieldPath: '.workers.gpuType',
  },
];

export type Workers = Infer<typeof workersSchema>;

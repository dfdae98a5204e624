/**
 * Batch-system adapters for pilots: how to write a pilot's batch directives, submit it, list all pilots of an
 * allocation in one call, and cancel them, for SLURM, PBS Pro, Torque, LSF and SGE. Pure (no I/O): the
 * commands are argv arrays that the SSH transport quotes, and parsers read the tools' documented output.
 */
import { GPU_TYPE_PATTERN } from '../crds/virtualcluster-workers.js';
import { shellQuote } from './shell.js';

export type PilotState = 'queued' | 'running' | 'done' | 'failed';

export interface BatchJob {
  id: string;
  name: string;
  state: PilotState;
  /** The batch system's own state word, for messages. */
  raw: string;
}

/** What the directives of one pilot ask for. */
export interface PilotRequest {
  name: string;
  account?: string;
  queue?: string;
  walltimeSeconds: number;
  nodes: number;
  cores: number;
  memoryMiB: number;
  /** GPUs to ask the batch system for, per node (unset or 0: none). */
  gpus?: number;
  /** The GPU model to ask for, as the site names it (only SLURM and LSF have a documented way). */
  gpuType?: string;
  /** Where the batch system writes the pilot's own stdout/stderr (a directory on the site). */
  logDir: string;
  /** Whole nodes: no other job shares them (workers.exclusive). */
  exclusive?: boolean;
}

/**
 * The parallel environment an SGE pilot of several nodes asks for: the site defines it with `allocation_rule`
 * equal to the workers' cores (one share per host) and `control_slaves TRUE` (qrsh -inherit), see
 * docs/site-admin-guide.md.
 */
export const SGE_MULTI_NODE_PE = 'mpi';

export interface BatchSystemAdapter {
  readonly name: string;
  /** The directive lines (`#SBATCH ...`) for a pilot. */
  directives(r: PilotRequest): string[];
  /** argv that submits the script at `path` (on the site) and prints the job id. */
  submit(path: string): string[];
  parseSubmit(stdout: string): string;
  /** argv listing every job of `user` (pilots are picked out by name afterwards). */
  list(user: string): string[];
  parseList(stdout: string): BatchJob[];
  /** argv cancelling these jobs. */
  cancel(ids: readonly string[]): string[];
  /** Output of `list` that means "no jobs" although the exit code is not 0. */
  isEmptyListError?(stderr: string): boolean;
  /**
   * The signal that the batch system sends to the whole job, instead of SIGTERM, some time before it kills it
   * on cancel (SGE with `-notify`: SIGUSR2, then SIGKILL after the queue's notify time). The pilot turns it
   * into a graceful shutdown of its HTCondor daemons, so their slots leave the pool at once. Unset: the batch
   * system sends SIGTERM itself (SLURM, PBS, LSF).
   */
  readonly warningSignal?: 'USR1' | 'USR2';
}

export function hms(seconds: number): string {
  const s = Math.max(60, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/** Directive values come from the CRD's restricted patterns; quote them anyway where a shell might see them. */
function checkWord(field: string, v: string): string {
  if (!/^[A-Za-z0-9_.@%+=:,/-]+$/.test(v))
    throw new Error(`${field} ${JSON.stringify(v)} has characters a batch directive cannot carry`);
  return v;
}

/**
 * A GPU model goes inside a directive's own syntax (`gpu:<type>:<n>`, `num=<n>:gmodel=<type>`): besides the
 * shell, a `:` or `,` would add a field or another resource there, so only a plain name passes.
 */
function gpuTypeOf(r: PilotRequest, adapter: string): string | undefined {
  if (r.gpuType === undefined || !r.gpus) return undefined;
  if (adapter !== 'slurm' && adapter !== 'lsf')
    throw new Error(`gpuType cannot be asked of ${adapter}: choose the GPU model with the queue`);
  if (!new RegExp(GPU_TYPE_PATTERN).test(r.gpuType))
    throw new Error(`gpuType ${JSON.stringify(r.gpuType)} has characters a GPU request cannot carry`);
  return r.gpuType;
}

// ---------------------------------------------------------------------------------------------- SLURM

const SLURM_QUEUED = new Set([
  'PENDING',
  'CONFIGURING',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESV_DEL_HOLD',
  'SUSPENDED',
]);
const SLURM_RUNNING = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING']);

export const slurm: BatchSystemAdapter = {
  name: 'slurm',
  directives(r) {
    const d = [
      `#SBATCH --job-name=${checkWord('name', r.name)}`,
      `#SBATCH --time=${hms(r.walltimeSeconds)}`,
      `#SBATCH --nodes=${r.nodes}`,
      // Several nodes: one task per node, each its own startd (srun in the script); --mem counts per node.
      r.nodes > 1 ? '#SBATCH --ntasks-per-node=1' : '#SBATCH --ntasks=1',
      `#SBATCH --cpus-per-task=${r.cores}`,
      `#SBATCH --mem=${r.memoryMiB}M`,
      `#SBATCH --output=${checkWord('logDir', r.logDir)}/%x-%j.out`,
    ];
    // --gres counts per node (a multi-node pilot gets gpus on each), and every SLURM with GPUs knows it.
    const type = gpuTypeOf(r, 'slurm');
    if (r.gpus) d.push(`#SBATCH --gres=gpu:${type ? `${type}:` : ''}${r.gpus}`);
    if (r.exclusive) d.push('#SBATCH --exclusive');
    if (r.account) d.push(`#SBATCH --account=${checkWord('account', r.account)}`);
    if (r.queue) d.push(`#SBATCH --partition=${checkWord('queue', r.queue)}`);
    return d;
  },
  submit: (path) => ['sbatch', '--parsable', path],
  parseSubmit(stdout) {
    const m = /^(\d+)(;\S+)?\s*$/m.exec(stdout.trim());
    if (!m) throw new Error(`unexpected sbatch output: ${JSON.stringify(stdout.slice(0, 200))}`);
    return m[1] as string;
  },
  // One line per job, "|" never appears in SLURM ids, names we make or states.
  list: (user) => ['squeue', '--noheader', '--states=all', `--user=${user}`, '--format=%i|%j|%T'],
  parseList(stdout) {
    const jobs: BatchJob[] = [];
    for (const line of stdout.split('\n')) {
      const [id, name, raw] = line.trim().split('|');
      if (!id || !name || !raw) continue;
      const state: PilotState = SLURM_QUEUED.has(raw)
        ? 'queued'
        : SLURM_RUNNING.has(raw)
          ? 'running'
          : raw === 'COMPLETED'
            ? 'done'
            : 'failed';
      jobs.push({ id, name, state, raw });
    }
    return jobs;
  },
  cancel: (ids) => ['scancel', ...ids],
};

// --------------------------------------------------------------------------------- PBS Pro and Torque

/** qstat -u <user>: a header, a dashed line, then one whitespace-separated row per job (both PBS flavours). */
function parseQstatRows(stdout: string, cols: { id: number; name: number; state: number }): BatchJob[] {
  const jobs: BatchJob[] = [];
  let inRows = false;
  for (const line of stdout.split('\n')) {
    if (/^-{3,}[\s-]*$/.test(line)) {
      inRows = true;
      continue;
    }
    if (!inRows || line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    const id = f[cols.id];
    const name = f[cols.name];
    const raw = f[cols.state];
    if (!id || !name || !raw) continue;
    const state: PilotState = ['Q', 'H', 'W', 'T', 'B', 'M'].includes(raw)
      ? 'queued'
      : ['R', 'E', 'S', 'U'].includes(raw)
        ? 'running'
        : ['C', 'F', 'X'].includes(raw)
          ? 'done'
          : 'failed';
    jobs.push({ id, name, state, raw });
  }
  return jobs;
}

function pbsAdapter(flavour: 'pbs' | 'torque'): BatchSystemAdapter {
  return {
    name: flavour,
    directives(r) {
      const d = [`#PBS -N ${checkWord('name', r.name)}`, `#PBS -l walltime=${hms(r.walltimeSeconds)}`];
      gpuTypeOf(r, flavour);
      if (flavour === 'torque') {
        const gpus = r.gpus ? `:gpus=${r.gpus}` : '';
        // Torque's mem is the whole job's; -n asks for the nodes alone (node-exclusive).
        d.push(`#PBS -l nodes=${r.nodes}:ppn=${r.cores}${gpus}`, `#PBS -l mem=${r.memoryMiB * r.nodes}mb`);
        if (r.exclusive) d.push('#PBS -n');
      } else {
        const gpus = r.gpus ? `:ngpus=${r.gpus}` : '';
        // One MPI process per chunk (PBS_NODEFILE: one line per node); scatter puts each chunk on its own host.
        const mpi = r.nodes > 1 ? ':mpiprocs=1' : '';
        d.push(`#PBS -l select=${r.nodes}:ncpus=${r.cores}${gpus}${mpi}:mem=${r.memoryMiB}mb`);
        const place = [...(r.nodes > 1 ? ['scatter'] : []), ...(r.exclusive ? ['excl'] : [])];
        if (place.length) d.push(`#PBS -l place=${place.join(':')}`);
      }
      d.push('#PBS -j oe', `#PBS -o ${checkWord('logDir', r.logDir)}/`);
      if (r.account) d.push(`#PBS -A ${checkWord('account', r.account)}`);
      if (r.queue) d.push(`#PBS -q ${checkWord('queue', r.queue)}`);
      return d;
    },
    submit: (path) => ['qsub', path],
    parseSubmit(stdout) {
      const m = /^(\d+(\.[A-Za-z0-9_.-]+)?)\s*$/m.exec(stdout.trim());
      if (!m) throw new Error(`unexpected qsub output: ${JSON.stringify(stdout.slice(0, 200))}`);
      return m[1] as string;
    },
    // PBS Pro: -x includes finished jobs; both print the job name in full with -w (PBS Pro) / -n1 layout.
    list: (user) => (flavour === 'pbs' ? ['qstat', '-x', '-w', '-u', user] : ['qstat', '-u', user]),
    // Columns: Job ID, Username, Queue, Jobname, SessID, NDS, TSK, Req'd Memory, Req'd Time, S, Elap Time.
    parseList: (stdout) => parseQstatRows(stdout, { id: 0, name: 3, state: 9 }),
    cancel: (ids) => ['qdel', ...ids],
  };
}

export const pbs = pbsAdapter('pbs');
export const torque = pbsAdapter('torque');

// ------------------------------------------------------------------------------------------------ LSF

export const lsf: BatchSystemAdapter = {
  name: 'lsf',
  directives(r) {
    const minutes = Math.max(1, Math.floor(r.walltimeSeconds / 60));
    const d = [
      `#BSUB -J ${checkWord('name', r.name)}`,
      `#BSUB -W ${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`,
      `#BSUB -n ${r.cores * r.nodes}`,
      `#BSUB -R "span[ptile=${r.cores}] rusage[mem=${r.memoryMiB}]"`,
      `#BSUB -o ${checkWord('logDir', r.logDir)}/%J.out`,
    ];
    // -gpu counts per host, like ptile.
    const type = gpuTypeOf(r, 'lsf');
    if (r.gpus) d.push(`#BSUB -gpu "num=${r.gpus}${type ? `:gmodel=${type}` : ''}"`);
    if (r.exclusive) d.push('#BSUB -x');
    if (r.account) d.push(`#BSUB -P ${checkWord('account', r.account)}`);
    if (r.queue) d.push(`#BSUB -q ${checkWord('queue', r.queue)}`);
    return d;
  },
  // bsub reads #BSUB directives only from a script given on stdin.
  submit: (path) => ['sh', '-c', `bsub < ${shellQuote(path)}`],
  parseSubmit(stdout) {
    const m = /Job <(\d+)> is submitted/.exec(stdout);
    if (!m) throw new Error(`unexpected bsub output: ${JSON.stringify(stdout.slice(0, 200))}`);
    return m[1] as string;
  },
  list: (user) => ['bjobs', '-a', '-w', '-u', user],
  // Columns: JOBID USER STAT QUEUE FROM_HOST EXEC_HOST JOB_NAME SUBMIT_TIME (EXEC_HOST empty while pending).
  parseList(stdout) {
    const jobs: BatchJob[] = [];
    for (const line of stdout.split('\n')) {
      if (/^JOBID\s/.test(line) || line.trim() === '') continue;
      const f = line.trim().split(/\s+/);
      const [id, , raw] = f;
      if (!id || !/^\d+$/.test(id) || !raw) continue;
      // The name is the field before the 3-word submit time ("Nov 25 10:00").
      const name = f[f.length - 4];
      if (!name) continue;
      const state: PilotState = ['PEND', 'PSUSP'].includes(raw)
        ? 'queued'
        : ['RUN', 'USUSP', 'SSUSP', 'PROV'].includes(raw)
          ? 'running'
          : raw === 'DONE'
            ? 'done'
            : 'failed';
      jobs.push({ id, name, state, raw });
    }
    return jobs;
  },
  cancel: (ids) => ['bkill', ...ids],
  isEmptyListError: (stderr) => /No (unfinished )?job found/i.test(stderr),
};

// ------------------------------------------------------------------------------------------------ SGE

export const sge: BatchSystemAdapter = {
  name: 'sge',
  // qdel kills a job with SIGKILL at once: the startd could not withdraw its ads and its slots would stay in
  // the pool until they expire (15 minutes). With -notify qdel sends SIGUSR2 first, then SIGKILL after the
  // queue's notify time (default 60 s); the pilot catches SIGUSR2 and shuts HTCondor down gracefully.
  warningSignal: 'USR2',
  directives(r) {
    const d = [
      '#$ -S /bin/sh',
      // Relative paths (the log directory) are relative to where the pilot is submitted from.
      '#$ -cwd',
      `#$ -N ${checkWord('name', r.name)}`,
      `#$ -l h_rt=${hms(r.walltimeSeconds)}`,
      `#$ -l h_vmem=${Math.ceil(r.memoryMiB / r.cores)}M`,
      '#$ -notify',
      '#$ -j y',
      `#$ -o ${checkWord('logDir', r.logDir)}/`,
    ];
    // Several nodes: the site's multi-host parallel environment (one share of `cores` slots per host).
    if (r.nodes > 1) d.push(`#$ -pe ${SGE_MULTI_NODE_PE} ${r.nodes * r.cores}`);
    else if (r.cores > 1) d.push(`#$ -pe smp ${r.cores}`);
    // A boolean complex sites define for whole-host jobs (Son of Grid Engine has none built in).
    if (r.exclusive) d.push('#$ -l exclusive=true');
    // A consumable the site defines (no GPU resource is built in): per job when it is JOB-consumable, per
    // slot (times the smp slots) when YES-consumable (docs/site-admin-guide.md).
    gpuTypeOf(r, 'sge');
    if (r.gpus) d.push(`#$ -l gpu=${r.gpus}`);
    if (r.account) d.push(`#$ -A ${checkWord('account', r.account)}`);
    if (r.queue) d.push(`#$ -q ${checkWord('queue', r.queue)}`);
    return d;
  },
  submit: (path) => ['qsub', '-terse', path],
  parseSubmit(stdout) {
    const terse = /^(\d+)(\.\d+-\d+:\d+)?\s*$/m.exec(stdout.trim());
    if (terse) return terse[1] as string;
    const m = /Your job (\d+) /.exec(stdout);
    if (!m) throw new Error(`unexpected qsub output: ${JSON.stringify(stdout.slice(0, 200))}`);
    return m[1] as string;
  },
  // The XML form has the whole job name (the table truncates it to 10 characters).
  list: (user) => ['qstat', '-xml', '-u', user],
  parseList(stdout) {
    const jobs: BatchJob[] = [];
    for (const m of stdout.matchAll(/<job_list[^>]*>([\s\S]*?)<\/job_list>/g)) {
      const body = m[1] as string;
      const id = /<JB_job_number>(\d+)<\/JB_job_number>/.exec(body)?.[1];
      const name = /<JB_name>([^<]*)<\/JB_name>/.exec(body)?.[1];
      const raw = /<state>([^<]*)<\/state>/.exec(body)?.[1];
      if (!id || !name || !raw) continue;
      // d: being deleted (qdel sent; with -notify the pilot is shutting down): ending, not running.
      const state: PilotState = raw.includes('E')
        ? 'failed'
        : raw.includes('d')
          ? 'done'
          : /[rtR]/.test(raw) && !raw.includes('q')
            ? 'running'
            : 'queued';
      jobs.push({ id, name, state, raw });
    }
    return jobs;
  },
  cancel: (ids) => ['qdel', ...ids],
};

export function adapterFor(batchSystem: string): BatchSystemAdapter {
  switch (batchSystem) {
    case 'slurm':
      return slurm;
    case 'pbs':
      return pbs;
    case 'torque':
      return torque;
    case 'lsf':
      return lsf;
    case 'sge':
      return sge;
    default:
      throw new Error(`no pilot adapter for batch system ${batchSystem}`);
  }
}

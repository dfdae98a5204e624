/**
 * Autoscaling, pure and unit tested: what the unfinished HPCJobs and HPCJobSet indices of a VirtualCluster ask
 * for (their demand), and how many pilots each allocation should run for it. Steps that ask for GPUs can only
 * run on pilots with GPUs, so they are counted apart: they grow the allocations with workers.gpus, and
 * nothing else.
 */
import { HPCJobDefaults, type HPCJob } from '../../crds/hpcjob.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { WORKER_DEFAULTS, type Allocation, type VirtualCluster } from '../../crds/virtualcluster.js';
import { noWorkerFits } from '../hpcjob/fit.js';
import { credentialsEndFirst } from '../hpcjob/placement.js';
import { totalOf } from '../hpcjobset/index-env.js';
import { filesJob } from '../hpcjobset/set-jobs.js';
import { maxPilots } from './planning.js';
import { stepNeedSeconds } from './walltime.js';

/** What the unfinished HPCJobs and HPCJobSet indices that name a VirtualCluster ask for. */
export interface Demand {
  /** CPUs of the steps that ask for no GPU (any pilot can run them). */
  cpus: number;
  /** GPUs of the steps that ask for GPUs, and those steps' CPUs (only pilots with GPUs can run them). */
  gpus: number;
  gpuCpus: number;
  /**
   * How long the queued (not yet running) steps need a pilot for (s, walltime.ts): the longest, which the next
   * pilots' walltime should cover, and the shortest, which an idle pilot must still have left to be of use.
   * 0: no queued step, or one that needs no particular time.
   */
  longestNeedSeconds: number;
  shortestNeedSeconds: number;
  /** Gang steps (resources.nodes above 1) by their node count: each takes a whole pilot of that many nodes. */
  gangs: Readonly<Record<number, number>>;
}

export const NO_DEMAND: Demand = {
  cpus: 0,
  gpus: 0,
  gpuCpus: 0,
  longestNeedSeconds: 0,
  shortestNeedSeconds: 0,
  gangs: {},
};

/**
 * Steps of one shape that name the VirtualCluster: one HPCJob, or the indices of an HPCJobSet (its
 * template, counted: a set of 100,000 indices is one entry, not 100,000).
 */
export interface Steps {
  /** The shape: an HPCJob, or a set's template as one (set-jobs.ts filesJob). */
  job: HPCJob;
  /** How many are unfinished and may be in HTCondor now. */
  count: number;
  /** Of those, how many do not run yet: their walltime needs set the next pilots' walltime. */
  queued: number;
  /** Of those, how many were not submitted yet (credentials that end first keep them from being placed). */
  pending: number;
}

/** Each unfinished HPCJob among `jobs` that names `vc`, as one step. */
export function* jobSteps(jobs: Iterable<HPCJob>, vc: VirtualCluster): Generator<Steps> {
  for (const j of jobs) {
    if (j.metadata.namespace !== vc.metadata.namespace || j.spec.virtualClusterRef?.name !== vc.metadata.name)
      continue;
    const phase = j.status?.phase ?? 'Pending';
    if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Lost') continue;
    yield { job: j, count: 1, queued: phase === 'Running' ? 0 : 1, pending: phase === 'Pending' ? 1 : 0 };
  }
}

/**
 * The indices of each unfinished HPCJobSet among `sets` whose template names `vc`, from its status counts:
 * those in HTCondor (queued, running or held) and the pending ones spec.parallelism leaves room for.
 */
export function* setSteps(sets: Iterable<HPCJobSet>, vc: VirtualCluster): Generator<Steps> {
  for (const set of sets) {
    const ref = set.spec.template.virtualClusterRef;
    if (set.metadata.namespace !== vc.metadata.namespace || ref?.name !== vc.metadata.name) continue;
    const phase = set.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const total = totalOf(set);
    const c = set.status?.counts ?? { pending: total };
    const running = c.running ?? 0;
    const inCondor = running + (c.queued ?? 0) + (c.held ?? 0);
    const pending = Math.min(c.pending ?? 0, Math.max(0, (set.spec.parallelism ?? total) - inCondor));
    const count = inCondor + pending;
    if (count > 0) yield { job: filesJob(set), count, queued: count - running, pending };
  }
}

/**
 * The demand of `steps` on `vc` (jobSteps, setSteps). A step no worker of `vc` can hold (it says so itself:
 * NoWorkerFits), or one not placed because the VirtualCluster's credentials expire before it would end
 * (CredentialsExpire), asks for nothing: pilots started for it would only idle.
 */
export function demandOfSteps(steps: Iterable<Steps>, vc: VirtualCluster, now: number): Demand {
  const d = { ...NO_DEMAND };
  const gangs: Record<number, number> = {};
  const needs: number[] = [];
  for (const s of steps) {
    const j = s.job;
    if (noWorkerFits(j, vc)) continue;
    const n = credentialsEndFirst(j, vc, now) ? s.count - s.pending : s.count;
    if (n <= 0) continue;
    const cpus = j.spec.resources?.cpus ?? HPCJobDefaults.cpus;
    const gpus = j.spec.resources?.gpus ?? 0;
    const nodes = j.spec.resources?.nodes ?? 1;
    if (nodes > 1) gangs[nodes] = (gangs[nodes] ?? 0) + n;
    else if (gpus > 0) {
      d.gpus += gpus * n;
      d.gpuCpus += cpus * n;
    } else d.cpus += cpus * n;
    // The steps left out (pending, credentials ending first) are among the queued ones.
    if (s.queued - (s.count - n) > 0) needs.push(stepNeedSeconds(j, vc) ?? 0);
  }
  if (needs.length > 0) {
    d.longestNeedSeconds = Math.max(...needs);
    d.shortestNeedSeconds = Math.min(...needs);
  }
  return { ...d, gangs };
}

/** The demand of the unfinished HPCJobs among `jobs`, and of the sets among `sets`, that name `vc`. */
export function demandOf(
  jobs: Iterable<HPCJob>,
  vc: VirtualCluster,
  now: number,
  sets: Iterable<HPCJobSet> = [],
): Demand {
  return demandOfSteps(chain(jobSteps(jobs, vc), setSteps(sets, vc)), vc, now);
}

function* chain<T>(...parts: Iterable<T>[]): Generator<T> {
  for (const p of parts) yield* p;
}

/** Whole pilots for `n` at `per` each; shares of a demand may carry a float's last-digit error. */
const ceilDiv = (n: number, per: number) => (n <= 1e-9 ? 0 : Math.ceil(n / per - 1e-9));

/**
 * Pilots each allocation should run. Static: `count`. QueuedJobs, between `min` and `max`: first each gang step
 * gets a whole pilot of an allocation whose pilots have its node count, in spec order; then the GPU steps
 * fill the allocations with GPUs in spec order (enough pilots for their GPUs and their CPUs; what `max` leaves
 * over goes to the next one), the spare cores of those pilots counting for CPU-only steps; then the CPU-only
 * steps left fill the allocations without GPUs in spec order, and only then those with GPUs (GPU hours are
 * dear). A GPU step no allocation with GPUs can take grows nothing (the HPCJob says why: NoWorkerFits).
 */
export function wantedPilots(allocations: readonly Allocation[], demand: Demand): Map<string, number> {
  const wanted = new Map<string, number>();
  const left = { ...demand };
  const scaled = allocations.filter((a) => (a.workers?.autoscale ?? WORKER_DEFAULTS.autoscale) !== 'Static');
  const gpusOf = (a: Allocation) => a.workers?.gpus ?? WORKER_DEFAULTS.gpus;
  // A pilot's cores and GPUs are per node: a pilot of several nodes has that many times over.
  const nodesOf = (a: Allocation) => a.workers?.nodes ?? WORKER_DEFAULTS.nodes;
  const coresOf = (a: Allocation) => (a.workers?.cores ?? WORKER_DEFAULTS.cores) * nodesOf(a);
  const gangs = { ...demand.gangs };
  for (const a of scaled) {
    const n = nodesOf(a);
    const forGangs = n > 1 ? Math.min(maxPilots(a), gangs[n] ?? 0) : 0;
    if (forGangs > 0) gangs[n] = (gangs[n] ?? 0) - forGangs;
    const gpuPilots = takeGpuSteps(left, gpusOf(a) * n, coresOf(a), maxPilots(a) - forGangs);
    wanted.set(a.name, forGangs + gpuPilots);
  }
  for (const a of [...scaled.filter((x) => gpusOf(x) === 0), ...scaled.filter((x) => gpusOf(x) > 0)]) {
    const before = wanted.get(a.name) ?? 0;
    const grown = before + Math.min(maxPilots(a) - before, ceilDiv(left.cpus, coresOf(a)));
    const n = Math.max(a.workers?.min ?? 0, grown);
    left.cpus -= (n - before) * coresOf(a);
    wanted.set(a.name, n);
  }
  // Static allocations keep their count; the result is in spec order.
  return new Map(
    allocations.map((a) => [
      a.name,
      wanted.get(a.name) ?? Math.min(a.workers?.count ?? WORKER_DEFAULTS.count, maxPilots(a)),
    ]),
  );
}

/**
 * Pilots of `gpus` GPUs and `cores` cores (at most `max`) for the GPU steps left, which shrink by the share
 * those pilots cover; their cores beyond that share go to the CPU-only steps.
 */
function takeGpuSteps(left: Demand, gpus: number, cores: number, max: number): number {
  if (gpus === 0) return 0;
  const need = Math.max(ceilDiv(left.gpus, gpus), ceilDiv(left.gpuCpus, cores));
  const n = Math.min(max, need);
  if (n === 0) return 0;
  const share = n / need;
  const usedCpus = left.gpuCpus * share;
  left.gpus -= left.gpus * share;
  left.gpuCpus -= usedCpus;
  left.cpus -= n * cores - usedCpus;
  return n;
}

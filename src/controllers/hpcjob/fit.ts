/**
 * Whether an HPCJob can ever match a worker of its VirtualCluster. A pilot advertises its allocation's
 * cores, memory and GPUs; a job asking for more stays idle in HTCondor for ever, which users otherwise only
 * find out with condor_q -better-analyze (pure; unit tested).
 */
import { HPCJobDefaults, type HPCJob } from '../../crds/hpcjob.js';
import { WORKER_DEFAULTS, type VirtualCluster } from '../../crds/virtualcluster.js';
import { quantityMiB } from '../../util/units.js';
import { longestStepSeconds, stepNeedSeconds } from '../virtualcluster/walltime.js';
import { memoryMiBOf } from './description.js';

/** Undefined when some allocation's workers are big enough, and live long enough; otherwise why none is. */
export function noWorkerFits(job: HPCJob, vc: VirtualCluster): string | undefined {
  const allocations = vc.spec.allocations ?? [];
  if (allocations.length === 0) return undefined;
  return tooBig(job, vc) ?? tooLong(job, vc);
}

function tooBig(job: HPCJob, vc: VirtualCluster): string | undefined {
  const nodes = job.spec.resources?.nodes ?? 1;
  // A gang step takes a whole pilot of its node count: only those allocations can hold it.
  const allocations = (vc.spec.allocations ?? []).filter(
    (a) => nodes === 1 || (a.workers?.nodes ?? WORKER_DEFAULTS.nodes) === nodes,
  );
  if (allocations.length === 0) return noGangPilot(vc, nodes);
  const cpus = job.spec.resources?.cpus ?? HPCJobDefaults.cpus;
  const gpus = job.spec.resources?.gpus ?? 0;
  const memory = memoryMiBOf(job);
  const sizes = allocations.map((a) => ({
    name: a.name,
    cores: a.workers?.cores ?? WORKER_DEFAULTS.cores,
    memory: quantityMiB(a.workers?.memory ?? WORKER_DEFAULTS.memory),
    gpus: a.workers?.gpus ?? WORKER_DEFAULTS.gpus,
  }));
  if (sizes.some((s) => s.cores >= cpus && s.memory >= memory && s.gpus >= gpus)) return undefined;
  // GPUs are named only for a step that asks for them: the message of a CPU step stays as it was.
  const withGpus = (n: number) => (gpus > 0 ? `, ${n} GPUs` : '');
  const offered = sizes
    .map((s) => `${s.name}: ${s.cores} cores, ${s.memory} MiB${withGpus(s.gpus)}`)
    .join('; ');
  const asked =
    gpus > 0 ? `${cpus} cores, ${memory} MiB and ${gpus} GPUs` : `${cpus} cores and ${memory} MiB`;
  return (
    `the step asks for ${asked} but no worker of VirtualCluster ` +
    `${vc.metadata.name} is that big (${offered}): it would stay idle; lower spec.resources or grow the workers`
  );
}

/** Why a gang step of `nodes` nodes has no allocation to run on. */
function noGangPilot(vc: VirtualCluster, nodes: number): string {
  const offered = (vc.spec.allocations ?? [])
    .map((a) => `${a.name}: ${a.workers?.nodes ?? WORKER_DEFAULTS.nodes}`)
    .join('; ');
  return (
    `the step asks for ${nodes} nodes but no allocation of VirtualCluster ${vc.metadata.name} has pilots of ` +
    `${nodes} nodes (nodes per pilot: ${offered}): it would stay idle; set resources.nodes to a pilot's workers.nodes`
  );
}

/** A step that needs a pilot for longer than any allocation's longest pilot (maxWalltime) can run steps. */
function tooLong(job: HPCJob, vc: VirtualCluster): string | undefined {
  const need = stepNeedSeconds(job, vc);
  if (need === undefined) return undefined;
  const longest = (vc.spec.allocations ?? []).map((a) => ({ name: a.name, s: longestStepSeconds(a) }));
  if (longest.some((l) => l.s >= need)) return undefined;
  const offered = longest.map((l) => `${l.name}: ${l.s}s`).join('; ');
  return (
    `the step needs a pilot for ${need}s (its walltime and the margin of VirtualCluster ${vc.metadata.name}) but ` +
    `no pilot runs steps that long (${offered}): it would stay idle; lower resources.walltime or raise the allocations' maxWalltime`
  );
}

/**
 * Whether an HPCJob can ever match a worker of its VirtualCluster. A pilot advertises its allocation's
 * cores and memory; a job asking for more stays idle in HTCondor for ever, which users otherwise only find
 * out with condor_q -better-analyze (pure; unit tested).
 */
import type { HPCJob } from '../../crds/hpcjob.js';
import { WORKER_DEFAULTS, type VirtualCluster } from '../../crds/virtualcluster.js';
import { quantityMiB } from '../../util/units.js';
import { memoryMiBOf } from './description.js';

/** Undefined when some allocation's workers are big enough; otherwise why none is. */
export function noWorkerFits(job: HPCJob, vc: VirtualCluster): string | undefined {
  const allocations = vc.spec.allocations ?? [];
  if (allocations.length === 0) return undefined;
  const cpus = job.spec.resources?.cpus ?? 1;
  const memory = memoryMiBOf(job);
  const sizes = allocations.map((a) => ({
    name: a.name,
    cores: a.workers?.cores ?? WORKER_DEFAULTS.cores,
    memory: quantityMiB(a.workers?.memory ?? WORKER_DEFAULTS.memory),
  }));
  if (sizes.some((s) => s.cores >= cpus && s.memory >= memory)) return undefined;
  const offered = sizes.map((s) => `${s.name}: ${s.cores} cores, ${s.memory} MiB`).join('; ');
  return (
    `the step asks for ${cpus} cores and ${memory} MiB but no worker of VirtualCluster ` +
    `${vc.metadata.name} is that big (${offered}): it would stay idle; lower spec.resources or grow the workers`
  );
}

/**
 * STAND-IN: where an HPCJob's jobs go (its VirtualCluster's pool and schedd, or the default pool), where
 * they went when the VirtualCluster is gone, and how an attempt is found again (queue, then history).
 */
import type { OperatorConfig } from '../../../src/config.js';
import type { JobAd } from '../../../src/condor/parse.js';
import { adNumber } from '../../../src/condor/parse.js';
import type { JobSelector, ScheddApi, ScheddTarget } from '../../../src/condor/schedd-api.js';
import { Tag, TRACKED_ATTRIBUTES } from '../../../src/condor/tags.js';
import type { HPCJob } from '../../../src/crds/hpcjob.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';

export type Placement = { target: ScheddTarget; vc?: string } | { gone: true } | { wait: true };

export function placementOf(
  job: HPCJob,
  c: OperatorConfig,
  vcs: ReadonlyMap<string, VirtualCluster>,
): Placement {
  const ref = job.spec.virtualClusterRef?.name;
  if (!ref) return { target: { name: c.scheddName || undefined, pool: c.collector || undefined } };
  const vc = vcs.get(`${job.metadata.namespace}/${ref}`);
  if (!vc || vc.metadata.deletionTimestamp)
    return job.status?.jobId || job.status?.attempt ? { gone: true } : { wait: true };
  const target = {
    name: vc.spec.pool.scheddName || c.scheddName || undefined,
    pool: vc.spec.pool.collectorHost,
  };
  return { target, vc: `${job.metadata.namespace}/${ref}` };
}

/** Where the HPCJob's jobs went (also when its VirtualCluster is gone). */
export function statusTarget(job: HPCJob, placement: Placement, c: OperatorConfig): ScheddTarget {
  if ('target' in placement) return placement.target;
  const s = job.status?.schedd;
  return { name: s && s !== 'local' ? s : c.scheddName || undefined };
}

/** Attempt n of the selected HPCJob in the queue, else in the history. */
export async function findAttempt(
  schedd: ScheddApi,
  sel: JobSelector,
  n: number,
): Promise<JobAd | undefined> {
  const mine = (a: JobAd) => adNumber(a, Tag.Attempt) === n;
  const q = (await schedd.query(sel, TRACKED_ATTRIBUTES, 'adopt')).find(mine);
  return q ?? (await schedd.history(sel, TRACKED_ATTRIBUTES, { limit: 20 })).find(mine);
}

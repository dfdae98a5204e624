/**
 * Where an HPCJob's jobs are (pure). A new attempt goes to the operator's default pool, or to the schedd and
 * collector of the VirtualCluster the HPCJob names, while that VirtualCluster can take jobs. An attempt
 * already submitted stays where it is: its schedd and collector are recorded in status when the submission
 * is asked for, so that the job is followed, removed and cleaned up there even after the VirtualCluster is
 * gone, Terminated or Failed.
 */
import { scheddLabel, type ScheddTarget } from '../../condor/schedd-api.js';
import { FINAL_PHASES, type HPCJob } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import type { HPCJobSettings } from './transition-types.js';

export type NewPlacement =
  | { usable: true; target: ScheddTarget; virtualCluster?: VirtualCluster }
  | { usable: false; reason: 'NotFound' | 'NotUsable'; why: string };

const UNUSABLE_PHASES = new Set(['Terminating', 'Terminated', 'Failed']);

/** The schedd of a VirtualCluster's pool. */
export function virtualClusterTarget(vc: VirtualCluster, settings: HPCJobSettings): ScheddTarget {
  return {
    name: vc.spec.pool.scheddName || settings.defaultTarget.name,
    pool: vc.spec.pool.collectorHost,
  };
}

/** Where a new attempt would go, or why it cannot go anywhere yet. */
export function placementForNew(
  job: HPCJob,
  vc: VirtualCluster | 'missing' | undefined,
  settings: HPCJobSettings,
): NewPlacement {
  const ref = job.spec.virtualClusterRef;
  if (!ref) return { usable: true, target: settings.defaultTarget };
  if (vc === undefined || vc === 'missing')
    return { usable: false, reason: 'NotFound', why: `VirtualCluster ${ref.name} does not exist` };
  const phase = vc.status?.phase;
  if (vc.metadata.deletionTimestamp || (phase && UNUSABLE_PHASES.has(phase)))
    return {
      usable: false,
      reason: 'NotUsable',
      why: `VirtualCluster ${ref.name} is ${vc.metadata.deletionTimestamp ? 'being deleted' : phase}`,
    };
  return { usable: true, target: virtualClusterTarget(vc, settings), virtualCluster: vc };
}

/**
 * The schedd recorded in status, where the HPCJob's jobs are; undefined when no submission was ever asked
 * for. HPCJobs recorded before the collector was kept fall back to their VirtualCluster's (when it is
 * still there).
 */
export function recordedTarget(
  job: HPCJob,
  vc: VirtualCluster | 'missing' | undefined,
  settings: HPCJobSettings,
): ScheddTarget | undefined {
  const s = job.status;
  if (!s?.schedd) return undefined;
  if (!s.virtualCluster) return settings.defaultTarget;
  const name = s.schedd === scheddLabel({}) ? undefined : s.schedd;
  const pool = s.pool ?? (vc && vc !== 'missing' ? vc.spec.pool.collectorHost : undefined);
  return { name, pool };
}

/** Whether the HPCJob needs a new attempt (rather than following one, cleaning up, or finalizing). */
export function wantsNewAttempt(job: HPCJob): boolean {
  const s = job.status;
  if (job.metadata.deletionTimestamp || (s?.phase && FINAL_PHASES.includes(s.phase))) return false;
  const n = s?.attempt ?? 0;
  const current = n > 0 ? s?.attempts?.find((a) => a.attempt === n) : undefined;
  return current?.outcome !== 'Running';
}

/**
 * The schedd whose state a reconcile of `job` needs to see. A deleted HPCJob with no schedd recorded may
 * still have a job on the default pool: a new HPCJob's first status is written only once its job is in the
 * queue (new-attempt.ts), so its cleanup looks there. On a VirtualCluster the schedd is always recorded
 * before a submission is asked for: nothing recorded there means nothing was submitted.
 */
export function observedTarget(
  job: HPCJob,
  vc: VirtualCluster | 'missing' | undefined,
  settings: HPCJobSettings,
): ScheddTarget | undefined {
  const recorded = recordedTarget(job, vc, settings);
  if (!wantsNewAttempt(job)) {
    if (recorded) return recorded;
    if (job.metadata.deletionTimestamp)
      return job.spec.virtualClusterRef ? undefined : settings.defaultTarget;
  }
  const next = placementForNew(job, vc, settings);
  return next.usable ? next.target : recorded;
}

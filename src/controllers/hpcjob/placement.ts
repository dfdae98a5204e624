/**
 * Where an HPCJob's jobs are (pure). A new attempt goes to the operator's default pool, or to the schedd and
 * collector of the VirtualCluster the HPCJob names, while that VirtualCluster can take jobs and its
 * credentials last until the step's walltime would end (a pilot could not outlive them). An attempt
 * already submitted stays where it is: its schedd and collector are recorded in status when the submission
 * is asked for, so that the job is followed, removed and cleaned up there even after the VirtualCluster is
 * gone, Terminated or Failed.
 */
import { scheddLabel, type ScheddTarget } from '../../condor/schedd-api.js';
import { FINAL_PHASES, type HPCJob } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { stepNeedSeconds } from '../virtualcluster/walltime.js';
import { Reason } from './reasons.js';
import type { HPCJobSettings } from './transition-types.js';

/** Why a VirtualCluster takes no new attempt (the VirtualClusterReady=False reasons). */
export type UnusableReason =
  typeof Reason.NotFound | typeof Reason.NotUsable | typeof Reason.CredentialsExpire;

export type NewPlacement =
  | { usable: true; target: ScheddTarget; virtualCluster?: VirtualCluster }
  | { usable: false; reason: UnusableReason; why: string };

const UNUSABLE_PHASES = new Set(['Terminating', 'Terminated', 'Failed']);

/** The schedd of a VirtualCluster's pool. */
export function virtualClusterTarget(vc: VirtualCluster, settings: HPCJobSettings): ScheddTarget {
  return {
    name: vc.spec.pool.scheddName || settings.defaultTarget.name,
    pool: vc.spec.pool.collectorHost,
  };
}

/** Where a new attempt would go (at `now`, ms), or why it cannot go anywhere yet. */
export function placementForNew(
  job: HPCJob,
  vc: VirtualCluster | 'missing' | undefined,
  settings: HPCJobSettings,
  now: number,
): NewPlacement {
  const placement = virtualClusterPlacement(job, vc, settings);
  if (!placement.usable || !placement.virtualCluster) return placement;
  const why = credentialsEndFirst(job, placement.virtualCluster, now);
  return why ? { usable: false, reason: Reason.CredentialsExpire, why } : placement;
}

/**
 * Whether the VirtualCluster takes jobs at all: it exists and is not going away. An attempt already
 * submitted is judged by this alone (track.ts): its credentials were checked when it was placed, and a job
 * that runs is never touched.
 */
export function virtualClusterPlacement(
  job: HPCJob,
  vc: VirtualCluster | 'missing' | undefined,
  settings: HPCJobSettings,
): NewPlacement {
  const ref = job.spec.virtualClusterRef;
  if (!ref) return { usable: true, target: settings.defaultTarget };
  if (vc === undefined || vc === 'missing')
    return { usable: false, reason: Reason.NotFound, why: `VirtualCluster ${ref.name} does not exist` };
  const phase = vc.status?.phase;
  if (vc.metadata.deletionTimestamp || (phase && UNUSABLE_PHASES.has(phase)))
    return {
      usable: false,
      reason: Reason.NotUsable,
      why: `VirtualCluster ${ref.name} is ${vc.metadata.deletionTimestamp ? 'being deleted' : phase}`,
    };
  return { usable: true, target: virtualClusterTarget(vc, settings), virtualCluster: vc };
}

/**
 * Why a step placed now would outlive its VirtualCluster's credentials (status.credentialExpiresAt, the
 * earliest expiry of a proxy or token the pilots use): a pilot cannot work past them, so the step would be
 * cut off. Undefined when they last long enough, have no expiry, or the step has no walltime (it may end
 * at any time: nothing to compare). The message says nothing that changes with `now` (but "expire" turning
 * into "expired", once): waiting on it writes no status until something does change.
 */
export function credentialsEndFirst(job: HPCJob, vc: VirtualCluster, now: number): string | undefined {
  const at = vc.status?.credentialExpiresAt;
  const expires = at ? Date.parse(at) : NaN;
  if (Number.isNaN(expires)) return undefined;
  const need = stepNeedSeconds(job, vc);
  if (need === undefined || expires >= now + need * 1000) return undefined;
  const when = expires <= now ? 'expired' : 'expire';
  return (
    `VirtualCluster ${vc.metadata.name}'s credentials ${when} at ${at}, before this step would end: it needs ` +
    `a pilot for ${need}s (its walltime and the VirtualCluster's margin); renew the credentials, or run the step again with a shorter resources.walltime`
  );
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
  now: number,
): ScheddTarget | undefined {
  const recorded = recordedTarget(job, vc, settings);
  if (!wantsNewAttempt(job)) {
    if (recorded) return recorded;
    if (job.metadata.deletionTimestamp)
      return job.spec.virtualClusterRef ? undefined : settings.defaultTarget;
  }
  const next = placementForNew(job, vc, settings, now);
  return next.usable ? next.target : recorded;
}

/**
 * Where an HPCJob's jobs are (pure). A new attempt goes to the operator's default pool (one schedd, or the
 * one spread.ts picks among several), or to the schedd and collector of the VirtualCluster the HPCJob
 * names, while that VirtualCluster can take jobs and its credentials last until the step's walltime would
 * end (a pilot could not outlive them). An attempt already submitted stays where it is: its schedd and
 * collector are recorded in status, so that the job is followed, removed and cleaned up there even after
 * the VirtualCluster is gone, Terminated or Failed, or the schedd left the operator's list.
 *
 * On the default pool an HPCJob never moves: once a schedd is recorded, every later attempt goes there too.
 * Earlier attempts' jobs may still be in that queue (removed, held, completed and not yet acknowledged),
 * and a reconcile sees one schedd: a retry placed elsewhere would leave them unseen, and the finalizer
 * would go while they are still there. A schedd that is down holds its HPCJobs until it answers, as a
 * single schedd always did; new HPCJobs go to the others meanwhile.
 */
import { scheddLabel, type ScheddTarget } from '../../condor/schedd-api.js';
import { FINAL_PHASES, type HPCJob } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { stepNeedSeconds } from '../virtualcluster/walltime.js';
import { Reason } from './reasons.js';
import { chooseSchedd, type ScheddCandidate, type SpreadChoice } from './spread.js';
import type { HPCJobSettings } from './transition-types.js';

/** Why a VirtualCluster takes no new attempt (the VirtualClusterReady=False reasons). */
export type UnusableReason =
  typeof Reason.NotFound | typeof Reason.NotUsable | typeof Reason.CredentialsExpire;

export type NewPlacement =
  | { usable: true; target: ScheddTarget; virtualCluster?: VirtualCluster }
  | { usable: false; reason: UnusableReason; why: string };

const UNUSABLE_PHASES = new Set(['Terminating', 'Terminated', 'Failed']);

/** What placing on a VirtualCluster needs of the settings (an HPCJobSet's settings have it too). */
type PlacementSettings = Pick<HPCJobSettings, 'defaultTarget'>;

/** The schedd of a VirtualCluster's pool. */
export function virtualClusterTarget(vc: VirtualCluster, settings: PlacementSettings): ScheddTarget {
  return {
    name: vc.spec.pool.scheddName || settings.defaultTarget.name,
    pool: vc.spec.pool.collectorHost,
  };
}

/** Where a new attempt would go (at `now`, ms), or why it cannot go anywhere yet. */
export function placementForNew(
  job: HPCJob,
  vc: VirtualCluster | 'missing' | undefined,
  settings: PlacementSettings,
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
  settings: PlacementSettings,
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
  if (!s.virtualCluster) return defaultPoolSchedd(s.schedd, s.pool, settings);
  const name = s.schedd === scheddLabel({}) ? undefined : s.schedd;
  const pool = s.pool ?? (vc && vc !== 'missing' ? vc.spec.pool.collectorHost : undefined);
  return { name, pool };
}

/**
 * The default pool's schedd recorded as `label`: one of the configured ones (with its pool), or, for a
 * schedd that left the list since, the recorded name and pool (its jobs are still followed there).
 */
function defaultPoolSchedd(label: string, pool: string | undefined, settings: HPCJobSettings): ScheddTarget {
  const configured = [settings.defaultTarget, ...(settings.spread?.targets ?? [])];
  const known = configured.find((t) => scheddLabel(t) === label);
  if (known) return known;
  return { name: label === scheddLabel({}) ? undefined : label, pool: pool ?? settings.defaultTarget.pool };
}

/**
 * The schedd of the default pool a reconcile looks at for a new attempt: the recorded one (an HPCJob never
 * moves), the only one, or the one the spread policy picks among `schedds` (what the observation read of
 * each configured schedd).
 */
export function defaultPoolPlacement(
  job: HPCJob,
  settings: HPCJobSettings,
  schedds: readonly ScheddCandidate[] | undefined,
): { target: ScheddTarget; choice?: SpreadChoice } {
  const recorded = job.status?.schedd;
  if (recorded) return { target: defaultPoolSchedd(recorded, job.status?.pool, settings) };
  if (!settings.spread || !schedds?.length) return { target: settings.defaultTarget };
  const choice = chooseSchedd(schedds, settings.spread.policy, job.metadata.namespace ?? '');
  return { target: choice.candidate.target, choice };
}

/** Whether a new HPCJob on the default pool must choose among several schedds (see spreadCandidates). */
export function choosesSchedd(job: HPCJob, settings: HPCJobSettings): boolean {
  return !!settings.spread && !job.spec.virtualClusterRef && !job.status?.schedd && wantsNewAttempt(job);
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
 * Whether a new HPCJob's first status may wait until its job is in the queue: only where its schedd is
 * known without a record, i.e. the default pool with one schedd. Among several, the one the policy chose
 * is known only from the record (the loads change, a schedd goes down), so it is written first, as on a
 * VirtualCluster: one status write more per HPCJob (docs/design.md, API writes per step).
 */
export function scheddKnownWithoutRecord(job: HPCJob, settings: HPCJobSettings): boolean {
  return !job.spec.virtualClusterRef && !settings.spread;
}

/**
 * The schedd whose state a reconcile of `job` needs to see. A deleted HPCJob with no schedd recorded may
 * still have a job on the default pool when it has one schedd: a new HPCJob's first status is written only
 * once its job is in the queue there (new-attempt.ts), so its cleanup looks there. Among several schedds,
 * and on a VirtualCluster, the schedd is always recorded before a submission is asked for: nothing
 * recorded means nothing was submitted.
 */
export function observedTarget(
  job: HPCJob,
  vc: VirtualCluster | 'missing' | undefined,
  settings: HPCJobSettings,
  now: number,
  schedds?: readonly ScheddCandidate[],
): ScheddTarget | undefined {
  const recorded = recordedTarget(job, vc, settings);
  if (!wantsNewAttempt(job)) {
    if (recorded) return recorded;
    if (job.metadata.deletionTimestamp)
      return scheddKnownWithoutRecord(job, settings) ? settings.defaultTarget : undefined;
  }
  if (!job.spec.virtualClusterRef) return defaultPoolPlacement(job, settings, schedds).target;
  const next = placementForNew(job, vc, settings, now);
  return next.usable ? next.target : recorded;
}

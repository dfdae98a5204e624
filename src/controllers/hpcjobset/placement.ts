/**
 * Where an HPCJobSet's jobs go, and whether new indices may go there now (pure). Without
 * template.virtualClusterRef a set runs on the default pool's first schedd, as ever. With it, the set runs on
 * the VirtualCluster's schedd and pilots exactly as an HPCJob naming it would (controllers/hpcjob/placement.ts
 * decides for both): new indices go only while the VirtualCluster exists, is not going away and its
 * credentials outlive the template's walltime; the jobs carry HPCVirtualCluster and HPCWalltimeNeeded.
 *
 * As for an HPCJob on a VirtualCluster, the schedd, its pool and the VirtualCluster are recorded in status
 * before the first submission (the executor writes the status before it submits): the VirtualCluster may be
 * gone by the time the set's jobs must be followed or removed, so they are found from the record alone.
 */
import { scheddLabel, type ScheddTarget } from '../../condor/schedd-api.js';
import { HPCJobSetConditions as C, type HPCJobSet } from '../../crds/hpcjobset.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { noWorkerFits } from '../hpcjob/fit.js';
import { jobState, refOf } from '../hpcjob/job-state.js';
import { placementForNew, type NewPlacement, type UnusableReason } from '../hpcjob/placement.js';
import { stepNeedSeconds } from '../virtualcluster/walltime.js';
import type { SetDraft } from './draft.js';
import { Ended, type IndexView } from './index-view.js';
import { SetActionReason, SetEventReason, SetReason, SetRequeue } from './reasons.js';
import { filesJob } from './set-jobs.js';
import type { SetSettings, SubmitPlacement } from './transition-types.js';

type VirtualClusterView = VirtualCluster | 'missing' | undefined;

/** Where a new index of the set would go now, or why nowhere (the HPCJob's rules, for the template). */
export function setPlacement(
  set: HPCJobSet,
  vc: VirtualClusterView,
  settings: SetSettings,
  now: number,
): NewPlacement {
  return placementForNew(filesJob(set), vc, settings, now);
}

/**
 * The schedd a reconcile of `set` looks at: the default pool's; the one recorded for a set on a
 * VirtualCluster; before that, its VirtualCluster's while it takes jobs. Undefined: the set was never placed
 * and cannot be now, so nothing of it is on any schedd.
 */
export function setTarget(
  set: HPCJobSet,
  vc: VirtualClusterView,
  settings: SetSettings,
  now: number,
): ScheddTarget | undefined {
  if (!set.spec.template.virtualClusterRef) return settings.defaultTarget;
  const s = set.status;
  if (s?.virtualCluster && s.schedd)
    return { name: s.schedd === scheddLabel({}) ? undefined : s.schedd, pool: s.pool };
  const placement = setPlacement(set, vc, settings, now);
  return placement.usable ? placement.target : undefined;
}

/**
 * Whether new indices may be submitted, and what their jobs carry: {} on the default pool; on a usable
 * VirtualCluster its name and the template's walltime need, with the placement recorded (first time) and
 * VirtualClusterReady True (reason NoWorkerFits, and a Warning, when no worker can hold the template).
 * Undefined while the VirtualCluster is unusable: the set waits, and gives up on the indices not submitted
 * after --virtual-cluster-wait-seconds, as an HPCJob gives up.
 */
export function placeIndices(d: SetDraft, view: IndexView): SubmitPlacement | undefined {
  if (!d.set.spec.template.virtualClusterRef) return {};
  const placement = setPlacement(d.set, d.obs.virtualCluster, d.settings, d.now);
  if (!placement.usable) {
    waitForVirtualCluster(d, view, placement.reason, placement.why);
    return undefined;
  }
  const vc = placement.virtualCluster as VirtualCluster;
  const template = filesJob(d.set);
  const tooBig = noWorkerFits(template, vc);
  const changed = d.cond({
    type: C.VirtualClusterReady,
    status: 'True',
    reason: tooBig ? SetReason.NoWorkerFits : SetReason.Found,
    message: tooBig ?? `VirtualCluster ${vc.metadata.name} is ${vc.status?.phase ?? 'known'}`,
  });
  if (changed && tooBig) d.event('Warning', SetEventReason.NoWorkerFits, 'Submit', tooBig);
  if (!d.status.virtualCluster) {
    d.status.virtualCluster = `${d.set.metadata.namespace}/${vc.metadata.name}`;
    d.status.pool = d.obs.pool || undefined;
  }
  const need = stepNeedSeconds(template, vc);
  return {
    virtualCluster: d.status.virtualCluster,
    ...(need === undefined ? {} : { walltimeNeededSeconds: need }),
  };
}

/**
 * No usable VirtualCluster: VirtualClusterReady=False says why (credentials that end too soon need a person:
 * a Warning when that wait starts). Indices already submitted are followed where they are; after the wait,
 * counted from when the condition turned False, the indices not submitted end failed, and so do those whose
 * job waits idle for a VirtualCluster that is gone (it can never run: removed, as an HPCJob's would be). A
 * running job is left to finish where it runs.
 */
function waitForVirtualCluster(d: SetDraft, view: IndexView, reason: UnusableReason, why: string): void {
  const before = d.conditions.find((c) => c.type === C.VirtualClusterReady);
  d.cond({ type: C.VirtualClusterReady, status: 'False', reason, message: why });
  if (reason === SetReason.CredentialsExpire && before?.reason !== reason)
    d.event('Warning', SetEventReason.CredentialsExpire, 'Submit', why);
  const since = before?.status === 'False' ? Date.parse(before.lastTransitionTime) || d.now : d.now;
  const waitMs = d.settings.virtualClusterWaitMs;
  if (d.now - since < waitMs) {
    d.notes.push(`waiting: ${why}`);
    d.requeue(Math.min(SetRequeue.Waiting, since + waitMs - d.now));
    return;
  }
  const n = giveUp(d, view, reason !== SetReason.CredentialsExpire);
  if (n === 0) return;
  const note = `${why} (waited ${Math.round(waitMs / 1000)} s): ${n} indices that never ran failed`;
  d.notes.push(note);
  d.event('Warning', SetEventReason.VirtualClusterUnavailable, 'Submit', note);
}

/** Fails the indices not submitted, and with `gone` those whose job waits idle; how many. */
function giveUp(d: SetDraft, view: IndexView, gone: boolean): number {
  let n = 0;
  for (let i = 0; i < view.total; i++) {
    if (view.ended[i] !== Ended.No) continue;
    const job = view.live.get(i);
    if (job) {
      if (!gone || jobState(job).state !== 'queued') continue;
      view.live.delete(i);
      d.effect({ kind: 'remove', target: { job: refOf(job) }, reason: SetActionReason.stranded });
    }
    view.ended[i] = Ended.Failed;
    delete view.records.get(i)?.nextRetryTime;
    n++;
  }
  return n;
}

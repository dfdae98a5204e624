/** The SchedulerReachable condition (pure): the schedd answers, or not and since when it failed. */
import { HPCJobConditions as C } from '../../crds/hpcjob.js';
import type { Draft } from './draft.js';
import { truncate } from './draft.js';
import { Reason, Requeue } from './reasons.js';
import type { SchedulerView } from './transition-types.js';

/**
 * The schedd to act on once it has been read at least once, with its condition written and the draft aimed at
 * it; undefined (and a requeue) before that, because until the first read the absence of a job proves nothing.
 */
export function syncedScheduler(d: Draft): SchedulerView | undefined {
  const scheduler = d.obs.scheduler;
  if (!scheduler || !scheduler.state.synced) {
    if (scheduler && !scheduler.state.reachable) schedulerCondition(d, scheduler);
    d.requeue(Requeue.SchedulerSync);
    return undefined;
  }
  schedulerCondition(d, scheduler);
  d.target = scheduler.target;
  return scheduler;
}

export function schedulerCondition(d: Draft, s: SchedulerView): void {
  if (s.state.reachable) {
    d.cond({
      type: C.SchedulerReachable,
      status: 'True',
      reason: Reason.Reachable,
      message: `schedd ${s.name} answers`,
    });
    return;
  }
  d.cond({
    type: C.SchedulerReachable,
    status: 'False',
    reason: Reason.SchedulerUnavailable,
    message: `schedd ${s.name} is unreachable: ${truncate(s.state.lastError ?? '', 500)}; state is kept and work resumes when it answers`,
  });
  d.requeue(Requeue.SchedulerUnreachable);
}

/** The SchedulerReachable condition (pure): the schedd answers, or not and since when it failed. */
import { HPCJobConditions as C } from '../../crds/hpcjob.js';
import type { Draft } from './draft.js';
import { truncate } from './draft.js';
import { Reason, Requeue } from './reasons.js';
import { skippedNote } from './spread.js';
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

/**
 * SchedulerReachable for the schedd the HPCJob is (or goes) on. A new HPCJob that chose among several
 * schedds also hears of those passed over because they do not answer, or, when none answers, of all of them.
 */
export function schedulerCondition(d: Draft, s: SchedulerView): void {
  const down = (d.obs.schedds ?? []).filter((c) => !c.reachable);
  if (s.state.reachable) {
    const was = d.conditions.find((c) => c.type === C.SchedulerReachable);
    // What the placement said (the schedds passed over) stays: it says why the HPCJob is where it is.
    if (!d.obs.schedds && was?.status === 'True' && was.message.startsWith(`schedd ${s.name} answers`))
      return;
    d.cond({
      type: C.SchedulerReachable,
      status: 'True',
      reason: Reason.Reachable,
      message: truncate(`schedd ${s.name} answers${skippedNote(down)}`, 1000),
    });
    return;
  }
  const others = down.filter((c) => c.name !== s.name).map((c) => c.name);
  const all = others.length > 0 ? ` (and so do not ${others.join(', ')}: no schedd of the list answers)` : '';
  d.cond({
    type: C.SchedulerReachable,
    status: 'False',
    reason: Reason.SchedulerUnavailable,
    message: truncate(
      `schedd ${s.name} is unreachable${all}: ${truncate(s.state.lastError ?? '', 500)}; state is kept and work resumes when it answers`,
      1000,
    ),
  });
  d.requeue(Requeue.SchedulerUnreachable);
}

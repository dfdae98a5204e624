/** The SchedulerReachable condition (pure): the schedd answers, or not and since when it failed. */
import { HPCJobConditions as C } from '../../crds/hpcjob.js';
import type { Draft } from './draft.js';
import { truncate } from './draft.js';
import { Reason, Requeue } from './reasons.js';
import type { SchedulerView } from './transition-types.js';

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

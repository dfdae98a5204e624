/**
 * The compressed status of an HPCJobSet from its index view: a count per state, index ranges, the attempt
 * records, the phase and its conditions. 100,000 indices cost a few hundred bytes when they move in runs
 * (what ended is never cut; queued, running and held lists are). The queued, running and held lists also
 * say which indices had a job in the queue (lost.ts). Pure.
 */
import {
  HPCJobSetConditions as C,
  INDEX_STATES,
  MAX_RANGES_TEXT as RUNNING_HELD_MAX,
  type IndexState,
} from '../../crds/hpcjobset.js';
import { jobState } from '../hpcjob/job-state.js';
import type { SetDraft } from './draft.js';
import { Ended, type IndexView } from './index-view.js';
import { toRanges } from './ranges.js';
import { SetReason } from './reasons.js';

/** Each index's state, from what ended and the state of its live job. */
export function indexStates(view: IndexView): IndexState[] {
  const out: IndexState[] = new Array<IndexState>(view.total).fill('pending');
  for (let i = 0; i < view.total; i++) {
    const e = view.ended[i];
    if (e === Ended.Succeeded) out[i] = 'succeeded';
    else if (e === Ended.Failed) out[i] = 'failed';
    else if (e === Ended.Cancelled) out[i] = 'cancelled';
  }
  for (const [i, job] of view.live) {
    const s = jobState(job).state;
    out[i] = s === 'running' ? 'running' : s === 'held' || s === 'suspended' ? 'held' : 'queued';
  }
  return out;
}

function rangesOf(states: readonly IndexState[], which: IndexState, max?: number): string | undefined {
  const list: number[] = [];
  states.forEach((s, i) => s === which && list.push(i));
  return list.length === 0 ? undefined : toRanges(list, max ?? Number.POSITIVE_INFINITY);
}

/** Writes counts, ranges and records into the draft's status; returns the counts. */
export function summarize(d: SetDraft, view: IndexView): Record<IndexState, number> {
  const states = indexStates(view);
  const counts = Object.fromEntries(INDEX_STATES.map((s) => [s, 0])) as Record<IndexState, number>;
  for (const s of states) counts[s]++;
  const st = d.status;
  st.total = view.total;
  st.counts = counts;
  st.queued = rangesOf(states, 'queued', RUNNING_HELD_MAX);
  st.running = rangesOf(states, 'running', RUNNING_HELD_MAX);
  st.held = rangesOf(states, 'held', RUNNING_HELD_MAX);
  st.succeeded = rangesOf(states, 'succeeded');
  st.failed = rangesOf(states, 'failed');
  st.cancelled = rangesOf(states, 'cancelled');
  const records = [...view.records.values()].sort((a, b) => a.index - b.index);
  st.indexRecords = records.length > 0 ? records : undefined;
  return counts;
}

/** Phase, conditions and message from the counts; the set ends when every index did. */
export function settlePhase(d: SetDraft, counts: Record<IndexState, number>, total: number): void {
  const done = counts.succeeded + counts.failed + counts.cancelled;
  const line = `${counts.succeeded}/${total} succeeded, ${counts.running} running, ${counts.queued} queued, ${counts.held} held, ${counts.pending} pending, ${counts.failed} failed, ${counts.cancelled} cancelled`;
  if (done === total) {
    const ok = counts.succeeded === total;
    d.phase(ok ? 'Succeeded' : 'Failed');
    d.status.completionTime ??= d.iso();
    d.cond({
      type: ok ? C.Succeeded : C.Failed,
      status: 'True',
      reason: ok
        ? SetReason.AllSucceeded
        : counts.failed === 0
          ? SetReason.Cancelled
          : SetReason.IndicesFailed,
      message: line,
    });
  } else if (d.set.spec.suspend) d.phase('Suspended');
  else
    d.phase(
      done + counts.running + counts.queued + counts.held > 0 || d.status.startTime ? 'Running' : 'Pending',
    );
  d.message([line, ...d.notes].join('; '));
  const suspended = d.set.spec.suspend === true && done < total;
  d.cond({
    type: C.Suspended,
    status: suspended ? 'True' : 'False',
    reason: suspended ? SetReason.Suspended : SetReason.NotSuspended,
    message: suspended ? 'spec.suspend is true: jobs are held, nothing more is submitted' : '',
  });
}

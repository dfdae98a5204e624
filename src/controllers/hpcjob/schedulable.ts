/**
 * Why a queued attempt is not running (pure): once its job has been idle for `matchAnalysisAfterMs`, the
 * backend is asked for HTCondor's match analysis (one per autocluster, rate-limited per schedd), and its
 * answer becomes condition Schedulable=False with a one-line reason in the way Kubernetes says
 * "0/3 nodes are available". The condition turns True when the job starts, and is never added to an
 * HPCJob that did not wait long enough to be analysed (no write for steps that start at once).
 */
import type { TrackedJob } from '../../condor/backend.js';
import type { MatchAnalysis, MatchClause } from '../../condor/match-analysis.js';
import { HPCJobConditions as C } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import type { Draft } from './draft.js';
import { truncate } from './draft.js';
import { noWorkerFits } from './fit.js';
import { EventReason, Limit, Reason, Requeue } from './reasons.js';

export interface Verdict {
  reason: string;
  message: string;
}

/** The reason and message for an idle job with this analysis (and the VirtualCluster it waits on). */
export function schedulableVerdict(a: MatchAnalysis, vc?: VirtualCluster): Verdict {
  const scaling = scalingUp(vc);
  const busy = a.runningYours + a.servingOthers;
  if (a.available > 0 || busy > 0) {
    const free =
      a.available > 0 ? `${a.available} of ${a.machines} machines can run it` : 'no machine is free';
    const message = `${free}${busy > 0 ? ` (${a.runningYours} busy with your jobs, ${a.servingOthers} serving other users)` : ''}; waiting for free resources and the negotiator's next cycle`;
    return { reason: busy > 0 && a.available === 0 ? Reason.Priority : Reason.SlotsBusy, message };
  }
  if (scaling) return { reason: Reason.VirtualClusterScalingUp, message: scaling };
  if (a.machines === 0) return { reason: Reason.NoMatchingSlot, message: 'the pool has no slots' };
  const parts = [`0 of ${a.machines} machines match`];
  const failing = a.clauses.filter((c) => c.matched === 0).map((c) => clauseNote(c, a));
  if (failing.length > 0) parts.push(`: ${failing.join('; ')}`);
  if (a.rejectedBySlots > 0) parts.push(`; ${a.rejectedBySlots} reject it by their own requirements (START)`);
  return { reason: Reason.NoMatchingSlot, message: parts.join('') };
}

/** A failing clause with the job's value it compares and what the example slot has, where shown. */
function clauseNote(c: MatchClause, a: MatchAnalysis): string {
  const notes: string[] = [];
  for (const [name, value] of Object.entries(a.jobValues))
    if (new RegExp(`(?<!TARGET\\.)\\b${name.replace(/\./g, '\\.')}\\b`).test(c.condition))
      notes.push(`requested ${name} = ${value}`);
  const slot = a.exampleSlot;
  for (const m of c.condition.matchAll(/TARGET\.(\w+)/g)) {
    const attr = `TARGET.${m[1]}`;
    if (!slot) break;
    const have = slot.values[attr];
    notes.push(have === undefined ? `${attr} undefined on ${slot.name}` : `${slot.name} has ${have}`);
  }
  return notes.length > 0 ? `${c.condition} (${notes.join(', ')})` : c.condition;
}

/** Why the VirtualCluster's pilots are not there yet, when some are on their way. */
function scalingUp(vc?: VirtualCluster): string | undefined {
  const w = vc?.status?.workers;
  if (!vc || !w) return undefined;
  const coming = (w.queued ?? 0) + Math.max(0, (w.requested ?? 0) - (w.queued ?? 0) - (w.running ?? 0));
  if (coming <= 0) return undefined;
  return `VirtualCluster ${vc.metadata.name} is scaling up: ${w.queued ?? 0} pilots queued in the batch system, ${w.running ?? 0} running, ${w.requested ?? 0} requested`;
}

/**
 * For a queued job: asks for the analysis once the job has been idle long enough, writes Schedulable from
 * the answer, and looks again when the next analysis is due.
 */
export function explainIdle(d: Draft, job: TrackedJob): void {
  const idleSince = Number(job.ad.EnteredCurrentStatus) * 1000 || d.now;
  const due = idleSince + d.settings.matchAnalysisAfterMs;
  if (d.now < due) {
    d.requeue(due - d.now);
    return;
  }
  const analysis = d.obs.scheduler?.analysis;
  if (!analysis || d.now - analysis.at >= d.settings.matchAnalysisEveryMs) d.effect({ kind: 'analyze', job });
  const nextDue = analysis ? analysis.at + d.settings.matchAnalysisEveryMs - d.now : 0;
  d.requeue(nextDue > 0 ? nextDue : Requeue.AnalysisPending);
  if (!analysis) return;
  const vc = typeof d.obs.virtualCluster === 'object' ? d.obs.virtualCluster : undefined;
  const tooBig = vc && noWorkerFits(d.job, vc);
  const v = tooBig
    ? { reason: Reason.NoWorkerFits, message: tooBig }
    : schedulableVerdict(analysis.result, vc);
  const message = truncate(v.message, Limit.conditionMessage);
  const was = d.conditions.find((c) => c.type === C.Schedulable)?.reason;
  d.cond({ type: C.Schedulable, status: 'False', reason: v.reason, message });
  if (was === v.reason) return;
  const type = v.reason === Reason.NoMatchingSlot || tooBig ? 'Warning' : 'Normal';
  d.event(type, EventReason.NotSchedulable, 'Schedule', truncate(`${v.reason}: ${message}`, Limit.eventNote));
}

/** The job started: Schedulable turns True where it was written. */
export function scheduled(d: Draft, host: string): void {
  d.condIfPresent({
    type: C.Schedulable,
    status: 'True',
    reason: Reason.Matched,
    message: `matched ${host}`,
  });
}

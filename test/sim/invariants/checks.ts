/**
 * The invariants checked when something happens: a job is committed, HPCAck is set, an HPCJob's status or
 * finalizers are written. Each reports a violation in words a person can act on.
 */
import type { HPCJob, HPCJobStatus } from '../../../src/crds/hpcjob.js';
import { FINAL_PHASES } from '../../../src/crds/hpcjob.js';
import type { KubeObject } from '../../../src/runtime/kube-api.js';
import { jobAttempt, jobIndex, jobUid, type SimJob } from '../condor/job.js';
import { mergedResultPath } from '../files.js';
import type { Caller } from '../net.js';
import type { CheckContext, Report } from './context.js';
import { attemptKey, attemptOf, isLive, succeeded } from './ledger.js';

export const describeJob = (j: SimJob): string =>
  `${j.schedd} ${j.id} (uid …${jobUid(j)?.slice(-4)}${jobIndex(j) === undefined ? '' : ` index ${jobIndex(j)}`} attempt ${jobAttempt(j)})`;

/** Invariants 1 and 2, and no attempt after a success without a retry, and no job for a deleted HPCJob. */
export function checkCommit(ctx: CheckContext, report: Report, job: SimJob, caller: Caller): void {
  const uid = jobUid(job);
  const attempt = jobAttempt(job);
  if (uid === undefined || attempt === undefined)
    return report('tagged', `${describeJob(job)} lacks HPCJobUID/HPCJobAttempt`);
  const twins = (ctx.ledger.byAttempt.get(attemptOf(job) ?? '') ?? []).filter(
    (j) => j !== job && isLive(j) && ctx.ledger.findable(j) === 'queue',
  );
  if (twins.length)
    report(
      'one-live-job-per-attempt',
      `${describeJob(job)} committed while ${twins.map(describeJob).join(', ')} is live for the same (uid, ${jobIndex(job) === undefined ? '' : 'index, '}attempt)`,
    );
  if (ctx.lease) {
    const holder = ctx.api.leases.holderAt(ctx.lease.namespace, ctx.lease.name, ctx.now());
    if (holder !== caller.name)
      report(
        'submit-only-by-leader',
        `${describeJob(job)} committed by ${caller.name} while the Lease is held by ${holder ?? 'nobody (expired)'}`,
      );
  }
  // Of the same index, for a set's job: each index has attempts of its own.
  const earlier = (ctx.ledger.byUid.get(uid) ?? []).filter(
    (j) =>
      jobIndex(j) === jobIndex(job) &&
      (jobAttempt(j) ?? 0) < attempt &&
      succeeded(j) &&
      !ctx.ledger.wiped.has(j),
  );
  for (const j of earlier) {
    if (!retriedAfter(ctx, uid, j))
      report(
        'no-attempt-after-success',
        `${describeJob(job)} submitted although ${describeJob(j)} completed with exit 0 and nobody asked for a retry`,
      );
  }
  const kind = jobIndex(job) === undefined ? 'hpcjobs' : 'hpcjobsets';
  if (!ctx.api.store.list(kind).some((o) => o.metadata.uid === uid))
    report(
      'no-job-for-deleted-hpcjob',
      `${describeJob(job)} committed for an ${kind === 'hpcjobs' ? 'HPCJob' : 'HPCJobSet'} that no longer exists`,
    );
}

/**
 * Invariant 2 for sites: only the leader submits pilots and writes pool tokens (a deposed leader's pilot or
 * token outlives the new leader's cleanup).
 */
export function checkSiteWrite(
  ctx: CheckContext,
  report: Report,
  what: string,
  host: string,
  by: string,
): void {
  if (!ctx.lease) return;
  const holder = ctx.api.leases.holderAt(ctx.lease.namespace, ctx.lease.name, ctx.now());
  if (holder !== by)
    report(
      'submit-only-by-leader',
      `${what} on ${host} by ${by} while the Lease is held by ${holder ?? 'nobody (expired)'}`,
    );
}

/** Invariant 4: outputs and logs of a succeeded job are in place before HPCAck. */
export function checkAcknowledge(ctx: CheckContext, report: Report, job: SimJob): void {
  if (!succeeded(job)) return;
  const uid = jobUid(job);
  const hpcJob = ctx.api.store.list('hpcjobs').find((o) => o.metadata.uid === uid) as HPCJob | undefined;
  if (!hpcJob || hpcJob.metadata.deletionTimestamp || (uid && ctx.user.cancels.has(uid))) return;
  if (
    !job.transferred ||
    ctx.files.read(`${job.iwd}/${job.outputFile}`) === undefined ||
    ctx.files.read(`${job.iwd}/${job.errorFile}`) === undefined
  )
    return report(
      'outputs-before-ack',
      `HPCAck set on ${describeJob(job)} before its stdout/stderr were fetched into ${job.iwd}`,
    );
  const ws = hpcJob.spec.workspace;
  if (job.transferOutputs.includes('hpc-results') && ws) {
    const path = mergedResultPath(ws.path, jobAttempt(job) ?? 0);
    if (ctx.files.read(path) !== `${uid}#${jobAttempt(job)}`)
      report(
        'outputs-before-ack',
        `HPCAck set on ${describeJob(job)} before its condor-transfer results were merged into ${path}`,
      );
  }
}

/** Invariant 3 (final phases agree with what happened) and "nothing Lost that can still be found". */
export function checkStatusWrite(
  ctx: CheckContext,
  report: Report,
  before: KubeObject | undefined,
  after: KubeObject,
): void {
  const uid = after.metadata.uid as string;
  const st = (after as HPCJob).status;
  const old = (before as HPCJob | undefined)?.status;
  if (!st) return;
  for (const a of newlyLost(old, st)) {
    ctx.count('attempts declared Lost');
    for (const j of ctx.ledger.byAttempt.get(attemptKey(uid, a)) ?? []) {
      const where = ctx.ledger.findable(j);
      if (where)
        report(
          'lost-only-when-gone',
          `attempt ${a} of ${refOf(after)} declared Lost while ${describeJob(j)} is in the ${where}`,
        );
    }
  }
  const phase = st.phase;
  if (!phase || !FINAL_PHASES.includes(phase) || phase === old?.phase) return;
  const jobs = ctx.ledger.byAttempt.get(attemptKey(uid, st.attempt ?? 0)) ?? [];
  // A success followed by a retry request: the verdict is about the requested attempt (which may never start).
  const ok = jobs.filter((j) => succeeded(j) && !ctx.ledger.wiped.has(j) && !retriedAfter(ctx, uid, j));
  if (phase === 'Succeeded' && !jobs.some(succeeded))
    report(
      'final-phase-matches-history',
      `${refOf(after)} Succeeded but its attempt ${st.attempt} has no job that completed with exit 0 (${jobs.map((j) => describeJob(j) + ' status ' + String(j.ad.JobStatus)).join(', ') || 'no job at all'})`,
    );
  const exempt = after.metadata.deletionTimestamp !== undefined || ctx.user.cancels.has(uid);
  if (phase !== 'Succeeded' && ok.length && !exempt)
    report(
      'final-phase-matches-history',
      `${refOf(after)} ${phase} although ${describeJob(ok[0] as SimJob)} of its last attempt completed with exit 0`,
    );
}

/** Invariant 3 the other way round: a job completes with exit 0 after its HPCJob was declared failed. */
export function checkLateSuccess(ctx: CheckContext, report: Report, job: SimJob): void {
  if (!succeeded(job)) return;
  const uid = jobUid(job);
  const o = ctx.api.store.list('hpcjobs').find((x) => x.metadata.uid === uid) as HPCJob | undefined;
  const st = o?.status;
  if (
    !o ||
    !st?.phase ||
    !FINAL_PHASES.includes(st.phase) ||
    st.phase === 'Succeeded' ||
    st.attempt !== jobAttempt(job)
  )
    return;
  if (o.metadata.deletionTimestamp || ctx.user.cancels.has(uid as string)) return;
  report(
    'final-phase-matches-history',
    `${describeJob(job)} completed with exit 0 after ${refOf(o)} was declared ${st.phase}`,
  );
}

/** Invariant 5: a finalizer goes only when no job of the HPCJob is queued and none can still commit. */
export function checkFinalizerRemoval(
  ctx: CheckContext,
  report: Report,
  before: KubeObject,
  after: KubeObject | undefined,
): void {
  const had = before.metadata.finalizers ?? [];
  const has = after?.metadata.finalizers ?? [];
  if (!had.some((f) => !has.includes(f))) return;
  const uid = before.metadata.uid as string;
  const queued = ctx.ledger.queued(uid);
  if (queued.length)
    report(
      'finalizer-after-cleanup',
      `finalizer of ${refOf(before)} removed while ${queued.map(describeJob).join(', ')} is still in the queue`,
    );
  for (const r of ctx.replicas()) {
    if (!r.alive) continue;
    for (const f of r.inflight)
      if (!f.served && f.meta.condor?.action === 'submit' && f.meta.condor.uids?.includes(uid))
        report(
          'finalizer-after-cleanup',
          `finalizer of ${refOf(before)} removed while a submit for it by ${r.name} is in flight`,
        );
  }
}

/** The user asked for a retry after `job` completed. */
function retriedAfter(ctx: CheckContext, uid: string, job: SimJob): boolean {
  const doneAt = Number(job.ad.CompletionDate ?? 0) * 1000;
  return (ctx.user.retries.get(uid) ?? []).some((t) => t >= doneAt);
}

function newlyLost(old: HPCJobStatus | undefined, st: HPCJobStatus): number[] {
  const lost = new Set((st.attempts ?? []).filter((a) => a.outcome === 'Lost').map((a) => a.attempt));
  for (const a of old?.attempts ?? []) if (a.outcome === 'Lost') lost.delete(a.attempt);
  if (st.phase === 'Lost' && old?.phase !== 'Lost' && st.attempt) lost.add(st.attempt);
  return [...lost];
}

export function refOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

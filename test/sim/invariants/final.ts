/**
 * The invariants checked at the end of a schedule: after the faults healed and enough virtual time passed,
 * every HPCJob that was not deleted reached a final phase and left no live job behind (liveness); after
 * everything was deleted, no job of a deleted HPCJob waits out its job lease in X, nothing of a deleted HPCJob
 * or VirtualCluster is left in a queue or on a site, and the operator's per-job memory (diagnostics()) fell
 * back to what it was right after start().
 */
import type { HPCJob } from '../../../src/crds/hpcjob.js';
import { FINAL_PHASES } from '../../../src/crds/hpcjob.js';
import type { CheckContext, Report } from './context.js';
import { refOf } from './checks.js';
import { isLive } from './ledger.js';
import { checkTokensLeft } from './tokens.js';

export function checkLiveness(ctx: CheckContext, report: Report): void {
  for (const o of ctx.api.store.list('hpcjobs')) {
    if (o.metadata.deletionTimestamp) continue;
    const st = (o as HPCJob).status;
    const phase = st?.phase;
    if (!phase || !FINAL_PHASES.includes(phase)) {
      report(
        'liveness',
        `${refOf(o)} is still ${phase ?? 'without status'} (attempt ${st?.attempt ?? 0}) after the faults healed`,
      );
      continue;
    }
    const live = ctx.ledger.queued(o.metadata.uid as string).filter(isLive);
    if (live.length)
      report(
        'liveness',
        `${refOf(o)} is ${phase} but its job ${live[0]?.schedd} ${live[0]?.id} is still live`,
      );
  }
}

export function checkCleanup(ctx: CheckContext, report: Report): void {
  for (const o of ctx.api.store.list('hpcjobs'))
    report(
      'cleanup',
      `${refOf(o)} was deleted but is still there (finalizers ${JSON.stringify(o.metadata.finalizers ?? [])})`,
    );
  for (const o of ctx.api.store.list('virtualclusters'))
    report('cleanup', `virtualcluster ${refOf(o)} was deleted but is still there`);
  for (const uid of ctx.user.deleted.keys())
    for (const j of ctx.ledger.queued(uid))
      report('cleanup', `job ${j.schedd} ${j.id} of a deleted HPCJob is still in the queue`);
  for (const [host, site] of ctx.sites) {
    for (const p of site.pilots.values())
      if ((p.state === 'queued' || p.state === 'running') && p.virtualCluster)
        report(
          'cleanup',
          `pilot ${p.id} (${p.name}) of deleted virtualcluster ${p.virtualCluster} is still ${p.state} on ${host}`,
        );
    const tokens = new Set(ctx.poolTokens.values());
    for (const [path, content] of site.files)
      if (tokens.has(content)) report('cleanup', `a pool token is still on ${host} at ${path}`);
  }
  for (const vc of ctx.signingKeys.keys()) checkTokensLeft(ctx, report, vc);
}

/**
 * Longer than a removed job of a deleted HPCJob may sit in X once the faults healed: the operator's grace
 * before condor_rm -forcex (--force-removal-after-seconds, 60 s), its tracking and a wide margin; far less
 * than the job lease (40 minutes) a shadow cut off from its execute side waits out.
 */
export const STUCK_REMOVAL_MS = 10 * 60_000;

/**
 * At the end of the cleanup wait: no job of a deleted HPCJob has sat removed (X) in a queue for longer than
 * STUCK_REMOVAL_MS. Such a job holds its HPCJob's finalizer until its shadow gives up at the job lease's end,
 * unless the operator forces it out (condor_rm -forcex).
 */
export function checkStuckRemovals(ctx: CheckContext, report: Report): void {
  const now = ctx.now();
  for (const uid of ctx.user.deleted.keys())
    for (const j of ctx.ledger.queued(uid)) {
      const since = Number(j.ad.EnteredCurrentStatus) * 1000;
      if (j.ad.JobStatus !== 3 || now - since <= STUCK_REMOVAL_MS) continue;
      report(
        'no-stuck-removal',
        `job ${j.schedd} ${j.id} of deleted HPCJob ${String(j.ad.HPCJobRef)} has been removed (X) in the queue for ${Math.round((now - since) / 60_000)} min: its finalizer waits out the job lease instead of condor_rm -forcex`,
      );
    }
}

export function checkMemory(ctx: CheckContext, report: Report): void {
  for (const r of ctx.replicas()) {
    if (!r.alive || !r.operator || !r.baseline) continue;
    const now = r.operator.diagnostics();
    const grown = Object.entries(now).filter(([k, v]) => v > (r.baseline?.[k] ?? 0));
    if (grown.length)
      report(
        'memory-released',
        `${r.name} still holds ${grown.map(([k, v]) => `${k}=${v} (after start: ${r.baseline?.[k] ?? 0})`).join(', ')} after every object was deleted`,
      );
  }
}

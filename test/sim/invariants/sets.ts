/**
 * The invariants of HPCJobSets (the ones shared with HPCJobs — one live job per attempt, only the leader
 * submits, no attempt after a success, the finalizer after the cleanup, nothing left behind — are checked
 * per index by checks.ts and final.ts):
 * - set-index-submitted-once: an index's attempt is not committed again once a status write listed the
 *   index (queued, running or held) after its job was committed: the operator knew the attempt had a job.
 *   Excepted: a first job a spool wipe destroyed, and one that left the queue before any status listed its
 *   index (condor_rm -forcex right after the submission: nothing tells it from a submission that never
 *   committed; counted);
 * - set-counts-add-up: every status written has counts that add up to its total, the set's size;
 * - set-status-once-per-tick: one replica never writes a set's status three times within
 *   MIN_STATUS_INTERVAL_MS (the reconciler writes at most once per interval counted from the reconcile's
 *   start, and reconciles of one set do not overlap, so every other write is at least that far apart;
 *   writes of a set being deleted are not throttled);
 * - set-succeeded-matches-history: an index declared succeeded has a job of its own that completed with exit 0;
 * - liveness and cleanup for sets, as for HPCJobs.
 */
import { ownRanges } from '../../../src/controllers/hpcjobset/ranges.js';
import { MIN_STATUS_INTERVAL_MS } from '../../../src/controllers/hpcjobset/reasons.js';
import {
  FINAL_SET_PHASES,
  INDEX_STATES,
  type HPCJobSet,
  type HPCJobSetStatus,
} from '../../../src/crds/hpcjobset.js';
import type { KubeObject } from '../../../src/runtime/kube-api.js';
import { jobIndex, jobUid, type SimJob } from '../condor/job.js';
import { describeJob, refOf } from './checks.js';
import type { CheckContext, Report } from './context.js';
import { attemptOf, isLive, succeeded } from './ledger.js';

const sizeOf = (set: HPCJobSet): number => set.spec.count ?? set.spec.items?.length ?? 0;

/** What commits and status writes of sets must respect, and what status writes said. */
export class SetWrites {
  /** The last two status writes (ms) per uid and writer. */
  readonly #last = new Map<string, number[]>();
  /** When a status write last listed each index (queued, running or held), per set uid. */
  readonly #listed = new Map<string, Map<number, number>>();

  constructor(
    readonly ctx: CheckContext,
    readonly report: Report,
  ) {}

  /** A set's job was committed: see set-index-submitted-once. */
  onCommit(job: SimJob): void {
    const index = jobIndex(job);
    const uid = jobUid(job);
    if (index === undefined || uid === undefined) return;
    const listedAt = this.#listed.get(uid)?.get(index) ?? -1;
    const earlier = (this.ctx.ledger.byAttempt.get(attemptOf(job) ?? '') ?? []).filter(
      (j) => j !== job && !this.ctx.ledger.wiped.has(j),
    );
    if (earlier.length === 0) return;
    const known = earlier.filter((j) => (this.ctx.ledger.committedAt.get(j) ?? Infinity) <= listedAt);
    if (known.length === 0)
      return this.ctx.count('set index submitted again: its job went before a status listed it');
    this.report(
      'set-index-submitted-once',
      `${describeJob(job)} committed although ${known.map(describeJob).join(', ')} was committed for the same index and attempt, and a status listed the index since`,
    );
  }

  onStatusWrite(before: KubeObject | undefined, after: KubeObject, who: string): void {
    const set = after as HPCJobSet;
    const st = set.status;
    if (!st) return;
    this.#list(set, st);
    const lost = (x: HPCJobSetStatus | undefined) =>
      (x?.indexRecords ?? []).filter((r) => r.failureCategory === 'Lost').length;
    if (lost(st) > lost((before as HPCJobSet | undefined)?.status))
      this.ctx.count('set index attempts declared Lost');
    this.#counts(set, st);
    this.#pace(set, who);
    this.#succeeded(set, (before as HPCJobSet | undefined)?.status, st);
  }

  /** The set is gone: its writes are forgotten. */
  forget(uid: string): void {
    for (const k of this.#last.keys()) if (k.startsWith(`${uid} `)) this.#last.delete(k);
    this.#listed.delete(uid);
  }

  #list(set: HPCJobSet, st: HPCJobSetStatus): void {
    const uid = set.metadata.uid as string;
    const listed = this.#listed.get(uid) ?? new Map<number, number>();
    this.#listed.set(uid, listed);
    const now = this.ctx.now();
    for (const r of [st.queued, st.running, st.held])
      for (const i of ownRanges(r, st.total ?? 0)) listed.set(i, now);
  }

  #counts(set: HPCJobSet, st: HPCJobSetStatus): void {
    if (!st.counts) return;
    const sum = INDEX_STATES.reduce((n, s) => n + (st.counts?.[s] ?? 0), 0);
    if (sum !== st.total || st.total !== sizeOf(set))
      this.report(
        'set-counts-add-up',
        `${refOf(set)} status counts ${JSON.stringify(st.counts)} add up to ${sum}; total ${st.total}, the set has ${sizeOf(set)} indices`,
      );
  }

  #pace(set: HPCJobSet, who: string): void {
    if (set.metadata.deletionTimestamp) return;
    const key = `${set.metadata.uid} ${who}`;
    const now = this.ctx.now();
    const last = this.#last.get(key) ?? [];
    const twoBack = last.length === 2 ? last[0] : undefined;
    if (twoBack !== undefined && now - twoBack < MIN_STATUS_INTERVAL_MS)
      this.report(
        'set-status-once-per-tick',
        `${who} wrote the status of ${refOf(set)} three times within ${now - twoBack} ms (at most once per ${MIN_STATUS_INTERVAL_MS} ms)`,
      );
    this.#last.set(key, [...last.slice(-1), now]);
  }

  #succeeded(set: HPCJobSet, old: HPCJobSetStatus | undefined, st: HPCJobSetStatus): void {
    const total = st.total ?? 0;
    const before = new Set(ownRanges(old?.succeeded, total));
    const uid = set.metadata.uid as string;
    const jobs = this.ctx.ledger.byUid.get(uid) ?? [];
    for (const i of ownRanges(st.succeeded, total)) {
      if (before.has(i) || jobs.some((j) => jobIndex(j) === i && succeeded(j))) continue;
      this.report(
        'set-succeeded-matches-history',
        `index ${i} of ${refOf(set)} declared succeeded but no job of it completed with exit 0 (${jobs
          .filter((j) => jobIndex(j) === i)
          .map((j) => `${describeJob(j)} status ${String(j.ad.JobStatus)}`)
          .join(', ')})`,
      );
    }
  }
}

/** After healing: every set not deleted is in a final phase with no live job left. */
export function checkSetLiveness(ctx: CheckContext, report: Report): void {
  for (const o of ctx.api.store.list('hpcjobsets')) {
    if (o.metadata.deletionTimestamp) continue;
    const st = (o as HPCJobSet).status;
    if (!st?.phase || !FINAL_SET_PHASES.includes(st.phase)) {
      report(
        'liveness',
        `hpcjobset ${refOf(o)} is still ${st?.phase ?? 'without status'} (${JSON.stringify(st?.counts ?? {})}) after the faults healed`,
      );
      continue;
    }
    const live = ctx.ledger.queued(o.metadata.uid as string).filter(isLive);
    if (live.length)
      report(
        'liveness',
        `hpcjobset ${refOf(o)} is ${st.phase} but ${describeJob(live[0] as SimJob)} is live`,
      );
  }
}

/** After the clean-up: no set is left (their jobs: final.ts, by the uids the user deleted). */
export function checkSetCleanup(ctx: CheckContext, report: Report): void {
  for (const o of ctx.api.store.list('hpcjobsets'))
    report(
      'cleanup',
      `hpcjobset ${refOf(o)} was deleted but is still there (finalizers ${JSON.stringify(o.metadata.finalizers ?? [])})`,
    );
}

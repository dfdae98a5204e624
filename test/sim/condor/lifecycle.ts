/**
 * The life of a job in the schedd model, drawn from the PRNG at submit: Idle for a while (on a
 * VirtualCluster, until its pilots offer slots), Running, maybe a system hold on the way (transient ones the
 * operator should release, permanent ones it should give up on), then Completed with an exit code or by a
 * signal, with or without the wrapper's result attribute. Holds, releases and removals by a person or the
 * operator interrupt it; a release starts it over.
 */
import { Tag } from '../../../src/condor/tags.js';
import type { Prng } from '../prng.js';
import { JobStatus, seconds, setStatus, status, type SimJob } from './job.js';

export interface HoldSpec {
  code: number;
  subCode: number;
  reason: string;
}

export interface LifePlan {
  idleMs: number;
  runMs: number;
  /** A system hold after `afterMs` of running, once. */
  hold?: HoldSpec & { afterMs: number };
  end: { exitCode: number } | { signal: number };
  wrapperResult: boolean;
}

/** Holds that releasing may cure (reference/htcondor.md §2.4, class T). */
export const TRANSIENT_HOLDS: readonly HoldSpec[] = [
  {
    code: 13,
    subCode: 110,
    reason: 'Transfer input files failure at execution point slot1@node: Connection timed out',
  },
  {
    code: 12,
    subCode: 62,
    reason: 'Transfer output files failure at execution point slot1@node: ETIME (plugin timeout)',
  },
  { code: 6, subCode: 110, reason: 'Failed to create process: Connection timed out' },
];

/** Holds that will not go away by themselves (class P). */
export const PERMANENT_HOLDS: readonly HoldSpec[] = [
  { code: 34, subCode: 102, reason: 'Job has gone over cgroup memory limit of 1024 megabytes.' },
  {
    code: 12,
    subCode: 2,
    reason: 'Transfer output files failure: declared output hpc-results does not exist (ENOENT)',
  },
  { code: 35, subCode: 0, reason: 'Cannot pull image docker://example/missing:1' },
];

export const PERSON_HOLD: HoldSpec = { code: 1, subCode: 0, reason: 'via condor_hold (by user alice)' };

export function drawLifePlan(prng: Prng, forced?: 'ok' | 'exit', runMs?: number): LifePlan {
  const outcome = forced ?? prng.weighted({ ok: 60, exit: 15, signal: 5, transient: 13, permanent: 7 });
  const plan: LifePlan = {
    idleMs: prng.latency(1_000, 60_000),
    runMs: runMs ?? prng.latency(5_000, 300_000),
    end:
      outcome === 'exit'
        ? { exitCode: prng.pick([1, 2, 3, 122, 123]) }
        : outcome === 'signal'
          ? { signal: prng.pick([9, 15]) }
          : { exitCode: 0 },
    wrapperResult: prng.chance(0.7),
  };
  if (outcome === 'transient' || outcome === 'permanent')
    plan.hold = {
      ...prng.pick(outcome === 'transient' ? TRANSIENT_HOLDS : PERMANENT_HOLDS),
      afterMs: prng.latency(0, plan.runMs),
    };
  return plan;
}

/** What the lifecycle needs of its schedd. */
export interface LifeHost {
  readonly prng: Prng;
  now(): number;
  schedule(job: SimJob, delayMs: number, fn: () => void): void;
  /** Slots the pool offers to jobs of `virtualCluster` (namespace/name). */
  slotsFor(virtualCluster: string): number;
  /** The job ended (Completed or Removed): it leaves the queue unless kept for its acknowledgement. */
  ended(job: SimJob): void;
  /** The job was removed but its shadow cannot reach the execute side: it stays in X (see ScheddModel). */
  cutOff(job: SimJob): void;
  changed(job: SimJob, what: string): void;
}

export class Lifecycle {
  constructor(readonly host: LifeHost) {}

  /** Idle: waits, then starts when it has a slot. */
  admit(job: SimJob, idleMs: number): void {
    this.host.schedule(job, idleMs, () => this.#tryStart(job));
  }

  #tryStart(job: SimJob): void {
    if (status(job) !== JobStatus.Idle) return;
    const vc = job.ad.HPCVirtualCluster;
    if (typeof vc === 'string' && this.host.slotsFor(vc) === 0) {
      this.host.schedule(job, 15_000, () => this.#tryStart(job));
      return;
    }
    const now = this.host.now();
    setStatus(job, JobStatus.Running, now);
    job.ad.JobCurrentStartDate = seconds(now);
    job.ad.JobStartDate ??= seconds(now);
    job.ad.NumJobStarts = Number(job.ad.NumJobStarts ?? 0) + 1;
    job.ad.RemoteHost = `slot1_${this.host.prng.int(1, 8)}@node${this.host.prng.int(1, 20)}`;
    this.host.changed(job, 'Running');
    const hold = job.plan.hold;
    if (hold) this.host.schedule(job, hold.afterMs, () => this.hold(job, 'system', hold));
    else this.host.schedule(job, job.plan.runMs, () => this.#complete(job));
  }

  #complete(job: SimJob): void {
    if (status(job) !== JobStatus.Running) return;
    const now = this.host.now();
    const end = job.plan.end;
    setStatus(job, JobStatus.Completed, now);
    job.ad.CompletionDate = seconds(now);
    job.ad.LastRemoteHost = job.ad.RemoteHost;
    delete job.ad.RemoteHost;
    if ('signal' in end) {
      job.ad.ExitBySignal = true;
      job.ad.ExitSignal = end.signal;
    } else {
      job.ad.ExitBySignal = false;
      job.ad.ExitCode = end.exitCode;
    }
    if (job.plan.wrapperResult) {
      const r =
        'signal' in end
          ? { signal: end.signal, category: 'signal' }
          : { exitCode: end.exitCode, category: end.exitCode === 0 ? 'ok' : 'exit' };
      job.ad[Tag.WrapperResult] = JSON.stringify({
        ...r,
        runtime: 'apptainer',
        runSeconds: Math.round(job.plan.runMs / 1000),
      });
      if (!('signal' in end) && end.exitCode !== 0)
        job.ad[Tag.StderrTail] = `step failed with exit code ${end.exitCode}`;
    }
    this.host.changed(job, 'Completed');
    this.host.ended(job);
  }

  /** Holds an idle or running job. */
  hold(job: SimJob, by: NonNullable<SimJob['heldBy']>, h: HoldSpec): void {
    const s = status(job);
    if (s !== JobStatus.Idle && s !== JobStatus.Running && s !== JobStatus.Held) return;
    job.timer?.cancel();
    if (s === JobStatus.Running) {
      job.ad.LastRemoteHost = job.ad.RemoteHost;
      delete job.ad.RemoteHost;
    }
    if (by === 'system') delete job.plan.hold;
    if (s !== JobStatus.Held) job.ad.NumHolds = Number(job.ad.NumHolds ?? 0) + 1;
    setStatus(job, JobStatus.Held, this.host.now());
    job.heldBy = by;
    job.ad.HoldReasonCode = h.code;
    job.ad.HoldReasonSubCode = h.subCode;
    job.ad.HoldReason = h.reason;
    this.host.changed(job, `Held ${h.code}/${h.subCode} by ${by}`);
  }

  release(job: SimJob, by: string): void {
    if (status(job) !== JobStatus.Held) return;
    job.ad.LastHoldReasonCode = job.ad.HoldReasonCode;
    job.ad.LastHoldReasonSubCode = job.ad.HoldReasonSubCode;
    job.ad.LastHoldReason = job.ad.HoldReason;
    delete job.ad.HoldReasonCode;
    delete job.ad.HoldReasonSubCode;
    delete job.ad.HoldReason;
    delete job.heldBy;
    setStatus(job, JobStatus.Idle, this.host.now());
    this.host.changed(job, `released by ${by}`);
    this.admit(job, this.host.prng.latency(1_000, 30_000));
  }

  remove(job: SimJob, reason: string): void {
    const s = status(job);
    if (s === JobStatus.Removed || s === JobStatus.Completed) return;
    job.timer?.cancel();
    if (s === JobStatus.Held) {
      job.ad.LastHoldReasonCode = job.ad.HoldReasonCode;
      job.ad.LastHoldReason = job.ad.HoldReason;
    }
    if (job.ad.RemoteHost !== undefined) job.ad.LastRemoteHost = job.ad.RemoteHost;
    delete job.ad.RemoteHost;
    setStatus(job, JobStatus.Removed, this.host.now());
    job.ad.RemoveReason = reason;
    this.host.changed(job, `Removed (${reason})`);
    // A running job whose VirtualCluster has no pilot left (cancelled, or its node died): nothing answers its
    // shadow, which waits for the starter to come back until the job lease ends.
    const vc = job.ad.HPCVirtualCluster;
    if (s === JobStatus.Running && typeof vc === 'string' && this.host.slotsFor(vc) === 0)
      this.host.cutOff(job);
    else this.host.ended(job);
  }
}

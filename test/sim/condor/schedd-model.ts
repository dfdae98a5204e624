/**
 * The in-memory HTCondor schedd: a queue and a history, job ids ClusterId.ProcId from a counter, one cluster
 * per submit, jobs kept in the queue after they end while they carry leave_in_queue and no HPCAck (then they
 * move to the history within a minute, as the schedd's periodic pass does), condor_transfer_data writing
 * each finished job's stdout/stderr (and hpc-results for condor-transfer) under its initialdir, and the
 * faults of a real access point: the daemon down, the spool wiped (queue and history gone, ids counted from 1
 * again), history rotation, holds/releases/removals by a person. Synchronous; condor/ports.ts decides when.
 */
import type { MatchAnalysis } from '../../../src/condor/match-analysis.js';
import type { JobAction, JobSelector } from '../../../src/condor/schedd-api.js';
import type { SubmitJob } from '../../../src/condor/submit-description.js';
import type { JobAd } from '../../../src/condor/parse.js';
import { Tag } from '../../../src/condor/tags.js';
import type { Caller } from '../net.js';
import type { Prng } from '../prng.js';
import type { Scheduler } from '../scheduler.js';
import type { Trace } from '../trace.js';
import type { FileStore } from '../files.js';
import { drawLifePlan, Lifecycle, PERSON_HOLD, type LifeHost } from './lifecycle.js';
import { JobStatus, jobAttempt, jobUid, matches, newJob, project, status, type SimJob } from './job.js';

export interface CondorListener {
  onCommit?(jobs: readonly SimJob[], caller: Caller): void;
  onChange?(job: SimJob, what: string): void;
  /** Before HPCAck is set on `job`. */
  onAcknowledge?(job: SimJob, caller: Caller): void;
  onLeave?(job: SimJob): void;
  onWipe?(schedd: string, queue: readonly SimJob[], history: readonly SimJob[]): void;
}

/** HTCondor's default JobLeaseDuration: a shadow that cannot reach its starter waits this long for it. */
export const JOB_LEASE_MS = 40 * 60_000;

export interface ScheddOptions {
  /** History entries kept (older ones rotate away). */
  historyMax: number;
  /** Every job ends this way (named scenarios). */
  jobOutcome?: 'ok' | 'exit';
  jobRunMs?: number;
}

export class ScheddModel implements LifeHost {
  readonly queue = new Map<string, SimJob>();
  /** Newest first. */
  history: SimJob[] = [];
  nextCluster = 1;
  epoch = 0;
  downUntil = 0;
  /** While now < submitTimeoutsUntil, a submit commits and then times out with this probability. */
  submitTimeoutsUntil = 0;
  submitTimeoutRate = 0;
  transferFailsUntil = 0;
  transferFailRate = 0;
  readonly life: Lifecycle;
  readonly listeners: CondorListener[] = [];

  constructor(
    readonly name: string,
    readonly sched: Scheduler,
    readonly prng: Prng,
    readonly trace: Trace,
    readonly files: FileStore,
    readonly slotsFor: (virtualCluster: string) => number,
    public o: ScheddOptions,
  ) {
    this.life = new Lifecycle(this);
  }

  get down(): boolean {
    return this.sched.now() < this.downUntil;
  }

  now(): number {
    return this.sched.now();
  }

  schedule(job: SimJob, delayMs: number, fn: () => void): void {
    job.timer = this.sched.schedule(delayMs, fn);
  }

  changed(job: SimJob, what: string): void {
    this.trace.add(
      this.name,
      'condor',
      `${job.id} ${jobUid(job)?.slice(-4) ?? '-'}#${jobAttempt(job) ?? '-'} ${what}`,
    );
    for (const l of this.listeners) l.onChange?.(job, what);
  }

  ended(job: SimJob): void {
    if (!job.leaveInQueue || job.ad[Tag.Ack] === true) this.#leaveSoon(job);
  }

  /**
   * A removed job whose shadow cannot reach the execute side stays in X, acknowledged or not, until
   * condor_rm -forcex takes it out or the job lease ends (then the shadow gives up and it ends as usual).
   */
  cutOff(job: SimJob): void {
    job.shadowCutOff = true;
    this.trace.count('removed jobs kept in X (their pilot gone)');
    this.changed(
      job,
      'its shadow cannot reach the execute side: stays in X until -forcex or the job lease ends',
    );
    this.schedule(job, JOB_LEASE_MS, () => {
      job.shadowCutOff = false;
      this.changed(job, 'job lease ended: its shadow gave up');
      this.ended(job);
    });
  }

  // ------------------------------------------------------------------------------------- the tools' effects

  submit(jobs: readonly SubmitJob[], caller: Caller): string[] {
    const cluster = this.nextCluster++;
    const made = jobs.map((job, proc) =>
      newJob({
        schedd: this.name,
        epoch: this.epoch,
        cluster,
        proc,
        nowMs: this.now(),
        job,
        plan: drawLifePlan(this.prng, this.o.jobOutcome, this.o.jobRunMs),
      }),
    );
    for (const j of made) this.queue.set(j.id, j);
    this.trace.add(
      this.name,
      'condor',
      `cluster ${cluster} committed by ${caller.name}: ${made.map((j) => `${j.id}=${jobUid(j)?.slice(-4)}#${jobAttempt(j)}`).join(' ')}`,
    );
    for (const l of this.listeners) l.onCommit?.(made, caller);
    for (const j of made) this.life.admit(j, j.plan.idleMs);
    return made.map((j) => j.id);
  }

  query(sel: JobSelector, attributes: readonly string[]): JobAd[] {
    const now = this.now();
    return [...this.queue.values()]
      .filter((j) => matches(j.ad, sel, now))
      .map((j) => project(j.ad, attributes));
  }

  /**
   * A match analysis as -better-analyze summarises it: a VirtualCluster's job sees that VirtualCluster's
   * pilot slots (none while it scales up); a job of the default pool sees one slot that can run it.
   */
  analyze(sel: JobSelector): MatchAnalysis | undefined {
    const now = this.now();
    const job = [...this.queue.values()].find((j) => matches(j.ad, sel, now));
    if (!job) return undefined;
    this.trace.count('match analyses');
    const vc = job.ad.HPCVirtualCluster;
    const machines = typeof vc === 'string' ? this.slotsFor(vc) : 1;
    return {
      machines,
      rejectedByJob: 0,
      rejectedBySlots: 0,
      runningYours: 0,
      servingOthers: 0,
      available: machines,
      clauses: [],
      jobValues: {},
    };
  }

  historyOf(sel: JobSelector, attributes: readonly string[], limit?: number): JobAd[] {
    const now = this.now();
    const found = this.history.filter((j) => matches(j.ad, sel, now)).map((j) => project(j.ad, attributes));
    return limit === undefined ? found : found.slice(0, limit);
  }

  /**
   * condor_rm/hold/release and condor_rm -forcex: true when at least one job changed (the tools exit 1
   * otherwise). -forcex takes only jobs in X out of the queue; any other it refuses, as HTCondor does ("not in
   * `X' state to be forcibly removed").
   */
  act(action: JobAction, sel: JobSelector, reason: string | undefined, caller: Caller): boolean {
    // HPCAck, then condor_rm (ScheddClient's two calls): acknowledged first, a job leaves when it ends.
    if (action === 'discard') {
      this.acknowledge(sel, caller);
      return this.act('remove', sel, reason, caller);
    }
    const now = this.now();
    let changed = 0;
    for (const j of [...this.queue.values()].filter((x) => matches(x.ad, sel, now))) {
      const s = status(j);
      if (action === 'forcex') {
        if (s === JobStatus.Removed) {
          this.#forceOut(j, caller.name);
          changed++;
        } else this.trace.add(this.name, 'condor', `${j.id} not in X: condor_rm -forcex refused`);
      } else if (action === 'remove' && s !== JobStatus.Removed && s !== JobStatus.Completed) {
        this.life.remove(j, reason ?? `via condor_rm (by user hpcop, ${caller.name})`);
        changed++;
      } else if (
        action === 'hold' &&
        (s === JobStatus.Idle ||
          s === JobStatus.Running ||
          (s === JobStatus.Held && ![1, 16].includes(Number(j.ad.HoldReasonCode))))
      ) {
        this.life.hold(j, 'operator', {
          code: 1,
          subCode: 0,
          reason: reason ?? 'via condor_hold (by user hpcop)',
        });
        changed++;
      } else if (action === 'release' && s === JobStatus.Held) {
        this.life.release(j, caller.name);
        changed++;
      }
    }
    return changed > 0;
  }

  /** condor_qedit HPCAck=true: false when nothing matched. */
  acknowledge(sel: JobSelector, caller: Caller): boolean {
    const now = this.now();
    const found = [...this.queue.values()].filter((j) => matches(j.ad, sel, now));
    for (const j of found) {
      if (j.ad[Tag.Ack] === true) continue;
      for (const l of this.listeners) l.onAcknowledge?.(j, caller);
      j.ad[Tag.Ack] = true;
      this.changed(j, `HPCAck set by ${caller.name}`);
      // An ended job leaves at one of the schedd's periodic passes, also one removed before its HPCAck
      // (shown on the real schedd in test/e2e/models.e2e.test.ts); acknowledged before its removal, it leaves
      // with the removal (ended()).
      const s = status(j);
      if (s === JobStatus.Completed || s === JobStatus.Removed) this.#leaveSoon(j);
    }
    return found.length > 0;
  }

  /** condor_transfer_data: each matching Completed job's sandbox into its initialdir. */
  transferData(sel: JobSelector): void {
    const now = this.now();
    for (const j of this.queue.values()) {
      if (!matches(j.ad, sel, now) || status(j) !== JobStatus.Completed) continue;
      const tag = `${jobUid(j)}#${jobAttempt(j)}`;
      this.files.write(`${j.iwd}/${j.outputFile}`, `stdout of ${tag}\n`);
      this.files.write(`${j.iwd}/${j.errorFile}`, `stderr of ${tag}\n`);
      if (j.transferOutputs.includes('hpc-results')) this.files.write(`${j.iwd}/hpc-results/result.txt`, tag);
      if (j.transferOutputs.includes('hpc-result.json'))
        this.files.write(`${j.iwd}/hpc-result.json`, String(j.ad[Tag.WrapperResult] ?? '{}'));
      if (!j.transferred) this.changed(j, 'output transferred');
      j.transferred = true;
    }
  }

  // ---------------------------------------------------------------------------------------------- faults

  goDown(ms: number): void {
    this.downUntil = Math.max(this.downUntil, this.now() + ms);
    this.trace.add(this.name, 'fault', `schedd down for ${ms} ms`);
  }

  /** For `ms`, each condor_submit commits and then times out with probability `rate`. */
  submitTimeouts(ms: number, rate: number): void {
    this.submitTimeoutsUntil = this.now() + ms;
    this.submitTimeoutRate = rate;
    this.trace.add(this.name, 'fault', `condor_submit commits then times out (${rate}) for ${ms} ms`);
  }

  /** For `ms`, condor_transfer_data fails with probability `rate`. */
  transferFails(ms: number, rate: number): void {
    this.transferFailsUntil = this.now() + ms;
    this.transferFailRate = rate;
    this.trace.add(this.name, 'fault', `condor_transfer_data fails (${rate}) for ${ms} ms`);
  }

  /** The spool is wiped (access point rebuilt): queue and history gone, ids counted from 1 again. */
  wipe(): void {
    const lost = [...this.queue.values()];
    const history = this.history;
    for (const j of lost) j.timer?.cancel();
    this.queue.clear();
    this.history = [];
    this.nextCluster = 1;
    this.epoch++;
    this.trace.add(
      this.name,
      'fault',
      `spool wiped: ${lost.length} queued jobs gone, history emptied, ids restart at 1`,
    );
    for (const l of this.listeners) l.onWipe?.(this.name, lost, history);
  }

  /** History rotation drops the oldest entries. */
  rotate(keep: number): void {
    const dropped = Math.max(0, this.history.length - keep);
    this.history = this.history.slice(0, keep);
    this.trace.add(this.name, 'fault', `history rotated: ${dropped} oldest entries dropped`);
  }

  /** A person (not the operator) acts on a random job of the queue. */
  personAct(action: 'hold' | 'release' | 'remove' | 'forcex'): void {
    const live = [...this.queue.values()].filter((j) =>
      action === 'release'
        ? status(j) === JobStatus.Held && j.heldBy === 'person'
        : status(j) === JobStatus.Idle || status(j) === JobStatus.Running,
    );
    if (live.length === 0) return;
    const j = this.prng.pick(live);
    const tool =
      action === 'remove'
        ? 'condor_rm'
        : action === 'forcex'
          ? 'condor_rm, then condor_rm -forcex'
          : `condor_${action}`;
    this.trace.add('person', 'fault', `${tool} ${this.name} ${j.id}`);
    if (action === 'hold') this.life.hold(j, 'person', PERSON_HOLD);
    else if (action === 'release') this.life.release(j, 'person');
    else {
      this.life.remove(j, 'via condor_rm (by user alice)');
      // -forcex applies to jobs in X only: a person removes the job first.
      if (action === 'forcex' && this.queue.get(j.id) === j) this.#forceOut(j, 'person');
    }
  }

  /** condor_rm -forcex: LeaveJobInQueue = False and the job leaves the queue at once, without its shadow. */
  #forceOut(job: SimJob, by: string): void {
    job.timer?.cancel();
    if (job.shadowCutOff) this.trace.count('removed jobs kept in X, forced out with -forcex');
    job.shadowCutOff = false;
    job.leaveInQueue = false;
    job.ad.LeaveJobInQueue = false;
    this.changed(job, `forced out of the queue (condor_rm -forcex) by ${by}`);
    this.#leaveNow(job);
  }

  /** Releases everything a person held (the schedule heals). */
  personReleaseAll(): void {
    for (const j of this.queue.values()) if (j.heldBy === 'person') this.life.release(j, 'person');
  }

  #leaveSoon(job: SimJob): void {
    if (job.shadowCutOff) return;
    const epoch = this.epoch;
    this.sched.schedule(this.prng.latency(0, 60_000), () => {
      if (this.epoch !== epoch || this.queue.get(job.id) !== job || job.shadowCutOff) return;
      this.#leaveNow(job);
    });
  }

  #leaveNow(job: SimJob): void {
    this.queue.delete(job.id);
    this.history.unshift(job);
    if (this.history.length > this.o.historyMax) this.history.length = this.o.historyMax;
    this.changed(job, 'left the queue for the history');
    for (const l of this.listeners) l.onLeave?.(job);
  }
}

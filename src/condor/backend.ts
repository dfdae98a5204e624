/**
 * Everything the operator does with one schedd, behind methods named for what they do: find an attempt's
 * job, submit, remove, hold, release, acknowledge, fetch output. Inside: a tracker (one condor_q per tick),
 * a submission coalescer, an action batcher and an output fetcher, each in its own call lane. Controllers
 * get a backend from `SchedulerBackends.for(target)` and never see these parts.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runtime/clock.js';
import { every } from '../runtime/clock.js';
import { ActionBatcher } from './actions.js';
import { SubmitCoalescer, type SubmitOutcome, type SubmitRequest } from './coalescer.js';
import { MatchAnalyzer, type AnalysisResult } from './match-analyzer.js';
import type { CondorMetrics } from './metrics.js';
import { JobStatus } from './job-status.js';
import { OutputFetcher, type FetchState } from './output-fetcher.js';
import { adNumber } from './parse.js';
import { scheddLabel, type CondorConnector, type JobRef, type ScheddTarget } from './schedd-api.js';
import { SetSubmitter, type SetSubmitOutcome, type SetSubmitRequest } from './set-submitter.js';
import { JobTracker, type Lookup, type TrackedJob } from './tracker.js';

export type { AnalysisResult } from './match-analyzer.js';
export type { FetchState } from './output-fetcher.js';
export type { SubmitOutcome, SubmitRequest } from './coalescer.js';
export type { SetSubmitOutcome, SetSubmitRequest } from './set-submitter.js';
export type { Lookup, TrackedJob } from './tracker.js';

export interface BackendsOptions {
  connector: CondorConnector;
  operatorId: string;
  clock: Clock;
  log: Logger;
  metrics?: CondorMetrics;
  /** An HPCJob (namespace/name) needs a reconcile: its job changed or its submission finished. */
  onChange: (ref: string) => void;
  /** A schedd became unreachable or reachable again. */
  onReachability?: (schedd: string, reachable: boolean) => void;
  /** May this replica submit now? (leader election's fence) */
  fence?: () => boolean;
  tracker?: {
    minIntervalMs?: number;
    activeMaxIntervalMs?: number;
    maxIntervalMs?: number;
    absentAfterMs?: number;
    fullPollIntervalMs?: number;
  };
  coalescer?: { maxBatch?: number; lingerMs?: number; maxLingerMs?: number };
  /** Test-only failpoint, run right after a successful condor_submit and before anything is recorded. */
  afterSubmit?: () => void;
  /** A backend nobody used for this long, with nothing of ours in its queue, is dropped (default 10 min). */
  idleAfterMs?: number;
  /** An autocluster's match analysis is made again at most this often (default 5 min). */
  matchAnalysisEveryMs?: number;
}

/** Where a schedd stands, for conditions. */
export interface ScheddState {
  synced: boolean;
  reachable: boolean;
  lastError?: string;
}

export class SchedulerBackend {
  readonly name: string;
  readonly target: ScheddTarget;
  readonly #tracker: JobTracker;
  readonly #submissions: SubmitCoalescer;
  readonly #sets: SetSubmitter;
  readonly #actions: ActionBatcher;
  readonly #fetcher: OutputFetcher;
  readonly #analyzer: MatchAnalyzer;
  readonly #clock: Clock;
  readonly #metrics: CondorMetrics | undefined;
  #lastUsed: number;

  constructor(target: ScheddTarget, o: BackendsOptions) {
    const api = o.connector.schedd(target);
    this.target = target;
    this.name = scheddLabel(target);
    this.#clock = o.clock;
    this.#metrics = o.metrics;
    this.#lastUsed = o.clock.now();
    const log = o.log.child({ schedd: this.name });
    const common = { operatorId: o.operatorId, clock: o.clock, log, metrics: o.metrics };
    this.#tracker = new JobTracker(api, {
      ...common,
      onChange: o.onChange,
      onReachability: (reachable) => o.onReachability?.(this.name, reachable),
      onTampered: (job) => this.#actions.request('remove', { job }, { reason: TAMPERED }),
      onLeft: (job) => this.#fetcher.forget(job),
      ...o.tracker,
    });
    this.#submissions = new SubmitCoalescer(api, {
      ...common,
      onDone: (ref) => {
        this.#tracker.nudge();
        o.onChange(ref);
      },
      fence: o.fence,
      afterSubmit: o.afterSubmit,
      ...o.coalescer,
    });
    this.#sets = new SetSubmitter(api, {
      ...common,
      onDone: (ref) => {
        this.#tracker.nudge();
        o.onChange(ref);
      },
      fence: o.fence,
    });
    this.#actions = new ActionBatcher(api, { ...common, onFlushed: (f) => this.#tracker.nudge(f) });
    this.#fetcher = new OutputFetcher(api, { ...common, onDone: o.onChange });
    this.#analyzer = new MatchAnalyzer(api, {
      ...common,
      onDone: o.onChange,
      everyMs: o.matchAnalysisEveryMs,
    });
  }

  /** Whether the schedd answers, and whether it has been read at all since start. */
  get state(): ScheddState {
    const t = this.#tracker;
    return { synced: t.synced, reachable: t.reachable, lastError: t.lastError };
  }

  /**
   * How loaded the schedd is with this operator's work, for spreading new HPCJobs (LeastQueued): our jobs
   * in its queue as the last read saw them, plus submissions asked for and not yet answered. Both are
   * counted in memory: no call to the schedd.
   */
  load(): number {
    return (this.#tracker.memory().queue ?? 0) + this.#submissions.waiting;
  }

  /** The job of attempt `attempt` of HPCJob `uid` (see JobTracker.find). */
  find(uid: string, attempt: number, o: { jobId?: string } = {}): Lookup {
    this.#used();
    return this.#tracker.find(uid, attempt, o);
  }

  /** Every job of the HPCJob still in the queue. */
  jobsOf(uid: string): TrackedJob[] {
    this.#used();
    return this.#tracker.inQueue(uid);
  }

  /**
   * True when nothing of the HPCJob can still appear: no submission queued or running, and a read of the
   * queue began after the last one ended (a condor_submit that timed out may have committed: a read that
   * began later shows its job).
   */
  settled(uid: string): boolean {
    const s = this.#submissions.settledSince(uid);
    const set = this.#sets.settledSince(uid);
    const lastEnded = Math.max(s.lastEnded, set.lastEnded);
    return !s.busy && !set.busy && this.#tracker.synced && this.#tracker.lastReadStart > lastEnded;
  }

  /** Submits an HPCJobSet's indices in one condor_submit (see SetSubmitter). */
  submitSet(req: SetSubmitRequest): void {
    this.#used();
    this.#sets.request(req);
  }

  setSubmission(uid: string): SetSubmitOutcome | undefined {
    return this.#sets.outcome(uid);
  }

  clearSetSubmission(uid: string): void {
    this.#sets.clear(uid);
  }

  submission(uid: string, attempt: number): SubmitOutcome | undefined {
    return this.#submissions.outcome(uid, attempt);
  }

  submit(req: SubmitRequest): void {
    this.#used();
    this.#submissions.request(req);
  }

  /** Records that an attempt cannot be submitted (its files could not be prepared). */
  refuse(
    req: Pick<SubmitRequest, 'uid' | 'attempt' | 'ref'>,
    f: { message: string; reason: string; permanent: boolean },
  ): void {
    this.#submissions.reject(req, f);
  }

  clearSubmission(uid: string, attempt: number): void {
    this.#submissions.clear(uid, attempt);
  }

  remove(target: { job: JobRef } | { uid: string }, reason: string): void {
    this.#actions.request('remove', target, { reason });
  }

  /** Removes every job of a deleted object, acknowledged first so that they leave the queue at once. */
  discard(target: { uid: string }, reason: string): void {
    this.#actions.request('discard', target, { reason });
  }

  /**
   * condor_rm -forcex of a job the tracker last saw removed (X): it leaves the queue at once. A job seen in
   * any other state (or not at all) is refused here, before HTCondor would refuse it: a live job is removed
   * the ordinary way first. 'sent' when asked for, 'repeat' when it was asked for moments ago.
   */
  forceRemove(job: JobRef): 'sent' | 'repeat' | 'notRemoved' {
    const seen = this.#tracker.inQueue(job.uid).find((j) => j.jobId === job.jobId);
    if (!seen || adNumber(seen.ad, 'JobStatus') !== JobStatus.Removed) return 'notRemoved';
    if (!this.#actions.request('forcex', { job })) return 'repeat';
    this.#metrics?.forcedRemovals.inc({ schedd: this.name });
    return 'sent';
  }

  hold(job: JobRef, reason: string): void {
    this.#actions.request('hold', { job }, { reason });
  }

  /** Releases the hold of `job` that began at `holdSince` (s, EnteredCurrentStatus). */
  release(job: JobRef, holdSince: number | undefined): void {
    this.#actions.request('release', { job }, { instance: holdSince });
  }

  /** The job's end is recorded: it may leave the queue (and HTCondor may delete its sandbox). */
  acknowledge(job: JobRef): void {
    this.#tracker.ack(job);
    this.#fetcher.forget(job);
  }

  /** Asks for the job's output sandbox (once; a fetch that fails is tried again with backoff). */
  fetchOutput(job: TrackedJob): FetchState {
    return this.#fetcher.fetch(job, job.ref);
  }

  /** Where fetching the job's output stands; undefined when it was not asked for. */
  fetchStatus(job: JobRef): FetchState | undefined {
    return this.#fetcher.status(job);
  }

  /** Asks HTCondor why the idle job does not run (at most once per autocluster per interval). */
  analyze(job: TrackedJob): void {
    this.#analyzer.request(job);
  }

  /** The latest match analysis that stands for the job, if one was made. */
  analysis(job: TrackedJob): AnalysisResult | undefined {
    return this.#analyzer.latest(job);
  }

  /** Forgets everything kept about an HPCJob that is gone. */
  forget(uid: string): void {
    this.#tracker.forget(uid);
    this.#submissions.forget(uid);
    this.#sets.forget(uid);
    this.#fetcher.forgetUid(uid);
  }

  /** Entries held, by kind (the simulation checks they fall back once jobs are gone). */
  memory(): Record<string, number> {
    return {
      ...this.#tracker.memory(),
      ...this.#submissions.memory(),
      ...this.#sets.memory(),
      ...this.#actions.memory(),
      ...this.#fetcher.memory(),
      ...this.#analyzer.memory(),
    };
  }

  /** Unused for `ms` with nothing of ours left in the queue, no submission or fetch waiting. */
  idleFor(ms: number): boolean {
    const m = this.memory();
    const holding =
      (m.queue ?? 0) +
      (m.submitOutcomes ?? 0) +
      (m.setSubmitOutcomes ?? 0) +
      (m.fetches ?? 0) +
      (m.historyPending ?? 0);
    return holding === 0 && this.#clock.now() - this.#lastUsed >= ms;
  }

  start(): void {
    this.#tracker.start();
  }

  /** Stops submitting (nothing can commit afterwards), sends pending actions, stops polling. */
  async stop(): Promise<void> {
    await this.#submissions.drain();
    await this.#sets.drain();
    await this.#actions.drain();
    await this.#fetcher.drain();
    this.#analyzer.stop();
    await this.#tracker.stop();
  }

  /** Polls now (tests). */
  pollNow(): Promise<void> {
    return this.#tracker.pollNow();
  }

  #used(): void {
    this.#lastUsed = this.#clock.now();
  }
}

/** A backend nobody used for this long, with nothing of ours in its queue, is dropped. */
const DEFAULT_IDLE_MS = 600_000;

/** Reason given to condor_rm for a job whose identity attributes changed after submission. */
const TAMPERED = 'its HPCJobUID/HPCJobAttempt/HPCJobRef changed after submission';

/** One backend per schedd, made on first use (the default pool, and each VirtualCluster's); idle ones go. */
export class SchedulerBackends {
  readonly #o: BackendsOptions;
  readonly #backends = new Map<string, SchedulerBackend>();
  #started = false;
  #sweeper: Timer | undefined;
  #keep = new Set<string>();

  constructor(o: BackendsOptions) {
    this.#o = o;
  }

  for(target: ScheddTarget): SchedulerBackend {
    const k = keyOf(target);
    let b = this.#backends.get(k);
    if (!b) {
      b = new SchedulerBackend(target, this.#o);
      this.#backends.set(k, b);
      if (this.#started) b.start();
    }
    return b;
  }

  /** Never drop this target's backend (the default pool). */
  keep(target: ScheddTarget): void {
    this.#keep.add(keyOf(target));
  }

  all(): SchedulerBackend[] {
    return [...this.#backends.values()];
  }

  start(): void {
    this.#started = true;
    for (const b of this.#backends.values()) b.start();
    const idleAfter = this.#o.idleAfterMs ?? DEFAULT_IDLE_MS;
    // Look often enough that a backend goes within about a tenth of its idle time after it became idle.
    this.#sweeper = every(
      this.#o.clock,
      Math.min(60_000, Math.max(1000, idleAfter / 10)),
      () => void this.#sweep(),
    );
  }

  /** Drains every backend: after this resolves no submission of this replica can commit any more. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#sweeper?.cancel();
    await Promise.all([...this.#backends.values()].map((b) => b.stop()));
  }

  memory(): Record<string, number> {
    const total: Record<string, number> = { backends: this.#backends.size };
    for (const b of this.#backends.values())
      for (const [k, v] of Object.entries(b.memory())) total[k] = (total[k] ?? 0) + v;
    return total;
  }

  async #sweep(): Promise<void> {
    const idleAfter = this.#o.idleAfterMs ?? DEFAULT_IDLE_MS;
    for (const [k, b] of this.#backends) {
      if (this.#keep.has(k) || !b.idleFor(idleAfter)) continue;
      this.#backends.delete(k);
      await b.stop();
      this.#o.log.info({ schedd: b.name, pool: b.target.pool }, 'dropped an unused schedd backend');
    }
  }
}

function keyOf(t: ScheddTarget): string {
  return `${t.name ?? ''}\0${t.pool ?? ''}`;
}

/**
 * Tracks every job one operator has on one schedd with one condor_q per tick — never a query per job — and
 * one condor_history per tick for the attempts the queue does not show. The interval adapts: about a second
 * while things change (or right after a submission or action), backing off when idle. Each change is
 * reported as the HPCJob's namespace/name so its reconcile runs; reconciles read from here.
 *
 * Most ticks read only the jobs whose status changed since the last good tick (EnteredCurrentStatus, by the
 * schedd's clock): every attribute the status needs changes together with JobStatus. A whole read every
 * `fullPollIntervalMs` finds the jobs that left the queue and is the safety net for anything a delta missed.
 *
 * Jobs are found by (HPCJob uid, attempt), never by job id alone: ids are reused when a schedd's spool is
 * wiped. What is kept per job is dropped once the job has left the queue and nobody asks about it.
 */
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runtime/clock.js';
import { AckQueue } from './acks.js';
import { CondorError } from './errors.js';
import { HistoryLookups } from './history-lookups.js';
import type { CondorMetrics } from './metrics.js';
import type { JobAd } from './parse.js';
import { QueueSnapshot, sameAd, type TrackedJob } from './queue-snapshot.js';
import type { JobRef, JobSelector, ScheddApi } from './schedd-api.js';
import { TRACKED_ATTRIBUTES } from './tags.js';

export type { TrackedJob } from './queue-snapshot.js';

/** Where an attempt's job stands: found (queue or history), not known yet, or gone for good. */
export type Lookup = { state: 'found'; job: TrackedJob } | { state: 'pending' } | { state: 'absent' };

export interface TrackerOptions {
  operatorId: string;
  clock: Clock;
  log: Logger;
  metrics?: CondorMetrics;
  /** Called with namespace/name of each HPCJob whose job changed. */
  onChange: (ref: string) => void;
  /** Called when the schedd becomes unreachable or reachable again. */
  onReachability?: (reachable: boolean, error?: string) => void;
  /** Called when a job's identity attributes changed after it was first seen (it is ignored). */
  onTampered?: (job: TrackedJob) => void;
  /** Called with each job a whole read no longer shows (what others keep about it can go). */
  onLeft?: (job: JobRef) => void;
  minIntervalMs?: number;
  /** Longest interval while jobs are in the queue (bounds status latency). */
  activeMaxIntervalMs?: number;
  /** Longest interval with no job of ours in the queue. */
  maxIntervalMs?: number;
  /** How long history lookups must keep missing an attempt before it is absent (lost). */
  absentAfterMs?: number;
  /** Read the whole queue at least this often; ticks in between read only what changed. 0: always whole. */
  fullPollIntervalMs?: number;
}

/** A job's key: its id and its HPCJob (ids are reused after a spool wipe). */
export const refKey = (j: JobRef): string => `${j.jobId}|${j.uid}`;

/** Seconds of overlap between delta windows: status changes the schedd commits a little late are not missed. */
const DELTA_MARGIN_SECONDS = 10;
/** Most HPCJobs per condor_history. */
const MAX_PER_CALL = 200;
/** History entries asked for per HPCJob looked up (its attempts, newest first). */
const HISTORY_ENTRIES_PER_UID = 20;

export class JobTracker {
  readonly #api: ScheddApi;
  readonly #o: Required<Omit<TrackerOptions, 'metrics' | 'onReachability' | 'onTampered' | 'onLeft'>> &
    Pick<TrackerOptions, 'metrics' | 'onReachability' | 'onTampered' | 'onLeft'>;
  readonly #queue = new QueueSnapshot();
  readonly #history: HistoryLookups;
  /** Jobs acknowledged by us (HPCAck asked for), by refKey; dropped when the job leaves the queue. */
  readonly #acked = new Set<string>();
  readonly #ackQueue = new AckQueue();
  #timer: Timer | undefined;
  #interval: number;
  #polling: Promise<void> | undefined;
  #stopped = true;
  #synced = false;
  #reachable = true;
  #lastError: string | undefined;
  #lastPollStart = 0;
  #lastPollOk = 0;
  #lastFullReadStart = 0;
  #nudged = false;
  #wantFull = false;

  constructor(api: ScheddApi, o: TrackerOptions) {
    this.#api = api;
    this.#o = {
      minIntervalMs: 1000,
      activeMaxIntervalMs: 2000,
      maxIntervalMs: 30_000,
      absentAfterMs: 60_000,
      fullPollIntervalMs: 30_000,
      ...o,
    };
    this.#interval = this.#o.minIntervalMs;
    this.#history = new HistoryLookups(this.#o.absentAfterMs);
  }

  get name(): string {
    return this.#api.label;
  }

  /** True once a poll has succeeded since start: before that, absence means nothing. */
  get synced(): boolean {
    return this.#synced;
  }

  get reachable(): boolean {
    return this.#reachable;
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** When the last successful whole-queue read began (ms): only such a read can tell that a job is gone. */
  get lastFullReadStart(): number {
    return this.#lastFullReadStart;
  }

  /**
   * When the last successful read began (ms), whole or delta: a job that entered the queue before then is in
   * the snapshot (delta windows overlap the previous read by DELTA_MARGIN_SECONDS).
   */
  get lastReadStart(): number {
    return this.#lastPollOk;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#polling;
  }

  /**
   * Polls soon: something was just submitted or acted on. `full`: jobs left the queue (condor_rm -forcex),
   * which only a whole read shows.
   */
  nudge(o: { full?: boolean } = {}): void {
    this.#nudged = true;
    if (o.full) this.#wantFull = true;
    this.#interval = this.#o.minIntervalMs;
    if (this.#stopped || this.#polling) return;
    const due = this.#lastPollStart + this.#o.minIntervalMs - this.#o.clock.now();
    this.#schedule(Math.max(0, Math.min(due, this.#o.minIntervalMs)));
  }

  /**
   * The job of one attempt: from the queue, else from the history. When neither shows it, the history is
   * asked (over the next polls) before the attempt is called absent. `jobId` (the id recorded for the
   * attempt) picks the right job should two ever claim the same attempt.
   */
  find(uid: string, attempt: number, o: { jobId?: string } = {}): Lookup {
    if (!this.#synced) return { state: 'pending' };
    const inQueue = this.#queue.ofAttempt(uid, attempt);
    if (inQueue.length > 0) this.#history.seenInQueue(uid, attempt);
    const job =
      inQueue.find((j) => j.jobId === o.jobId) ??
      inQueue[0] ??
      this.#history.found(uid, attempt, this.#o.clock.now());
    if (job) return { state: 'found', job: this.#withAck(job) };
    const verdict = this.#history.ask(uid, attempt, this.#o.clock.now(), this.#lastFullReadStart);
    if (verdict === 'pending') this.nudge();
    return { state: verdict };
  }

  /** Every job of an HPCJob (any attempt) in the queue, tampered ones excluded. */
  inQueue(uid: string): TrackedJob[] {
    return this.#queue.ofUid(uid).map((j) => this.#withAck(j));
  }

  /** Jobs whose identity changed after submission (they belong to nobody; the backend removes them). */
  tampered(): TrackedJob[] {
    return this.#queue.tampered();
  }

  /** Marks a job's end as recorded: it may leave the queue. Sent in one condor_qedit per tick. */
  ack(job: JobRef): void {
    this.#history.recorded(job.jobId);
    const k = refKey(job);
    if (this.#acked.has(k)) return;
    this.#acked.add(k);
    this.#ackQueue.set(k, { jobId: job.jobId, uid: job.uid });
    this.nudge();
  }

  /** Forgets what is kept about an HPCJob that is gone. */
  forget(uid: string): void {
    this.#history.forget(uid);
  }

  /** Entries held (each belongs to a job in the queue or an attempt being looked up). */
  memory(): Record<string, number> {
    return { ...this.#queue.memory(), ...this.#history.memory(), acked: this.#acked.size };
  }

  /** One poll now (tests, and the first sync). */
  async pollNow(): Promise<void> {
    if (this.#polling) await this.#polling;
    this.#polling = this.#poll().finally(() => (this.#polling = undefined));
    await this.#polling;
  }

  #withAck(job: TrackedJob): TrackedJob {
    return job.acked || !this.#acked.has(refKey(job)) ? job : { ...job, acked: true };
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = this.#o.clock.after(ms, () => {
      this.#timer = undefined;
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
        this.#schedule(this.#interval);
      });
    });
  }

  async #poll(): Promise<void> {
    const started = this.#o.clock.now();
    this.#lastPollStart = started;
    const nudged = this.#nudged;
    this.#nudged = false;
    const end = this.#o.metrics?.trackerPollDuration.startTimer({ schedd: this.name });
    let changed = false;
    try {
      await this.#flushAcks();
      const full =
        this.#wantFull ||
        !this.#synced ||
        this.#o.fullPollIntervalMs <= 0 ||
        started - this.#lastFullReadStart >= this.#o.fullPollIntervalMs ||
        // Never let a delta window grow long: after an outage, read everything.
        started - this.#lastPollOk >= this.#o.fullPollIntervalMs;
      changed = full ? await this.#readAll() : await this.#readChanged(started);
      this.#o.metrics?.trackerPolls.inc({ schedd: this.name, kind: full ? 'full' : 'delta' });
      changed = (await this.#lookUpHistory()) || changed;
      this.#lastPollOk = started;
      if (full) {
        this.#lastFullReadStart = started;
        this.#wantFull = false;
      }
      if (!this.#synced) {
        this.#synced = true;
        changed = true;
      }
      this.#setReachable(true);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.#lastError = msg;
      this.#o.log.warn({ schedd: this.name, err: msg }, 'tracker poll failed');
      // Whatever failed (daemon down, timeout, unparseable answer), the queue could not be read: keep the
      // last snapshot, report the schedd unreachable, and back off.
      this.#setReachable(false, e instanceof CondorError ? `${e.kind}: ${msg}` : msg);
    } finally {
      end?.();
    }
    this.#history.prune(this.#o.clock.now());
    this.#o.metrics?.trackerJobs.set({ schedd: this.name }, this.#queue.size);
    this.#adapt(changed || nudged);
  }

  /** Fast while things move or someone is waiting on us, slower while idle or unreachable. */
  #adapt(active: boolean): void {
    const busy = active || this.#history.pending > 0 || this.#ackQueue.size > 0;
    this.#interval =
      busy && this.#reachable
        ? this.#o.minIntervalMs
        : Math.min(
            this.#queue.size > 0 && this.#reachable ? this.#o.activeMaxIntervalMs : this.#o.maxIntervalMs,
            this.#interval * 2,
          );
  }

  #ours(extra: Partial<JobSelector> = {}): JobSelector {
    return { operator: this.#o.operatorId, ...extra };
  }

  #setReachable(reachable: boolean, error?: string): void {
    this.#o.metrics?.scheddReachable.set({ schedd: this.name }, reachable ? 1 : 0);
    if (reachable) this.#lastError = undefined;
    if (this.#reachable === reachable) return;
    this.#reachable = reachable;
    this.#o.log.info(
      { schedd: this.name, reachable },
      reachable ? 'schedd reachable again' : 'schedd unreachable',
    );
    this.#o.onReachability?.(reachable, error);
  }

  /** Admits an ad; a tampered job is reported (once) and left out. */
  #admit(ad: JobAd): TrackedJob | undefined {
    const a = this.#queue.admit(ad);
    if (!a) return undefined;
    if (!a.tampered) return a.job;
    this.#o.metrics?.identityChanges.inc({ schedd: this.name });
    this.#o.log.warn(
      { schedd: this.name, jobId: a.job.jobId, claims: a.job.ref },
      'job identity attributes changed after submission: ignoring the job',
    );
    this.#o.onTampered?.(a.job);
    return undefined;
  }

  /**
   * A whole read: replaces the snapshot (true when anything changed). Ads are taken as they are read: an
   * unchanged job keeps its object, the new ad is garbage at once, never all held (bench/tracker-memory.ts).
   */
  async #readAll(): Promise<boolean> {
    const next = new Map<string, TrackedJob>();
    const changedRefs = new Set<string>();
    // Only a tampered job needs the ids of every ad (it is kept while its id is in the queue).
    const presentIds = this.#queue.tampered().length > 0 ? new Set<string>() : undefined;
    const take = (ad: JobAd): void => {
      presentIds?.add(`${String(ad.ClusterId)}.${String(ad.ProcId)}`);
      const job = this.#admit(ad);
      if (!job) return;
      const old = this.#queue.get(job.jobId);
      if (old && old.acked === job.acked && old.uid === job.uid && sameAd(old.ad, job.ad)) {
        next.set(old.jobId, old);
        return;
      }
      next.set(job.jobId, job);
      changedRefs.add(job.ref);
    };
    for (const ad of await this.#api.query(this.#ours(), TRACKED_ATTRIBUTES, 'track', take)) take(ad);
    for (const left of this.#queue.replace(next)) changedRefs.add(this.#left(left));
    if (presentIds) this.#queue.dropTampered(presentIds);
    for (const k of [...this.#acked]) {
      const [jobId = '', uid] = k.split('|');
      if (this.#queue.get(jobId)?.uid !== uid) this.#acked.delete(k);
    }
    for (const ref of changedRefs) this.#o.onChange(ref);
    return changedRefs.size > 0;
  }

  /**
   * A job left the queue (or its id went to another job): what was kept for it goes, its acknowledgement
   * included, which would otherwise count for the job that has its id now (refKey is id and uid: the next
   * attempt of the same HPCJob can get the id back after a spool wipe; found by the simulation, seed 9331).
   * Its HPCJob always hears of it: one whose end is recorded may be waiting for it to go (its finalizer, or
   * the sweep of a finished HPCJob), and only a whole read can tell. Returns its HPCJob's ref.
   */
  #left(left: TrackedJob): string {
    const k = refKey(left);
    this.#acked.delete(k);
    this.#ackQueue.delete(k);
    this.#o.onLeft?.(left);
    return left.ref;
  }

  /** Merges the jobs whose status changed (nothing leaves the snapshot: only a whole read says so). */
  async #readChanged(started: number): Promise<boolean> {
    const windowSeconds = Math.ceil((started - this.#lastPollOk) / 1000) + DELTA_MARGIN_SECONDS;
    const sel = this.#ours({ changedWithinSeconds: windowSeconds });
    const ads = await this.#api.query(sel, TRACKED_ATTRIBUTES, 'track');
    const changedRefs = new Set<string>();
    for (const ad of ads) {
      const job = this.#admit(ad);
      if (!job) continue;
      const old = this.#queue.get(job.jobId);
      if (old && old.uid === job.uid && sameAd(old.ad, job.ad)) continue;
      const displaced = this.#queue.upsert(job);
      if (displaced) changedRefs.add(this.#left(displaced));
      changedRefs.add(job.ref);
    }
    for (const ref of changedRefs) this.#o.onChange(ref);
    return changedRefs.size > 0;
  }

  /** One condor_history for the attempts being looked up. */
  async #lookUpHistory(): Promise<boolean> {
    const uids = this.#history.uids().slice(0, MAX_PER_CALL);
    if (uids.length === 0) return false;
    const ads = await this.#api.history(this.#ours({ uids }), TRACKED_ATTRIBUTES, {
      limit: uids.length * HISTORY_ENTRIES_PER_UID,
    });
    const refs = this.#history.record(uids, ads, this.#o.clock.now());
    for (const ref of refs) this.#o.onChange(ref);
    return refs.length > 0;
  }

  /** One condor_qedit HPCAck=true for the jobs acknowledged since the last tick (acks.ts). */
  async #flushAcks(): Promise<void> {
    const inQueue = (r: JobRef) => this.#queue.get(r.jobId)?.uid === r.uid;
    const err = await this.#ackQueue.flush(this.#api, (x) => this.#ours(x), inQueue);
    if (err !== undefined) this.#o.log.warn({ err }, 'acks not sent: reading the whole queue (who left)');
    if (err !== undefined) this.#wantFull = true;
  }
}

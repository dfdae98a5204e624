/**
 * Tracks every job one operator has on one schedd with one condor_q per tick — never a query per job:
 * `condor_q -allusers -constraint 'HPCOperator == "<id>"' -json -attributes <only what status needs>`, and
 * one condor_history for jobs that left the queue without being acknowledged. The interval adapts: about
 * a second while things change (or right after a submission or action), backing off to 30 s when idle.
 * Each change is reported as the HPCJob's namespace/name so its reconcile runs; reconciles read from here.
 *
 * Most ticks ask only for the jobs whose status changed since the last good tick (EnteredCurrentStatus,
 * judged by the schedd's own clock): every attribute the status needs changes together with JobStatus, so
 * with thousands of queued jobs a tick reads a handful of ads instead of all of them. A full read every
 * `fullPollIntervalMs` finds the jobs that left the queue and is the safety net for anything a delta missed.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../runtime/metrics.js';
import { CondorError } from './errors.js';
import { adBool, adNumber, adString, type JobAd } from './parse.js';
import type { ScheddClient } from './schedd.js';
import { classAdLiteral } from './submit-description.js';
import { Tag, TRACKED_ATTRIBUTES } from './tags.js';

export interface TrackedJob {
  jobId: string;
  uid: string;
  attempt: number;
  ref: string;
  ad: JobAd;
  /** Where the ad comes from: the live queue, the history of jobs that left it, or our own submission. */
  source: 'queue' | 'history' | 'submitted';
  acked: boolean;
}

/** Whether a submitted attempt can be found: present, not yet known (too early to tell), or gone. */
export type Presence = 'present' | 'pending' | 'absent';

export interface TrackerOptions {
  operatorId: string;
  log: Logger;
  metrics?: Metrics;
  /** Called with namespace/name of each HPCJob whose job changed. */
  onChange: (ref: string) => void;
  /** Called when the schedd becomes unreachable or reachable again. */
  onReachability?: (reachable: boolean, error?: string) => void;
  /** Poll interval while things change. */
  minIntervalMs?: number;
  /** Longest interval while jobs are in the queue (they may change at any moment: this bounds status latency). */
  activeMaxIntervalMs?: number;
  /** Longest interval with no job of ours in the queue. */
  maxIntervalMs?: number;
  /** A submitted job neither in the queue nor in the history for this long is absent (lost). */
  absentAfterMs?: number;
  /** Read the whole queue at least this often; ticks in between read only what changed. 0: always whole. */
  fullPollIntervalMs?: number;
}

/** Seconds of overlap between delta windows: status writes the schedd commits a little late are not missed. */
const DELTA_MARGIN_SECONDS = 10;

const attemptKey = (uid: string, attempt: number) => `${uid}#${attempt}`;

export class JobTracker {
  readonly #schedd: ScheddClient;
  readonly #o: Required<Omit<TrackerOptions, 'metrics' | 'onReachability'>> &
    Pick<TrackerOptions, 'metrics' | 'onReachability'>;
  /** The last queue snapshot, by job id. */
  #queue = new Map<string, TrackedJob>();
  /** Job ids in the queue snapshot, by HPCJob uid. */
  #byUid = new Map<string, Set<string>>();
  /** Jobs found in the history, by job id (kept for an hour). */
  readonly #history = new Map<string, { job: TrackedJob; at: number }>();
  /** uid#attempt -> job id, over queue and history. */
  readonly #byAttempt = new Map<string, string>();
  /** Submitted by us but not seen yet: uid#attempt -> details. */
  readonly #expected = new Map<string, { jobId: string; ref: string; at: number }>();
  /** Ids we looked for in the history and did not find, with when first missed. */
  readonly #missing = new Map<string, number>();
  /** Ids that left the queue and must be looked up in the history. */
  readonly #departed = new Set<string>();
  /** Ids acknowledged by us (HPCAck set, or asked to be). */
  readonly #acked = new Set<string>();
  readonly #ackQueue = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #interval: number;
  #polling: Promise<void> | undefined;
  #stopped = true;
  #synced = false;
  #reachable = true;
  #lastError: string | undefined;
  #lastPollStart = 0;
  #lastPollOk = 0;
  /** Start of the last successful whole-queue read: only it can tell that a job is gone. */
  #lastFullPollOk = 0;
  #nudged = false;

  constructor(schedd: ScheddClient, o: TrackerOptions) {
    this.#schedd = schedd;
    this.#o = {
      minIntervalMs: 1000,
      activeMaxIntervalMs: 2000,
      maxIntervalMs: 30_000,
      absentAfterMs: 60_000,
      fullPollIntervalMs: 30_000,
      ...o,
    };
    this.#interval = this.#o.minIntervalMs;
  }

  get name(): string {
    return this.#schedd.label;
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

  /** Start time of the last successful poll (ms since epoch). */
  get lastPollOk(): number {
    return this.#lastPollOk;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#polling;
  }

  /** Polls soon: something was just submitted or acted on. */
  nudge(): void {
    this.#nudged = true;
    this.#interval = this.#o.minIntervalMs;
    if (this.#stopped || this.#polling) return;
    const due = this.#lastPollStart + this.#o.minIntervalMs - Date.now();
    this.#schedule(Math.max(0, Math.min(due, this.#o.minIntervalMs)));
  }

  /** The job of one attempt, from the queue, the history, or a submission not yet polled. */
  find(uid: string, attempt: number): TrackedJob | undefined {
    const id = this.#byAttempt.get(attemptKey(uid, attempt));
    if (!id) return undefined;
    return this.#queue.get(id) ?? this.#history.get(id)?.job;
  }

  /** Every job of an HPCJob (any attempt) currently in the queue. */
  inQueue(uid: string): TrackedJob[] {
    const ids = this.#byUid.get(uid);
    if (!ids) return [];
    return [...ids].flatMap((id) => {
      const j = this.#queue.get(id);
      return j ? [j] : [];
    });
  }

  /** The job id recorded for an attempt just submitted (before any poll saw it). */
  expectedJobId(uid: string, attempt: number): string | undefined {
    return this.#expected.get(attemptKey(uid, attempt))?.jobId;
  }

  /**
   * Whether a submitted attempt exists. `pending` until a poll that started after the submission (plus
   * the history lookup for it) has run and the grace period is over; then `absent` means lost.
   */
  presence(uid: string, attempt: number, submittedAt: number): Presence {
    if (this.find(uid, attempt)) return 'present';
    if (!this.#synced || this.#lastFullPollOk < submittedAt) return 'pending';
    const id =
      this.#byAttempt.get(attemptKey(uid, attempt)) ?? this.#expected.get(attemptKey(uid, attempt))?.jobId;
    const missedAt = id ? this.#missing.get(id) : undefined;
    if (id && missedAt === undefined) return 'pending';
    const since = missedAt ?? submittedAt;
    return Date.now() - since > this.#o.absentAfterMs ? 'absent' : 'pending';
  }

  /** Records a job just submitted, so find() returns it before the next poll. */
  expect(uid: string, attempt: number, jobId: string, ref: string): void {
    const k = attemptKey(uid, attempt);
    this.#expected.set(k, { jobId, ref, at: Date.now() });
    this.#byAttempt.set(k, jobId);
    if (!this.#queue.has(jobId)) {
      this.#queue.set(jobId, { jobId, uid, attempt, ref, ad: {}, source: 'submitted', acked: false });
      this.#byUid.set(uid, new Set([...(this.#byUid.get(uid) ?? []), jobId]));
    }
    this.nudge();
  }

  /** Marks a job's end as recorded: it may leave the queue. Sent in one condor_qedit per tick. */
  ack(jobId: string): void {
    if (this.#acked.has(jobId)) return;
    this.#acked.add(jobId);
    this.#ackQueue.add(jobId);
    this.nudge();
  }

  isAcked(jobId: string): boolean {
    return this.#acked.has(jobId);
  }

  /** One poll now (tests, and the first sync). */
  async pollNow(): Promise<void> {
    if (this.#polling) await this.#polling;
    this.#polling = this.#poll().finally(() => (this.#polling = undefined));
    await this.#polling;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
        this.#schedule(this.#interval);
      });
    }, ms);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const started = Date.now();
    this.#lastPollStart = started;
    const nudged = this.#nudged;
    this.#nudged = false;
    const end = this.#o.metrics?.trackerPollDuration.startTimer({ schedd: this.name });
    let changed = false;
    try {
      await this.#flushAcks();
      const ours = `${Tag.Operator} == ${classAdLiteral(this.#o.operatorId)}`;
      const full =
        !this.#synced ||
        this.#o.fullPollIntervalMs <= 0 ||
        started - this.#lastFullPollOk >= this.#o.fullPollIntervalMs ||
        // Never let a delta window grow long: after an outage, read everything.
        started - this.#lastPollOk >= this.#o.fullPollIntervalMs;
      if (full) {
        const ads = await this.#schedd.query(ours, TRACKED_ATTRIBUTES);
        changed = this.#applyQueue(ads, started);
      } else {
        const windowSeconds = Math.ceil((started - this.#lastPollOk) / 1000) + DELTA_MARGIN_SECONDS;
        const ads = await this.#schedd.query(
          `${ours} && EnteredCurrentStatus >= time() - ${windowSeconds}`,
          TRACKED_ATTRIBUTES,
        );
        changed = this.#applyDelta(ads);
      }
      this.#o.metrics?.trackerPolls.inc({ schedd: this.name, kind: full ? 'full' : 'delta' });
      changed = (await this.#lookUpDeparted(started)) || changed;
      this.#lastPollOk = started;
      if (full) this.#lastFullPollOk = started;
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
    this.#o.metrics?.trackerJobs.set({ schedd: this.name }, this.#queue.size);
    // Adapt: fast while things move or someone is waiting on us, slower while idle or unreachable.
    const busy =
      changed || nudged || this.#expected.size > 0 || this.#departed.size > 0 || this.#ackQueue.size > 0;
    this.#interval =
      busy && this.#reachable
        ? this.#o.minIntervalMs
        : Math.min(
            this.#queue.size > 0 && this.#reachable ? this.#o.activeMaxIntervalMs : this.#o.maxIntervalMs,
            this.#interval * 2,
          );
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

  /** Replaces the queue snapshot; returns true when anything changed. */
  #applyQueue(ads: JobAd[], pollStarted: number): boolean {
    const next = new Map<string, TrackedJob>();
    const changedRefs = new Set<string>();
    for (const ad of ads) {
      const job = toTracked(ad, 'queue');
      if (!job) continue;
      job.acked = job.acked || this.#acked.has(job.jobId);
      if (job.acked) this.#acked.add(job.jobId);
      this.#byAttempt.set(attemptKey(job.uid, job.attempt), job.jobId);
      this.#expected.delete(attemptKey(job.uid, job.attempt));
      this.#missing.delete(job.jobId);
      const old = this.#queue.get(job.jobId);
      // An unchanged job keeps its object: the new one is garbage at once, not kept until the next read.
      if (old && old.source === 'queue' && old.acked === job.acked && sameAd(old.ad, job.ad)) {
        next.set(job.jobId, old);
        continue;
      }
      next.set(job.jobId, job);
      changedRefs.add(job.ref);
    }
    for (const [id, old] of this.#queue) {
      if (next.has(id)) continue;
      const exp = this.#expected.get(attemptKey(old.uid, old.attempt));
      // A submission newer than this poll may simply not be visible yet.
      if (exp && exp.at >= pollStarted) {
        next.set(id, old);
        continue;
      }
      this.#expected.delete(attemptKey(old.uid, old.attempt));
      // Acknowledged jobs leaving is expected: their end is already recorded.
      if (!this.#acked.has(id)) this.#departed.add(id);
      changedRefs.add(old.ref);
    }
    this.#queue = next;
    this.#indexByUid();
    for (const ref of changedRefs) this.#o.onChange(ref);
    return changedRefs.size > 0;
  }

  /** Merges the jobs whose status changed into the snapshot (nothing leaves it: only a full read says so). */
  #applyDelta(ads: JobAd[]): boolean {
    const changedRefs = new Set<string>();
    for (const ad of ads) {
      const job = toTracked(ad, 'queue');
      if (!job) continue;
      job.acked = job.acked || this.#acked.has(job.jobId);
      if (job.acked) this.#acked.add(job.jobId);
      this.#byAttempt.set(attemptKey(job.uid, job.attempt), job.jobId);
      this.#expected.delete(attemptKey(job.uid, job.attempt));
      this.#missing.delete(job.jobId);
      const old = this.#queue.get(job.jobId);
      if (old && sameAd(old.ad, job.ad)) continue;
      this.#queue.set(job.jobId, job);
      if (!old) {
        let ids = this.#byUid.get(job.uid);
        if (!ids) this.#byUid.set(job.uid, (ids = new Set()));
        ids.add(job.jobId);
      }
      changedRefs.add(job.ref);
    }
    for (const ref of changedRefs) this.#o.onChange(ref);
    return changedRefs.size > 0;
  }

  #indexByUid(): void {
    const index = new Map<string, Set<string>>();
    for (const j of this.#queue.values()) {
      let ids = index.get(j.uid);
      if (!ids) index.set(j.uid, (ids = new Set()));
      ids.add(j.jobId);
    }
    this.#byUid = index;
  }

  /** One condor_history for the jobs that left the queue unacknowledged. */
  async #lookUpDeparted(pollStarted: number): Promise<boolean> {
    // Forget old history entries and acked ids that left for good.
    const hour = Date.now() - 3600_000;
    for (const [id, h] of this.#history) if (h.at < hour) this.#history.delete(id);
    if (this.#departed.size === 0) return false;
    const ids = [...this.#departed].slice(0, 200);
    const constraint = this.#ofIds(ids);
    const ads = await this.#schedd.history(constraint, TRACKED_ATTRIBUTES, { limit: ids.length });
    const found = new Set<string>();
    for (const ad of ads) {
      const job = toTracked(ad, 'history');
      if (!job) continue;
      found.add(job.jobId);
      this.#history.set(job.jobId, { job, at: Date.now() });
      this.#byAttempt.set(attemptKey(job.uid, job.attempt), job.jobId);
      this.#missing.delete(job.jobId);
      this.#o.onChange(job.ref);
    }
    for (const id of ids) {
      this.#departed.delete(id);
      if (!found.has(id) && !this.#missing.has(id)) this.#missing.set(id, pollStarted);
    }
    return found.size > 0;
  }

  /** This operator's jobs among `ids` (ClusterId.ProcId), as one constraint. */
  #ofIds(ids: string[]): string {
    const any = ids
      .map((id) => {
        const [c, p] = id.split('.');
        return `(ClusterId == ${Number(c)} && ProcId == ${Number(p)})`;
      })
      .join(' || ');
    return `${Tag.Operator} == ${classAdLiteral(this.#o.operatorId)} && (${any})`;
  }

  /** One condor_qedit HPCAck=true for every job acknowledged since the last tick. */
  async #flushAcks(): Promise<void> {
    if (this.#ackQueue.size === 0) return;
    const ids = [...this.#ackQueue].slice(0, 200);
    const constraint = this.#ofIds(ids);
    await this.#schedd.edit(constraint, Tag.Ack, true);
    for (const id of ids) this.#ackQueue.delete(id);
  }
}

function toTracked(ad: JobAd, source: 'queue' | 'history'): TrackedJob | undefined {
  const c = adNumber(ad, 'ClusterId');
  const p = adNumber(ad, 'ProcId');
  const uid = adString(ad, Tag.JobUID);
  const attempt = adNumber(ad, Tag.Attempt);
  const ref = adString(ad, Tag.Ref);
  if (c === undefined || p === undefined || !uid || attempt === undefined || !ref) return undefined;
  return { jobId: `${c}.${p}`, uid, attempt, ref, ad, source, acked: adBool(ad, Tag.Ack) === true };
}

/** Equal ads; values are JSON scalars but for the odd list or nested ad, compared as JSON. */
export function sameAd(a: JobAd, b: JobAd): boolean {
  for (const k in a) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  for (const k in b) if (!(k in a)) return false;
  return true;
}

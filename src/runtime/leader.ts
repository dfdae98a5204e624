/**
 * Lease-based leader election (coordination.k8s.io/v1) over a LeaseStore, after client-go's leaderelection:
 * acquire by creating the Lease or taking over an expired one with an optimistic update, renew every retry
 * period, give up when no renewal has succeeded within the renew deadline. Expiry of another holder's Lease
 * is judged on the local clock from when the Lease was last seen to change (no trust in other hosts' clocks).
 *
 * The deadline is a timer of its own, independent of any API call: a leader cut off from the API server (a
 * renew that never returns) stops at lastRenew + renewDeadline at the latest, while the others wait at
 * least leaseDuration from the renewal they last saw, so the two never act at once. Every LeaseStore call
 * carries an AbortSignal and is abandoned when its time is up, whether or not the store honours the signal.
 */
import type { Logger } from 'pino';
import { systemClock, systemRandom, type Clock, type Random, type Timer } from './clock.js';
import { errorMessage, isConflict, microTime, type LeaseRecord, type LeaseStore } from './kube-api.js';
import type { Metrics } from './metrics.js';
import { jitter } from './ratelimiter.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** How long others wait after the last renewal they saw before taking over. Default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps acting without a successful renewal. Default 10 s. */
  renewDeadlineMs?: number;
  /** Between attempts to acquire or renew; also the time limit of one acquire attempt. Default 2 s. */
  retryPeriodMs?: number;
  log: Logger;
  metrics?: Metrics;
  /** Default systemClock. */
  clock?: Clock;
  /** Jitter of acquire retries; default systemRandom. */
  random?: Random;
}

/** controller-runtime's defaults (pkg/manager/internal.go). */
export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** client-go's JitterFactor for acquire retries. */
const RETRY_JITTER = 1.2;
/** What a released Lease declares, so that a standby takes it at once. */
const RELEASED_LEASE_SECONDS = 1;

/** A LeaseStore call given up on because its time was up (or the elector stopped). */
export class LeaseCallAborted extends Error {
  constructor() {
    super('lease call abandoned: its time was up');
    this.name = 'LeaseCallAborted';
  }
}

export class LeaderElector {
  readonly #store: LeaseStore;
  readonly #o: Required<Omit<LeaderElectionOptions, 'metrics' | 'clock' | 'random'>>;
  readonly #metrics: Metrics | undefined;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #log: Logger;
  /** The Lease as last seen, and when (local clock) it was seen to change. */
  #observed = { holder: '', renewTime: '', at: 0 };
  #leading = false;
  #stopped = false;
  #lastRenew = 0;
  #deadline: Timer | undefined;
  /** The store call in flight: aborted when its time is up, when leadership is lost, on release. */
  #call: AbortController | undefined;
  /** Aborts the sleeps between attempts on release. */
  readonly #stopping = new AbortController();
  #renewing: Promise<void> | undefined;
  #waitingOn: string | undefined;
  #onLost: (() => void) | undefined;

  constructor(store: LeaseStore, o: LeaderElectionOptions) {
    this.#store = store;
    this.#o = {
      leaseDurationMs: DEFAULT_LEASE_DURATION_MS,
      renewDeadlineMs: DEFAULT_RENEW_DEADLINE_MS,
      retryPeriodMs: DEFAULT_RETRY_PERIOD_MS,
      ...o,
    };
    this.#metrics = o.metrics;
    this.#clock = o.clock ?? systemClock;
    this.#random = o.random ?? systemRandom;
    this.#log = o.log.child({ lease: `${o.namespace}/${o.name}`, identity: o.identity });
    this.#metrics?.leaderElectionMaster.set({ name: o.name }, 0);
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Until when (ms since the epoch, local clock) this replica may act as leader: the last successful renewal
   * plus the renew deadline; 0 when not leading. Check it before any action another leader must not repeat.
   */
  validUntil(): number {
    return this.#leading ? this.#lastRenew + this.#o.renewDeadlineMs : 0;
  }

  /** namespace/name of the Lease this elector competes for. */
  get lease(): string {
    return `${this.#o.namespace}/${this.#o.name}`;
  }

  /** The identity holding the Lease while we wait for it, or undefined. */
  waitingOn(): string | undefined {
    return this.#waitingOn;
  }

  /**
   * Resolves true once this replica leads (false if released before). `onLost` runs once if leadership is
   * lost afterwards: at the renew deadline at the latest.
   */
  async acquire(onLost: () => void): Promise<boolean> {
    this.#onLost = onLost;
    this.#log.info('waiting for leadership');
    while (!this.#stopped) {
      const start = this.#clock.now();
      if (await this.#attempt(this.#o.retryPeriodMs)) {
        if (this.#stopped) break;
        this.#becomeLeader(start);
        return true;
      }
      if (this.#stopped) break;
      await this.#clock.sleep(
        jitter(this.#o.retryPeriodMs, RETRY_JITTER, this.#random),
        this.#stopping.signal,
      );
    }
    return false;
  }

  /**
   * Stops renewing (and waits until no renew is in flight), then clears the holder if the Lease is still
   * ours, so that a standby takes over at once. Never calls onLost.
   */
  async release(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const wasLeading = this.#leading;
    this.#leading = false;
    this.#deadline?.cancel();
    this.#stopping.abort();
    this.#call?.abort();
    this.#metrics?.leaderElectionMaster.set({ name: this.#o.name }, 0);
    await this.#renewing;
    if (!wasLeading) return;
    const ac = new AbortController();
    const timer = this.#clock.after(this.#o.renewDeadlineMs, () => ac.abort());
    try {
      const lease = await abortable(this.#store.get(this.#o.namespace, this.#o.name, ac.signal), ac.signal);
      if (lease?.holderIdentity !== this.#o.identity) return;
      const released = {
        ...lease,
        holderIdentity: '',
        leaseDurationSeconds: RELEASED_LEASE_SECONDS,
        renewTime: microTime(this.#clock.now()),
      };
      await abortable(this.#store.update(released, ac.signal), ac.signal);
      this.#log.info('released the leader lease');
    } catch (e) {
      this.#log.warn({ err: errorMessage(e) }, 'could not release the leader lease');
    } finally {
      timer.cancel();
    }
  }

  #becomeLeader(renewedAt: number): void {
    this.#leading = true;
    this.#waitingOn = undefined;
    this.#renewed(renewedAt);
    this.#metrics?.leaderElectionMaster.set({ name: this.#o.name }, 1);
    this.#log.info('became leader');
    this.#renewing = this.#renewLoop();
  }

  /** A renewal started at `at` succeeded: the deadline moves to at + renewDeadline. */
  #renewed(at: number): void {
    this.#lastRenew = at;
    this.#deadline?.cancel();
    this.#deadline = this.#clock.after(this.validUntil() - this.#clock.now(), () =>
      this.#lose('could not renew the lease within the renew deadline'),
    );
  }

  async #renewLoop(): Promise<void> {
    while (this.#leading && !this.#stopped) {
      await this.#clock.sleep(this.#o.retryPeriodMs, this.#stopping.signal);
      if (!this.#leading || this.#stopped) return;
      const start = this.#clock.now();
      // The call may take until the deadline, not longer: then the deadline timer ends leadership.
      const ok = await this.#attempt(this.validUntil() - start);
      // Lost or released meanwhile: a late answer never revives leadership.
      if (!this.#leading || this.#stopped) return;
      if (this.#clock.now() >= this.validUntil()) {
        this.#lose('the renewal answered after the renew deadline');
        return;
      }
      if (ok) this.#renewed(start);
    }
  }

  #lose(why: string): void {
    if (!this.#leading) return;
    this.#leading = false;
    this.#deadline?.cancel();
    this.#call?.abort();
    this.#metrics?.leaderElectionMaster.set({ name: this.#o.name }, 0);
    this.#log.error({ lastRenew: new Date(this.#lastRenew).toISOString() }, `leadership lost: ${why}`);
    this.#onLost?.();
  }

  /** One try to acquire or renew, given up after `timeoutMs`. True when the Lease is ours. */
  async #attempt(timeoutMs: number): Promise<boolean> {
    const ac = new AbortController();
    this.#call = ac;
    const timer = this.#clock.after(timeoutMs, () => ac.abort());
    try {
      return await this.#tryAcquireOrRenew(ac.signal);
    } catch (e) {
      if (ac.signal.aborted) {
        if (!this.#stopped) this.#log.warn({ timeoutMs }, 'the lease call did not answer in time');
      } else if (!isConflict(e)) {
        this.#log.warn({ err: errorMessage(e) }, 'could not acquire or renew the leader lease');
      }
      return false;
    } finally {
      timer.cancel();
      if (this.#call === ac) this.#call = undefined;
    }
  }

  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { namespace, name, identity } = this.#o;
    const now = this.#clock.now();
    const durationSeconds = Math.ceil(this.#o.leaseDurationMs / 1000);
    const lease = await abortable(this.#store.get(namespace, name, signal), signal);
    if (!lease) {
      const fresh: LeaseRecord = {
        namespace,
        name,
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      };
      await abortable(this.#store.create(fresh, signal), signal);
      return true;
    }
    const holder = this.#observe(lease, now);
    const expired = this.#observed.at + lease.leaseDurationSeconds * 1000 < now;
    if (holder !== '' && holder !== identity && !expired) {
      this.#waitFor(holder);
      return false;
    }
    const taking = holder !== identity;
    const next: LeaseRecord = {
      ...lease,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: microTime(now),
      acquireTime: taking ? microTime(now) : lease.acquireTime,
      leaseTransitions: lease.leaseTransitions + (taking && holder !== '' ? 1 : 0),
    };
    await abortable(this.#store.update(next, signal), signal);
    if (taking) this.#log.info({ previous: holder || '(none)' }, 'took the leader lease');
    return true;
  }

  /** Notes when the Lease was last seen to change (holder or renewTime). Returns its holder. */
  #observe(lease: LeaseRecord, now: number): string {
    const renewTime = lease.renewTime ?? '';
    if (lease.holderIdentity !== this.#observed.holder || renewTime !== this.#observed.renewTime)
      this.#observed = { holder: lease.holderIdentity, renewTime, at: now };
    return lease.holderIdentity;
  }

  /** Another replica holds the Lease: say on whom we wait, once per holder. */
  #waitFor(holder: string): void {
    if (this.#waitingOn === holder) return;
    this.#waitingOn = holder;
    this.#log.info(
      { holder },
      `waiting for leadership: the Lease ${this.lease} is held by ${holder}; this replica stands by until it is released or expires`,
    );
  }
}

/** `p`, or a LeaseCallAborted rejection as soon as `signal` aborts (whether or not `p` ever settles). */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(new LeaseCallAborted());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new LeaseCallAborted());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

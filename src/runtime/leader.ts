/**
 * Lease-based leader election (coordination.k8s.io/v1), after client-go's leaderelection package:
 * acquire by creating or taking over an expired Lease with an optimistic update, renew every retry period,
 * give up when a renewal has not succeeded within the renew deadline. Expiry is judged on the local clock
 * from when the Lease was last seen to change (no trust in other hosts' clocks).
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { errorMessage, isConflict, isNotFound } from './controller.js';
import type { Metrics } from './metrics.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
  metrics?: Metrics;
}

export class LeaderElector {
  readonly #api: k8s.CoordinationV1Api;
  readonly #o: Required<Omit<LeaderElectionOptions, 'metrics'>> & { metrics?: Metrics };
  #observedRenew = '';
  #observedHolder = '';
  #observedAt = 0;
  #leading = false;
  #stopped = false;
  #lastRenew = 0;
  #onLost: (() => void) | undefined;

  constructor(kc: k8s.KubeConfig, o: LeaderElectionOptions) {
    this.#api = kc.makeApiClient(k8s.CoordinationV1Api);
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      ...o,
    };
    o.metrics?.leaderElectionMaster.set({ name: o.name }, 0);
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Resolves once this process leads. `onLost` runs if leadership is lost afterwards. */
  async acquire(onLost: () => void): Promise<void> {
    this.#onLost = onLost;
    this.#o.log.info(
      { lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity },
      'waiting for leadership',
    );
    while (!this.#stopped) {
      if (await this.#tryAcquireOrRenew()) {
        this.#leading = true;
        this.#lastRenew = Date.now();
        this.#o.metrics?.leaderElectionMaster.set({ name: this.#o.name }, 1);
        this.#o.log.info({ identity: this.#o.identity }, 'became leader');
        void this.#renewLoop();
        return;
      }
      await sleep(jitter(this.#o.retryPeriodMs));
    }
  }

  async #renewLoop(): Promise<void> {
    while (!this.#stopped && this.#leading) {
      await sleep(this.#o.retryPeriodMs);
      if (this.#stopped) return;
      if (await this.#tryAcquireOrRenew()) {
        this.#lastRenew = Date.now();
      } else if (Date.now() - this.#lastRenew > this.#o.renewDeadlineMs) {
        this.#leading = false;
        this.#o.metrics?.leaderElectionMaster.set({ name: this.#o.name }, 0);
        this.#o.log.error(
          { identity: this.#o.identity },
          'leadership lost: could not renew the lease in time',
        );
        this.#onLost?.();
        return;
      }
    }
  }

  /** Gives the lease up (so a standby takes over at once) and stops renewing. */
  async release(): Promise<void> {
    this.#stopped = true;
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.metrics?.leaderElectionMaster.set({ name: this.#o.name }, 0);
    try {
      const lease = await this.#api.readNamespacedLease({ name: this.#o.name, namespace: this.#o.namespace });
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      lease.spec = {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: new k8s.V1MicroTime(),
      };
      await this.#api.replaceNamespacedLease({
        name: this.#o.name,
        namespace: this.#o.namespace,
        body: lease,
      });
      this.#o.log.info('released the leader lease');
    } catch (e) {
      this.#o.log.warn({ err: errorMessage(e) }, 'could not release the leader lease');
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.#o;
    const now = new k8s.V1MicroTime();
    const durationSeconds = Math.ceil(this.#o.leaseDurationMs / 1000);
    let lease: k8s.V1Lease;
    try {
      lease = await this.#api.readNamespacedLease({ name, namespace });
    } catch (e) {
      if (!isNotFound(e)) {
        this.#o.log.warn({ err: errorMessage(e) }, 'could not read the leader lease');
        return false;
      }
      try {
        await this.#api.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: 0,
            },
          },
        });
        return true;
      } catch (e2) {
        if (!isConflict(e2) && (e2 as { code?: number }).code !== 409) {
          this.#o.log.warn({ err: errorMessage(e2) }, 'could not create the leader lease');
        }
        return false;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renew = spec.renewTime ? new Date(spec.renewTime).toISOString() : '';
    if (holder !== this.#observedHolder || renew !== this.#observedRenew) {
      this.#observedHolder = holder;
      this.#observedRenew = renew;
      this.#observedAt = Date.now();
    }
    const leaseMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    const expired = this.#observedAt + leaseMs < Date.now();
    if (holder !== '' && holder !== identity && !expired) return false;
    const taking = holder !== identity;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      renewTime: now,
      acquireTime: taking ? now : spec.acquireTime,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (taking && holder !== '' ? 1 : 0),
    };
    try {
      await this.#api.replaceNamespacedLease({ name, namespace, body: lease });
      if (taking) this.#o.log.info({ previous: holder || '(none)' }, 'took the leader lease');
      return true;
    } catch (e) {
      if (!isConflict(e)) this.#o.log.warn({ err: errorMessage(e) }, 'could not update the leader lease');
      return false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function jitter(ms: number): number {
  return ms * (1 + Math.random() * 1.2);
}

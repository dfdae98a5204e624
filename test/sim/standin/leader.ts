/**
 * STAND-IN (replaced by the real operator through operator-hook.ts): leader election over LeaseStore. It
 * knows until when its Lease is certainly valid (the renewTime it wrote plus the duration), and answers
 * canCommit(ms): whether a call that may take effect up to `ms` from now is still inside that window.
 */
import type { Clock, Timer } from '../../../src/runtime/clock.js';
import { isNotFound, type LeaseRecord, type LeaseStore } from '../../../src/runtime/kube-api.js';

const LEASE_SECONDS = 60;
const RETRY_MS = 5_000;

export class LeaderElector {
  #validUntil = 0;
  #lease: LeaseRecord | undefined;
  #timer: Timer | undefined;
  #stopped = false;
  #leading = false;

  constructor(
    readonly clock: Clock,
    readonly leases: LeaseStore,
    readonly identity: string,
    readonly where: { namespace: string; name: string },
    readonly onChange: (leading: boolean) => void,
  ) {}

  get leading(): boolean {
    return this.#leading && this.clock.now() < this.#validUntil;
  }

  /** True when something that may take effect up to `ms` from now still happens under this Lease. */
  canCommit(ms: number): boolean {
    return this.leading && this.clock.now() + ms < this.#validUntil;
  }

  /** Actions that must happen under the Lease (submits), in flight: the Lease is given up only after them. */
  #fenced = 0;

  /** Runs `act` if it can complete within the Lease (`ms`), else returns undefined without running it. */
  async fenced<T>(ms: number, act: () => Promise<T>): Promise<T | undefined> {
    if (!this.canCommit(ms)) return undefined;
    this.#fenced++;
    try {
      return await act();
    } finally {
      this.#fenced--;
    }
  }

  start(): void {
    void this.#tick();
  }

  /** Stops renewing and leading at once (nothing new commits after this). */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#set(false);
  }

  /** Gives the Lease up (graceful handover), after stop() and after in-flight submits ended. */
  async release(): Promise<void> {
    while (this.#fenced > 0) await this.clock.sleep(200);
    const l = this.#lease;
    if (!l || l.holderIdentity !== this.identity) return;
    await this.leases.update({ ...l, holderIdentity: '', leaseDurationSeconds: 1 }).catch(() => undefined);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#tryAcquireOrRenew();
    } catch {
      // Keep what we have until it runs out; the check below gives it up in time.
    }
    if (this.#stopped) return;
    if (this.#leading && this.clock.now() >= this.#validUntil) this.#set(false);
    this.#timer = this.clock.after(RETRY_MS, () => void this.#tick());
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const now = this.clock.now();
    const stamp = new Date(now).toISOString();
    const cur = await this.leases.get(this.where.namespace, this.where.name).catch((e: unknown) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
    const mine = cur?.holderIdentity === this.identity;
    const expired =
      !cur ||
      !cur.holderIdentity ||
      !cur.renewTime ||
      Date.parse(cur.renewTime) + cur.leaseDurationSeconds * 1000 < now;
    if (cur && !mine && !expired) return this.#set(false);
    const next: LeaseRecord = {
      namespace: this.where.namespace,
      name: this.where.name,
      resourceVersion: cur?.resourceVersion,
      holderIdentity: this.identity,
      leaseDurationSeconds: LEASE_SECONDS,
      acquireTime: mine ? cur?.acquireTime : stamp,
      renewTime: stamp,
      leaseTransitions: (cur?.leaseTransitions ?? 0) + (mine ? 0 : 1),
    };
    this.#lease = cur ? await this.leases.update(next) : await this.leases.create(next);
    if (this.#stopped) return;
    this.#validUntil = now + LEASE_SECONDS * 1000;
    this.#set(true);
  }

  #set(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.onChange(leading);
  }
}

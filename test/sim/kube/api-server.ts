/**
 * The in-memory Kubernetes API server: the object store with watches, Leases, Events, Secrets, the fault
 * switches, and bookmarks every 30 s of virtual time. The operator reaches it only through the ports of
 * kube/ports.ts; the simulated user writes to it directly (kube/user.ts).
 */
import type { Net } from '../net.js';
import type { Prng } from '../prng.js';
import type { Scheduler } from '../scheduler.js';
import type { Trace } from '../trace.js';
import { ApiFaults, connectionRefused, type OutageMode } from './faults.js';
import { EventTable, LeaseTable, SecretTable } from './records.js';
import { ApiStore, RESOURCE_KINDS, type ResourceKind } from './store.js';

const BOOKMARK_EVERY_MS = 30_000;

export const API_VERSION_OF: Record<ResourceKind, { apiVersion: string; kind: string }> = {
  hpcjobs: { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'HPCJob' },
  hpcjobsets: { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'HPCJobSet' },
  virtualclusters: { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'VirtualCluster' },
};

export interface ApiServerOptions {
  /** Change events kept per resource before compaction (small: watches get 410 often). */
  eventWindow: number;
}

export class ApiServer {
  readonly store: ApiStore;
  readonly leases: LeaseTable;
  readonly events = new EventTable();
  readonly secrets = new SecretTable();
  readonly faults: ApiFaults;

  constructor(
    readonly sched: Scheduler,
    readonly prng: Prng,
    readonly net: Net,
    readonly trace: Trace,
    isAlive: (owner: string) => boolean,
    o: ApiServerOptions,
  ) {
    this.store = new ApiStore(
      sched,
      isAlive,
      o.eventWindow,
      () => prng.latency(0, 30),
      () => prng.chance(0.5),
    );
    this.leases = new LeaseTable(() => this.store.nextRv());
    this.faults = new ApiFaults(sched, prng);
    this.#bookmarks();
  }

  #bookmarks(): void {
    this.sched.schedule(BOOKMARK_EVERY_MS, () => {
      for (const k of RESOURCE_KINDS)
        this.store.hubs[k].bookmark(this.store.rv, API_VERSION_OF[k].apiVersion, API_VERSION_OF[k].kind);
      this.#bookmarks();
    });
  }

  /** A crashed replica's watches vanish. */
  forget(owner: string): void {
    for (const k of RESOURCE_KINDS) this.store.hubs[k].forget(owner);
  }

  // ------------------------------------------------------------------------------------------ fault switches

  outage(ms: number, mode: OutageMode): void {
    this.faults.outage = { until: this.sched.now() + ms, mode };
    const dropped = this.dropWatches();
    this.trace.add('apiserver', 'fault', `unreachable for ${ms} ms (${mode}); ${dropped} watches dropped`);
  }

  slow(ms: number, maxMs: number): void {
    this.faults.slowUntil = this.sched.now() + ms;
    this.faults.slowMaxMs = maxMs;
    this.trace.add('apiserver', 'fault', `slow for ${ms} ms (answers up to ${maxMs} ms)`);
  }

  failWrites(ms: number, rate: number): void {
    this.faults.failWritesUntil = this.sched.now() + ms;
    this.faults.failRate = rate;
    this.trace.add('apiserver', 'fault', `writes fail with 500 (rate ${rate}) for ${ms} ms`);
  }

  /** Breaks every open watch (connection reset). */
  dropWatches(kind?: ResourceKind): number {
    let n = 0;
    for (const k of kind ? [kind] : RESOURCE_KINDS) n += this.store.hubs[k].dropAll(connectionRefused);
    return n;
  }

  /**
   * The API server restarts with a compacted watch cache of `window` events: every watch breaks, and one
   * resuming from before the window gets 410 Gone.
   */
  compact(window: number): void {
    for (const k of RESOURCE_KINDS) {
      this.store.hubs[k].window = window;
      this.store.hubs[k].trim();
    }
    const dropped = this.dropWatches();
    this.trace.add(
      'apiserver',
      'fault',
      `restarted: event window ${window}, ${dropped} watches dropped (older resourceVersions get 410)`,
    );
  }
}

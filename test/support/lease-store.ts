/**
 * In-memory LeaseStores for unit tests and the simulation: one Lease per namespace/name with the API
 * server's optimistic locking (create of an existing Lease and update from a stale resourceVersion fail with
 * 409), and a per-replica view that can be cut off from it (calls hang until healed, then apply and answer
 * late: a partition, or a connection stuck in the kernel).
 */
import { ApiError, type LeaseRecord, type LeaseStore } from '../../src/runtime/kube-api.js';

export class MemoryLeaseStore implements LeaseStore {
  readonly #leases = new Map<string, LeaseRecord>();
  #rv = 0;
  /** Successful writes, in order: who held the Lease after each. */
  readonly writes: string[] = [];

  /** The stored Lease (a copy), if any. */
  current(namespace: string, name: string): LeaseRecord | undefined {
    const l = this.#leases.get(`${namespace}/${name}`);
    return l && { ...l };
  }

  async get(namespace: string, name: string): Promise<LeaseRecord | undefined> {
    return this.current(namespace, name);
  }

  async create(lease: LeaseRecord): Promise<LeaseRecord> {
    const key = `${lease.namespace}/${lease.name}`;
    if (this.#leases.has(key)) throw new ApiError(409, `leases "${lease.name}" already exists`);
    return this.#store(key, lease);
  }

  async update(lease: LeaseRecord): Promise<LeaseRecord> {
    const key = `${lease.namespace}/${lease.name}`;
    const current = this.#leases.get(key);
    if (!current) throw new ApiError(404, `leases "${lease.name}" not found`);
    if (current.resourceVersion !== lease.resourceVersion)
      throw new ApiError(
        409,
        `the object has been modified; please apply your changes to the latest version`,
      );
    return this.#store(key, lease);
  }

  #store(key: string, lease: LeaseRecord): LeaseRecord {
    const stored = { ...lease, resourceVersion: String(++this.#rv) };
    this.#leases.set(key, stored);
    this.writes.push(stored.holderIdentity);
    return { ...stored };
  }
}

type Op = 'get' | 'create' | 'update';

/**
 * One replica's connection to a LeaseStore. While `cut` includes an operation, calls of it hang, ignoring
 * their AbortSignal (the worst case: the elector must not depend on the store honouring it); heal() lets the
 * held calls through, late.
 */
export class CutOffLeaseStore implements LeaseStore {
  cut = new Set<Op>();
  /** The signal of every call, in order. */
  readonly signals: AbortSignal[] = [];
  readonly #held: (() => void)[] = [];

  constructor(readonly inner: LeaseStore) {}

  get(namespace: string, name: string, signal?: AbortSignal): Promise<LeaseRecord | undefined> {
    return this.#call('get', signal, () => this.inner.get(namespace, name));
  }

  create(lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord> {
    return this.#call('create', signal, () => this.inner.create(lease));
  }

  update(lease: LeaseRecord, signal?: AbortSignal): Promise<LeaseRecord> {
    return this.#call('update', signal, () => this.inner.update(lease));
  }

  /** Calls held while cut. */
  get held(): number {
    return this.#held.length;
  }

  /** Reconnects: held calls reach the store now and answer. */
  heal(): void {
    this.cut.clear();
    for (const go of this.#held.splice(0)) go();
  }

  #call<T>(op: Op, signal: AbortSignal | undefined, run: () => Promise<T>): Promise<T> {
    if (signal) this.signals.push(signal);
    if (!this.cut.has(op)) return run();
    return new Promise<T>((resolve, reject) => this.#held.push(() => run().then(resolve, reject)));
  }
}

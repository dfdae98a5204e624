/**
 * The API server model's other resources: Leases (leader election, with the optimistic lock), Events
 * (validated names, 409 on a duplicate) and Secrets (read only, filled by the world).
 */
import {
  ApiError,
  type EventRecord,
  type EventSeries,
  type LeaseRecord,
} from '../../../src/runtime/kube-api.js';

/** metadata.name of an Event: a DNS subdomain of at most 253 characters. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class LeaseTable {
  readonly leases = new Map<string, LeaseRecord>();

  constructor(readonly nextRv: () => number) {}

  get(namespace: string, name: string): LeaseRecord | undefined {
    const l = this.leases.get(`${namespace}/${name}`);
    return l && { ...l };
  }

  create(lease: LeaseRecord): LeaseRecord {
    const key = `${lease.namespace}/${lease.name}`;
    if (this.leases.has(key)) throw new ApiError(409, `leases "${lease.name}" already exists`);
    const stored = { ...lease, resourceVersion: String(this.nextRv()) };
    this.leases.set(key, stored);
    return { ...stored };
  }

  update(lease: LeaseRecord): LeaseRecord {
    const key = `${lease.namespace}/${lease.name}`;
    const cur = this.leases.get(key);
    if (!cur) throw new ApiError(404, `leases "${lease.name}" not found`);
    if (lease.resourceVersion !== cur.resourceVersion)
      throw new ApiError(
        409,
        `Operation cannot be fulfilled on leases "${lease.name}": the object has been modified`,
      );
    const stored = { ...lease, resourceVersion: String(this.nextRv()) };
    this.leases.set(key, stored);
    return { ...stored };
  }

  /** Who holds the Lease at `now` (holder and not expired), or undefined. */
  holderAt(namespace: string, name: string, now: number): string | undefined {
    const l = this.leases.get(`${namespace}/${name}`);
    if (!l?.holderIdentity || !l.renewTime) return undefined;
    const expires = Date.parse(l.renewTime) + l.leaseDurationSeconds * 1000;
    return now < expires ? l.holderIdentity : undefined;
  }
}

export class EventTable {
  readonly names = new Set<string>();
  count = 0;
  seriesPatches = 0;

  create(e: EventRecord): void {
    if (e.name.length > 253 || !DNS_SUBDOMAIN.test(e.name))
      throw new ApiError(
        422,
        `Event "${e.name.slice(0, 80)}..." is invalid: metadata.name must be a DNS subdomain of at most 253 characters`,
      );
    const key = `${e.namespace}/${e.name}`;
    if (this.names.has(key)) throw new ApiError(409, `events "${e.name}" already exists`);
    this.names.add(key);
    this.count++;
  }

  /** A series count on an Event that exists (404 otherwise), at least 2 (422 otherwise, as validation says). */
  patchSeries(namespace: string, name: string, series: EventSeries): void {
    if (!this.names.has(`${namespace}/${name}`)) throw new ApiError(404, `events "${name}" not found`);
    if (series.count < 2)
      throw new ApiError(422, `Event "${name}" is invalid: series.count must be at least 2`);
    this.seriesPatches++;
  }
}

export class SecretTable {
  readonly secrets = new Map<string, Record<string, string>>();

  put(namespace: string, name: string, data: Record<string, string>): void {
    this.secrets.set(`${namespace}/${name}`, { ...data });
  }

  readAll(namespace: string, name: string): Record<string, string> | undefined {
    const s = this.secrets.get(`${namespace}/${name}`);
    return s && { ...s };
  }
}

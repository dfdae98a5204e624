/**
 * Builders for VirtualClusters in tests (kueue's MakeWorkload(...).Obj() style): typed objects with
 * sensible defaults, changed only where a test says so, instead of `as unknown as` casts.
 *
 *   makeVirtualCluster('vc', 'ns')
 *     .withFinalizer()
 *     .allocation((a) => a.slurm('login.example').workers({ count: 2 }))
 *     .status((s) => s.phase('Running').allocation('site1', { nextSequence: 2 }))
 *     .recorded('site1')
 *     .obj();
 *
 * `obj()` returns a fresh deep copy each time, so a test can build, change and compare freely.
 */
import type { Condition } from '../../../src/crds/common.js';
import { API_VERSION } from '../../../src/crds/common.js';
import {
  VIRTUALCLUSTER_KIND,
  type Allocation,
  type AllocationStatus,
  type BatchSystem,
  type SitePlace,
  type VCPhase,
  type VirtualCluster,
  type VirtualClusterSpec,
  type VirtualClusterStatus,
} from '../../../src/crds/virtualcluster.js';
import { placeOf } from '../../../src/controllers/virtualcluster/places.js';
import { VC_FINALIZER } from '../../../src/controllers/virtualcluster/reasons.js';

/** The uid builders give a VirtualCluster unless told otherwise (place directories start with its 8 first). */
export const VC_UID = '0c0ffee0-1234-4abc-8def-0123456789ab';
/** Creation time of built objects: 2026-01-01T00:00:00Z. */
export const VC_CREATED = Date.UTC(2026, 0, 1);

type Workers = NonNullable<Allocation['workers']>;
type Condor = NonNullable<Allocation['condor']>;

export class AllocationBuilder {
  readonly #a: Allocation;

  constructor(name: string) {
    this.#a = {
      name,
      batchSystem: 'slurm',
      loginHost: 'login.example',
      user: 'hpcuser',
      credentials: { secretName: 'site-ssh' },
    };
  }

  name(name: string): this {
    this.#a.name = name;
    return this;
  }

  /** The batch system and its login node. */
  batch(system: BatchSystem, loginHost = this.#a.loginHost): this {
    this.#a.batchSystem = system;
    this.#a.loginHost = loginHost;
    return this;
  }

  slurm(loginHost?: string): this {
    return this.batch('slurm', loginHost);
  }

  sge(loginHost?: string): this {
    return this.batch('sge', loginHost);
  }

  pbs(loginHost?: string): this {
    return this.batch('pbs', loginHost);
  }

  loginHost(host: string): this {
    this.#a.loginHost = host;
    return this;
  }

  port(port: number): this {
    this.#a.port = port;
    return this;
  }

  user(user: string): this {
    this.#a.user = user;
    return this;
  }

  /** The credentials Secret, and optionally the pinned host key inline. */
  secret(secretName: string, hostKey?: string): this {
    this.#a.credentials = { secretName, ...(hostKey ? { hostKey } : {}) };
    return this;
  }

  workers(w: Workers): this {
    this.#a.workers = { ...this.#a.workers, ...w };
    return this;
  }

  /** Grows with queued HPCJobs between min and max. */
  autoscale(min: number, max: number, cores?: number): this {
    return this.workers({ autoscale: 'QueuedJobs', min, max, ...(cores ? { cores } : {}) });
  }

  condor(c: Condor): this {
    this.#a.condor = { ...this.#a.condor, ...c };
    return this;
  }

  cacheDir(dir: string): this {
    return this.condor({ cacheDir: dir });
  }

  set(fields: Partial<Allocation>): this {
    Object.assign(this.#a, fields);
    return this;
  }

  obj(): Allocation {
    return structuredClone(this.#a);
  }
}

export class StatusBuilder {
  readonly #s: VirtualClusterStatus = {};

  phase(phase: VCPhase): this {
    this.#s.phase = phase;
    return this;
  }

  /** Sets (or merges into) the status entry of allocation `name`. */
  allocation(name: string, fields: Omit<AllocationStatus, 'name'> = {}): this {
    const list = (this.#s.allocations ??= []);
    const at = list.findIndex((x) => x.name === name);
    if (at >= 0) list[at] = { ...list[at], ...fields, name };
    else list.push({ name, ...fields });
    return this;
  }

  workers(w: NonNullable<VirtualClusterStatus['workers']>): this {
    this.#s.workers = w;
    return this;
  }

  /** Records a place in status.sites as given (see VirtualClusterBuilder.recorded for the current ones). */
  site(place: SitePlace): this {
    (this.#s.sites ??= []).push(structuredClone(place));
    return this;
  }

  condition(type: string, status: Condition['status'], reason = 'Test', message = ''): this {
    const list = (this.#s.conditions ??= []);
    list.push({ type, status, reason, message, lastTransitionTime: '2026-01-01T00:00:00Z' });
    return this;
  }

  set(fields: Partial<VirtualClusterStatus>): this {
    Object.assign(this.#s, fields);
    return this;
  }

  obj(): VirtualClusterStatus {
    return structuredClone(this.#s);
  }
}

export class VirtualClusterBuilder {
  readonly #vc: VirtualCluster;
  readonly #allocations: AllocationBuilder[] = [];
  #status: StatusBuilder | undefined;
  /** Allocation names whose current place goes into status.sites (resolved in obj()). */
  readonly #recorded: string[] = [];

  constructor(name: string, namespace: string) {
    this.#vc = {
      apiVersion: API_VERSION,
      kind: VIRTUALCLUSTER_KIND,
      metadata: {
        name,
        namespace,
        uid: VC_UID,
        generation: 1,
        resourceVersion: '1',
        creationTimestamp: new Date(VC_CREATED).toISOString().replace('.000Z', 'Z'),
      },
      spec: {
        pool: { collectorHost: 'cm.example:9618', pilotTokenSecretRef: { name: 'pilot-token' } },
      },
    };
  }

  uid(uid: string): this {
    this.#vc.metadata.uid = uid;
    return this;
  }

  generation(n: number): this {
    this.#vc.metadata.generation = n;
    return this;
  }

  createdAt(ms: number): this {
    this.#vc.metadata.creationTimestamp = new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return this;
  }

  /** The operator's finalizer is on (it adds it on the first pass). */
  withFinalizer(): this {
    this.#vc.metadata.finalizers = [...(this.#vc.metadata.finalizers ?? []), VC_FINALIZER];
    return this;
  }

  /** Being deleted (deletionTimestamp set). */
  deleting(at = VC_CREATED + 3_600_000): this {
    this.#vc.metadata.deletionTimestamp = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return this;
  }

  pool(p: Partial<VirtualClusterSpec['pool']>): this {
    this.#vc.spec.pool = { ...this.#vc.spec.pool, ...p };
    return this;
  }

  lifetime(d: string): this {
    this.#vc.spec.lifetime = d;
    return this;
  }

  /** An allocation (named site1, site2, ... unless the builder names it), shaped by `fn`. */
  allocation(fn: (a: AllocationBuilder) => AllocationBuilder | void = () => undefined): this {
    const a = new AllocationBuilder(`site${this.#allocations.length + 1}`);
    fn(a);
    this.#allocations.push(a);
    return this;
  }

  /** No allocations at all (spec.allocations: []). */
  noAllocations(): this {
    this.#allocations.length = 0;
    this.#vc.spec.allocations = [];
    return this;
  }

  status(fn: (s: StatusBuilder) => StatusBuilder | void): this {
    this.#status ??= new StatusBuilder();
    fn(this.#status);
    return this;
  }

  /** Records the current place of allocation `name` in status.sites (as the operator would have). */
  recorded(...names: string[]): this {
    this.#recorded.push(...names);
    return this;
  }

  obj(): VirtualCluster {
    const vc = structuredClone(this.#vc);
    if (this.#allocations.length > 0) vc.spec.allocations = this.#allocations.map((a) => a.obj());
    if (!this.#status && this.#recorded.length === 0) return vc;
    const status = this.#status?.obj() ?? {};
    for (const name of this.#recorded) {
      const a = vc.spec.allocations?.find((x) => x.name === name);
      if (!a) throw new Error(`recorded(${name}): no such allocation`);
      (status.sites ??= []).push(placeOf(vc, a));
    }
    vc.status = status;
    return vc;
  }
}

export function makeVirtualCluster(name = 'vc', namespace = 'ns'): VirtualClusterBuilder {
  return new VirtualClusterBuilder(name, namespace);
}

export function makeAllocation(name = 'site1'): AllocationBuilder {
  return new AllocationBuilder(name);
}

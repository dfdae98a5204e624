/**
 * The simulated user (kubectl): creates, changes and deletes HPCJobs, HPCJobSets and VirtualClusters directly in the API
 * server model (never through the operator's ports, and never subject to the operator's faults).
 */
import { ApiError, type KubeObject } from '../../../src/runtime/kube-api.js';
import type { HPCJob } from '../../../src/crds/hpcjob.js';
import { HPCJobAnnotations } from '../../../src/crds/hpcjob.js';
import { HPCJobSetAnnotations, type HPCJobSet } from '../../../src/crds/hpcjobset.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import type { Trace } from '../trace.js';
import type { ApiStore, ResourceKind } from './store.js';

export const USER = 'user';

export class User {
  /** uid of each HPCJob and HPCJobSet the user asked to delete, with when. */
  readonly deleted = new Map<string, number>();
  /** Retry and cancel requests per uid, with when (an invariant allows a new attempt after a retry). */
  readonly retries = new Map<string, number[]>();
  readonly cancels = new Set<string>();
  #tokens = 0;

  constructor(
    readonly store: ApiStore,
    readonly trace: Trace,
    readonly now: () => number,
  ) {}

  createHPCJob(job: HPCJob): string {
    const o = this.store.create('hpcjobs', job, USER);
    this.trace.add(
      USER,
      'user',
      `create hpcjob ${job.metadata.namespace}/${job.metadata.name} uid=${o.metadata.uid}`,
    );
    return o.metadata.uid as string;
  }

  createHPCJobSet(set: HPCJobSet): void {
    const o = this.store.create('hpcjobsets', set, USER);
    this.trace.add(
      USER,
      'user',
      `create hpcjobset ${set.metadata.namespace}/${set.metadata.name} uid=${o.metadata.uid}`,
    );
  }

  /** spec.suspend of an HPCJobSet. */
  setSuspendSet(ns: string, name: string, suspend: boolean): void {
    this.#update('hpcjobsets', ns, name, `spec.suspend=${suspend}`, (o) => {
      (o.spec as HPCJobSet['spec']).suspend = suspend;
    });
  }

  /** An annotation of an HPCJobSet (kubectl annotate): cancel, cancel-indices. */
  annotateSet(ns: string, name: string, key: string, value: string): void {
    const uid = this.#update('hpcjobsets', ns, name, `${key}=${value}`, (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, [key]: value };
    });
    if (uid && key === HPCJobSetAnnotations.Cancel) this.cancels.add(uid);
  }

  createVirtualCluster(vc: VirtualCluster): void {
    this.store.create('virtualclusters', vc, USER);
    this.trace.add(USER, 'user', `create virtualcluster ${vc.metadata.namespace}/${vc.metadata.name}`);
  }

  setSuspend(ns: string, name: string, suspend: boolean): void {
    this.#update('hpcjobs', ns, name, `spec.suspend=${suspend}`, (o) => {
      (o.spec as HPCJob['spec']).suspend = suspend;
    });
  }

  /** kubectl hpc retry: a new token in the retry annotation. */
  retry(ns: string, name: string): void {
    const uid = this.#update('hpcjobs', ns, name, 'retry', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, [HPCJobAnnotations.Retry]: `r${++this.#tokens}` };
    });
    if (uid) this.retries.set(uid, [...(this.retries.get(uid) ?? []), this.now()]);
  }

  /** kubectl hpc cancel. */
  cancel(ns: string, name: string): void {
    const uid = this.#update('hpcjobs', ns, name, 'cancel', (o) => {
      o.metadata.annotations = {
        ...o.metadata.annotations,
        [HPCJobAnnotations.Cancel]: `c${++this.#tokens}`,
      };
    });
    if (uid) this.cancels.add(uid);
  }

  delete(kind: ResourceKind, ns: string, name: string): void {
    const o = this.store.get(kind, ns, name);
    if (!o) return;
    this.store.delete(kind, { namespace: ns, name }, USER);
    if (kind !== 'virtualclusters' && !this.deleted.has(o.metadata.uid as string))
      this.deleted.set(o.metadata.uid as string, this.now());
    this.trace.add(USER, 'user', `delete ${kind} ${ns}/${name}`);
  }

  /** Applies `change` to the latest version; the uid, or undefined when the object is gone or going. */
  #update(
    kind: ResourceKind,
    ns: string,
    name: string,
    what: string,
    change: (o: KubeObject & { spec?: unknown }) => void,
  ): string | undefined {
    const o = this.store.get(kind, ns, name);
    if (!o || o.metadata.deletionTimestamp) return undefined;
    try {
      this.store.update(kind, { namespace: ns, name }, change, USER);
    } catch (e) {
      if (e instanceof ApiError) return undefined;
      throw e;
    }
    this.trace.add(USER, 'user', `${what} ${kind} ${ns}/${name}`);
    return o.metadata.uid;
  }
}

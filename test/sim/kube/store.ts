/**
 * The state of the API server model: namespaced objects of the three custom resources with a global
 * resourceVersion counter, optimistic concurrency (409 on a stale resourceVersion), generation bumped on
 * spec changes (and when deletion starts), and finalizer semantics (a delete with finalizers sets
 * deletionTimestamp; the object goes when the last finalizer is removed). Everything here is synchronous: the
 * ports (kube/ports.ts) decide when a call is served, this module says what serving does.
 */
import { ApiError, type KubeObject } from '../../../src/runtime/kube-api.js';
import type { Scheduler } from '../scheduler.js';
import { admit, admitStatus, mergePatch } from './schema.js';
import { WatchHub, type ChangeEvent } from './watch-hub.js';

export type ResourceKind = 'hpcjobs' | 'hpcjobsets' | 'virtualclusters';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['hpcjobs', 'hpcjobsets', 'virtualclusters'];

/** Who wrote: a replica's name, or `user`. */
export type Writer = string;

export interface StoreListener {
  /** After every change of an object (status, metadata, spec); `after` undefined: it is gone. */
  onWrite?(
    kind: ResourceKind,
    before: KubeObject | undefined,
    after: KubeObject | undefined,
    who: Writer,
  ): void;
}

export interface ObjectRef {
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

type WithSpecAndStatus = KubeObject & { spec?: unknown; status?: unknown };

export function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class ApiStore {
  rv = 0;
  #sorted: Partial<Record<ResourceKind, WithSpecAndStatus[]>> = {};
  #uids = 0;
  readonly objects: Record<ResourceKind, Map<string, WithSpecAndStatus>> = {
    hpcjobs: new Map(),
    hpcjobsets: new Map(),
    virtualclusters: new Map(),
  };
  readonly hubs: Record<ResourceKind, WatchHub>;
  readonly listeners: StoreListener[] = [];
  /** Namespace of every uid ever created (invariants attribute calls to tenants by uid). */
  readonly namespaceOfUid = new Map<string, string>();
  /** 409s answered (stale resourceVersion). */
  conflicts = 0;

  constructor(
    readonly sched: Scheduler,
    isAlive: (owner: string) => boolean,
    window: number,
    delay: () => number,
    goneInStream?: () => boolean,
  ) {
    this.hubs = {
      hpcjobs: new WatchHub(sched, isAlive, window, delay, goneInStream),
      hpcjobsets: new WatchHub(sched, isAlive, window, delay, goneInStream),
      virtualclusters: new WatchHub(sched, isAlive, window, delay, goneInStream),
    };
  }

  nextRv(): number {
    return ++this.rv;
  }

  get(kind: ResourceKind, namespace: string | undefined, name: string): WithSpecAndStatus | undefined {
    return this.objects[kind].get(keyOf(namespace, name));
  }

  /** Every object of `kind`, by namespace/name (the stored objects: callers must not change them). */
  list(kind: ResourceKind): readonly WithSpecAndStatus[] {
    const cached = this.#sorted[kind];
    if (cached) return cached;
    const sorted = [...this.objects[kind].entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o);
    this.#sorted[kind] = sorted;
    return sorted;
  }

  create(kind: ResourceKind, obj: WithSpecAndStatus, who: Writer): WithSpecAndStatus {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    if (this.objects[kind].has(key)) throw new ApiError(409, `${kind} ${key} already exists`);
    const uid = `00000000-0000-4000-8000-${String(++this.#uids).padStart(12, '0')}`;
    const stored = admit(structuredClone(obj));
    stored.metadata = {
      ...stored.metadata,
      uid,
      generation: 1,
      creationTimestamp: isoSeconds(this.sched.now()),
    };
    this.namespaceOfUid.set(uid, obj.metadata.namespace ?? '');
    return this.#commit(kind, undefined, stored, 'ADDED', who);
  }

  /** Replaces spec (generation + 1 when it changed) and labels/annotations, as `kubectl apply` would. */
  update(
    kind: ResourceKind,
    ref: ObjectRef,
    change: (o: WithSpecAndStatus) => void,
    who: Writer,
  ): WithSpecAndStatus {
    const cur = this.#current(kind, ref);
    const next = structuredClone(cur);
    change(next);
    Object.assign(next, admit(next));
    if (JSON.stringify(next.spec) !== JSON.stringify(cur.spec))
      next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    return this.#commit(kind, cur, next, 'MODIFIED', who);
  }

  /** A JSON merge patch of the status (what the real adapter sends): keys left out keep their values. */
  patchStatus(kind: ResourceKind, ref: ObjectRef, status: unknown, who: Writer): WithSpecAndStatus {
    const cur = this.#current(kind, ref);
    const next = structuredClone(cur);
    next.status = mergePatch(cur.status, status);
    admitStatus(next);
    return this.#commit(kind, cur, next, 'MODIFIED', who);
  }

  setFinalizers(kind: ResourceKind, ref: ObjectRef, finalizers: string[], who: Writer): WithSpecAndStatus {
    const cur = this.#current(kind, ref);
    const had = cur.metadata.finalizers ?? [];
    if (cur.metadata.deletionTimestamp && finalizers.some((f) => !had.includes(f)))
      throw new ApiError(422, 'Forbidden: no new finalizers can be added if the object is being deleted');
    const next = structuredClone(cur);
    next.metadata.finalizers = [...finalizers];
    if (next.metadata.deletionTimestamp && finalizers.length === 0) return this.#remove(kind, cur, next, who);
    return this.#commit(kind, cur, next, 'MODIFIED', who);
  }

  /** Deletes (with a uid precondition when `ref.uid` is set): with finalizers, marks it for deletion. */
  delete(kind: ResourceKind, ref: ObjectRef, who: Writer): void {
    const cur = this.get(kind, ref.namespace, ref.name);
    if (!cur) throw new ApiError(404, `${kind} ${keyOf(ref.namespace, ref.name)} not found`);
    if (ref.uid && ref.uid !== cur.metadata.uid)
      throw new ApiError(409, `precondition failed: uid ${ref.uid}`);
    if (cur.metadata.deletionTimestamp) return;
    if (!cur.metadata.finalizers?.length) {
      this.#remove(kind, cur, structuredClone(cur), who);
      return;
    }
    const next = structuredClone(cur);
    next.metadata.deletionTimestamp = isoSeconds(this.sched.now());
    next.metadata.generation = (cur.metadata.generation ?? 1) + 1;
    this.#commit(kind, cur, next, 'MODIFIED', who);
  }

  /** The object `ref` names if `ref` is current: 404 when gone, 409 when its uid or resourceVersion is stale. */
  #current(kind: ResourceKind, ref: ObjectRef): WithSpecAndStatus {
    const cur = this.get(kind, ref.namespace, ref.name);
    const key = keyOf(ref.namespace, ref.name);
    if (!cur) throw new ApiError(404, `${kind} ${key} not found`);
    if (ref.uid && ref.uid !== cur.metadata.uid) throw new ApiError(409, `${kind} ${key}: uid changed`);
    if (ref.resourceVersion !== undefined && ref.resourceVersion !== cur.metadata.resourceVersion) {
      this.conflicts++;
      throw new ApiError(
        409,
        `Operation cannot be fulfilled on ${kind} "${ref.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    return cur;
  }

  #commit(
    kind: ResourceKind,
    before: WithSpecAndStatus | undefined,
    next: WithSpecAndStatus,
    type: ChangeEvent['type'],
    who: Writer,
  ): WithSpecAndStatus {
    const rv = this.nextRv();
    next.metadata.resourceVersion = String(rv);
    delete this.#sorted[kind];
    this.objects[kind].set(keyOf(next.metadata.namespace, next.metadata.name), next);
    this.hubs[kind].record({ rv, type, obj: next });
    for (const l of this.listeners) l.onWrite?.(kind, before, next, who);
    return structuredClone(next);
  }

  #remove(
    kind: ResourceKind,
    before: WithSpecAndStatus,
    last: WithSpecAndStatus,
    who: Writer,
  ): WithSpecAndStatus {
    const rv = this.nextRv();
    last.metadata.resourceVersion = String(rv);
    delete this.#sorted[kind];
    this.objects[kind].delete(keyOf(last.metadata.namespace, last.metadata.name));
    this.hubs[kind].record({ rv, type: 'DELETED', obj: last });
    for (const l of this.listeners) l.onWrite?.(kind, before, undefined, who);
    return structuredClone(last);
  }
}

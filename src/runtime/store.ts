/**
 * The informer's cache: objects by namespace/name key, with secondary indexes (client-go's Indexer,
 * controller-runtime's field indexes). An index maps each object to the values it is found under, e.g. the
 * HPCJob controller indexes spec.virtualClusterRef so that a VirtualCluster change finds its HPCJobs without
 * scanning every HPCJob.
 */
import type { KubeObject } from './kube-api.js';

/** The values an object is indexed under (none: not in the index). Must be pure and must not throw. */
export type IndexFunc<T> = (obj: T) => string[];

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What the cache does not keep: managedFields (often larger than the object; client-go's informers drop them
 * too) and kubectl's last-applied copy of the spec. Nothing in the operator reads either, and with thousands of
 * HPCJobs they are most of the memory.
 */
export function trimForCache<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as KubeObject['metadata'] & { managedFields?: unknown };
  delete meta.managedFields;
  if (meta.annotations) delete meta.annotations[LAST_APPLIED];
  return obj;
}

/**
 * The key of the object `name` in `namespace`: namespace/name, or name when cluster-scoped (client-go's
 * MetaNamespaceKeyFunc). Also the value to index a reference by (e.g. an HPCJob's virtualClusterRef, looked
 * up with the VirtualCluster's objectKey).
 */
export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export function objectKey(o: KubeObject): string {
  return keyOf(o.metadata.namespace, o.metadata.name);
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class Store<T extends KubeObject> {
  readonly #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  /** index name -> value -> keys of the objects with that value. */
  readonly #indices = new Map<string, Map<string, Set<string>>>();

  get(key: string): T | undefined {
    return this.#items.get(key);
  }

  list(): T[] {
    return [...this.#items.values()];
  }

  entries(): IterableIterator<[string, T]> {
    return this.#items.entries();
  }

  get size(): number {
    return this.#items.size;
  }

  /** Stores `obj` under `key`, keeping every index current. Returns the object it replaced. */
  set(key: string, obj: T): T | undefined {
    const old = this.#items.get(key);
    this.#items.set(key, obj);
    for (const [name, fn] of this.#indexers) {
      if (old) this.#unindex(name, fn(old), key);
      this.#index(name, fn(obj), key);
    }
    return old;
  }

  /** Removes the object under `key` from the cache and every index. Returns it. */
  delete(key: string): T | undefined {
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#items.delete(key);
    for (const [name, fn] of this.#indexers) this.#unindex(name, fn(old), key);
    return old;
  }

  /** Adds an index (also over the objects already cached). Names are unique. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.#indexers.has(name)) throw new Error(`index ${name} exists already`);
    this.#indexers.set(name, fn);
    this.#indices.set(name, new Map());
    for (const [key, obj] of this.#items) this.#index(name, fn(obj), key);
  }

  /** The objects indexed under `value` in index `name`. Throws for an index never added (a wiring bug). */
  byIndex(name: string, value: string): T[] {
    const index = this.#indices.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    const keys = index.get(value);
    if (!keys) return [];
    return [...keys].map((k) => this.#items.get(k) as T);
  }

  #index(name: string, values: string[], key: string): void {
    const index = this.#indices.get(name) as Map<string, Set<string>>;
    for (const v of values) {
      let keys = index.get(v);
      if (!keys) index.set(v, (keys = new Set()));
      keys.add(key);
    }
  }

  #unindex(name: string, values: string[], key: string): void {
    const index = this.#indices.get(name) as Map<string, Set<string>>;
    for (const v of values) {
      const keys = index.get(v);
      if (!keys) continue;
      keys.delete(key);
      // Drop empty sets: values of deleted objects must not pile up (memory per finished job is released).
      if (keys.size === 0) index.delete(v);
    }
  }
}

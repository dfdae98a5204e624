/**
 * An informer for custom resources: a paginated list, then a watch that resumes from the last
 * resourceVersion (with bookmarks), a relist on 410 Gone, restarts with exponential backoff and jitter on
 * errors, a watchdog that restarts a watch gone silent, and a periodic resync that re-delivers every object.
 * It keeps the objects in a cache that reconcilers read; event handlers should only enqueue keys.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    deletionTimestamp?: string;
  };
}

export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
  /** Watch one namespace; empty or undefined for all. */
  namespace?: string;
  labelSelector?: string;
}

export type InformerEventType = 'add' | 'update' | 'delete' | 'resync';
export type InformerHandler<T> = (type: InformerEventType, obj: T, old?: T) => void;

export interface InformerOptions {
  log: Logger;
  metrics?: Metrics;
  /** Re-deliver every cached object this often (ms); 0 disables. */
  resyncMs?: number;
  /** Server-side watch timeout; each watch lasts this long × [1, 2). */
  watchTimeoutSeconds?: number;
  /** Restart a watch that has sent nothing (not even a bookmark) for this long (ms). */
  watchdogMs?: number;
  pageSize?: number;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * What the cache does not keep: managedFields (often larger than the object; client-go's informers drop them
 * too) and kubectl's last-applied copy of the spec. Nothing in the operator reads either, and with thousands of
 * HPCJobs they are most of the memory.
 */
export function trimForCache<T extends KubeObject>(obj: T): T {
  const meta = obj.metadata as KubeObject['metadata'] & {
    managedFields?: unknown;
    annotations?: Record<string, string>;
  };
  delete meta.managedFields;
  if (meta.annotations) delete meta.annotations[LAST_APPLIED];
  return obj;
}

export function objectKey(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export class Informer<T extends KubeObject> {
  readonly #kc: k8s.KubeConfig;
  readonly #ref: ResourceRef;
  readonly #api: k8s.CustomObjectsApi;
  readonly #log: Logger;
  readonly #metrics: Metrics | undefined;
  readonly #o: Required<Omit<InformerOptions, 'log' | 'metrics'>>;
  readonly #cache = new Map<string, T>();
  readonly #handlers: InformerHandler<T>[] = [];
  #resourceVersion = '';
  #synced = false;
  #stopped = false;
  #abort: AbortController | undefined;
  #lastActivity = Date.now();
  #failures = 0;
  #timers: NodeJS.Timeout[] = [];
  #firstSync: { resolve: () => void; promise: Promise<void> };

  constructor(kc: k8s.KubeConfig, ref: ResourceRef, o: InformerOptions) {
    this.#kc = kc;
    this.#ref = ref;
    this.#api = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#log = o.log.child({ informer: ref.plural });
    this.#metrics = o.metrics;
    this.#o = {
      resyncMs: o.resyncMs ?? 10 * 60_000,
      watchTimeoutSeconds: o.watchTimeoutSeconds ?? 300,
      watchdogMs: o.watchdogMs ?? ((o.watchTimeoutSeconds ?? 300) * 2 + 30) * 1000,
      pageSize: o.pageSize ?? 500,
    };
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.#firstSync = { resolve, promise };
  }

  on(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    this.#stopped = false;
    void this.#listAndWatch();
    if (this.#o.resyncMs > 0) {
      const t = setInterval(() => this.#resync(), this.#o.resyncMs);
      t.unref();
      this.#timers.push(t);
    }
    const dog = setInterval(() => this.#watchdog(), Math.min(10_000, this.#o.watchdogMs));
    dog.unref();
    this.#timers.push(dog);
    return this.#firstSync.promise;
  }

  stop(): void {
    this.#stopped = true;
    this.#timers.forEach((t) => clearInterval(t));
    this.#timers = [];
    this.#abort?.abort();
  }

  get synced(): boolean {
    return this.#synced;
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  get(namespace: string, name: string): T | undefined {
    return this.#cache.get(namespace ? `${namespace}/${name}` : name);
  }

  getByKey(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  get size(): number {
    return this.#cache.size;
  }

  #emit(type: InformerEventType, obj: T, old?: T): void {
    for (const h of this.#handlers) {
      try {
        h(type, obj, old);
      } catch (e) {
        this.#log.error({ err: e, key: objectKey(obj) }, 'informer handler threw');
      }
    }
  }

  #resync(): void {
    for (const obj of this.#cache.values()) this.#emit('resync', obj);
  }

  #path(): string {
    const { group, version, plural, namespace } = this.#ref;
    return `/apis/${group}/${version}${namespace ? `/namespaces/${namespace}` : ''}/${plural}`;
  }

  async #list(): Promise<void> {
    const seen = new Map<string, T>();
    let cont: string | undefined;
    let rv = '';
    do {
      const common = {
        group: this.#ref.group,
        version: this.#ref.version,
        plural: this.#ref.plural,
        limit: this.#o.pageSize,
        _continue: cont,
        labelSelector: this.#ref.labelSelector,
      };
      const page = (
        this.#ref.namespace
          ? await this.#api.listNamespacedCustomObject({ ...common, namespace: this.#ref.namespace })
          : await this.#api.listClusterCustomObject(common)
      ) as { items: T[]; metadata?: { continue?: string; resourceVersion?: string } };
      for (const item of page.items) seen.set(objectKey(item), trimForCache(item));
      cont = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    this.#metrics?.informerRelists.inc({ resource: this.#ref.plural });
    // Replace the cache: deletes for what vanished, adds/updates for the rest.
    for (const [key, old] of this.#cache) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#emit('delete', old);
      }
    }
    for (const [key, obj] of seen) {
      const old = this.#cache.get(key);
      this.#cache.set(key, obj);
      if (!old) this.#emit('add', obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#emit('update', obj, old);
    }
    this.#resourceVersion = rv;
    this.#lastActivity = Date.now();
    if (!this.#synced) {
      this.#synced = true;
      this.#firstSync.resolve();
    }
    this.#log.debug({ objects: seen.size, resourceVersion: rv }, 'listed');
  }

  async #listAndWatch(): Promise<void> {
    while (!this.#stopped) {
      try {
        if (!this.#resourceVersion) await this.#list();
        const outcome = await this.#watchOnce();
        if (outcome === 'expired') {
          this.#metrics?.informerRestarts.inc({ resource: this.#ref.plural, reason: 'expired' });
          this.#log.info({ resourceVersion: this.#resourceVersion }, 'watch expired (410 Gone): relisting');
          this.#resourceVersion = '';
        } else if (outcome === 'closed') {
          this.#failures = 0;
        }
      } catch (e) {
        if (this.#stopped) return;
        const code =
          (e as { code?: number; statusCode?: number }).code ?? (e as { statusCode?: number }).statusCode;
        if (code === 410) {
          this.#resourceVersion = '';
          continue;
        }
        this.#failures++;
        const delay = backoff(this.#failures);
        this.#metrics?.informerRestarts.inc({ resource: this.#ref.plural, reason: 'error' });
        this.#log.warn({ err: errorText(e), retryInMs: Math.round(delay) }, 'list/watch failed, retrying');
        await sleep(delay);
      }
    }
  }

  /** One watch from the current resourceVersion. Resolves how it ended; throws on errors. */
  #watchOnce(): Promise<'closed' | 'expired'> {
    return new Promise((resolve, reject) => {
      let expired = false;
      let settled = false;
      const timeout = Math.floor(this.#o.watchTimeoutSeconds * (1 + Math.random()));
      const watch = new k8s.Watch(this.#kc);
      this.#lastActivity = Date.now();
      const done = (err: unknown) => {
        if (settled) return;
        settled = true;
        this.#abort = undefined;
        const code = (err as { statusCode?: number } | null)?.statusCode;
        if (expired || code === 410) resolve('expired');
        else if (
          err &&
          !this.#stopped &&
          !(err instanceof Error && err.name === 'AbortError' && this.#watchdogFired)
        ) {
          reject(err);
        } else {
          this.#watchdogFired = false;
          resolve('closed');
        }
      };
      watch
        .watch(
          this.#path(),
          {
            resourceVersion: this.#resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds: timeout,
            labelSelector: this.#ref.labelSelector,
          },
          (type: string, obj: T & { code?: number; message?: string }) => {
            this.#lastActivity = Date.now();
            this.#metrics?.informerEvents.inc({ resource: this.#ref.plural, type });
            switch (type) {
              case 'ADDED':
              case 'MODIFIED': {
                const key = objectKey(obj);
                const old = this.#cache.get(key);
                this.#cache.set(key, trimForCache(obj));
                this.#resourceVersion = obj.metadata.resourceVersion ?? this.#resourceVersion;
                this.#failures = 0;
                this.#emit(old ? 'update' : 'add', obj, old);
                break;
              }
              case 'DELETED': {
                const key = objectKey(obj);
                this.#cache.delete(key);
                this.#resourceVersion = obj.metadata.resourceVersion ?? this.#resourceVersion;
                this.#emit('delete', obj);
                break;
              }
              case 'BOOKMARK':
                this.#resourceVersion = obj.metadata.resourceVersion ?? this.#resourceVersion;
                break;
              case 'ERROR':
                if (obj.code === 410) expired = true;
                else this.#log.warn({ status: obj.message, code: obj.code }, 'watch error event');
                break;
            }
          },
          done,
        )
        .then((abort) => {
          if (settled) return;
          this.#abort = abort;
          if (this.#stopped) abort.abort();
        })
        .catch(done);
    });
  }

  #watchdogFired = false;

  #watchdog(): void {
    if (!this.#abort || this.#stopped) return;
    if (Date.now() - this.#lastActivity > this.#o.watchdogMs) {
      this.#metrics?.informerRestarts.inc({ resource: this.#ref.plural, reason: 'watchdog' });
      this.#log.warn(
        { silentForMs: Date.now() - this.#lastActivity },
        'watch silent for too long: restarting it',
      );
      this.#watchdogFired = true;
      this.#abort.abort();
    }
  }
}

/** 1 s, 2 s, 4 s ... capped at 30 s, with ±20 % jitter. */
function backoff(failures: number): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
  return base * (0.8 + Math.random() * 0.4);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}

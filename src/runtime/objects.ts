/**
 * The two write helpers every reconciler needs, over CustomObjectsApi:
 * - patchStatus: a merge patch of /status carrying the resourceVersion the status was computed from, so a
 *   write based on a stale cache fails with 409 (and the key is retried) instead of losing newer status;
 * - finalizers: add or remove one finalizer with the same optimistic lock.
 */
import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from './informer.js';
import type { Metrics } from './metrics.js';

export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
}

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export class ObjectWriter {
  readonly #api: k8s.CustomObjectsApi;

  readonly #metrics: Metrics | undefined;

  constructor(
    kc: k8s.KubeConfig,
    readonly kind: ResourceKind,
    metrics?: Metrics,
  ) {
    this.#api = kc.makeApiClient(k8s.CustomObjectsApi);
    this.#metrics = metrics;
  }

  /** Counts one write (hpc_kube_writes_total) by its outcome. */
  async #counted<T>(verb: string, write: () => Promise<T>): Promise<T> {
    try {
      const r = await write();
      this.#metrics?.kubeWrites.inc({ resource: this.kind.plural, verb, outcome: 'success' });
      return r;
    } catch (e) {
      const code = (e as { code?: number }).code;
      this.#metrics?.kubeWrites.inc({
        resource: this.kind.plural,
        verb,
        outcome: code ? String(code) : 'error',
      });
      throw e;
    }
  }

  /** Writes `status` (whole) if the object is still at the resourceVersion of `obj`. Returns the new object. */
  async patchStatus<T extends KubeObject>(obj: T, status: unknown): Promise<T> {
    return this.#counted(
      'patch-status',
      async () =>
        (await this.#api.patchNamespacedCustomObjectStatus(
          {
            ...this.kind,
            namespace: obj.metadata.namespace as string,
            name: obj.metadata.name,
            body: { metadata: { resourceVersion: obj.metadata.resourceVersion }, status },
          },
          mergePatch,
        )) as T,
    );
  }

  /** Adds `finalizer` if missing. Returns the updated object, or undefined when nothing changed. */
  async addFinalizer<T extends KubeObject & { metadata: { finalizers?: string[] } }>(
    obj: T,
    finalizer: string,
  ): Promise<T | undefined> {
    const current = obj.metadata.finalizers ?? [];
    if (current.includes(finalizer)) return undefined;
    return this.setFinalizers(obj, [...current, finalizer]);
  }

  /** Removes `finalizer` if present. Returns the updated object, or undefined when nothing changed. */
  async removeFinalizer<T extends KubeObject & { metadata: { finalizers?: string[] } }>(
    obj: T,
    finalizer: string,
  ): Promise<T | undefined> {
    const current = obj.metadata.finalizers ?? [];
    if (!current.includes(finalizer)) return undefined;
    return this.setFinalizers(
      obj,
      current.filter((f) => f !== finalizer),
    );
  }

  /** Sets metadata.finalizers if the object is still at obj's resourceVersion (the ObjectWriter port). */
  async setFinalizers<T extends KubeObject>(obj: T, finalizers: string[]): Promise<T> {
    return this.#counted(
      'patch-finalizers',
      async () =>
        (await this.#api.patchNamespacedCustomObject(
          {
            ...this.kind,
            namespace: obj.metadata.namespace as string,
            name: obj.metadata.name,
            body: { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers } },
          },
          mergePatch,
        )) as T,
    );
  }

  async delete(obj: KubeObject): Promise<void> {
    await this.#counted('delete', () =>
      this.#api.deleteNamespacedCustomObject({
        ...this.kind,
        namespace: obj.metadata.namespace as string,
        name: obj.metadata.name,
        body: { preconditions: { uid: obj.metadata.uid } },
      }),
    );
  }
}

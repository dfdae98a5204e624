/**
 * ObjectWriter over CustomObjectsApi for one custom resource. Every write carries an optimistic lock:
 * - patchStatus: a merge patch of /status carrying the resourceVersion the status was computed from, so a
 *   write based on a stale cache fails with 409 (and the key is retried) instead of losing newer status;
 * - setFinalizers: the same lock on metadata.finalizers (a merge patch replaces the whole list);
 * - delete: a uid precondition, so a new object of the same name is never deleted by mistake.
 * Each write is counted in hpc_kube_writes_total by outcome.
 */
import * as k8s from '@kubernetes/client-node';
import { addFinalizer, codeOf, removeFinalizer, type KubeObject, type ObjectWriter } from '../kube-api.js';
import type { Metrics } from '../metrics.js';
import { mergePatch } from './options.js';

export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
}

export class KubeObjectWriter implements ObjectWriter {
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

  /** addFinalizer(this, ...) of kube-api, for callers written against the old writer. */
  addFinalizer<T extends KubeObject>(obj: T, finalizer: string): Promise<T | undefined> {
    return addFinalizer(this, obj, finalizer);
  }

  /** removeFinalizer(this, ...) of kube-api, for callers written against the old writer. */
  removeFinalizer<T extends KubeObject>(obj: T, finalizer: string): Promise<T | undefined> {
    return removeFinalizer(this, obj, finalizer);
  }

  /** Counts one write (hpc_kube_writes_total) by its outcome: success, the HTTP code, or error. */
  async #counted<T>(verb: string, write: () => Promise<T>): Promise<T> {
    const resource = this.kind.plural;
    try {
      const r = await write();
      this.#metrics?.kubeWrites.inc({ resource, verb, outcome: 'success' });
      return r;
    } catch (e) {
      const code = codeOf(e);
      this.#metrics?.kubeWrites.inc({ resource, verb, outcome: code ? String(code) : 'error' });
      throw e;
    }
  }
}

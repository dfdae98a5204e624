/**
 * ObjectWriter over CustomObjectsApi for one custom resource. Every write carries an optimistic lock:
 * - patchStatus: a merge patch of /status carrying the resourceVersion the status was computed from, so a
 *   write based on a stale cache fails with 409 (and the key is retried) instead of losing newer status;
 * - setFinalizers: the same lock on metadata.finalizers (a merge patch replaces the whole list);
 * - delete: a uid precondition, so a new object of the same name is never deleted by mistake.
 * The operator counts the writes around it (runtime/counted-writer.ts).
 */
import * as k8s from '@kubernetes/client-node';
import { addFinalizer, removeFinalizer, type KubeObject, type ObjectWriter } from '../kube-api.js';
import { mergePatch } from './options.js';

export interface ResourceKind {
  group: string;
  version: string;
  plural: string;
}

export class KubeObjectWriter implements ObjectWriter {
  readonly #api: k8s.CustomObjectsApi;

  constructor(
    kc: k8s.KubeConfig,
    readonly kind: ResourceKind,
  ) {
    this.#api = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  async patchStatus<T extends KubeObject>(obj: T, status: unknown): Promise<T> {
    return (await this.#api.patchNamespacedCustomObjectStatus(
      {
        ...this.kind,
        namespace: obj.metadata.namespace as string,
        name: obj.metadata.name,
        body: { metadata: { resourceVersion: obj.metadata.resourceVersion }, status },
      },
      mergePatch,
    )) as T;
  }

  async setFinalizers<T extends KubeObject>(obj: T, finalizers: string[]): Promise<T> {
    return (await this.#api.patchNamespacedCustomObject(
      {
        ...this.kind,
        namespace: obj.metadata.namespace as string,
        name: obj.metadata.name,
        body: { metadata: { resourceVersion: obj.metadata.resourceVersion, finalizers } },
      },
      mergePatch,
    )) as T;
  }

  async delete(obj: KubeObject): Promise<void> {
    await this.#api.deleteNamespacedCustomObject({
      ...this.kind,
      namespace: obj.metadata.namespace as string,
      name: obj.metadata.name,
      body: { preconditions: { uid: obj.metadata.uid } },
    });
  }

  /** addFinalizer(this, ...) of kube-api, for callers written against the old writer. */
  addFinalizer<T extends KubeObject>(obj: T, finalizer: string): Promise<T | undefined> {
    return addFinalizer(this, obj, finalizer);
  }

  /** removeFinalizer(this, ...) of kube-api, for callers written against the old writer. */
  removeFinalizer<T extends KubeObject>(obj: T, finalizer: string): Promise<T | undefined> {
    return removeFinalizer(this, obj, finalizer);
  }
}

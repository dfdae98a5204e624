/**
 * Counts what an ObjectWriter sends to the API server, by verb and outcome (success, the HTTP status code, or
 * error), around any implementation: the real adapter and the simulation's count the same way, and each
 * counter (hpc_kube_writes_total per resource, a controller's own per kind) is told of every write.
 */
import { codeOf, type KubeObject, type ObjectWriter } from './kube-api.js';
import type { Metrics } from './metrics.js';

export type WriteVerb = 'patch-status' | 'patch-finalizers' | 'delete';
export type WriteCounter = (verb: WriteVerb, outcome: string) => void;

/** `success`, the HTTP status code (409 is a routine optimistic-lock conflict), or `error`. */
export function outcomeOf(e: unknown): string {
  const code = codeOf(e);
  return code ? String(code) : 'error';
}

export function countedWriter(inner: ObjectWriter, ...counters: WriteCounter[]): ObjectWriter {
  async function counted<T>(verb: WriteVerb, write: () => Promise<T>): Promise<T> {
    try {
      const r = await write();
      for (const c of counters) c(verb, 'success');
      return r;
    } catch (e) {
      for (const c of counters) c(verb, outcomeOf(e));
      throw e;
    }
  }
  return {
    patchStatus: <T extends KubeObject>(obj: T, patch: unknown) =>
      counted('patch-status', () => inner.patchStatus(obj, patch)),
    setFinalizers: <T extends KubeObject>(obj: T, finalizers: string[]) =>
      counted('patch-finalizers', () => inner.setFinalizers(obj, finalizers)),
    delete: (obj: KubeObject) => counted('delete', () => inner.delete(obj)),
  };
}

/** hpc_kube_writes_total for one resource (the plural). */
export function kubeWritesOf(metrics: Metrics, resource: string): WriteCounter {
  return (verb, outcome) => metrics.kubeWrites.inc({ resource, verb, outcome });
}

/**
 * Reads single keys of Secrets on demand (no informer: the operator never caches Secrets, and RBAC can
 * scope `get` to what its resources reference). Values are returned, never logged.
 */
import * as k8s from '@kubernetes/client-node';
import { isNotFound } from './controller.js';
import { SecretAccessError, type Secrets } from './kube-api.js';

// One class for "may not read this Secret", wherever it is caught (the ports' kube-api.ts owns it).
export { SecretAccessError };

function forbidden(e: unknown): boolean {
  return (e as { code?: number }).code === 403;
}

export class KubeSecrets implements Secrets {
  readonly #api: k8s.CoreV1Api;

  constructor(kc: k8s.KubeConfig) {
    this.#api = kc.makeApiClient(k8s.CoreV1Api);
  }

  /** All keys of a Secret, decoded; undefined when it does not exist. */
  async readAll(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    try {
      const secret = await this.#api.readNamespacedSecret({ namespace, name });
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(secret.data ?? {}))
        out[k] = Buffer.from(v, 'base64').toString('utf8');
      return out;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (forbidden(e)) throw new SecretAccessError(namespace, name);
      throw e;
    }
  }

  /** The decoded value of `key`, or undefined when the Secret or the key does not exist. */
  async read(namespace: string, name: string, key: string): Promise<string | undefined> {
    try {
      const secret = await this.#api.readNamespacedSecret({ namespace, name });
      const value = secret.data?.[key];
      return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (forbidden(e)) throw new SecretAccessError(namespace, name);
      throw e;
    }
  }
}

/**
 * Secrets over CoreV1Api, read on demand (no informer: the operator never caches Secrets, and RBAC can scope
 * `get` to what its resources reference). Values are returned, never logged.
 */
import * as k8s from '@kubernetes/client-node';
import { SecretAccessError, isForbidden, isNotFound, type Secrets } from '../kube-api.js';

export class KubeSecrets implements Secrets {
  readonly #api: k8s.CoreV1Api;

  constructor(kc: k8s.KubeConfig) {
    this.#api = kc.makeApiClient(k8s.CoreV1Api);
  }

  async readAll(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    const data = await this.#data(namespace, name);
    if (!data) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(data)) out[k] = Buffer.from(v, 'base64').toString('utf8');
    return out;
  }

  async read(namespace: string, name: string, key: string): Promise<string | undefined> {
    const value = (await this.#data(namespace, name))?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  }

  async readBytes(namespace: string, name: string, key: string): Promise<Buffer | undefined> {
    const value = (await this.#data(namespace, name))?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64');
  }

  /** The Secret's base64 data; undefined when it does not exist; SecretAccessError when forbidden. */
  async #data(namespace: string, name: string): Promise<Record<string, string> | undefined> {
    try {
      return (await this.#api.readNamespacedSecret({ namespace, name })).data ?? {};
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (isForbidden(e)) throw new SecretAccessError(namespace, name);
      throw e;
    }
  }
}

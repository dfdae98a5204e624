/**
 * The operator's own Secret (its serving certificate, in its namespace) over CoreV1Api, and the caBundle of
 * its ValidatingWebhookConfiguration over AdmissionregistrationV1Api. Values are never logged.
 */
import * as k8s from '@kubernetes/client-node';
import { isNotFound, type OwnSecret, type OwnSecrets, type WebhookConfigurations } from '../kube-api.js';

const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

export class KubeOwnSecrets implements OwnSecrets {
  readonly #api: k8s.CoreV1Api;

  constructor(kc: k8s.KubeConfig) {
    this.#api = kc.makeApiClient(k8s.CoreV1Api);
  }

  async get(namespace: string, name: string): Promise<OwnSecret | undefined> {
    try {
      return fromSecret(await this.#api.readNamespacedSecret({ namespace, name }));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async create(secret: OwnSecret): Promise<OwnSecret> {
    return fromSecret(
      await this.#api.createNamespacedSecret({ namespace: secret.namespace, body: toSecret(secret) }),
    );
  }

  async update(secret: OwnSecret): Promise<OwnSecret> {
    return fromSecret(
      await this.#api.replaceNamespacedSecret({
        namespace: secret.namespace,
        name: secret.name,
        body: toSecret(secret),
      }),
    );
  }
}

function toSecret(s: OwnSecret): k8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      resourceVersion: s.resourceVersion,
      labels: { 'app.kubernetes.io/managed-by': 'hpc-operator' },
    },
    // Opaque, as the manifests create it empty (a kubernetes.io/tls Secret cannot be empty; type is immutable).
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

function fromSecret(s: k8s.V1Secret): OwnSecret {
  return {
    namespace: s.metadata?.namespace ?? '',
    name: s.metadata?.name ?? '',
    resourceVersion: s.metadata?.resourceVersion,
    data: Object.fromEntries(
      Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    ),
  };
}

export class KubeWebhookConfigurations implements WebhookConfigurations {
  readonly #api: k8s.AdmissionregistrationV1Api;

  constructor(kc: k8s.KubeConfig) {
    this.#api = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  }

  async caBundles(name: string): Promise<string[] | undefined> {
    try {
      const config = await this.#api.readValidatingWebhookConfiguration({ name });
      return (config.webhooks ?? []).map((w) => decode(w.clientConfig.caBundle));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /**
   * A JSON patch of each webhook's caBundle, guarded by the resourceVersion it was computed from: a
   * webhook added or reordered in between fails the test (422/409) instead of getting another's bundle.
   */
  async setCaBundle(name: string, pem: string): Promise<void> {
    const config = await this.#api.readValidatingWebhookConfiguration({ name });
    const value = Buffer.from(pem).toString('base64');
    const body = [
      { op: 'test', path: '/metadata/resourceVersion', value: config.metadata?.resourceVersion },
      ...(config.webhooks ?? []).map((_, i) => ({
        op: 'add',
        path: `/webhooks/${i}/clientConfig/caBundle`,
        value,
      })),
    ];
    await this.#api.patchValidatingWebhookConfiguration({ name, body }, jsonPatch);
  }
}

function decode(b64: string | undefined): string {
  // client-node hands caBundle (a []byte) back as its base64 text.
  return b64 ? Buffer.from(b64, 'base64').toString('utf8') : '';
}

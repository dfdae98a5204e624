/**
 * AccessReviews over client-node: TokenReview (authentication.k8s.io/v1), SubjectAccessReview
 * (authorization.k8s.io/v1) and the cluster's client CA from the ConfigMap every API server publishes for
 * extension servers (kube-system/extension-apiserver-authentication, key client-ca-file). RBAC: create on
 * tokenreviews and subjectaccessreviews, get on that one ConfigMap. Tokens are passed on, never logged.
 */
import * as k8s from '@kubernetes/client-node';
import type { AccessReviews, ResourceAttributes, UserInfo } from '../../logs/access.js';
import { isNotFound } from '../kube-api.js';

export const CLIENT_CA_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' };
export const CLIENT_CA_KEY = 'client-ca-file';

export class KubeAccessReviews implements AccessReviews {
  readonly #authn: k8s.AuthenticationV1Api;
  readonly #authz: k8s.AuthorizationV1Api;
  readonly #core: k8s.CoreV1Api;

  constructor(kc: k8s.KubeConfig) {
    this.#authn = kc.makeApiClient(k8s.AuthenticationV1Api);
    this.#authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    this.#core = kc.makeApiClient(k8s.CoreV1Api);
  }

  async reviewToken(token: string): Promise<UserInfo | undefined> {
    const r = await this.#authn.createTokenReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    const u = r.status?.user;
    if (!r.status?.authenticated || !u?.username) return undefined;
    return {
      username: u.username,
      ...(u.uid ? { uid: u.uid } : {}),
      groups: u.groups ?? [],
      ...(u.extra ? { extra: u.extra } : {}),
    };
  }

  async reviewAccess(
    user: UserInfo,
    attributes: ResourceAttributes,
  ): Promise<{ allowed: boolean; reason: string }> {
    const r = await this.#authz.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          groups: user.groups,
          ...(user.uid ? { uid: user.uid } : {}),
          ...(user.extra ? { extra: user.extra } : {}),
          resourceAttributes: attributes,
        },
      },
    });
    return { allowed: r.status?.allowed === true, reason: r.status?.reason ?? '' };
  }

  async clientCA(): Promise<string> {
    try {
      const cm = await this.#core.readNamespacedConfigMap(CLIENT_CA_CONFIGMAP);
      return cm.data?.[CLIENT_CA_KEY] ?? '';
    } catch (e) {
      if (isNotFound(e)) return '';
      throw e;
    }
  }
}

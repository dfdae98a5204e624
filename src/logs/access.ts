/**
 * Who may read an HPCJob's logs, decided the way the API server decides `kubectl logs`: the caller is
 * authenticated (a bearer token through a TokenReview, or a client certificate against the cluster's client
 * CA), then authorized by a SubjectAccessReview for `get` on `hpcjobs/log` (an HPCJobSet's index:
 * `hpcjobsets/log`) of that object in its namespace. The
 * API calls are a port (AccessReviews; runtime/kube/access-reviews.ts over client-node).
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { GROUP } from '../crds/common.js';
import { HPCJOB_PLURAL } from '../crds/hpcjob.js';
import type { LogResource } from './request.js';
import { bearerToken, userFromCertificate, type PeerCert, type UserInfo } from './authn.js';

export type { UserInfo };

/** What the API server is asked. */
export interface AccessReviews {
  /** TokenReview: the user of `token`, or undefined when the API server does not accept it. */
  reviewToken(token: string): Promise<UserInfo | undefined>;
  /** SubjectAccessReview for one resource attribute set. */
  reviewAccess(user: UserInfo, attributes: ResourceAttributes): Promise<{ allowed: boolean; reason: string }>;
  /** The cluster's client CA bundle (PEM; '' when it has none). */
  clientCA(): Promise<string>;
}

export interface ResourceAttributes {
  namespace: string;
  name: string;
  verb: string;
  group: string;
  resource: string;
  subresource: string;
}

/** The subresource the logs are, as `pods/log` is for pods. */
export const LOG_SUBRESOURCE = 'log';

export type Decision = { user: UserInfo } | { status: 401 | 403; message: string };

/** The caller of `req`. Errors of the API calls propagate (the route answers 503). */
export async function authenticate(
  req: IncomingMessage,
  reviews: AccessReviews,
  now: Date,
): Promise<Decision> {
  const token = bearerToken(req.headers.authorization);
  if (token) {
    const user = await reviews.reviewToken(token);
    return user ? { user } : { status: 401, message: 'the bearer token was not accepted (TokenReview)' };
  }
  const socket = req.socket as Partial<TLSSocket>;
  const peer = (socket.getPeerCertificate?.(true) ?? {}) as PeerCert;
  if (!peer.raw)
    return { status: 401, message: 'send a bearer token or a client certificate of this cluster' };
  const got = userFromCertificate(peer, await reviews.clientCA(), now);
  return 'user' in got ? got : { status: 401, message: got.error };
}

/** The attributes of reading one HPCJob's (or HPCJobSet's) logs. */
export function logAttributes(
  namespace: string,
  name: string,
  resource: LogResource = HPCJOB_PLURAL,
): ResourceAttributes {
  return { namespace, name, verb: 'get', group: GROUP, resource, subresource: LOG_SUBRESOURCE };
}

/** Allowed, or a 403 worded as the API server words it. */
export async function authorize(
  user: UserInfo,
  object: { namespace: string; name: string; resource: LogResource },
  reviews: AccessReviews,
): Promise<Decision> {
  const { namespace, name } = object;
  const attrs = logAttributes(namespace, name, object.resource);
  const r = await reviews.reviewAccess(user, attrs);
  if (r.allowed) return { user };
  const message =
    `${attrs.resource}.${attrs.group} ${JSON.stringify(name)} is forbidden: User ${JSON.stringify(user.username)} ` +
    `cannot get resource "${attrs.resource}/${attrs.subresource}" in API group "${attrs.group}" in the namespace ` +
    `${JSON.stringify(namespace)}${r.reason ? `: ${r.reason}` : ''}`;
  return { status: 403, message };
}

/** The client CA, read again at most every `ttlMs` (it changes when the cluster's CA is rotated). */
export class CachedClientCA {
  #value: { pem: string; at: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(
    readonly read: () => Promise<string>,
    readonly ttlMs: number,
    readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<string> {
    const v = this.#value;
    if (v && this.now() - v.at < this.ttlMs) return v.pem;
    this.#pending ??= this.read()
      .then((pem) => {
        this.#value = { pem, at: this.now() };
        return pem;
      })
      .finally(() => (this.#pending = undefined));
    return this.#pending;
  }
}

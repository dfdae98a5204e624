/**
 * One keep-alive connection pool per cluster and user for every API call and watch of the operator.
 *
 * @kubernetes/client-node 2 sends requests with undici's fetch, and its KubeConfig builds a new undici Agent
 * (the dispatcher: it owns the sockets) in applySecurityAuthentication, that is for every single call. Each
 * call thus opens its own TCP connection and TLS handshake, and the idle ones linger until undici's
 * keep-alive timeout closes them: hundreds of sockets to the API server under load. The generated API
 * clients (through makeApiClient's authMethods) and k8s.Watch both authenticate through that one public
 * method, so overriding it here is the supported hook: the first dispatcher client-node builds for a cluster
 * and user (its TLS, proxy and keep-alive settings) is kept and handed to every later request instead of the
 * fresh one, which is dropped before it ever opens a socket. Headers (bearer tokens, also rotated
 * service-account tokens) are still applied per request by client-node; only a client certificate read
 * from a file is fixed for the life of the pool, as it was with the 1.x agents.
 */
import * as k8s from '@kubernetes/client-node';

/** undici's Dispatcher, named through client-node's own typings (undici is not a dependency of ours). */
type Dispatcher = NonNullable<ReturnType<k8s.RequestContext['getDispatcher']>>;

export class PooledKubeConfig extends k8s.KubeConfig {
  readonly #pools = new Map<string, Dispatcher>();

  /** A pooled copy of `source` (the same clusters, users, contexts and current context). */
  static from(source: k8s.KubeConfig): PooledKubeConfig {
    const kc = new PooledKubeConfig();
    kc.loadFromOptions({
      clusters: source.getClusters(),
      users: source.getUsers(),
      contexts: source.getContexts(),
      currentContext: source.getCurrentContext(),
    });
    return kc;
  }

  override async applySecurityAuthentication(context: k8s.RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const built = context.getDispatcher();
    // None built (a cluster without any TLS setting): fetch uses undici's global dispatcher, itself shared.
    if (!built) return;
    const key = JSON.stringify([this.getCurrentCluster()?.name ?? '', this.getCurrentUser()?.name ?? '']);
    const pool = this.#pools.get(key);
    if (pool) context.setDispatcher(pool);
    else this.#pools.set(key, built);
  }

  /** The dispatchers in use, one per cluster and user (tests check that calls share them). */
  get pools(): readonly Dispatcher[] {
    return [...this.#pools.values()];
  }

  /** Closes every pooled connection (at shutdown); a later call starts a new pool. Never rejects. */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    // Settled, not all: one pool failing to close must not leave the others open or reject a shutdown.
    await Promise.allSettled(pools.map((p) => p.destroy()));
  }
}

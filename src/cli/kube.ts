/**
 * The plugin's view of the cluster: HPCJobs, HPCJobSets, VirtualClusters and Events through @kubernetes/client-node,
 * configured the way kubectl is (KUBECONFIG or ~/.kube/config, --kubeconfig, --context, the context's
 * namespace). API errors become CliErrors that say which object and what went wrong, not a stack trace.
 */
import * as k8s from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/common.js';
import { HPCJOB_PLURAL, type HPCJob } from '../crds/hpcjob.js';
import { HPCJOBSET_PLURAL, type HPCJobSet } from '../crds/hpcjobset.js';
import { VIRTUALCLUSTER_PLURAL, type VirtualCluster } from '../crds/virtualcluster.js';
import { CliError } from './errors.js';
import { loadKubeConfig, type LoadOptions } from './kubeconfig.js';

export { CliError };

export interface KubeOptions extends LoadOptions {
  /** Each API call gives up after this long (--request-timeout); 0 or undefined: no limit. */
  requestTimeoutMs?: number;
}

export class Kube {
  readonly kc: k8s.KubeConfig;
  readonly #co: k8s.CustomObjectsApi;
  readonly #timeoutMs: number;

  constructor(o: KubeOptions) {
    this.kc = loadKubeConfig(o);
    this.#timeoutMs = o.requestTimeoutMs ?? 0;
    this.#co = this.kc.makeApiClient(k8s.CustomObjectsApi);
  }

  /** One API call under --request-timeout, with the retries the API server asks for. */
  #call<T>(call: () => Promise<T>): Promise<T> {
    return withRetries(() => withDeadline(call(), this.#timeoutMs));
  }

  /** The namespace to use: the flag, else the current context's, else default (as kubectl). */
  namespace(flag: string | undefined): string {
    return flag ?? this.kc.getContextObject(this.kc.getCurrentContext())?.namespace ?? 'default';
  }

  async getHPCJob(namespace: string, name: string): Promise<HPCJob> {
    try {
      return (await this.#call(() =>
        this.#co.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: HPCJOB_PLURAL,
          namespace,
          name,
        }),
      )) as HPCJob;
    } catch (e) {
      throw apiError(e, `hpcjob ${name} in namespace ${namespace}`);
    }
  }

  /** Names of the namespaces (for completion). */
  async listNamespaces(): Promise<string[]> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    try {
      const list = await this.#call(() => core.listNamespace());
      return list.items.map((n) => n.metadata?.name ?? '').filter((n) => n !== '');
    } catch (e) {
      throw apiError(e, 'namespaces');
    }
  }

  /** HPCJobs of one namespace, or of all when `namespace` is undefined. */
  async listHPCJobs(namespace: string | undefined): Promise<HPCJob[]> {
    return (await this.#list(HPCJOB_PLURAL, namespace, 'hpcjobs')) as HPCJob[];
  }

  async getHPCJobSet(namespace: string, name: string): Promise<HPCJobSet> {
    try {
      return (await this.#call(() =>
        this.#co.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          plural: HPCJOBSET_PLURAL,
          namespace,
          name,
        }),
      )) as HPCJobSet;
    } catch (e) {
      throw apiError(e, `hpcjobset ${name} in namespace ${namespace}`);
    }
  }

  /** HPCJobSets of one namespace, or of all; none where the HPCJobSet CRD is not installed (an older install). */
  async listHPCJobSets(namespace: string | undefined): Promise<HPCJobSet[]> {
    try {
      return (await this.#list(HPCJOBSET_PLURAL, namespace, 'hpcjobsets')) as HPCJobSet[];
    } catch (e) {
      if (e instanceof CliError && /CRDs are not installed/.test(e.message)) return [];
      throw e;
    }
  }

  async listVirtualClusters(namespace: string | undefined): Promise<VirtualCluster[]> {
    return (await this.#list(VIRTUALCLUSTER_PLURAL, namespace, 'virtualclusters')) as VirtualCluster[];
  }

  async #list(plural: string, namespace: string | undefined, what: string): Promise<unknown[]> {
    const base = { group: GROUP, version: VERSION, plural };
    try {
      const list = (await this.#call(() =>
        namespace === undefined
          ? this.#co.listClusterCustomObject(base)
          : this.#co.listNamespacedCustomObject({ ...base, namespace }),
      )) as { items?: unknown[] };
      return list.items ?? [];
    } catch (e) {
      throw apiError(e, what);
    }
  }

  /**
   * Sets annotations with a JSON merge patch on metadata. With `resourceVersion` the patch only applies to
   * that version (409 otherwise), so a check made on the object read before still holds when it lands.
   */
  async annotateHPCJob(
    namespace: string,
    name: string,
    annotations: Record<string, string>,
    resourceVersion?: string,
  ): Promise<HPCJob> {
    const body = { metadata: { annotations, ...(resourceVersion ? { resourceVersion } : {}) } };
    try {
      return (await this.#call(() =>
        this.#co.patchNamespacedCustomObject(
          { group: GROUP, version: VERSION, plural: HPCJOB_PLURAL, namespace, name, body },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        ),
      )) as HPCJob;
    } catch (e) {
      if (isConflict(e)) throw new Conflict();
      throw apiError(e, `hpcjob ${name} in namespace ${namespace}`);
    }
  }

  /** Events (events.k8s.io/v1) about one HPCJob (or HPCJobSet), oldest first. */
  async eventsFor(job: Pick<HPCJob, 'metadata'> & { kind: string }): Promise<k8s.EventsV1Event[]> {
    const api = this.kc.makeApiClient(k8s.EventsV1Api);
    try {
      const list = await this.#call(() =>
        api.listNamespacedEvent({
          namespace: job.metadata.namespace,
          fieldSelector: `regarding.name=${job.metadata.name}`,
        }),
      );
      // The name selector also matches same-named objects of other kinds, and earlier HPCJobs of that name.
      return list.items
        .filter(
          (e) =>
            e.regarding?.kind === job.kind && (!e.regarding?.uid || e.regarding.uid === job.metadata.uid),
        )
        .sort((a, b) => eventTime(a) - eventTime(b));
    } catch (e) {
      throw apiError(e, `events of hpcjob ${job.metadata.name}`);
    }
  }
}

const MAX_TRIES = 10;

/** `p`, or a CliError once `ms` have passed (0: no limit): the API server did not answer in time. */
export function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  if (ms <= 0) return p;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CliError(`the Kubernetes API server did not answer within ${ms / 1000}s (--request-timeout)`),
        ),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Retries what the API server asks to be retried, as kubectl (client-go) does: 429 Too Many Requests, or a
 * 5xx with Retry-After, after the delay it names (1-10 s), up to 10 tries. The common case is a CRD being
 * updated: its storage answers "storage is (re)initializing" for a moment.
 */
async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await call();
    } catch (e) {
      const delay = retryAfterMs(e);
      if (delay === undefined || n >= MAX_TRIES) throw e;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

export function retryAfterMs(e: unknown): number | undefined {
  if (!(e instanceof k8s.ApiException)) return undefined;
  const header = (e.headers as Record<string, string> | undefined)?.['retry-after'];
  if (e.code !== 429 && !(e.code >= 500 && header !== undefined)) return undefined;
  const seconds = Number(header);
  return Math.min(10, Math.max(1, Number.isFinite(seconds) ? seconds : 1)) * 1000;
}

/** The optimistic-concurrency check of a patch failed: the object changed since it was read. */
export class Conflict extends Error {}

/** When an Event last happened, in ms (0 when it says nothing). */
export function eventTime(e: k8s.EventsV1Event): number {
  const t =
    e.series?.lastObservedTime ?? e.eventTime ?? e.deprecatedLastTimestamp ?? e.metadata?.creationTimestamp;
  const ms = t ? new Date(t as unknown as string | Date).getTime() : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

function isConflict(e: unknown): boolean {
  return e instanceof k8s.ApiException && e.code === 409;
}

/** A one-line error for an API failure: not found, forbidden, unreachable, or the API's own message. */
export function apiError(e: unknown, what: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof k8s.ApiException) {
    const message = statusMessage(e.body) ?? `HTTP ${e.code}`;
    if (e.code === 404) {
      // A 404 on a list means the resource type itself is missing.
      return new CliError(
        /could not find the requested resource/i.test(message)
          ? `the HPCJob and VirtualCluster CRDs are not installed in this cluster (${message})`
          : `${what} not found`,
      );
    }
    if (e.code === 401 || e.code === 403)
      return new CliError(`not allowed to read or change ${what}: ${message}`);
    return new CliError(`${what}: ${message}`);
  }
  const code = (e as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return new CliError(`cannot reach the Kubernetes API server (${code}): check --kubeconfig and --context`);
  }
  return new CliError(`${what}: ${e instanceof Error ? e.message : String(e)}`);
}

/** The `message` of a metav1.Status body, which the client hands over as text or as an object. */
function statusMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const m = (b as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : undefined;
}

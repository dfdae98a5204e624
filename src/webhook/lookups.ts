/**
 * The admission webhook's lookups of what an object names: VirtualClusters from the operator's own informer
 * cache (no API call; only in the namespaces it watches, once synced), Secrets read through the Secrets port
 * (the operator reads them anyway when it acts; values are judged and dropped, never logged).
 */
import type { VirtualCluster } from '../crds/virtualcluster.js';
import type { Informer } from '../runtime/informer.js';
import { SecretAccessError, type Secrets } from '../runtime/kube-api.js';
import type { Found, Reference } from './review.js';

export interface LookupSources {
  secrets: Secrets;
  virtualClusters: Pick<Informer<VirtualCluster>, 'get'>;
  /** --namespace: the one namespace watched, or empty for all. */
  watchNamespace: string;
  /** True once the informer caches have synced. */
  synced: () => boolean;
}

export function referenceLookup(o: LookupSources): (ref: Reference) => Promise<Found> {
  return async (ref) => {
    if (ref.kind === 'VirtualCluster') {
      if (!o.synced() || (o.watchNamespace && o.watchNamespace !== ref.namespace))
        return { state: 'unknown' };
      return o.virtualClusters.get(ref.namespace, ref.name) ? { state: 'found' } : { state: 'missing' };
    }
    try {
      const data = await o.secrets.readAll(ref.namespace, ref.name);
      return data ? { state: 'found', data } : { state: 'missing' };
    } catch (e) {
      if (e instanceof SecretAccessError) return { state: 'forbidden', message: e.message };
      return { state: 'unknown' };
    }
  };
}

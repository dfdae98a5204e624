/** The admission webhook's routes on the serving port, wired to the running operator. */
import { KubeSecrets } from '../runtime/kube/secrets.js';
import type { RouteDeps } from '../serving/routes.js';
import { WEBHOOK_PATHS, admissionHandler, type AdmissionDeps } from './handler.js';
import { referenceLookup } from './lookups.js';

export function mountAdmissionWebhook(deps: RouteDeps): void {
  const { config, op, kc, log } = deps;
  const admission: AdmissionDeps = {
    settings: {
      maxOutputBytesCeiling: config.maxOutputBytesCeiling,
      virtualClusterWaitSeconds: config.virtualClusterWaitSeconds,
    },
    lookup: referenceLookup({
      secrets: new KubeSecrets(kc),
      virtualClusters: op.virtualClusters,
      watchNamespace: config.namespace,
      synced: () => op.manager.synced,
    }),
    log,
  };
  for (const kind of ['HPCJob', 'HPCJobSet', 'VirtualCluster'] as const)
    deps.serving.route(WEBHOOK_PATHS[kind], admissionHandler(kind, admission));
}

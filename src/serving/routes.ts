/**
 * What the serving port answers. Each feature mounts its own route here, so the list of what the operator
 * serves over HTTPS reads in one place.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorConfig } from '../config.js';
import { mountLogs } from '../logs/mount.js';
import type { Operator } from '../operator.js';
import { mountAdmissionWebhook } from '../webhook/mount.js';
import type { ServingServer } from './server.js';

/** Everything the routes need from the running operator. */
export interface RouteDeps {
  readonly serving: ServingServer;
  readonly op: Operator;
  readonly config: OperatorConfig;
  /** The operator's own kubeconfig (its connection pool), for the API calls a route makes. */
  readonly kc: k8s.KubeConfig;
  readonly log: Logger;
}

export function mountRoutes(deps: RouteDeps): void {
  deps.serving.route('/healthz', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
  });
  // Live logs: GET /logs/v1/namespaces/{ns}/hpcjobs/{name} (src/logs).
  mountLogs(deps);
  // The validating admission webhook for HPCJobs and VirtualClusters (src/webhook).
  mountAdmissionWebhook(deps);
}

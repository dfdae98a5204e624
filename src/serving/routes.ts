/**
 * What the serving port answers. Each feature mounts its own route here, so the list of what the operator
 * serves over HTTPS reads in one place.
 */
import type { ServingServer } from './server.js';

/** Everything the routes need from the running operator. */
export interface RouteDeps {
  readonly serving: ServingServer;
}

export function mountRoutes(deps: RouteDeps): void {
  deps.serving.route('/healthz', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n');
  });
}

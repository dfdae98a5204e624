/**
 * Every metric the operator registers, on one Registry, as the running operator has them: the runtime's
 * (src/runtime/metrics.ts) and each package's own, registered on the same Registry. docs/metrics.md and the
 * Grafana dashboard are checked against this.
 */
import type { Registry } from 'prom-client';
import { VirtualClusterMetrics } from '../../src/controllers/virtualcluster/metrics.js';
import { Metrics } from '../../src/runtime/metrics.js';

export function operatorRegistry(o: { defaultMetrics?: boolean } = {}): Registry {
  const metrics = new Metrics(o);
  new VirtualClusterMetrics(metrics.registry);
  return metrics.registry;
}

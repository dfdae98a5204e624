/**
 * Every metric one operator replica registers, on one registry: the runtime's (controller-runtime's names),
 * the HTCondor layer's and each controller's. docs/metrics.md lists them in this order.
 */
import type { Registry } from 'prom-client';
import { CondorMetrics } from './condor/metrics.js';
import { HPCJobMetrics } from './controllers/hpcjob/metrics.js';
import { HPCJobSetMetrics } from './controllers/hpcjobset/metrics.js';
import { VirtualClusterMetrics } from './controllers/virtualcluster/metrics.js';
import { Metrics } from './runtime/metrics.js';

export interface OperatorMetrics {
  runtime: Metrics;
  condor: CondorMetrics;
  hpcJobs: HPCJobMetrics;
  hpcJobSets: HPCJobSetMetrics;
  virtualClusters: VirtualClusterMetrics;
}

export function registerMetrics(registry: Registry): OperatorMetrics {
  return {
    runtime: new Metrics({ registry, defaultMetrics: false }),
    condor: new CondorMetrics(registry),
    hpcJobs: new HPCJobMetrics(registry),
    hpcJobSets: new HPCJobSetMetrics(registry),
    virtualClusters: new VirtualClusterMetrics(registry),
  };
}

/**
 * The VirtualCluster controller's metrics, registered on the Registry the operator serves. The name and
 * labels are those docs/metrics.md and the Grafana dashboard use.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Counts } from './planning.js';

/** The worker states, as in status.workers. */
const STATES = [
  'requested',
  'queued',
  'running',
  'idle',
  'busy',
  'error',
] as const satisfies readonly (keyof Counts)[];

export class VirtualClusterMetrics {
  readonly workers: Gauge<'namespace' | 'name' | 'state'>;
  readonly pilotTokens: Counter<'namespace' | 'name' | 'purpose' | 'outcome'>;

  constructor(registry: Registry) {
    this.workers = new Gauge({
      name: 'hpc_virtualcluster_workers',
      help: 'Workers of each VirtualCluster by state, as in its status (requested, queued, running, idle, busy, error)',
      labelNames: ['namespace', 'name', 'state'] as const,
      registers: [registry],
    });
    this.pilotTokens = new Counter({
      name: 'hpc_virtualcluster_pilot_tokens_total',
      help: 'Per-pilot tokens the operator minted and stored (purpose new: for a pilot about to be submitted; renewal: for a queued pilot), by outcome (stored, failed)',
      labelNames: ['namespace', 'name', 'purpose', 'outcome'] as const,
      registers: [registry],
    });
  }

  /** The worker counts of a VirtualCluster, as its status shows them. */
  setWorkers(namespace: string, name: string, counts: Partial<Counts>): void {
    for (const state of STATES) this.workers.set({ namespace, name, state }, counts[state] ?? 0);
  }

  /** Drops a VirtualCluster's series (it is gone). */
  forget(namespace: string, name: string): void {
    for (const state of STATES) this.workers.remove({ namespace, name, state });
    for (const purpose of ['new', 'renewal'])
      for (const outcome of ['stored', 'failed'])
        this.pilotTokens.remove({ namespace, name, purpose, outcome });
  }
}

import { describe, expect, it } from '@jest/globals';
import { Counter, Registry } from 'prom-client';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('registers on a Registry it is given, beside metrics other packages put there', async () => {
    const registry = new Registry();
    const own = new Counter({ name: 'hpc_other_package_total', help: 'x', registers: [registry] });
    const metrics = new Metrics({ registry, defaultMetrics: false });
    expect(metrics.registry).toBe(registry);
    own.inc();
    metrics.initController('hpcjob', 4);
    const text = await registry.metrics();
    expect(text).toContain('hpc_other_package_total 1');
    expect(text).toContain('controller_runtime_max_concurrent_reconciles{controller="hpcjob"} 4');
  });

  it('keeps separate instances apart (no global registry)', async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.reconcileErrors.inc({ controller: 'x' });
    expect(a.registry).not.toBe(b.registry);
    expect((await b.reconcileErrors.get()).values).toEqual([]);
    expect(
      (await a.registry.getSingleMetric('controller_runtime_reconcile_errors_total')?.get())?.values,
    ).toHaveLength(1);
  });
});

import { describe, expect, it } from '@jest/globals';
import { FakeObjects } from '../../test/support/fake-objects.js';
import { countedWriter, kubeWritesOf } from './counted-writer.js';
import type { KubeObject } from './kube-api.js';
import { Metrics } from './metrics.js';

describe('countedWriter', () => {
  it('tells every counter of each write with its verb and outcome, and passes results and errors on', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const store = new FakeObjects<KubeObject>();
    const seen: string[] = [];
    const writer = countedWriter(store, kubeWritesOf(metrics, 'things'), (verb, outcome) =>
      seen.push(`${verb} ${outcome}`),
    );
    const obj = store.put({ metadata: { name: 'a', namespace: 'ns', uid: 'u' } });
    const patched = await writer.patchStatus(obj, { phase: 'Running' });
    await expect(writer.patchStatus(obj, { phase: 'Stale' })).rejects.toMatchObject({ code: 409 });
    await writer.setFinalizers(patched, ['x']);
    await writer.delete(patched);
    expect(seen).toEqual([
      'patch-status success',
      'patch-status 409',
      'patch-finalizers success',
      'delete success',
    ]);
    const counted = (await metrics.kubeWrites.get()).values.map(
      (v) => `${v.labels.resource} ${v.labels.verb} ${v.labels.outcome} ${v.value}`,
    );
    expect(counted.sort()).toEqual([
      'things delete success 1',
      'things patch-finalizers success 1',
      'things patch-status 409 1',
      'things patch-status success 1',
    ]);
  });
});

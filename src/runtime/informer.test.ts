import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { FakeListWatch } from '../../test/support/fake-list-watch.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { fixedRandom } from '../../test/support/random.js';
import {
  Informer,
  objectKey,
  trimForCache,
  type InformerEventType,
  type InformerOptions,
} from './informer.js';
import { ApiError, type KubeObject } from './kube-api.js';
import { Metrics } from './metrics.js';

const log = pino({ level: process.env.DEBUG_TEST ? 'debug' : 'silent' });

interface Job extends KubeObject {
  spec: { cluster?: string };
}

/** A Job in namespace n at resourceVersion `rv`, optionally naming a cluster. */
function job(name: string, rv: string, cluster?: string): Job {
  return { metadata: { name, namespace: 'n', resourceVersion: rv }, spec: cluster ? { cluster } : {} };
}

function setup(o: Partial<InformerOptions> = {}) {
  const clock = new ManualClock(0);
  const source = new FakeListWatch<Job>('jobs');
  const metrics = new Metrics({ defaultMetrics: false });
  const informer = new Informer(source, { log, metrics, clock, random: fixedRandom(0.5), ...o });
  const seen: string[] = [];
  informer.on((type: InformerEventType, obj: Job) => seen.push(`${type} ${obj.metadata.name}`));
  return { clock, source, metrics, informer, seen };
}

async function restarts(metrics: Metrics, reason: string): Promise<number | undefined> {
  const m = await metrics.registry.getSingleMetric('hpc_informer_restarts_total')?.get();
  return m?.values.find((v) => v.labels.reason === reason)?.value;
}

describe('Informer', () => {
  it('lists page by page, syncs, then watches from the list resourceVersion with a spread timeout', async () => {
    const { clock, source, informer, seen } = setup({ pageSize: 2 });
    source.objects = [job('a', '1'), job('b', '1'), job('c', '1')];
    source.resourceVersion = '10';
    const synced = informer.start();
    await clock.advanceAsync(0);
    await synced;
    expect(informer.synced).toBe(true);
    expect(source.lists).toEqual([
      { limit: 2, continue: undefined },
      { limit: 2, continue: '2' },
    ]);
    expect(informer.list().map(objectKey)).toEqual(['n/a', 'n/b', 'n/c']);
    expect(seen).toEqual(['add a', 'add b', 'add c']);
    expect(source.current.resourceVersion).toBe('10');
    expect(source.current.timeoutSeconds).toBe(450); // 300 × (1 + 0.5)
    informer.stop();
    expect(source.current.aborted).toBe(true);
  });

  it('applies watch events, follows bookmarks, and resumes from the last resourceVersion after a close', async () => {
    const { clock, source, informer, seen } = setup();
    source.objects = [job('a', '1')];
    void informer.start();
    await clock.advanceAsync(0);
    source.current.emit('ADDED', job('b', '2'));
    source.current.emit('MODIFIED', job('a', '3'));
    source.current.emit('DELETED', job('b', '4'));
    source.current.emit('BOOKMARK', { metadata: { name: '', resourceVersion: '9' }, spec: {} });
    expect(seen).toEqual(['add a', 'add b', 'update a', 'delete b']);
    expect(informer.get('n', 'a')?.metadata.resourceVersion).toBe('3');
    expect(informer.getByKey('n/b')).toBeUndefined();
    expect(informer.resourceVersion).toBe('9');
    source.current.end(); // server-side timeout
    await clock.advanceAsync(0);
    expect(source.watches).toHaveLength(2);
    expect(source.current.resourceVersion).toBe('9');
    expect(source.lists).toHaveLength(1);
    informer.stop();
  });

  it('relists on an in-stream 410 (without waiting for the server to close) and on an HTTP 410', async () => {
    const { clock, source, informer, seen, metrics } = setup();
    source.objects = [job('a', '1'), job('b', '1')];
    void informer.start();
    await clock.advanceAsync(0);
    source.objects = [job('a', '5'), job('c', '5')];
    source.resourceVersion = '20';
    source.current.emit('ERROR', { code: 410, message: 'too old resource version' });
    expect(source.watches[0]?.aborted).toBe(true);
    await clock.advanceAsync(0);
    expect(source.lists).toHaveLength(2);
    expect(seen).toEqual(['add a', 'add b', 'delete b', 'update a', 'add c']);
    expect(source.current.resourceVersion).toBe('20');
    source.current.end(new ApiError(410, 'Gone'));
    await clock.advanceAsync(0);
    expect(source.lists).toHaveLength(3);
    expect(await restarts(metrics, 'expired')).toBe(2);
    informer.stop();
  });

  it('restarts after errors with exponential backoff and jitter, and forgets failures after a good watch', async () => {
    const { clock, source, informer, metrics } = setup({ random: fixedRandom(0) });
    source.listErrors.push(new Error('connection refused'), new Error('connection refused'));
    void informer.start();
    await clock.advanceAsync(0);
    expect(source.lists).toHaveLength(1);
    await clock.advanceAsync(799); // 1 s × 0.8
    expect(source.lists).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(source.lists).toHaveLength(2);
    await clock.advanceAsync(1599); // 2 s × 0.8
    expect(source.lists).toHaveLength(2);
    await clock.advanceAsync(1);
    expect(informer.synced).toBe(true);
    expect(await restarts(metrics, 'error')).toBe(2);
    source.watchErrors.push(new ApiError(500, 'internal error'));
    source.current.end();
    await clock.advanceAsync(0);
    expect(source.watches).toHaveLength(2);
    await clock.advanceAsync(800); // failures were reset by the clean close: 1 s again
    expect(source.watches).toHaveLength(3);
    informer.stop();
  });

  it('restarts a watch that stays silent past the watchdog limit, from the same resourceVersion', async () => {
    const { clock, source, informer, metrics } = setup({ watchdogMs: 30_000 });
    void informer.start();
    await clock.advanceAsync(0);
    await clock.advanceAsync(25_000);
    source.current.emit('BOOKMARK', { metadata: { name: '', resourceVersion: '7' }, spec: {} });
    await clock.advanceAsync(30_000);
    expect(source.watches).toHaveLength(1);
    await clock.advanceAsync(10_000);
    expect(source.watches[0]?.aborted).toBe(true);
    expect(source.watches).toHaveLength(2);
    expect(source.current.resourceVersion).toBe('7');
    expect(await restarts(metrics, 'watchdog')).toBe(1);
    informer.stop();
  });

  it('re-delivers every cached object each resync period', async () => {
    const { clock, source, informer, seen } = setup({ resyncMs: 60_000 });
    source.objects = [job('a', '1'), job('b', '1')];
    void informer.start();
    await clock.advanceAsync(60_000);
    expect(seen).toEqual(['add a', 'add b', 'resync a', 'resync b']);
    informer.stop();
    await clock.advanceAsync(60_000);
    expect(seen).toHaveLength(4);
  });

  it('keeps indexes current on add, update, delete and relist', async () => {
    const { clock, source, informer } = setup();
    const names = (xs: Job[]) => xs.map((x) => x.metadata.name).sort();
    source.objects = [job('a', '1', 'x'), job('b', '1', 'y')];
    informer.addIndex('cluster', (j) => (j.spec.cluster ? [`n/${j.spec.cluster}`] : []));
    void informer.start();
    await clock.advanceAsync(0);
    expect(names(informer.byIndex('cluster', 'n/x'))).toEqual(['a']);
    source.current.emit('ADDED', job('c', '2', 'x'));
    source.current.emit('MODIFIED', job('b', '3', 'x'));
    expect(names(informer.byIndex('cluster', 'n/x'))).toEqual(['a', 'b', 'c']);
    expect(informer.byIndex('cluster', 'n/y')).toEqual([]);
    source.current.emit('DELETED', job('a', '4', 'x'));
    expect(names(informer.byIndex('cluster', 'n/x'))).toEqual(['b', 'c']);
    // An index added late covers what is cached already.
    informer.addIndex('name', (j) => [j.metadata.name]);
    expect(names(informer.byIndex('name', 'c'))).toEqual(['c']);
    source.objects = [job('c', '9', 'z')];
    source.current.emit('ERROR', { code: 410 });
    await clock.advanceAsync(0);
    expect(informer.byIndex('cluster', 'n/x')).toEqual([]);
    expect(names(informer.byIndex('cluster', 'n/z'))).toEqual(['c']);
    expect(informer.byIndex('name', 'b')).toEqual([]);
    expect(() => informer.byIndex('missing', 'x')).toThrow(/no index named missing/);
    expect(() => informer.addIndex('name', () => [])).toThrow(/exists already/);
    informer.stop();
  });

  it('stops: aborts the watch, interrupts a backoff, and lists no more', async () => {
    const { clock, source, informer } = setup();
    void informer.start();
    await clock.advanceAsync(0);
    source.watchErrors.push(new Error('reset'));
    source.current.end();
    await clock.advanceAsync(0);
    informer.stop();
    await clock.advanceAsync(120_000);
    expect(source.lists).toHaveLength(1);
    expect(source.watches).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('trimForCache', () => {
  it('drops managedFields and the last-applied annotation, keeping the rest', () => {
    const o = {
      metadata: {
        name: 'a',
        managedFields: [{ manager: 'kubectl' }],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', keep: 'me' },
      },
    };
    const t = trimForCache(o);
    expect(t.metadata).toEqual({ name: 'a', annotations: { keep: 'me' } });
  });
});

import type { HPCJob } from '../../../src/crds/hpcjob.js';
import type { KubeObject, WatchEventType } from '../../../src/runtime/kube-api.js';
import { codeOf } from '../../../src/runtime/kube-api.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import { hpcJob, virtualCluster } from '../builders.js';
import { kit, watch } from '../testkit.js';
import { ApiServer } from './api-server.js';
import { eventSink, leaseStore, listWatchSource, objectWriter } from './ports.js';
import { User } from './user.js';

function world(window = 1000) {
  const k = kit();
  const api = new ApiServer(k.sched, k.prng, k.net, k.trace, (o) => !k.sched.isDead(o), {
    eventWindow: window,
  });
  const user = new User(api.store, k.trace, () => k.sched.now());
  const create = (name: string) =>
    user.createHPCJob(hpcJob({ at: 0, ns: 't1', name, staging: 'chirp', retryLimit: 0 }));
  return {
    ...k,
    api,
    user,
    create,
    jobs: listWatchSource<HPCJob>(api, k.replica, 'hpcjobs'),
    writer: objectWriter(api, k.replica, 'hpcjobs'),
  };
}

const stored = (w: ReturnType<typeof world>, name: string) =>
  w.api.store.get('hpcjobs', 't1', name) as HPCJob;

describe('API server model: writes', () => {
  it('answers 409 to a status patch from a stale resourceVersion, and bumps resourceVersion, not generation, on success', async () => {
    const w = world();
    w.create('a');
    const first = structuredClone(stored(w, 'a'));
    const ok = watch(w.writer.patchStatus(first, { phase: 'Pending' }));
    await w.advance(1_000);
    expect(Number(ok.value?.metadata.resourceVersion)).toBeGreaterThan(
      Number(first.metadata.resourceVersion),
    );
    expect(ok.value?.metadata.generation).toBe(1);
    const stale = watch(w.writer.patchStatus(first, { phase: 'Running' }));
    await w.advance(1_000);
    expect(codeOf(stale.error)).toBe(409);
    expect(stored(w, 'a').status?.phase).toBe('Pending');
  });

  it('merges a status patch as the real server does: left-out keys stay, null deletes, invalid values get 422', async () => {
    const w = world();
    w.create('a');
    const first = watch(w.writer.patchStatus(stored(w, 'a'), { phase: 'Submitted', jobId: '1.0' }));
    await w.advance(1_000);
    const second = watch(w.writer.patchStatus(first.value as HPCJob, { phase: 'Pending', message: 'x' }));
    await w.advance(1_000);
    expect(stored(w, 'a').status).toEqual({ phase: 'Pending', jobId: '1.0', message: 'x' });
    const cleared = watch(w.writer.patchStatus(second.value as HPCJob, { jobId: null }));
    await w.advance(1_000);
    expect(stored(w, 'a').status).toEqual({ phase: 'Pending', message: 'x' });
    const bad = watch(w.writer.patchStatus(cleared.value as HPCJob, { phase: 'Sleeping' }));
    await w.advance(1_000);
    expect(codeOf(bad.error)).toBe(422);
  });

  it('applies the schema defaults to what the user creates', () => {
    const w = world();
    w.user.createVirtualCluster(
      virtualCluster({ at: 0, ns: 't1', name: 'vc', host: 'h', collectorHost: 'cm', workers: 1 }),
    );
    const vc = w.api.store.get('virtualclusters', 't1', 'vc') as VirtualCluster;
    expect(vc.spec.allocations?.[0]?.condor?.source).toBe('path');
  });

  it('bumps generation when the user changes the spec, not when annotations change', () => {
    const w = world();
    w.create('a');
    w.user.retry('t1', 'a');
    expect(stored(w, 'a').metadata.generation).toBe(1);
    w.user.setSuspend('t1', 'a', true);
    expect(stored(w, 'a').metadata.generation).toBe(2);
  });

  it('marks an object with finalizers for deletion, and deletes it when the last finalizer goes', async () => {
    const w = world();
    w.create('a');
    const withFin = watch(w.writer.setFinalizers(stored(w, 'a'), ['x/y']));
    await w.advance(1_000);
    w.user.delete('hpcjobs', 't1', 'a');
    const marked = stored(w, 'a');
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(marked.metadata.generation).toBe((withFin.value?.metadata.generation ?? 0) + 1);
    const add = watch(w.writer.setFinalizers(marked, ['x/y', 'x/z']));
    await w.advance(1_000);
    expect(codeOf(add.error)).toBe(422);
    const done = watch(w.writer.setFinalizers(marked, []));
    await w.advance(1_000);
    expect(done.settled).toBe(true);
    expect(w.api.store.get('hpcjobs', 't1', 'a')).toBeUndefined();
  });

  it('fails writes with 500 while the fault lasts, without applying them', async () => {
    const w = world();
    w.create('a');
    w.api.failWrites(60_000, 1);
    const o = watch(w.writer.patchStatus(stored(w, 'a'), { phase: 'Running' }));
    await w.advance(1_000);
    expect(codeOf(o.error)).toBe(500);
    expect(stored(w, 'a').status).toBeUndefined();
  });

  it('while unreachable, calls either hang until it is back or fail at once', async () => {
    const w = world();
    w.create('a');
    w.api.outage(60_000, 'hang');
    const hung = watch(w.writer.patchStatus(stored(w, 'a'), { phase: 'Running' }));
    await w.advance(59_000);
    expect(hung.settled).toBe(false);
    await w.advance(2_000);
    expect(hung.value?.status?.phase).toBe('Running');
    w.api.outage(60_000, 'fail');
    const failed = watch(w.jobs.list({ limit: 10 }));
    await w.advance(1_000);
    expect((failed.error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('refuses Event names longer than 253 characters (422) and duplicates (409)', async () => {
    const w = world();
    const sink = eventSink(w.api, w.replica);
    const e = {
      namespace: 't1',
      eventTime: '',
      reportingController: 'c',
      reportingInstance: 'i',
      action: 'a',
      reason: 'R',
      type: 'Normal' as const,
      note: '',
      regarding: { name: 'a', namespace: 't1' },
    };
    const long = watch(sink.create({ ...e, name: `a${'b'.repeat(253)}` }));
    const first = watch(sink.create({ ...e, name: 'a.1' }));
    await w.advance(1_000);
    const again = watch(sink.create({ ...e, name: 'a.1' }));
    await w.advance(1_000);
    expect([codeOf(long.error), first.settled && first.error === undefined, codeOf(again.error)]).toEqual([
      422,
      true,
      409,
    ]);
  });

  it('keeps the Lease under optimistic locking and knows who holds it', async () => {
    const w = world();
    const leases = leaseStore(w.api, w.replica);
    const lease = {
      namespace: 'ns',
      name: 'l',
      holderIdentity: 'op-0',
      leaseDurationSeconds: 10,
      renewTime: new Date(w.sched.now()).toISOString(),
      leaseTransitions: 0,
    };
    const created = watch(leases.create(lease));
    await w.advance(100);
    const dup = watch(leases.create(lease));
    const stale = watch(
      leases.update({ ...lease, resourceVersion: String(Number(created.value?.resourceVersion) - 1) }),
    );
    await w.advance(100);
    expect([codeOf(dup.error), codeOf(stale.error), created.value?.holderIdentity]).toEqual([
      409,
      409,
      'op-0',
    ]);
    expect(w.api.leases.holderAt('ns', 'l', w.sched.now())).toBe('op-0');
    expect(w.api.leases.holderAt('ns', 'l', w.sched.now() + 10_000)).toBeUndefined();
  });
});

describe('API server model: list and watch', () => {
  function recorder() {
    const events: [WatchEventType, string][] = [];
    const statuses: (number | undefined)[] = [];
    const done: unknown[] = [];
    return {
      events,
      statuses,
      done,
      onEvent: (t: WatchEventType, o: KubeObject | { code?: number }) => {
        events.push([t, 'metadata' in o ? `${o.metadata.name}@${o.metadata.resourceVersion}` : '']);
        if (!('metadata' in o)) statuses.push(o.code);
      },
      onDone: (err?: unknown) => done.push(err ?? 'closed'),
    };
  }

  it('pages a list from one snapshot and expires old continue tokens with 410', async () => {
    const w = world();
    for (const n of ['a', 'b', 'c']) w.create(n);
    const p1 = watch(w.jobs.list({ limit: 2 }));
    await w.advance(1_000);
    const p2 = watch(w.jobs.list({ limit: 2, continue: p1.value?.continue }));
    await w.advance(1_000);
    expect([...(p1.value?.items ?? []), ...(p2.value?.items ?? [])].map((o) => o.metadata.name)).toEqual([
      'a',
      'b',
      'c',
    ]);
    await w.advance(120_000);
    const late = watch(w.jobs.list({ limit: 2, continue: p1.value?.continue }));
    await w.advance(1_000);
    expect(codeOf(late.error)).toBe(410);
  });

  it('delivers changes after the list in order, bookmarks, and ends the watch at its timeout', async () => {
    const w = world();
    w.create('a');
    const list = watch(w.jobs.list({ limit: 10 }));
    await w.advance(1_000);
    w.create('b');
    w.user.retry('t1', 'a');
    const r = recorder();
    watch(
      w.jobs.watch(
        { resourceVersion: list.value?.resourceVersion ?? '', timeoutSeconds: 40 },
        r.onEvent,
        r.onDone,
      ),
    );
    await w.advance(35_000);
    expect(r.events.map(([t, o]) => `${t} ${o.split('@')[0]}`)).toEqual([
      'ADDED b',
      'MODIFIED a',
      'BOOKMARK ',
    ]);
    await w.advance(10_000);
    expect(r.done).toEqual(['closed']);
  });

  it('answers 410 Gone to a watch from a resourceVersion older than its window', async () => {
    const w = world(2);
    w.create('a');
    const list = watch(w.jobs.list({ limit: 10 }));
    await w.advance(1_000);
    for (const n of ['b', 'c', 'd']) w.create(n);
    const r = recorder();
    watch(
      w.jobs.watch(
        { resourceVersion: list.value?.resourceVersion ?? '', timeoutSeconds: 300 },
        r.onEvent,
        r.onDone,
      ),
    );
    await w.advance(1_000);
    // As the real server: an ERROR event with a 410 Status, then the end; or (the port allows it) an error.
    const inStream =
      r.events.length === 1 &&
      r.events[0]?.[0] === 'ERROR' &&
      r.statuses[0] === 410 &&
      r.done[0] === 'closed';
    expect(inStream || (codeOf(r.done[0]) === 410 && r.events.length === 0)).toBe(true);
  });

  it('drops open watches with an error, and a dead replica hears nothing more', async () => {
    const w = world();
    const r = recorder();
    watch(
      w.jobs.watch({ resourceVersion: String(w.api.store.rv), timeoutSeconds: 300 }, r.onEvent, r.onDone),
    );
    await w.advance(1_000);
    w.api.dropWatches();
    await w.advance(1_000);
    expect((r.done[0] as Error).message).toMatch(/ECONNREFUSED/);
    const r2 = recorder();
    watch(
      w.jobs.watch({ resourceVersion: String(w.api.store.rv), timeoutSeconds: 300 }, r2.onEvent, r2.onDone),
    );
    await w.advance(1_000);
    w.replica.onCrash('test');
    w.api.forget(w.replica.name);
    w.create('late');
    await w.advance(60_000);
    expect([r2.events, r2.done]).toEqual([[], []]);
  });
});

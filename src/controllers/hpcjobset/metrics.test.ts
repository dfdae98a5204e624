/**
 * The HPCJobSet metrics: the gauges summed over sets, and what the executor counts when it writes a status
 * (transitions, index ends; a refused write counts nothing) and hands a submission to the backend (its size,
 * the retries in it), through the real executor against the in-memory object store.
 */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { SchedulerBackend, SetSubmitRequest } from '../../condor/backend.js';
import type { HPCJobSet, HPCJobSetStatus } from '../../crds/hpcjobset.js';
import { ApiError } from '../../runtime/kube-api.js';
import { makeHPCJobSet, setCounts } from '../../../test/support/builders/hpcjobset.js';
import { FakeObjects, FakeRecorder } from '../../../test/support/fake-objects.js';
import type { AttemptFiles } from '../hpcjob/attempt-files.js';
import { executeSet } from './executor.js';
import { HPCJobSetMetrics } from './metrics.js';
import type { SetTransition } from './transition-types.js';

const log = pino({ level: 'silent' });

/** The value of each series of a metric, keyed by its labels' values joined (or '' without labels). */
async function values(m: { get(): Promise<{ values: { labels: object; value: number }[] }> }) {
  const out: Record<string, number> = {};
  for (const v of (await m.get()).values) {
    const key = Object.values(v.labels).join(',');
    if (!key.includes('+Inf') && !/^\d/.test(key)) out[key] = v.value;
  }
  return out;
}

const counts = setCounts;

describe('the gauges', () => {
  it('sum sets by phase and indices by state over every set, with no label per set', async () => {
    const m = new HPCJobSetMetrics(new Registry());
    m.count([
      makeHPCJobSet('a')
        .status({ phase: 'Running', total: 3, counts: counts({ running: 2, succeeded: 1 }) })
        .obj(),
      makeHPCJobSet('b')
        .status({ phase: 'Running', total: 3, counts: counts({ held: 1, failed: 2 }) })
        .obj(),
      // No status yet: Pending, and all of its 5 indices pending.
      makeHPCJobSet('c').spec({ count: 5 }).obj(),
    ]);
    expect(await values(m.byPhase)).toEqual({
      Pending: 1,
      Running: 2,
      Suspended: 0,
      Succeeded: 0,
      Failed: 0,
    });
    expect(await values(m.indices)).toEqual(
      counts({ pending: 5, running: 2, held: 1, succeeded: 1, failed: 2 }),
    );
    // Recounted from scratch: a set that is gone leaves nothing behind.
    m.count([]);
    expect(await values(m.indices)).toEqual(counts({}));
  });
});

/** A backend that only takes submissions (the executor's one call for a submit effect). */
class TakingBackend {
  readonly taken: SetSubmitRequest[] = [];
  submitSet(req: SetSubmitRequest): void {
    this.taken.push(req);
  }
}

const files: AttemptFiles = {
  dir: () => '/logs/set',
  prepare: async () => ({ inputFiles: [] }),
  submitted: () => undefined,
  mergeResults: () => false,
  stderrTail: () => '',
  removeAll: () => undefined,
};

function executor() {
  const store = new FakeObjects<HPCJobSet>();
  const metrics = new HPCJobSetMetrics(new Registry());
  const backend = new TakingBackend();
  const deps = {
    writer: store,
    recorder: new FakeRecorder(),
    files,
    operatorId: 'op',
    wrapperPath: '/wrapper',
    maxOutputBytes: 1024,
    metrics,
  };
  const run = (set: HPCJobSet, t: Partial<SetTransition> & { status: HPCJobSetStatus }) =>
    executeSet(
      set,
      { addFinalizer: false, events: [], afterWrite: [], ...t },
      backend as unknown as SchedulerBackend, // only submitSet is called
      deps,
      log,
    );
  return { store, metrics, backend, run };
}

describe('what the executor counts', () => {
  it('a written status: the phase entered and the indices that ended since the last write', async () => {
    const { store, metrics, run } = executor();
    const set = store.put(makeHPCJobSet().spec({ count: 4 }).obj());
    const running = { phase: 'Running' as const, total: 4, counts: counts({ running: 3, succeeded: 1 }) };
    expect(await run(set, { status: running })).toBe('written');
    const stored = store.get('ns/sweep') as HPCJobSet;
    const failed = {
      phase: 'Failed' as const,
      total: 4,
      counts: counts({ succeeded: 2, failed: 1, cancelled: 1 }),
    };
    expect(await run(stored, { status: failed })).toBe('written');
    expect(await values(metrics.transitions)).toEqual({ Running: 1, Failed: 1 });
    expect(await values(metrics.indexEnds)).toEqual({ succeeded: 2, failed: 1, cancelled: 1 });
    // The same status again is no write, and counts nothing.
    expect(await run(store.get('ns/sweep') as HPCJobSet, { status: failed })).toBe('done');
    expect(await values(metrics.indexEnds)).toEqual({ succeeded: 2, failed: 1, cancelled: 1 });
  });

  it('a refused status write (409) counts nothing', async () => {
    const { store, metrics, run } = executor();
    const set = store.put(makeHPCJobSet().obj());
    store.failNext.set('patch-status', new ApiError(409, 'conflict'));
    const done = { phase: 'Succeeded' as const, total: 3, counts: counts({ succeeded: 3 }) };
    await expect(run(set, { status: done })).rejects.toThrow();
    expect(await values(metrics.transitions)).toEqual({});
    expect(await values(metrics.indexEnds)).toEqual({});
  });

  it('a submission handed to the backend: one, its size, and the retries in it', async () => {
    const { store, metrics, backend, run } = executor();
    const set = store.put(makeHPCJobSet().spec({ count: 5 }).obj());
    const entries = [
      { index: 0, attempt: 1 },
      { index: 1, attempt: 3 },
      { index: 4, attempt: 2 },
    ];
    await run(set, { status: set.status ?? {}, afterWrite: [{ kind: 'submit', entries }] });
    expect(backend.taken.map((r) => r.table.size)).toEqual([3]);
    expect(await values(metrics.submissions)).toEqual({ '': 1 });
    expect(await values(metrics.retries)).toEqual({ '': 2 });
    const size = (await metrics.submissionSize.get()).values;
    expect(size.find((v) => v.metricName === 'hpc_hpcjobset_submission_indices_sum')?.value).toBe(3);
    expect(size.find((v) => v.metricName === 'hpc_hpcjobset_submission_indices_count')?.value).toBe(1);
  });
});

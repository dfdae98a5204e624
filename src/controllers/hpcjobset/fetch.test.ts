/**
 * An index's output comes back before its end is recorded, through the real set reconciler, executor and
 * schedd backend (its output fetcher) against the in-memory schedd of test/support: condor_transfer_data of
 * the completed index's job first, then the index succeeds and its job is acknowledged; while the fetch
 * fails the index stays running, and after --output-fetch-timeout-seconds it is recorded without it.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { SchedulerBackends } from '../../condor/backend.js';
import { JobStatus } from '../../condor/job-status.js';
import { Tag } from '../../condor/tags.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { makeHPCJobSet, setSettings } from '../../../test/support/builders/hpcjobset.js';
import { FakeObjects, FakeRecorder } from '../../../test/support/fake-objects.js';
import { FakeSchedd } from '../../../test/support/fake-schedd.js';
import { ManualClock, flushPromises } from '../../../test/support/manual-clock.js';
import { seededRandom } from '../../../test/support/random.js';
import type { AttemptFiles } from '../hpcjob/attempt-files.js';
import { HPCJobSetReconciler } from './reconciler.js';

const log = pino({ level: process.env.DEBUG_TEST ? 'debug' : 'silent' });
const TIMEOUT_MS = 30_000;

const files: AttemptFiles = {
  dir: (job, n) => `/logs/${job.metadata.namespace}/${job.metadata.name}/${n}`,
  prepare: async () => ({ inputFiles: [] }),
  submitted: () => undefined,
  mergeResults: () => false,
  stderrTail: () => '',
  removeAll: () => undefined,
};

function world() {
  const clock = new ManualClock();
  const schedd = new FakeSchedd(clock);
  const store = new FakeObjects<HPCJobSet>();
  const backends = new SchedulerBackends({
    connector: { schedd: () => schedd, collector: () => Promise.reject(new Error('no collector')) as never },
    operatorId: 'op',
    clock,
    log,
    onChange: () => undefined,
  });
  backends.keep({});
  backends.for({});
  backends.start();
  const reconciler = new HPCJobSetReconciler({
    clock,
    random: seededRandom(1),
    sets: { getByKey: (key) => store.get(key) },
    writer: store,
    recorder: new FakeRecorder(),
    backends,
    files,
    settings: setSettings({ outputFetchTimeoutMs: TIMEOUT_MS }),
    operatorId: 'op',
    wrapperPath: '/opt/hpc-wrapper.sh',
    maxOutputBytes: 1 << 20,
  });
  return {
    clock,
    schedd,
    /** `seconds` reconciles, one a second (the tracker polls and the fetcher works meanwhile). */
    async run(seconds: number): Promise<HPCJobSet> {
      for (let i = 0; i < seconds; i++) {
        await clock.advanceAsync(1000);
        await reconciler.reconcile('ns/sweep', { log });
        await flushPromises();
      }
      return store.get('ns/sweep') as HPCJobSet;
    },
    put: (set: HPCJobSet) => store.put(set),
    stop: () => backends.stop(),
  };
}

/** The fetches asked of the schedd, as the job ids each named. */
const fetches = (schedd: FakeSchedd) =>
  schedd.calls.filter((c) => c.method === 'transferData').map((c) => (c.sel?.jobs ?? []).map((j) => j.jobId));

describe('HPCJobSet: an index is recorded once its output is fetched', () => {
  let stop: () => Promise<void> = async () => undefined;
  afterEach(() => stop());

  it('fetches the completed index, then records it and acknowledges its job; a failing fetch keeps it running', async () => {
    const w = world();
    stop = w.stop;
    w.put(makeHPCJobSet('sweep', 'ns').spec({ count: 2 }).obj());
    await w.run(5);
    const ids = [...w.schedd.queue.keys()];
    expect(ids).toHaveLength(2);
    const [first, second] = ids as [string, string];
    w.schedd.transferFails = true;
    w.schedd.set(first, { JobStatus: JobStatus.Completed, ExitCode: 0 });
    w.schedd.set(second, { JobStatus: JobStatus.Running });
    let set = await w.run(5);
    expect(fetches(w.schedd).flat()).toContain(first);
    expect(set.status).toMatchObject({ running: '0-1', counts: { running: 2, succeeded: 0 } });
    expect(w.schedd.queue.get(first)?.[Tag.Ack]).toBeUndefined();

    w.schedd.transferFails = false;
    set = await w.run(10);
    expect(set.status).toMatchObject({ succeeded: '0', running: '1', counts: { succeeded: 1, running: 1 } });
    // Acknowledged once recorded: it left the queue.
    expect(w.schedd.queue.has(first)).toBe(false);
    expect(fetches(w.schedd).flat()).not.toContain(second);
  });

  it('records the index without its output after the fetch failed for the timeout', async () => {
    const w = world();
    stop = w.stop;
    w.put(makeHPCJobSet('sweep', 'ns').spec({ count: 1 }).obj());
    await w.run(5);
    const [only] = [...w.schedd.queue.keys()] as [string];
    w.schedd.transferFails = true;
    w.schedd.set(only, { JobStatus: JobStatus.Completed, ExitCode: 0 });
    expect((await w.run(TIMEOUT_MS / 1000 - 5)).status?.counts?.succeeded).toBe(0);
    const set = await w.run(15);
    expect(set.status).toMatchObject({ phase: 'Succeeded', succeeded: '0' });
  });
});

/**
 * API writes per step: one HPCJob through submit -> run -> succeed with the real reconciler, executor,
 * schedd backend and EventRecorder, against the in-memory ports of test/support (the object store, a schedd,
 * a manual clock). Every write is counted the way the operator counts it (hpc_hpcjob_api_writes_total), and
 * the reconcile runs every second whatever happened: a reconcile that changes nothing must write nothing.
 */
import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SchedulerBackends } from '../../condor/backend.js';
import { JobStatus } from '../../condor/job-status.js';
import { Tag } from '../../condor/tags.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import { countedWriter } from '../../runtime/counted-writer.js';
import { EventRecorder } from '../../runtime/events.js';
import type { EventSink } from '../../runtime/kube-api.js';
import { defaultSettings, makeHPCJob } from '../../../test/support/builders/hpcjob.js';
import { FakeObjects } from '../../../test/support/fake-objects.js';
import { FakeSchedd } from '../../../test/support/fake-schedd.js';
import { ManualClock, flushPromises } from '../../../test/support/manual-clock.js';
import { seededRandom } from '../../../test/support/random.js';
import type { AttemptFiles } from './attempt-files.js';
import { HPCJobMetrics, type WriteKind } from './metrics.js';
import { HPCJobReconciler } from './reconciler.js';
import type { HPCJobSettings } from './transition-types.js';
import type { ScheddTarget } from '../../condor/schedd-api.js';
import { spreadSettings } from '../../../test/support/builders/schedds.js';

const log = pino({ level: process.env.DEBUG_TEST ? 'debug' : 'silent' });

const files: AttemptFiles = {
  dir: (job, n) => `/logs/${job.metadata.namespace}/${job.metadata.name}/${n}`,
  prepare: async () => ({ inputFiles: [] }),
  submitted: () => undefined,
  mergeResults: () => false,
  stderrTail: () => '',
  removeAll: () => undefined,
};

/** What hpc_hpcjob_api_writes_total counted, by kind (all outcomes). */
async function writesByKind(metrics: HPCJobMetrics): Promise<Record<WriteKind, number>> {
  const counts: Record<WriteKind, number> = {
    finalizer: 0,
    status: 0,
    'event-create': 0,
    'event-patch': 0,
    other: 0,
  };
  for (const v of (await metrics.writes.get()).values) counts[v.labels.kind as WriteKind] += v.value;
  return counts;
}

function world(settings: Partial<HPCJobSettings> = {}) {
  const clock = new ManualClock();
  const schedd = new FakeSchedd(clock);
  // Among several schedds each has its own; the first (where LeastQueued puts the HPCJob on a tie) is `schedd`.
  const others = new Map<string, FakeSchedd>();
  const scheddOf = (t: ScheddTarget) => {
    if (!settings.spread || t.name === settings.spread.targets[0]?.name) return schedd;
    const name = t.name ?? '';
    if (!others.has(name)) others.set(name, new FakeSchedd(clock));
    return others.get(name) as FakeSchedd;
  };
  const registry = new Registry();
  const metrics = new HPCJobMetrics(registry);
  const store = new FakeObjects<HPCJob>();
  const sink: EventSink = { create: async () => undefined, patchSeries: async () => undefined };
  const recorder = new EventRecorder(sink, {
    controller: 'c',
    instance: 'i',
    log,
    clock,
    onWrite: metrics.eventWrite,
  });
  const s = defaultSettings(settings);
  const backends = new SchedulerBackends({
    connector: { schedd: scheddOf, collector: () => Promise.reject(new Error('no collector')) as never },
    operatorId: 'op',
    clock,
    log,
    onChange: () => undefined,
  });
  for (const t of s.spread?.targets ?? [s.defaultTarget]) {
    backends.keep(t);
    backends.for(t);
  }
  backends.start();
  const reconciler = new HPCJobReconciler({
    clock,
    random: seededRandom(1),
    jobs: store,
    virtualClusters: { get: () => undefined },
    writer: countedWriter(store, metrics.objectWrite),
    recorder,
    backends,
    files,
    metrics,
    settings: s,
    operatorId: 'op',
    wrapperPath: '/opt/hpc-wrapper.sh',
  });
  const key = 'ns/step';
  return {
    clock,
    schedd,
    store,
    /** `seconds` reconciles, one a second (the tracker polls meanwhile). */
    async run(seconds: number): Promise<HPCJob> {
      for (let i = 0; i < seconds; i++) {
        await clock.advanceAsync(1000);
        await reconciler.reconcile(key, { log });
        await flushPromises();
      }
      return store.get(key) as HPCJob;
    },
    writes: () => writesByKind(metrics),
    stop: () => backends.stop(),
  };
}

/**
 * submit -> queued -> run -> succeed; the phases each write left, and the writes by kind. With `spool` the
 * job is held for 3 s after condor_submit while its input is spooled (HoldReasonCode 16), as -spool does.
 */
async function lifecycle(w: ReturnType<typeof world>, job: HPCJob, o: { spool?: boolean } = {}) {
  if (o.spool) {
    const submit = w.schedd.submit.bind(w.schedd);
    w.schedd.submit = async (jobs) => {
      const ids = await submit(jobs);
      for (const id of ids) w.schedd.set(id, { JobStatus: JobStatus.Held, HoldReasonCode: 16 });
      w.clock.after(3000, () => ids.forEach((id) => w.schedd.set(id, { JobStatus: JobStatus.Idle })));
      return ids;
    };
  }
  let last = w.store.put(job).metadata.resourceVersion as string;
  const phases: (string | undefined)[] = [];
  const watch = async (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      const j = await w.run(1);
      if (j.metadata.resourceVersion !== last) phases.push(j.status?.phase);
      last = j.metadata.resourceVersion as string;
    }
  };
  await watch(5);
  const [jobId] = [...w.schedd.queue.keys()];
  expect(jobId).toBeDefined();
  await watch(5);
  w.schedd.set(jobId as string, {
    JobStatus: JobStatus.Running,
    RemoteHost: 'slot1@worker',
    JobCurrentStartDate: Math.floor(w.clock.now() / 1000),
  });
  await watch(5);
  w.schedd.set(jobId as string, {
    JobStatus: JobStatus.Completed,
    ExitCode: 0,
    LastRemoteHost: 'slot1@worker',
  });
  await watch(10);
  const done = w.store.get('ns/step') as HPCJob;
  expect(done.status?.phase).toBe('Succeeded');
  // Acknowledged: the job left the queue, and nothing more was written for it.
  expect(w.schedd.queue.size).toBe(0);
  expect(w.schedd.past[0]?.[Tag.Ack]).toBe(true);
  return { phases, writes: await w.writes(), done };
}

describe('API writes per step (submit -> run -> succeed)', () => {
  it('are 3 for an HPCJob created with its finalizer: Queued, Running, Succeeded, and no Event', async () => {
    const w = world();
    const { phases, writes, done } = await lifecycle(w, makeHPCJob().obj());
    await w.stop();
    // Each phase written once, none skipped; finalizer-only writes would show as a repeated phase.
    expect(phases).toEqual(['Queued', 'Running', 'Succeeded']);
    expect(writes).toEqual({ finalizer: 0, status: 3, 'event-create': 0, 'event-patch': 0, other: 0 });
    // Exact: what the status says of the attempt.
    expect(done.status?.attempts?.[0]).toMatchObject({
      attempt: 1,
      outcome: 'Succeeded',
      exitCode: 0,
      host: 'slot1@worker',
    });
    expect(done.status?.attempts?.[0]?.startTime).toBeDefined();
    const conditions = Object.fromEntries((done.status?.conditions ?? []).map((c) => [c.type, c.reason]));
    expect(conditions).toMatchObject({
      Accepted: 'Valid',
      SchedulerReachable: 'Reachable',
      Submitted: 'Submitted',
      Running: 'Completed',
      Succeeded: 'ExitedZero',
    });
  });

  it('are still 3 when the job is held a moment while its input is spooled', async () => {
    const w = world();
    const { phases, writes } = await lifecycle(w, makeHPCJob().obj(), { spool: true });
    await w.stop();
    expect(phases).toEqual(['Queued', 'Running', 'Succeeded']);
    expect(writes.status).toBe(3);
  });

  it('are 4 when the operator has to add the finalizer itself (it precedes the submission)', async () => {
    const w = world();
    const { phases, writes } = await lifecycle(w, makeHPCJob().withoutFinalizer().obj());
    await w.stop();
    expect(phases).toEqual([undefined, 'Queued', 'Running', 'Succeeded']);
    expect(writes).toEqual({ finalizer: 1, status: 3, 'event-create': 0, 'event-patch': 0, other: 0 });
  });

  it('add one Event each for Submitted, Started and Succeeded with --lifecycle-events', async () => {
    const w = world({ lifecycleEvents: true });
    const { writes } = await lifecycle(w, makeHPCJob().obj());
    await w.stop();
    expect(writes).toEqual({ finalizer: 0, status: 3, 'event-create': 3, 'event-patch': 0, other: 0 });
  });

  it('are 4 among several schedds: the first status records the schedd chosen before the submission', async () => {
    const w = world(spreadSettings(['a@ap', 'b@ap']));
    const { phases, writes, done } = await lifecycle(w, makeHPCJob().obj());
    await w.stop();
    expect(phases).toEqual(['Pending', 'Queued', 'Running', 'Succeeded']);
    expect(writes).toEqual({ finalizer: 0, status: 4, 'event-create': 0, 'event-patch': 0, other: 0 });
    expect(done.status).toMatchObject({ schedd: 'a@ap', attempts: [{ attempt: 1, schedd: 'a@ap' }] });
  });
});

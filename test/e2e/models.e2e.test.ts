/**
 * The simulation's models (test/sim) claim behaviours of the real API server and the real HTCondor. Each
 * test here shows one claim on the REAL local stack, so that a model that drifts from reality is caught:
 *
 * - API server: a status write from a stale resourceVersion gets 409; status writes leave generation alone,
 *   spec changes and the start of a deletion bump it; a finalizer keeps a deleted object (deletionTimestamp)
 *   until it is removed, and no new finalizer may be added meanwhile (422); a watch from a compacted
 *   resourceVersion gets 410 Gone.
 * - HTCondor, through the real ScheddApi (condor/schedd.ts, the interface the model implements): a hold by a person has HoldReasonCode 1 (and holding it again is "already held"); condor_rm -forcex of a job not in X is refused; a finished
 *   job with leave_in_queue stays in the queue until HPCAck, then moves to condor_history; a job acknowledged
 *   before its removal leaves at once, one removed first stays in X after HPCAck until a periodic pass; after the schedd's
 *   spool is wiped, job ids start from 1 again and the old job is in neither the queue nor the history.
 *
 * The spool wipe stops and restarts the schedd, so it runs last, and alone (e2e-lane: solo, test/e2e/lanes.sh).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { JobStatus } from '../../src/condor/job-status.js';
import { adNumber } from '../../src/condor/parse.js';
import type { JobSelector, ScheddApi } from '../../src/condor/schedd-api.js';
import { ScheddClient } from '../../src/condor/schedd.js';
import { expr, s, type SubmitJob } from '../../src/condor/submit-description.js';
import { LEAVE_IN_QUEUE, Tag } from '../../src/condor/tags.js';
import { compactEtcd, etcdRevision, poolExec, startSchedd, stopSchedd } from '../chaos/helpers/faults.js';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  HPCJOBS,
  installCRDs,
} from '../support/stack/kube.js';
import { condorCli, kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';

// client-node reports a server-side close as a null error.
const codeOf = (e: unknown): number | undefined => (e as { code?: number } | null)?.code;

describe('the API server behaves as the simulation models it', () => {
  const kc = kubeConfig();
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const ns = uniqueName('e2e-models');
  const get = async (name: string) =>
    (await co.getNamespacedCustomObject({ ...HPCJOBS, namespace: ns, name })) as {
      metadata: {
        resourceVersion: string;
        generation: number;
        deletionTimestamp?: string;
        finalizers?: string[];
      };
    };
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

  beforeAll(async () => {
    await installCRDs(kc);
    await createNamespace(kc, ns);
  });
  afterAll(() => deleteNamespace(kc, ns));

  it('answers 409 to a status write from a stale resourceVersion; status leaves generation alone, spec bumps it', async () => {
    await createHPCJob(kc, ns, 'stale', { script: 'true' });
    const first = await get('stale');
    const status = (phase: string, rv: string) => ({
      ...HPCJOBS,
      namespace: ns,
      name: 'stale',
      body: { metadata: { resourceVersion: rv }, status: { phase } },
    });
    await co.patchNamespacedCustomObjectStatus(status('Pending', first.metadata.resourceVersion), merge);
    const stale = await co
      .patchNamespacedCustomObjectStatus(status('Running', first.metadata.resourceVersion), merge)
      .then(() => undefined, codeOf);
    expect(stale).toBe(409);
    expect((await get('stale')).metadata.generation).toBe(first.metadata.generation);
    await co.patchNamespacedCustomObject(
      { ...HPCJOBS, namespace: ns, name: 'stale', body: { spec: { suspend: true } } },
      merge,
    );
    expect((await get('stale')).metadata.generation).toBe(first.metadata.generation + 1);
  });

  it('keeps an object with a finalizer after delete (deletionTimestamp, generation + 1), refuses new finalizers, deletes it with the last one', async () => {
    await createHPCJob(kc, ns, 'fin', { script: 'true' });
    const patch = (finalizers: string[]) =>
      co.patchNamespacedCustomObject(
        { ...HPCJOBS, namespace: ns, name: 'fin', body: { metadata: { finalizers } } },
        merge,
      );
    await patch(['hpc.scailfin.io/test']);
    const before = await get('fin');
    await co.deleteNamespacedCustomObject({ ...HPCJOBS, namespace: ns, name: 'fin' });
    const marked = await get('fin');
    expect(marked.metadata.deletionTimestamp).toBeDefined();
    expect(marked.metadata.generation).toBe(before.metadata.generation + 1);
    expect(await patch(['hpc.scailfin.io/test', 'hpc.scailfin.io/other']).then(() => undefined, codeOf)).toBe(
      422,
    );
    await patch([]);
    expect(await get('fin').then(() => undefined, codeOf)).toBe(404);
  });

  it('answers 410 Gone to a watch from a compacted resourceVersion', async () => {
    await createHPCJob(kc, ns, 'gone', { script: 'true' });
    // Move the store on, then compact etcd past it (the API server compacts every few minutes on its own).
    for (let i = 0; i < 20; i++)
      await co.patchNamespacedCustomObject(
        { ...HPCJOBS, namespace: ns, name: 'gone', body: { metadata: { annotations: { n: String(i) } } } },
        merge,
      );
    await compactEtcd(await etcdRevision());
    const seen: string[] = [];
    const ended = await new Promise<unknown>((resolve) => {
      void new k8s.Watch(kc)
        .watch(
          `/apis/${HPCJOBS.group}/${HPCJOBS.version}/namespaces/${ns}/${HPCJOBS.plural}`,
          { resourceVersion: '1' },
          (type, obj: { code?: number }) => {
            seen.push(type);
            // The server sends the 410 as an ERROR event with a Status (the runtime adapter turns it into onDone).
            if (type === 'ERROR') resolve(obj.code);
          },
          (err) => resolve(err === null ? 'closed without an ERROR event' : (codeOf(err) ?? err)),
        )
        .catch((e: unknown) => resolve(codeOf(e)));
    });
    expect(ended).toBe(410);
    expect(seen.filter((t) => t !== 'ERROR')).toEqual([]);
  });
});

describe('HTCondor, through the real ScheddApi, behaves as the simulation models it', () => {
  // The ScheddApi over the condor_* tools, the same interface the model implements, with the same selectors.
  const cli = condorCli();
  const sd: ScheddApi = new ScheddClient(cli, {
    name: process.env.HPC_SCHEDD_NAME,
    pool: process.env.HPC_COLLECTOR,
  });
  const operator = uniqueName('e2e-models-op');
  const sel = (uid: string): JobSelector => ({ operator, uids: [uid] });
  const ATTRS = [
    'JobStatus',
    'HoldReasonCode',
    'HoldReasonSubCode',
    'LastHoldReasonCode',
    'ExitCode',
    Tag.Ack,
  ];

  function job(uid: string, script: string): SubmitJob {
    return {
      commands: {
        executable: s.string('/bin/sh'),
        arguments: s.args(['-c', script]),
        should_transfer_files: s.string('YES'),
        output: s.string('out'),
        error: s.string('err'),
        leave_in_queue: s.expr(expr(LEAVE_IN_QUEUE)),
      },
      attributes: { [Tag.Operator]: operator, [Tag.JobUID]: uid, [Tag.Attempt]: 1 },
    };
  }

  async function submit(uid: string, script: string): Promise<string> {
    const [id] = await sd.submit([job(uid, script)]);
    return id as string;
  }

  it('a hold by a person has HoldReasonCode 1; holding it again is "already held"; a release keeps it as LastHoldReasonCode', async () => {
    const uid = uniqueName('hold');
    await submit(uid, 'sleep 600');
    // condor_submit -spool returns while the job is still held for "Spooling input data files" (code 16), when a
    // hold answers "already held"; the operator reads that state as Submitted and holds only a queued job.
    await waitFor('the spooling hold to end', async () => {
      const [a] = await sd.query(sel(uid), ATTRS, 'track');
      return a !== undefined && adNumber(a, 'JobStatus') !== JobStatus.Held;
    });
    expect(await sd.act('hold', sel(uid), 'by a person')).toBe(true);
    const held = await waitFor('the job to be held', async () => {
      const [a] = await sd.query(sel(uid), ATTRS, 'track');
      return a && adNumber(a, 'JobStatus') === JobStatus.Held ? a : undefined;
    });
    expect([adNumber(held, 'HoldReasonCode'), adNumber(held, 'HoldReasonSubCode')]).toEqual([1, 0]);
    expect(await sd.act('hold', sel(uid))).toBe(false);
    expect(await sd.act('release', sel(uid))).toBe(true);
    const [released] = await sd.query(sel(uid), ATTRS, 'track');
    expect(adNumber(released ?? {}, 'LastHoldReasonCode')).toBe(1);
    await sd.act('remove', sel(uid));
    await sd.acknowledge(sel(uid));
  });

  it('refuses condor_rm -forcex for a job that is not removed (X): nothing matches, the job is left as it was', async () => {
    const uid = uniqueName('forcex');
    await submit(uid, 'sleep 600');
    const [before] = await sd.query(sel(uid), ATTRS, 'track');
    expect(adNumber(before ?? {}, 'JobStatus')).not.toBe(JobStatus.Removed);
    expect(await sd.act('forcex', sel(uid))).toBe(false);
    const [after] = await sd.query(sel(uid), ATTRS, 'track');
    expect(adNumber(after ?? {}, 'JobStatus')).toBe(adNumber(before ?? {}, 'JobStatus'));
    await sd.act('remove', sel(uid));
    await sd.acknowledge(sel(uid));
  });

  it('lets a job acknowledged before its removal (discard) leave at once; one removed first stays in X after HPCAck until a periodic pass', async () => {
    const [first, second] = [uniqueName('discard'), uniqueName('rm-then-ack')];
    await submit(first, 'sleep 600');
    await submit(second, 'sleep 600');
    expect(await sd.act('discard', sel(first), 'deleted')).toBe(true);
    await waitFor(
      'the discarded job to leave the queue',
      async () => (await sd.query(sel(first), ATTRS, 'track')).length === 0,
      10_000,
    );
    expect(await sd.act('remove', sel(second), 'deleted')).toBe(true);
    expect(await sd.acknowledge(sel(second))).toBe(true);
    // It waits for one of the schedd's periodic passes (PERIODIC_EXPR_INTERVAL is 5 s on the stack; on a
    // queue of 20,000 jobs the passes come minutes apart, bench/hpcjobs.ts): the model's leaveSoon.
    await waitFor(
      'the acknowledged removed job to leave at a periodic pass',
      async () => (await sd.query(sel(second), ATTRS, 'track')).length === 0,
      60_000,
    );
  });

  it('keeps a finished job with leave_in_queue in the queue until HPCAck, then moves it to condor_history', async () => {
    const uid = uniqueName('ack');
    await submit(uid, 'exit 0');
    await waitFor(
      'the job to complete',
      async () =>
        (await sd.query(sel(uid), ATTRS, 'track')).some(
          (a) => adNumber(a, 'JobStatus') === JobStatus.Completed,
        ),
      120_000,
    );
    // Several periodic passes (PERIODIC_EXPR_INTERVAL is 5 s on the stack): still there without HPCAck.
    await new Promise((r) => setTimeout(r, 15_000));
    expect(await sd.query(sel(uid), ATTRS, 'track')).toHaveLength(1);
    expect(await sd.history(sel(uid), ATTRS, {})).toHaveLength(0);
    expect(await sd.acknowledge(sel(uid))).toBe(true);
    await waitFor(
      'the job to leave the queue',
      async () => (await sd.query(sel(uid), ATTRS, 'track')).length === 0,
      60_000,
    );
    const [h] = await waitFor('the job in condor_history', async () => {
      const found = await sd.history(sel(uid), ATTRS, { limit: 5 });
      return found.length ? found : undefined;
    });
    expect([adNumber(h ?? {}, 'ExitCode'), h?.[Tag.Ack]]).toEqual([0, true]);
  });

  it('starts job ids from 1 again after the spool is wiped, and forgets the old jobs', async () => {
    const uid = uniqueName('wipe');
    const before = await submit(uid, 'sleep 600');
    expect(Number(before.split('.')[0])).toBeGreaterThan(1);
    await stopSchedd();
    try {
      poolExec('sh', '-c', 'rm -rf "$(condor_config_val SPOOL)"/*');
    } finally {
      await startSchedd();
    }
    const afterUid = uniqueName('wipe-after');
    const after = await submit(afterUid, 'exit 0');
    await sd.acknowledge(sel(afterUid));
    expect(after).toBe('1.0');
    expect(await sd.query(sel(uid), ATTRS, 'track')).toEqual([]);
    expect(await sd.history(sel(uid), ATTRS, {})).toEqual([]);
  });
});

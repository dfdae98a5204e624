/**
 * What one HPCJob status write costs the API server, by the shape of the write, with no operator running:
 * N HPCJobs created in a scratch namespace, then one status write each (16 at a time), as (d) of
 * bench/hpcjobs does; the write is either (d)'s one-field status or the status the operator writes for a
 * Queued HPCJob (four conditions, the attempt record); optionally with watches on the namespace open, as the
 * operator's informer and the bench's phase watch are. Prints the API server's and etcd's CPU seconds per
 * phase (bench/hpcjobs/cpu-share.ts).
 *
 *   node --import tsx bench/api-status-cost.ts [N]
 */
import * as k8s from '@kubernetes/client-node';
import { HPCJOBS, createNamespace, deleteNamespace, installCRDs } from '../test/support/stack/kube.js';
import { uniqueName } from '../test/support/stack/stack.js';
import { NEVER, co, createHPCJobs, hpcjobsPath, kc, pool } from './hpcjobs/cluster.js';
import { measuringCpu } from './hpcjobs/cpu-share.js';

const n = Number(process.argv[2] ?? 4000);
const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** The status the operator writes when an HPCJob's first job is seen in the queue. */
function queuedStatus(i: number): Record<string, unknown> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastTransitionTime: at,
    observedGeneration: 1,
  });
  const jobId = `27.${i}`;
  return {
    attempt: 1,
    attempts: [
      { attempt: 1, jobId, memory: '1Gi', outcome: 'Running', schedd: 'schedd@hpc-pool', submitTime: at },
    ],
    clusterId: 27,
    procId: i,
    jobId,
    conditions: [
      cond('Accepted', 'True', 'Valid', 'the spec passed validation'),
      cond('SchedulerReachable', 'True', 'Reachable', 'schedd schedd@hpc-pool answers'),
      cond('Submitted', 'True', 'Submitted', `HTCondor job ${jobId} on schedd@hpc-pool`),
      cond('Running', 'False', 'Queued', 'waiting for a slot'),
    ],
    firstSubmitTime: at,
    message: `attempt 1: submitted as ${jobId}`,
    observedGeneration: 1,
    phase: 'Queued',
    pool: '10.250.0.1:9618',
    schedd: 'schedd@hpc-pool',
  };
}

function openWatches(ns: string, count: number): Promise<AbortController[]> {
  const path = hpcjobsPath(ns);
  return Promise.all(
    Array.from({ length: count }, () =>
      new k8s.Watch(kc).watch(
        path,
        {},
        () => {},
        () => {},
      ),
    ),
  );
}

async function run(label: string, status: (i: number) => Record<string, unknown>, watches: number) {
  const ns = uniqueName('bench-status');
  await createNamespace(kc, ns);
  const open = await openWatches(ns, watches);
  const names = Array.from({ length: n }, (_, i) => `job-${i}`);
  try {
    const created = await measuringCpu(undefined, () =>
      createHPCJobs(ns, names, { command: ['/bin/true'], requirements: NEVER }, false),
    );
    const written = await measuringCpu(undefined, () =>
      pool(names, 16, (name) =>
        co.patchNamespacedCustomObjectStatus(
          { ...HPCJOBS, namespace: ns, name, body: { status: status(Number(name.slice(4))) } },
          merge,
        ),
      ),
    );
    const per = (c: typeof created.cpu) =>
      `${c.wallSeconds} s, API server ${c.seconds.apiServer} CPU s (${((1000 * (c.seconds.apiServer ?? 0)) / n).toFixed(2)} ms each), etcd ${c.seconds.etcd}`;
    console.log(
      `${label}, ${watches} watch(es): creates ${per(created.cpu)}; status writes ${per(written.cpu)}`,
    );
  } finally {
    for (const w of open) w.abort();
    await deleteNamespace(kc, ns);
  }
}

await installCRDs(kc);
await run("(d)'s one-field status", () => ({ message: 'benchmark write' }), 0);
await run('the Queued status the operator writes', queuedStatus, 0);
await run("(d)'s one-field status", () => ({ message: 'benchmark write' }), 2);
await run('the Queued status the operator writes', queuedStatus, 2);
process.exit(0);

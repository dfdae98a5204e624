/**
 * What the operator is measured against, in the same run: (a) the schedd's own limit, one condor_submit of an
 * N-job description; (b) the API server's own cost for N status writes at the operator's concurrency; (c) the
 * per-job strategy of the peers (one condor_submit per job, then one condor_q per job per poll); (d) the API
 * server's own time for the run's creates plus one status write each.
 */
import * as k8s from '@kubernetes/client-node';
import { jobIdsOf } from '../../src/condor/parse.js';
import type { ScheddCommands } from '../../src/condor/schedd-commands.js';
import { renderSubmitDescriptions, s } from '../../src/condor/submit-description.js';
import { HPCJOBS } from '../../test/support/stack/kube.js';
import { REPO, waitFor } from '../../test/support/stack/stack.js';
import { NEVER, co, createHPCJobs, pool, sd } from './cluster.js';

export interface PerJob {
  submitSeconds: number;
  pollRoundSeconds: number;
  calls: number;
}

/** (a) One condor_submit of `n` jobs like the operator's (to schedd `on`), timed; the jobs are removed after. */
export async function scheddOwnLimit(n: number, ns: string, on: ScheddCommands = sd): Promise<number> {
  const tag = `${ns}-own`;
  const jobs = Array.from({ length: n }, (_, i) => ({
    commands: {
      executable: s.string(`${REPO}/wrapper/hpc-wrapper.sh`),
      requirements: s.expr({ expr: NEVER }),
      environment: s.env({ HPC_ARGV: Buffer.from('true').toString('base64'), HPC_JOB: `${ns}/own-${i}` }),
      should_transfer_files: s.string('YES'),
    },
    attributes: { HPCBenchTag: tag, HPCIndex: i },
  }));
  const [batch] = renderSubmitDescriptions(jobs);
  const t = Date.now();
  const ranges = await on.submit(batch!.description, { procs: n });
  const seconds = (Date.now() - t) / 1000;
  if (jobIdsOf(ranges).length !== n) throw new Error('schedd limit run submitted the wrong number of jobs');
  await removeBenchJobs(on, `HPCBenchTag == "${tag}"`);
  return seconds;
}

/** (b) One status write per HPCJob `names`, 16 at a time (the operator's workers), timed. */
export async function apiWritesFloor(ns: string, names: string[]): Promise<number> {
  const t = Date.now();
  await pool(names, 16, (name) =>
    co.patchNamespacedCustomObjectStatus(
      { ...HPCJOBS, namespace: ns, name, body: { status: { message: 'benchmark write' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    ),
  );
  return (Date.now() - t) / 1000;
}

/**
 * (d) The API server's own time for the same creates as the run (64 at a time) plus one status write each
 * (16 at a time), in namespace `ns` that no operator watches; timed from the first create to the last write.
 * The objects are left for the namespace's deletion.
 */
export async function createAndWriteFloor(ns: string, names: string[]): Promise<number> {
  const t = Date.now();
  await createHPCJobs(ns, names, { command: ['/bin/true'], requirements: NEVER }, false);
  await apiWritesFloor(ns, names);
  return (Date.now() - t) / 1000;
}

/**
 * Removes the bench's own jobs and waits until they are out of the queue: a spooled job that was removed
 * stays in X (20,000 of them slow every later read of the queue, and they count against the owner's
 * MAX_JOBS_PER_OWNER) until condor_rm -forcex, and a -forcex reaches only the jobs already in X when it runs
 * (the schedd removes 100,000 jobs over many seconds): it is repeated until none is left.
 */
export async function removeBenchJobs(on: ScheddCommands, constraint: string): Promise<void> {
  await on.act('condor_rm', constraint);
  await waitFor(
    `the bench's jobs (${constraint}) to leave the queue`,
    async () => {
      await on.act('condor_rm', `(${constraint}) && JobStatus == 3`, undefined, { forcex: true });
      return (await on.query(constraint, ['JobStatus'])).length === 0;
    },
    1_800_000,
    2000,
  );
}

/** (c) The peers' way: one condor_submit per job, then one condor_q per job per poll (one round timed). */
export async function perJobStrategy(n: number, ns: string): Promise<PerJob> {
  const tag = `${ns}-perjob`;
  const ids: string[] = [];
  let t = Date.now();
  for (let i = 0; i < n; i++) {
    const [b] = renderSubmitDescriptions([
      {
        commands: {
          executable: s.string('/bin/true'),
          requirements: s.expr({ expr: NEVER }),
          should_transfer_files: s.string('YES'),
        },
        attributes: { HPCBenchTag: tag },
      },
    ]);
    ids.push(...jobIdsOf(await sd.submit(b!.description)));
  }
  const submitSeconds = (Date.now() - t) / 1000;
  t = Date.now();
  for (const id of ids) {
    const [c, p] = id.split('.');
    await sd.query(`ClusterId == ${c} && ProcId == ${p}`, ['JobStatus']);
  }
  const pollRoundSeconds = (Date.now() - t) / 1000;
  await removeBenchJobs(sd, `HPCBenchTag == "${tag}"`);
  return { submitSeconds, pollRoundSeconds, calls: 2 * n };
}

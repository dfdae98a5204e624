/**
 * kill -9 of the operator at random moments during a burst of HPCJobs, several rounds: afterwards every HPCJob
 * reaches its final phase with exactly one HTCondor job per attempt (by tag, in queue and history), and no
 * HTCondor job is left without its HPCJob. CHAOS_JOBS (default 500) and CHAOS_ROUNDS (default 3) size it.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { createNamespace, deleteNamespace, installCRDs } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, uniqueName } from '../support/stack/stack.js';
import { createMany, ledger, listHPCJobs, waitAllFinal, waitQueueEmpty } from './helpers/audit.js';
import { between } from './helpers/faults.js';

const kc = kubeConfig();
const JOBS = Number(process.env.CHAOS_JOBS ?? 500);
const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? 3);
const KILLS_PER_ROUND = 4;
const namespaces: string[] = [];

afterAll(async () => {
  for (const ns of namespaces) await deleteNamespace(kc, ns);
});

describe(`kill -9 of the operator during a burst of ${JOBS} HPCJobs`, () => {
  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: ${KILLS_PER_ROUND} kills at random moments, then 0 lost, 0 doubled, 0 orphans`, async () => {
      await installCRDs(kc);
      const ns = uniqueName(`chaos-kill${round}`);
      namespaces.push(ns);
      await createNamespace(kc, ns);
      const logDir = new OperatorProcess({ namespace: ns, operatorId: ns }).logDir;
      const operator = () =>
        new OperatorProcess({ namespace: ns, operatorId: ns, logDir, extraArgs: ['--log-level=info'] });
      let op = operator();
      await op.start();

      const names = Array.from({ length: JOBS }, (_, i) => `step-${i}`);
      const burst = createMany(ns, names, { command: ['/bin/sh', '-c', 'echo done'] });
      // Kills spread over submission and tracking: the first while the burst is still being created.
      const kills: number[] = [];
      for (let k = 0; k < KILLS_PER_ROUND; k++) {
        const after = between(k === 0 ? 500 : 2000, k === 0 ? 4000 : 25_000);
        await new Promise((r) => setTimeout(r, after));
        await op.kill9();
        const jobs = await listHPCJobs(ns);
        kills.push(jobs.filter((j) => j.status?.jobId).length);
        // Down for a moment, as a crash-looping pod would be, then a fresh process.
        await new Promise((r) => setTimeout(r, between(0, 3000)));
        op = operator();
        await op.start();
      }
      await burst;
      try {
        const jobs = await waitAllFinal(ns, JOBS);
        await waitQueueEmpty(ns);
        const l = await ledger(ns, jobs);
        const phases = new Map<string, number>();
        for (const j of jobs) phases.set(j.status?.phase ?? '', (phases.get(j.status?.phase ?? '') ?? 0) + 1);
        console.log(
          `round ${round}: kills with ${kills.join(', ')} HPCJobs submitted so far; phases ${JSON.stringify(Object.fromEntries(phases))}; ${l.condorJobs} HTCondor jobs for ${jobs.reduce((n, j) => n + (j.status?.attempt ?? 0), 0)} attempts`,
        );
        expect(l.doubled).toEqual([]);
        expect(l.orphans).toEqual([]);
        expect(l.lost).toEqual([]);
        expect(l.mismatched).toEqual([]);
        // /bin/sh -c 'echo done' cannot fail: anything but Succeeded is the operator's fault.
        expect(
          jobs
            .filter((j) => j.status?.phase !== 'Succeeded')
            .map((j) => `${j.metadata.name}: ${j.status?.message}`),
        ).toEqual([]);
      } finally {
        await op.stop();
      }
    });
  }
});

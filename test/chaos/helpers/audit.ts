/**
 * Checks shared by the fault tests: every HPCJob of a namespace in a final phase, and exactly one HTCondor job
 * per attempt (by the tags in queue and history), none without its HPCJob.
 */
import * as k8s from '@kubernetes/client-node';
import { adNumber, adString } from '../../../src/condor/parse.js';
import { classAdLiteral } from '../../../src/condor/submit-description.js';
import { everyJob, jobIdOf } from '../../support/stack/condor-jobs.js';
import { HPCJOBS, type HPCJobObject } from '../../support/stack/kube.js';
import { kubeConfig, schedd, waitFor } from '../../support/stack/stack.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const sd = schedd();
export const FINAL = ['Succeeded', 'Failed', 'Lost'];

export async function listHPCJobs(ns: string): Promise<HPCJobObject[]> {
  const list = (await co.listNamespacedCustomObject({ ...HPCJOBS, namespace: ns })) as {
    items: HPCJobObject[];
  };
  return list.items;
}

/** Creates `names` as HPCJobs running `command`, 32 at a time (as a workflow engine would burst). */
export async function createMany(ns: string, names: string[], spec: Record<string, unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (i < names.length) {
        const name = names[i++] as string;
        await co.createNamespacedCustomObject({
          ...HPCJOBS,
          namespace: ns,
          body: { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'HPCJob', metadata: { name }, spec },
        });
      }
    }),
  );
}

/** Waits until every HPCJob of `ns` is in a final phase; returns them. */
export async function waitAllFinal(ns: string, count: number, timeoutMs = 900_000): Promise<HPCJobObject[]> {
  return waitFor(
    `${count} HPCJobs in ${ns} to reach a final phase`,
    async () => {
      const jobs = await listHPCJobs(ns);
      return jobs.length === count && jobs.every((j) => FINAL.includes(j.status?.phase ?? ''))
        ? jobs
        : undefined;
    },
    timeoutMs,
    2000,
  );
}

export interface Ledger {
  /** HTCondor jobs per "uid/attempt" (queue and history together). */
  perAttempt: Map<string, string[]>;
  /** HTCondor jobs whose HPCJob does not exist. */
  orphans: string[];
  /** HPCJobs whose attempts in HTCondor differ from 1..status.attempt. */
  mismatched: string[];
  /** Attempts with more than one HTCondor job. */
  doubled: string[];
  /** HPCJobs with an attempt that has no HTCondor job. */
  lost: string[];
  condorJobs: number;
}

/** What HTCondor holds for an operator id, set against the HPCJobs: the 0-lost, 0-doubled check. */
export async function ledger(operatorId: string, jobs: HPCJobObject[]): Promise<Ledger> {
  const constraint = `HPCOperator == ${classAdLiteral(operatorId)}`;
  const attrs = ['HPCJobUID', 'HPCJobAttempt'];
  const perAttempt = new Map<string, string[]>();
  const { all } = await everyJob(sd, constraint, attrs);
  for (const ad of all) {
    const id = jobIdOf(ad);
    const key = `${adString(ad, 'HPCJobUID')}/${adNumber(ad, 'HPCJobAttempt')}`;
    perAttempt.set(key, [...(perAttempt.get(key) ?? []), id]);
  }
  const uids = new Set(jobs.map((j) => j.metadata.uid));
  const orphans = [...perAttempt.entries()]
    .filter(([k]) => !uids.has(k.split('/')[0] as string))
    .map(([k]) => k);
  const doubled = [...perAttempt.entries()]
    .filter(([, ids]) => ids.length > 1)
    .map(([k, ids]) => `${k}: ${ids.join(',')}`);
  const mismatched: string[] = [];
  const lost: string[] = [];
  for (const j of jobs) {
    const want = j.status?.attempt ?? 0;
    const have = [...perAttempt.keys()]
      .filter((k) => k.startsWith(`${j.metadata.uid}/`))
      .map((k) => Number(k.split('/')[1]))
      .sort((a, b) => a - b);
    const expected = Array.from({ length: want }, (_, i) => i + 1);
    if (have.join() !== expected.join())
      mismatched.push(`${j.metadata.name}: status ${want}, HTCondor [${have.join()}]`);
    if (expected.some((a) => !have.includes(a))) lost.push(j.metadata.name);
  }
  return { perAttempt, orphans, mismatched, doubled, lost, condorJobs: all.length };
}

/** Waits until the operator has acknowledged every ended job, so none is left in the queue. */
export async function waitQueueEmpty(operatorId: string, timeoutMs = 300_000): Promise<void> {
  await waitFor(
    `the jobs of ${operatorId} to leave the queue`,
    async () => (await sd.query(`HPCOperator == ${classAdLiteral(operatorId)}`, ['JobStatus'])).length === 0,
    timeoutMs,
    2000,
  );
}

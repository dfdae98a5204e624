/**
 * HPCJobSet with template.virtualClusterRef and template.activeDeadlineSeconds on the local stack (real
 * kube-apiserver, HTCondor pool, SLURM site over SSH). A set of three indices names an autoscaled SLURM
 * VirtualCluster with no pilot: its queued indices are the VirtualCluster's only demand, so the pilots it
 * asks SLURM for are asked because of the set, and every index runs on one of them (the job's RemoteHost is a
 * slot of a pilot of that VirtualCluster). On the default pool, an index that runs past a short
 * activeDeadlineSeconds is removed and ends failed with DeadlineExceeded, never retried, while the other
 * succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { adNumber, adString } from '../../src/condor/parse.js';
import { classAdLiteral } from '../../src/condor/submit-description.js';
import { pilotPrefix } from '../../src/controllers/virtualcluster/planning.js';
import type { HPCJobSet, HPCJobSetSpec } from '../../src/crds/hpcjobset.js';
import { findStatusCondition } from '../../src/runtime/conditions.js';
import { createNamespace, deleteNamespace, installCRDs, keepCRDsInstalled } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { everyJob } from '../support/stack/condor-jobs.js';
import { kubeConfig, schedd, uniqueName, waitFor } from '../support/stack/stack.js';
import {
  activePilots,
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  slurmSpec,
  uidOf,
  VIRTUALCLUSTERS,
  waitVirtualCluster,
} from './helpers/site.js';

const kc = kubeConfig();
const sd = schedd();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-set-vc');
const op = new OperatorProcess({ namespace: ns, operatorId: ns, extraArgs: FAST_PILOT_ARGS });
const SETS = { group: 'hpc.scailfin.io', version: 'v1alpha1', plural: 'hpcjobsets', namespace: ns };
const VCS = { ...VIRTUALCLUSTERS, namespace: ns };

async function createSet(name: string, spec: Partial<HPCJobSetSpec>): Promise<void> {
  const body = { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'HPCJobSet', metadata: { name }, spec };
  await co.createNamespacedCustomObject({ ...SETS, body });
}

function waitForSet(name: string, what: string, test: (s: HPCJobSet) => boolean, ms = 120_000) {
  return waitFor(
    `${name}: ${what}`,
    async () => {
      const s = (await co.getNamespacedCustomObject({ ...SETS, name })) as HPCJobSet;
      return test(s) ? s : undefined;
    },
    ms,
    500,
  );
}

/** Every job the set ever had (the queue and the history), with the attributes asked for. */
async function jobsOf(set: HPCJobSet, attributes: string[]): Promise<Record<string, unknown>[]> {
  const c = `HPCJobUID == ${classAdLiteral(set.metadata.uid as string)}`;
  return (await everyJob(sd, c, attributes, { limit: 100 })).all;
}

/** Deletes the test's sets and waits until their finalizers saw their jobs leave the queue. */
async function deleteSets(): Promise<void> {
  await co.deleteCollectionNamespacedCustomObject(SETS);
  await waitFor(
    'the sets to be gone',
    async () => ((await co.listNamespacedCustomObject(SETS)) as { items: unknown[] }).items.length === 0,
    120_000,
    1000,
  );
}

let stopKeeping = () => {};

beforeAll(async () => {
  await installCRDs(kc);
  // Other checkouts on the shared stack install their own CRDs: keep this one's (status.virtualCluster).
  stopKeeping = keepCRDsInstalled(kc, (status) => !!status?.properties?.virtualCluster, 1000, {
    crd: 'hpcjobsets.hpc.scailfin.io',
    part: 'status',
  });
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await op.start();
});

afterAll(async () => {
  stopKeeping();
  // While the operator runs: the sets' finalizers take their jobs, the VirtualClusters' cancel their pilots.
  await deleteSets().catch(() => undefined);
  await deleteTestObjects(co, ns);
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('HPCJobSet on a VirtualCluster', () => {
  it("runs its indices on the VirtualCluster's pilots, which its queued indices made the VirtualCluster ask for", async () => {
    const spec = slurmSpec(0, { workers: { autoscale: 'QueuedJobs', min: 0, max: 2 } });
    await co.createNamespacedCustomObject({
      ...VCS,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'vc' },
        spec,
      },
    });
    const idle = await waitVirtualCluster(
      co,
      ns,
      'vc',
      'Running with no demand',
      (v) => v.status?.phase === 'Running',
    );
    expect(idle.status?.workers).toMatchObject({ requested: 0, queued: 0, running: 0 });
    expect(await activePilots(idle)).toEqual([]);

    await createSet('on-vc', {
      count: 3,
      template: {
        virtualClusterRef: { name: 'vc' },
        command: ['/bin/sh', '-c', 'echo "index $HPC_INDEX on $(hostname)"; sleep 2'],
        resources: { cpus: 1, memory: '128Mi' },
      },
    });
    // The placement is recorded with the first submission.
    const placed = await waitForSet(
      'on-vc',
      'placed on the VirtualCluster',
      (s) => !!s.status?.virtualCluster,
    );
    expect(placed.status).toMatchObject({ virtualCluster: `${ns}/vc`, schedd: spec.pool.scheddName });
    expect(findStatusCondition(placed.status?.conditions, 'VirtualClusterReady')).toMatchObject({
      status: 'True',
      reason: 'Found',
    });
    // Nothing else names the VirtualCluster: the pilots it asks for are for the set's indices.
    const grown = await waitVirtualCluster(
      co,
      ns,
      'vc',
      'pilots requested',
      (v) => (v.status?.workers?.requested ?? 0) > 0,
    );
    expect(grown.status?.workers?.requested).toBeGreaterThan(0);
    expect((await activePilots(grown)).length).toBeGreaterThan(0);

    const done = await waitForSet('on-vc', 'Succeeded', (s) => s.status?.phase === 'Succeeded', 180_000);
    expect(done.status).toMatchObject({ total: 3, succeeded: '0-2', counts: { succeeded: 3 } });
    const jobs = await jobsOf(done, ['HPCJobSetIndex', 'HPCVirtualCluster', 'LastRemoteHost', 'RemoteHost']);
    expect(jobs.map((j) => adNumber(j, 'HPCJobSetIndex')).sort()).toEqual([0, 1, 2]);
    // Each ran on a slot of a pilot of this VirtualCluster: slot1_1@<pilot>-<SLURM job id>@<site host>.
    const prefix = pilotPrefix(uidOf(grown), 'site1', (s) => createHash('sha256').update(s).digest('hex'));
    for (const j of jobs) {
      expect(adString(j, 'HPCVirtualCluster')).toBe(`${ns}/vc`);
      const host = adString(j, 'LastRemoteHost') ?? adString(j, 'RemoteHost') ?? '';
      expect(host).toMatch(new RegExp(`@${prefix}\\d+-\\d+@`));
    }
  });
});

describe('HPCJobSet template.activeDeadlineSeconds', () => {
  it('removes an index that runs past it and fails it with DeadlineExceeded, never retried; the other succeeds', async () => {
    await createSet('deadline', {
      count: 2,
      template: {
        // Index 0 ends at once; index 1 would run for two minutes.
        command: ['/bin/sh', '-c', '[ "$HPC_INDEX" = 0 ] || sleep 120'],
        activeDeadlineSeconds: 8,
        retryPolicy: { limit: 2 },
        resources: { memory: '64Mi' },
      },
    });
    const done = await waitForSet('deadline', 'Failed', (s) => s.status?.phase === 'Failed', 60_000);
    expect(done.status).toMatchObject({ succeeded: '0', failed: '1', counts: { succeeded: 1, failed: 1 } });
    expect(done.status?.indexRecords).toEqual([
      expect.objectContaining({
        index: 1,
        failedAttempts: 1,
        failureCategory: 'DeadlineExceeded',
        message: 'activeDeadlineSeconds (8) exceeded',
      }),
    ]);
    // Index 1 had one job, removed by the operator for the deadline.
    const jobs = await waitFor('the removed job of index 1 in the history', async () => {
      const all = await jobsOf(done, ['HPCJobSetIndex', 'HPCJobAttempt', 'JobStatus', 'RemoveReason']);
      const one = all.filter((j) => adNumber(j, 'HPCJobSetIndex') === 1);
      return one.length === 1 && adNumber(one[0]!, 'JobStatus') === 3 && one;
    });
    expect(adNumber(jobs[0]!, 'HPCJobAttempt')).toBe(1);
    expect(adString(jobs[0]!, 'RemoveReason')).toContain('HPCJobSet index activeDeadlineSeconds exceeded');
  });
});

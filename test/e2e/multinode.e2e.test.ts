/**
 * Multi-node pilots and gang steps end to end on the local stack: a VirtualCluster whose pilots span both nodes
 * of the SLURM site's `multi` partition (n1, n2: two slurmd), grown by a queued 2-node step. The pilot starts one
 * startd per node through srun, both joining the real pool under one pilot name; the step runs in HTCondor's
 * parallel universe on both, and its wrapper launches it with srun across the allocation: each rank writes the
 * SLURM node it ran on. A rank that fails fails the step with its exit code and error, and the pilot leaves as
 * one unit once no node has a step, its batch job ending as COMPLETED and its slots withdrawn from the pool.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { CollectorClient } from '../../src/condor/collector.js';
import { adNumber, adString } from '../../src/condor/parse.js';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';
import { SshTransport } from '../../src/sites/ssh.js';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  installCRDs,
  keepCRDsInstalled,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import {
  condorCli,
  kubeConfig,
  loadStackEnv,
  siteLogin,
  uniqueName,
  waitFor,
} from '../support/stack/stack.js';
import {
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  slurmSpec,
  VIRTUALCLUSTERS,
  waitVirtualCluster,
} from './helpers/site.js';

const kc = kubeConfig();
const env = loadStackEnv();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-multinode');
const op = new OperatorProcess({ namespace: ns, operatorId: ns, extraArgs: FAST_PILOT_ARGS });
const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });
const VCS = { ...VIRTUALCLUSTERS, namespace: ns };

/**
 * Pilots of 2 nodes of 1 core each on the `multi` partition, one kept at all times (min 1: the operator never
 * cancels it for want of demand, so it ends by its own idle shutdown), idle after 30 s.
 */
function gangSpec() {
  const spec = slurmSpec(0, {
    workers: {
      autoscale: 'QueuedJobs',
      min: 1,
      max: 1,
      nodes: 2,
      cores: 1,
      memory: '512Mi',
      idleShutdown: '30s',
    },
  });
  return { ...spec, allocations: spec.allocations.map((a) => ({ ...a, queue: 'multi' })) };
}

/** The slots of VirtualCluster `name` in the pool: which pilot and node each is. */
async function slotsOf(name: string) {
  const ads = await new CollectorClient(condorCli(), env.HPC_COLLECTOR).slots(
    `VirtualCluster == "${ns}/${name}" && SlotType == "Partitionable"`,
    ['Name', 'HPCPilot', 'HPCPilotNode', 'HPCPilotNodes', 'ParallelSchedulingGroup', 'DedicatedScheduler'],
  );
  return ads.map((a) => ({
    name: adString(a, 'Name'),
    pilot: adString(a, 'HPCPilot'),
    node: adNumber(a, 'HPCPilotNode'),
    nodes: adNumber(a, 'HPCPilotNodes'),
    group: adString(a, 'ParallelSchedulingGroup'),
    scheduler: adString(a, 'DedicatedScheduler'),
  }));
}

/** The states SLURM recorded for batch job `name` (a pilot's name is its job name), from its jobcomp file. */
async function batchRecords(name: string): Promise<{ state: string; nodes: string }[]> {
  const r = await ssh.exec(['cat', '/var/log/slurm/jobcomp.log']);
  return r.stdout
    .split('\n')
    .filter((l) => l.includes(` Name=${name} `))
    .map((l) => ({ state: /JobState=(\S+)/.exec(l)?.[1] ?? '', nodes: /NodeList=(\S+)/.exec(l)?.[1] ?? '' }));
}

const script = (failingRank: string) =>
  [
    'echo "rank $SLURM_PROCID of $SLURM_NTASKS on $SLURMD_NODENAME"',
    `if [ "$SLURM_PROCID" = ${failingRank} ]; then echo "rank $SLURM_PROCID failed" >&2; exit 3; fi`,
  ].join('\n');

let stopKeeping = () => {};

beforeAll(async () => {
  await installCRDs(kc);
  // A run from an older checkout would drop resources.nodes from what this test writes.
  stopKeeping = keepCRDsInstalled(
    kc,
    (spec) => spec?.properties?.allocations?.items?.properties?.workers?.properties?.exclusive !== undefined,
  );
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await op.start();
});

afterAll(async () => {
  stopKeeping();
  await deleteTestObjects(co, ns);
  ssh.close();
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('multi-node pilots and gang steps on the SLURM site (partition multi: nodes n1, n2)', () => {
  it('a 2-node step runs on both nodes of one pilot, a failing rank fails the step, and the pilot leaves as one', async () => {
    await co.createNamespacedCustomObject({
      ...VCS,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'gang' },
        spec: gangSpec(),
      },
    });
    await createHPCJob(kc, ns, 'two-nodes', {
      virtualClusterRef: { name: 'gang' },
      script: script('none'),
      resources: { nodes: 2, cpus: 1, memory: '128Mi' },
    });

    // One pilot of two nodes: a startd on each, one pilot name, one scheduling group.
    await waitVirtualCluster(
      co,
      ns,
      'gang',
      'a running pilot',
      (v: VC) => v.status?.workers?.running === 1,
      180_000,
    );
    const slots = await waitFor('both nodes in the pool', async () => {
      const s = await slotsOf('gang');
      return s.length === 2 ? s : undefined;
    });
    const [pilot] = new Set(slots.map((s) => s.pilot));
    expect(slots.map((s) => s.pilot)).toEqual([pilot, pilot]);
    expect(slots.map((s) => s.node).sort()).toEqual([0, 1]);
    expect(slots.every((s) => s.nodes === 2 && s.group === slots[0]?.group)).toBe(true);
    expect(slots[0]?.scheduler).toBe(`DedicatedScheduler@${env.HPC_SCHEDD_NAME}`);

    const done = await waitForPhase(kc, ns, 'two-nodes', ['Succeeded', 'Failed'], 180_000);
    expect(done.status?.phase).toBe('Succeeded');
    const out = readFileSync(done.status?.logs?.stdout as string, 'utf8');
    expect(out.trim().split('\n').sort()).toEqual(['rank 0 of 2 on n1', 'rank 1 of 2 on n2']);

    // Rank 1 exits 3: the step fails with that code, and rank 1's error is in its stderr.
    await createHPCJob(kc, ns, 'rank-fails', {
      virtualClusterRef: { name: 'gang' },
      script: script('1'),
      resources: { nodes: 2, cpus: 1, memory: '128Mi' },
      retryPolicy: { limit: 0 },
    });
    const failed = await waitForPhase(kc, ns, 'rank-fails', ['Succeeded', 'Failed'], 180_000);
    expect(failed.status?.phase).toBe('Failed');
    expect(failed.status?.attempts?.[0]).toMatchObject({
      exitCode: 3,
      host: expect.stringContaining(`@${pilot}-`),
    });
    const err = readFileSync(failed.status?.logs?.stderr as string, 'utf8');
    expect(err).toContain('rank 1 failed');

    // Nothing left to run: after 30 s idle both nodes leave together (min 1: the operator does not cancel it),
    // the batch job ends COMPLETED, not as a failed pilot, and no slot of it stays in the pool.
    await waitFor(
      'the pilot to leave the pool',
      async () => (await slotsOf('gang')).every((s) => s.pilot !== pilot),
      180_000,
    );
    const records = await waitFor('the pilot in SLURM accounting', async () => {
      const r = await batchRecords(pilot as string);
      return r.length > 0 ? r : undefined;
    });
    expect(records).toEqual([{ state: 'COMPLETED', nodes: 'n[1-2]' }]);
    const after = await waitVirtualCluster(
      co,
      ns,
      'gang',
      'a replacement pilot',
      (v: VC) => (v.status?.allocations?.[0]?.nextSequence ?? 0) > 1,
    );
    expect(after.status?.workers?.error ?? 0).toBe(0);
  });
});

/**
 * The SSH site cut off the network (packets to it vanish, as across a broken link) for 60 s while a
 * VirtualCluster keeps 2 pilots there: it turns Degraded with SiteReachable=False, submits no pilot while
 * blind, and after the link heals it is Running again with the same 2 pilots and the right counts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createNamespace, deleteNamespace, installCRDs } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import {
  activePilots,
  createSiteSecrets,
  FAST_PILOT_ARGS,
  slurmSpec,
  vcCondition as condition,
  VIRTUALCLUSTERS,
} from '../e2e/helpers/site.js';
import { kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';
import { healSite, partitionSite } from './helpers/faults.js';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('chaos-site');
const OUTAGE_SECONDS = Number(process.env.CHAOS_SITE_OUTAGE_SECONDS ?? 60);
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [...FAST_PILOT_ARGS, '--log-level=info'],
});
const VCS = { ...VIRTUALCLUSTERS, namespace: ns };

const getVC = async () => (await co.getNamespacedCustomObject({ ...VCS, name: 'partitioned' })) as VC;

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await op.start();
});

afterAll(async () => {
  healSite();
  await co.deleteNamespacedCustomObject({ ...VCS, name: 'partitioned' }).catch(() => undefined);
  await waitFor(
    'the VirtualCluster to be gone (pilots cancelled)',
    async () => {
      try {
        await getVC();
        return false;
      } catch {
        return true;
      }
    },
    120_000,
    1000,
  ).catch(() => undefined);
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe(`the SSH site unreachable for ${OUTAGE_SECONDS} s`, () => {
  it('turns the VirtualCluster Degraded, submits no pilot while blind and recovers with the right counts', async () => {
    await co.createNamespacedCustomObject({
      ...VCS,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'partitioned' },
        spec: slurmSpec(2),
      },
    });
    const running = await waitFor(
      'the VirtualCluster to run 2 pilots',
      async () => {
        const vc = await getVC();
        return vc.status?.phase === 'Running' && vc.status.workers?.running === 2 ? vc : undefined;
      },
      240_000,
      1000,
    );

    partitionSite();
    try {
      const degraded = await waitFor(
        'the VirtualCluster to be Degraded',
        async () => {
          const vc = await getVC();
          return vc.status?.phase === 'Degraded' ? vc : undefined;
        },
        180_000,
        1000,
      );
      expect(condition(degraded, 'SiteReachable')).toMatchObject({ status: 'False', reason: 'Unreachable' });
      await new Promise((r) => setTimeout(r, OUTAGE_SECONDS * 1000));
      const blind = await getVC();
      expect(blind.status?.allocations?.[0]?.nextSequence).toBe(2);
    } finally {
      healSite();
    }

    const back = await waitFor(
      'the VirtualCluster to be Running again',
      async () => {
        const vc = await getVC();
        return vc.status?.phase === 'Running' && condition(vc, 'SiteReachable')?.status === 'True'
          ? vc
          : undefined;
      },
      240_000,
      1000,
    );
    expect(back.status?.workers).toMatchObject({ requested: 2, running: 2 });
    // No pilot storm: still the first two pilots, none submitted during or after the partition.
    expect(back.status?.allocations?.[0]?.nextSequence).toBe(2);
    expect((await activePilots(running)).length).toBe(2);
  });
});

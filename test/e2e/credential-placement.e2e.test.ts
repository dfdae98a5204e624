/**
 * Credential-aware placement on the local stack's real SLURM site, HTCondor pool and API server: the
 * allocation's Secret holds an `x509-proxy` (a real X.509 certificate, valid for one more hour), so the
 * VirtualCluster reports status.credentialExpiresAt. A step whose walltime and margin would end after that is
 * never submitted (no HTCondor job with its HPCJobUID, in the queue or the history): it waits with
 * VirtualClusterReady=False (CredentialsExpire) and a Warning Event, and fails after
 * --virtual-cluster-wait-seconds. A step that ends before the credentials do runs on a pilot and succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  eventsFor,
  eventReasons,
  getHPCJob,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, loadStackEnv, STACK, uniqueName, waitFor } from '../support/stack/stack.js';
import {
  createProxySecret,
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
const ns = uniqueName('e2e-credplace');
// Short: the long step's condition is checked within seconds, and its failure after the wait may come before or
// after the fitting step has run (nothing of one depends on the other).
const WAIT_SECONDS = 40;
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [...FAST_PILOT_ARGS, `--virtual-cluster-wait-seconds=${WAIT_SECONDS}`],
});
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The HTCondor jobs (ClusterId.ProcId) with this HPCJobUID, in the shared schedd's queue and history. */
function condorJobsOf(uid: string): string[] {
  const where = ['-name', env.HPC_SCHEDD_NAME as string, '-pool', env.HPC_COLLECTOR as string];
  const ids: string[] = [];
  for (const tool of ['condor_q', 'condor_history']) {
    const out = execFileSync(
      join(STACK, 'bin', tool),
      [...where, '-constraint', `HPCJobUID == "${uid}"`, '-af', 'ClusterId', 'ProcId'],
      { env: process.env, encoding: 'utf8' },
    );
    ids.push(
      ...out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => l.trim().replace(/\s+/, '.')),
    );
  }
  return ids;
}

const condition = (j: Awaited<ReturnType<typeof getHPCJob>>, type: string) =>
  j?.status?.conditions?.find((c) => c.type === type);

// The credentials expire in an hour (whole seconds: X.509 times have no fraction).
const expiresAt = Math.floor(Date.now() / 1000) * 1000 + 3_600_000;

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await createProxySecret(kc, ns, 'site-ssh-proxy', expiresAt);
  await op.start();
});

afterAll(async () => {
  // Deleted while the operator runs, so that the pilot is cancelled on the shared site.
  await deleteTestObjects(co, ns).catch(() => undefined);
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('placement against credential expiry', () => {
  it('a step that would outlive the credentials is not submitted; one that ends before them runs', async () => {
    // Ten-minute pilots, grown by the queued steps; a 2m margin (the default, said here for the message).
    const spec = slurmSpec(0, {
      secretName: 'site-ssh-proxy',
      workers: { autoscale: 'QueuedJobs', min: 0, max: 1 },
      extra: { steps: { walltimeMargin: '2m' } },
    });
    Object.assign(spec.allocations[0] as Record<string, unknown>, { walltime: '10m' });
    await co.createNamespacedCustomObject({
      ...VIRTUALCLUSTERS,
      namespace: ns,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'creds' },
        spec,
      },
    });
    const vc: VC = await waitVirtualCluster(co, ns, 'creds', 'credentialExpiresAt', (v) =>
      Boolean(v.status?.credentialExpiresAt),
    );
    expect(vc.status?.credentialExpiresAt).toBe(iso(expiresAt));

    const step = (name: string, walltime: string) =>
      createHPCJob(kc, ns, name, {
        virtualClusterRef: { name: 'creds' },
        command: ['/bin/sleep', '5'],
        resources: { memory: '128Mi', walltime },
      });
    const long = await step('long', '90m');
    const fits = await step('fits', '5m');

    // 90m + 2m = 5520 s from now ends after the credentials (an hour): the step waits, and says why.
    const message =
      `VirtualCluster creds's credentials expire at ${iso(expiresAt)}, before this step would end: it needs ` +
      `a pilot for 5520s (its walltime and the VirtualCluster's margin); renew the credentials, or run the step again with a shorter resources.walltime`;
    const waiting = await waitFor('HPCJob long: VirtualClusterReady=False', async () => {
      const j = await getHPCJob(kc, ns, 'long');
      return condition(j, 'VirtualClusterReady')?.status === 'False' ? j : undefined;
    });
    expect(condition(waiting, 'VirtualClusterReady')).toMatchObject({ reason: 'CredentialsExpire', message });
    expect([waiting?.status?.phase, waiting?.status?.message]).toEqual(['Pending', `waiting: ${message}`]);
    expect(await eventReasons(kc, ns, 'long', ['CredentialsExpire'])).toContain('CredentialsExpire');
    const warning = (await eventsFor(kc, ns, 'long')).find((e) => e.reason === 'CredentialsExpire');
    expect([warning?.type, warning?.note]).toEqual(['Warning', message]);

    // 5m + 2m ends well before them: it gets a pilot and runs.
    const done = await waitForPhase(kc, ns, 'fits', ['Succeeded', 'Failed'], 400_000);
    expect([done.status?.phase, condition(done, 'VirtualClusterReady')?.reason]).toEqual([
      'Succeeded',
      'Found',
    ]);
    expect(condorJobsOf(fits.metadata.uid)).toHaveLength(1);

    // The long step never reached HTCondor, and fails once the wait is over.
    expect(condorJobsOf(long.metadata.uid)).toEqual([]);
    const failed = await waitForPhase(kc, ns, 'long', ['Failed', 'Succeeded'], (WAIT_SECONDS + 60) * 1000);
    expect(condition(failed, 'Failed')).toMatchObject({
      reason: 'VirtualClusterUnavailable',
      message: `${message} (waited ${WAIT_SECONDS} s)`,
    });
    expect(failed.status?.attempt ?? 0).toBe(0);
    expect(condorJobsOf(long.metadata.uid)).toEqual([]);
  }, 600_000);
});

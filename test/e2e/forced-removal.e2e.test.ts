/**
 * A removed step whose execute side is gone, on the local stack's real SLURM site and HTCondor pool. The
 * step runs on the test's own pilot; the pilot is killed with SIGKILL (its node died: nothing of the execute
 * side answers any more); then the HPCJob is deleted. The operator's condor_rm puts the job in JobStatus 3
 * (X), but its shadow cannot reach the starter, so the schedd keeps the job in the queue until the job lease
 * ends (JobLeaseDuration, 40 minutes by default), and the HPCJob's finalizer with it. Past
 * --force-removal-after-seconds the operator removes it from the queue with condor_rm -forcex, records a
 * RemovalForced Event, and the HPCJob's deletion completes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { adNumber } from '../../src/condor/parse.js';
import { SshTransport } from '../../src/sites/ssh.js';
import {
  createHPCJob,
  createNamespace,
  deleteHPCJob,
  deleteNamespace,
  eventReasons,
  getHPCJob,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, schedd, siteLogin, uniqueName, waitFor } from '../support/stack/stack.js';
import {
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  slurmSpec,
  VIRTUALCLUSTERS,
} from './helpers/site.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-forcex');
/** The grace a removed job gets in the queue before -forcex: short, so that the test is. */
const GRACE_SECONDS = 5;
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [...FAST_PILOT_ARGS, `--force-removal-after-seconds=${GRACE_SECONDS}`],
});
const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });

/** JobStatus of the test operator's job of HPCJob `uid` in the queue; undefined once it left. */
async function queuedStatus(uid: string): Promise<number | undefined> {
  const ads = await schedd().query(`HPCOperator == "${ns}" && HPCJobUID == "${uid}"`, ['JobStatus'], 'probe');
  return ads[0] ? adNumber(ads[0], 'JobStatus') : undefined;
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await op.start();
});

afterAll(async () => {
  ssh.close();
  // The replacement pilot the VirtualCluster sent goes with it.
  await deleteTestObjects(co, ns);
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('deleting an HPCJob whose pilot died', () => {
  it('forces the removed job out of the queue (condor_rm -forcex) and lets the HPCJob go', async () => {
    await co.createNamespacedCustomObject({
      ...VIRTUALCLUSTERS,
      namespace: ns,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'vc' },
        spec: slurmSpec(1),
      },
    });
    const created = await createHPCJob(kc, ns, 'step', {
      virtualClusterRef: { name: 'vc' },
      command: ['/bin/sleep', '600'],
      resources: { memory: '128Mi' },
    });
    const running = await waitForPhase(kc, ns, 'step', ['Running'], 180_000);
    const uid = created.metadata.uid;
    const where = `HPCOperator == "${ns}" && HPCJobUID == "${uid}"`;
    // The schedd says Running from the shadow's start, before the starter executes the job. A pilot killed in
    // between may end the run before it began, and a removed job that is not running leaves at once, with no
    // stay in X to force: the likely cause of one CI failure here (the job was never seen in X). Once the
    // starter has executed it, the job stays in X while the shadow waits for the lease.
    await waitFor('the starter to execute the job', async () => {
      const [ad] = await schedd().query(where, ['JobCurrentStartExecutingDate'], 'probe');
      return ad && adNumber(ad, 'JobCurrentStartExecutingDate') !== undefined;
    });
    // slot1_1@<pilot>-<SLURM job id>@hpc-site: the pilot's SLURM job, killed as a dead node would be.
    const slurmJob = /-(\d+)@hpc-site$/.exec(running.status?.attempts?.[0]?.host ?? '')?.[1];
    expect(slurmJob).toBeDefined();
    const killed = await ssh.exec(['scancel', '--signal=KILL', '--full', slurmJob as string]);
    expect(killed.code).toBe(0);

    await deleteHPCJob(kc, ns, 'step');
    // The operator's condor_rm took effect, but the schedd keeps the job in X: its starter is gone.
    await waitFor('the job in JobStatus 3 (X)', async () => (await queuedStatus(uid)) === 3);
    await waitFor('the HPCJob to be gone', async () => !(await getHPCJob(kc, ns, 'step')), 120_000, 500);
    expect(await queuedStatus(uid)).toBeUndefined();
    // condor_rm -forcex, not the job lease, took it out: the schedd records it so.
    const [past] = await waitFor('the job in condor_history', async () => {
      const ads = await schedd().history(where, ['JobStatus', 'RemoveReason', 'LeaveJobInQueue'], {
        limit: 1,
      });
      return ads.length ? ads : undefined;
    });
    expect(past).toMatchObject({ JobStatus: 3, LeaveJobInQueue: false });
    expect(String(past?.RemoveReason)).toContain('-forcex');
    expect(await eventReasons(kc, ns, 'step', ['RemovalForced'])).toContain('RemovalForced');
  });
});

/**
 * A VirtualCluster on REAL Son of Grid Engine: the local stack's site runs sge_qmaster and sge_execd (8.1.9,
 * Debian's gridengine packages; queue all.q, parallel environment smp) next to SLURM. The operator submits
 * pilots with qsub over SSH, they run as SGE jobs and join the real HTCondor pool, an HPCJob runs on one,
 * scaling to 0 qdel's them, deleting the VirtualCluster runs its finalizer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { sge } from '../../src/sites/batch.js';
import { SshTransport } from '../../src/sites/ssh.js';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  eventReasons,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import {
  activePilots,
  createSiteSecrets,
  FAST_PILOT_ARGS,
  getVirtualCluster,
  joinedSlots as slotsOf,
  sgeSpec,
  uidOf,
  vcCondition as condition,
  VIRTUALCLUSTERS,
  waitVirtualCluster,
} from './helpers/site.js';
import { kubeConfig, siteLogin, uniqueName, waitFor } from '../support/stack/stack.js';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-sge');
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [...FAST_PILOT_ARGS, '--virtual-cluster-wait-seconds=8'],
});
const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });
const VCS = { ...VIRTUALCLUSTERS, namespace: ns };

const getVC = (name: string) => getVirtualCluster(co, ns, name);

const waitVC = (name: string, what: string, ok: (vc: VC) => boolean, timeoutMs?: number) =>
  waitVirtualCluster(co, ns, name, what, ok, timeoutMs);

/** The pilots SGE itself lists (qstat -xml -u hpcuser), queued or running, for this VirtualCluster. */
function sgePilots(vc: VC): Promise<string[]> {
  return activePilots(vc, ssh, sge);
}

/** Every SGE job of the login user, whatever its name (qstat -xml -u hpcuser). */
async function sgeJobs(): Promise<{ id: string; name: string; raw: string }[]> {
  const r = await ssh.exec(sge.list(login.username));
  expect(r.code).toBe(0);
  return sge.parseList(r.stdout);
}

const joinedSlots = (name: string) => slotsOf(ns, name);

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await op.start();
});

afterAll(async () => {
  ssh.close();
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('VirtualCluster on a real Son of Grid Engine site (sge_qmaster + sge_execd on the local stack)', () => {
  it('qsubs 2 pilots that join the pool, runs an HPCJob on one, qdels them at scale 0, finalizes on delete', async () => {
    // The cell is real and empty of our pilots before we start.
    const version = await ssh.exec(['qstat', '-help']);
    expect(version.stdout.split('\n')[0]).toMatch(/^SGE 8\.1\.9/);

    const created = (await co.createNamespacedCustomObject({
      ...VCS,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'grid' },
        spec: sgeSpec(2),
      },
    })) as VC;

    // Two pilots in SGE, named by the operator's prefix for this VirtualCluster.
    const inQueue = await waitFor(
      'two pilots in qstat',
      async () => {
        const p = await sgePilots(created);
        return p.length === 2 ? p : undefined;
      },
      60_000,
      1000,
    );
    expect(new Set(inQueue).size).toBe(2);

    // Both start under SGE and their startds join the pool with the VirtualCluster tag.
    const running = await waitVC(
      'grid',
      'Running with 2 pilots joined',
      (v) =>
        v.status?.phase === 'Running' &&
        v.status.workers?.running === 2 &&
        (v.status.workers?.idle ?? 0) + (v.status.workers?.busy ?? 0) === 2,
    );
    expect(running.status?.workers).toMatchObject({ requested: 2, queued: 0, running: 2, error: 0 });
    expect(condition(running, 'CredentialsValid')?.status).toBe('True');
    expect(condition(running, 'SiteReachable')?.status).toBe('True');
    expect(condition(running, 'PoolJoined')?.status).toBe('True');
    const jobs = (await sgeJobs()).filter((j) => inQueue.includes(j.name));
    expect(jobs.map((j) => j.raw)).toEqual(['r', 'r']);
    const slots = await joinedSlots('grid');
    expect(slots.map((s) => s.pilot).sort()).toEqual([...inQueue].sort());
    expect(slots.every((s) => s.machine === 'hpc-site')).toBe(true);

    // An HPCJob naming the VirtualCluster runs in a pilot's slot at the site.
    await createHPCJob(kc, ns, 'on-grid', {
      virtualClusterRef: { name: 'grid' },
      command: ['/bin/sh', '-c', 'echo "JOB_ID=${JOB_ID:-none}"; hostname'],
      resources: { memory: '128Mi' },
    });
    const j = await waitForPhase(kc, ns, 'on-grid', ['Succeeded', 'Failed']);
    expect(j.status?.phase).toBe('Succeeded');
    const host = j.status?.attempts?.[0]?.host ?? '';
    // slot1_1@<pilot name>-<SGE job id>@hpc-site: the startd's name carries the SGE job id ($JOB_ID).
    const m = /@(hp[0-9a-f]{8}-\d+)-(\d+)@hpc-site$/.exec(host);
    expect(m).not.toBeNull();
    expect(inQueue).toContain(m?.[1]);
    expect(jobs.map((x) => x.id)).toContain(m?.[2]);

    // Scale to 0: the pilots are qdel'd and leave SGE and the pool.
    await co.patchNamespacedCustomObject(
      { ...VCS, name: 'grid', body: { spec: sgeSpec(0) } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const empty = await waitVC(
      'grid',
      'no pilots',
      (v) =>
        v.status?.workers?.requested === 0 &&
        v.status.workers?.queued === 0 &&
        v.status.workers?.running === 0,
    );
    expect(empty.status?.phase).toBe('Running');
    // They are no workers from the moment qdel has them (state d: shutting down after SIGUSR2) ...
    expect(await sgePilots(created)).toEqual([]);
    // ... and leave qstat once the pilot has shut HTCondor down.
    await waitFor(
      'qstat to list none of our pilots',
      async () => (await sgeJobs()).filter((x) => inQueue.includes(x.name)).length === 0,
      60_000,
    );
    await waitFor(
      'the pilots to leave the pool',
      async () => (await joinedSlots('grid')).length === 0,
      60_000,
    );
    expect(await eventReasons(kc, ns, 'grid', ['PilotsSubmitted', 'PilotsCancelled'])).toEqual(
      expect.arrayContaining(['PilotsSubmitted', 'PilotsCancelled']),
    );

    // Deletion: the finalizer confirms no pilot is left and removes the token from the site.
    expect((await getVC('grid'))?.metadata.finalizers?.length ?? 0).toBeGreaterThan(0);
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'grid' });
    await waitFor('the VirtualCluster to be gone', async () => (await getVC('grid')) === undefined, 60_000);
    const dir = await ssh.exec(['sh', '-c', `ls ~/.hpcop/${uidOf(created).slice(0, 8)}-site1/`]);
    expect(dir.stdout).not.toContain('pilot.token');
    expect(await sgePilots(created)).toEqual([]);
  });
});

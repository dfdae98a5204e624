/**
 * VirtualCluster end to end: pilots sent over real SSH to the local stack's SLURM site (its own network
 * namespace), joining the real HTCondor pool, running HPCJobs, scaled down, cleaned up; bad credentials;
 * the site going away and coming back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshTransport } from '../../src/sites/ssh.js';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  eventReasons,
  eventsFor,
  HPCJOBS,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import {
  activePilots as sitePilots,
  createSiteSecrets,
  FAST_PILOT_ARGS,
  getVirtualCluster,
  joinedSlots as slotsOf,
  slurmSpec,
  uidOf,
  vcCondition as condition,
  VIRTUALCLUSTERS,
  waitVirtualCluster,
} from './helpers/site.js';
import { STACK, kubeConfig, loadStackEnv, siteLogin, uniqueName, waitFor } from '../support/stack/stack.js';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';

const kc = kubeConfig();
const env = loadStackEnv();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const core = kc.makeApiClient(k8s.CoreV1Api);
const ns = uniqueName('e2e-vc');
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [...FAST_PILOT_ARGS, '--virtual-cluster-wait-seconds=8'],
});
const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });
const VCS = { ...VIRTUALCLUSTERS, namespace: ns };

function vcSpec(
  secretName: string,
  count: number,
  extra: Record<string, unknown> = {},
  workers: Record<string, unknown> = {},
) {
  return slurmSpec(count, { secretName, workers, extra });
}

async function createVC(
  name: string,
  secretName: string,
  count: number,
  extra: Record<string, unknown> = {},
  workers: Record<string, unknown> = {},
): Promise<VC> {
  return (await co.createNamespacedCustomObject({
    ...VCS,
    body: {
      apiVersion: 'hpc.scailfin.io/v1alpha1',
      kind: 'VirtualCluster',
      metadata: { name },
      spec: vcSpec(secretName, count, extra, workers),
    },
  })) as VC;
}

const getVC = (name: string) => getVirtualCluster(co, ns, name);

const waitVC = (name: string, what: string, ok: (vc: VC) => boolean, timeoutMs?: number) =>
  waitVirtualCluster(co, ns, name, what, ok, timeoutMs);

/** Our pilots in SLURM for this VirtualCluster (active ones only), over the test's SSH connection. */
function activePilots(vc: VC): Promise<string[]> {
  return sitePilots(vc, ssh);
}

/** The pilot names among the pool's slots of VirtualCluster `name`. */
const joinedSlots = async (name: string) => (await slotsOf(ns, name)).map((s) => s.pilot);

/** Stops or starts the site's sshd inside its namespaces: the site becomes unreachable over SSH. */
function siteSshd(action: 'stop' | 'start'): void {
  const init = readFileSync(join(STACK, 'pids/site.init'), 'utf8').trim();
  const enter = ['-t', init, '-n', '-m', '-u', '-p', '--'];
  // sshd-session: OpenSSH >= 9.8 serves each established connection from its own process.
  if (action === 'stop')
    execFileSync('nsenter', [...enter, 'sh', '-c', 'pkill -x sshd; pkill -x sshd-session; true']);
  else execFileSync('nsenter', [...enter, '/usr/sbin/sshd', '-e']);
}

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

describe('VirtualCluster on the SLURM site', () => {
  it('sends 2 pilots that join the pool, runs HPCJobs on them, scales to 0 and cleans up when deleted', async () => {
    const created = await createVC('grow', 'site-ssh', 2);
    const running = await waitVC(
      'grow',
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
    expect((await activePilots(created)).sort()).toHaveLength(2);
    expect((await joinedSlots('grow')).sort()).toEqual((await activePilots(created)).sort());
    const printed = execFileSync('kubectl', ['get', 'virtualclusters', '-n', ns, 'grow'], {
      env: process.env,
    }).toString();
    expect(printed.split('\n')[0]?.split(/\s+/)).toEqual([
      'NAME',
      'PHASE',
      'REQUESTED',
      'QUEUED',
      'RUNNING',
      'ERROR',
      'AGE',
    ]);
    expect(printed.split('\n')[1]).toMatch(/^grow\s+Running\s+2\s+0\s+2\s+0\s+/);

    // HPCJobs that name the VirtualCluster run on the pilots, at the site.
    // (The pilots offer 512Mi each: the jobs ask for less, or they would never match.)
    await Promise.all(
      [1, 2, 3].map((i) =>
        createHPCJob(kc, ns, `on-vc-${i}`, {
          virtualClusterRef: { name: 'grow' },
          command: ['/bin/sh', '-c', 'hostname'],
          resources: { memory: '128Mi' },
        }),
      ),
    );
    for (const i of [1, 2, 3]) {
      const j = await waitForPhase(kc, ns, `on-vc-${i}`, ['Succeeded', 'Failed']);
      expect(j.status?.phase).toBe('Succeeded');
      expect(j.status?.attempts?.[0]?.host).toMatch(/@hp[0-9a-f]{8}-\d+-\d+@hpc-site$/);
    }
    // One that asks for the default 1Gi can never match: it is submitted, and says why it will wait.
    await createHPCJob(kc, ns, 'too-big', { virtualClusterRef: { name: 'grow' }, command: ['true'] });
    const tooBig = await waitFor('the too-big HPCJob to say no worker fits', async () => {
      const j = await waitForPhase(kc, ns, 'too-big', ['Queued', 'Pending', 'Failed']);
      const c = j.status?.conditions?.find((x) => x.type === 'VirtualClusterReady');
      return c?.reason === 'NoWorkerFits' ? c : undefined;
    });
    expect(tooBig.message).toContain('1024 MiB');
    expect(tooBig.message).toContain('site1: 1 cores, 512 MiB');
    await waitFor('a NoWorkerFits warning', async () =>
      (await eventsFor(kc, ns, 'too-big')).some((e) => e.reason === 'NoWorkerFits' && e.type === 'Warning'),
    );
    await co.deleteNamespacedCustomObject({ ...HPCJOBS, namespace: ns, name: 'too-big' });

    // Scale to 0: the (now idle) pilots are cancelled and leave the pool.
    await co.patchNamespacedCustomObject(
      { ...VCS, name: 'grow', body: { spec: vcSpec('site-ssh', 0) } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const empty = await waitVC(
      'grow',
      'no pilots',
      (v) =>
        v.status?.workers?.queued === 0 &&
        v.status.workers?.running === 0 &&
        v.status.workers?.requested === 0,
    );
    expect(empty.status?.phase).toBe('Running');
    expect(await activePilots(created)).toEqual([]);
    await waitFor(
      'the pilots to leave the pool',
      async () => (await joinedSlots('grow')).length === 0,
      60_000,
    );
    expect(await eventReasons(kc, ns, 'grow', ['PilotsSubmitted', 'PilotsCancelled'])).toEqual(
      expect.arrayContaining(['PilotsSubmitted', 'PilotsCancelled']),
    );

    // Deletion: the finalizer confirms no pilot is left and removes the token from the site.
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'grow' });
    await waitFor('the VirtualCluster to be gone', async () => (await getVC('grow')) === undefined, 60_000);
    const token = await ssh.exec(['sh', '-c', `ls ~/.hpcop/${uidOf(created).slice(0, 8)}-site1/`]);
    expect(token.stdout).not.toContain('pilot.token');
  });

  it('refuses a wrong SSH key and an unknown host key with a clear condition, submitting nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-badkey-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const wrongHost = `${env.HPC_SITE_HOST} ${readFileSync(join(dir, 'k.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}`;
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'wrong-key' },
        stringData: { 'ssh-privatekey': readFileSync(join(dir, 'k'), 'utf8'), known_hosts: login.knownHosts },
      },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'wrong-host' },
        stringData: { 'ssh-privatekey': login.privateKey, known_hosts: wrongHost },
      },
    });
    const badKey = await createVC('bad-key', 'wrong-key', 1);
    const badHost = await createVC('bad-host', 'wrong-host', 1);
    const k = await waitVC(
      'bad-key',
      'CredentialsValid=False',
      (v) => condition(v, 'CredentialsValid')?.status === 'False',
    );
    expect(condition(k, 'CredentialsValid')?.message).toMatch(/refused the SSH key/);
    expect(k.status?.phase).toBe('Failed');
    const h = await waitVC(
      'bad-host',
      'CredentialsValid=False',
      (v) => condition(v, 'CredentialsValid')?.status === 'False',
    );
    expect(condition(h, 'CredentialsValid')?.message).toMatch(/does not match the pinned key/);
    expect(await activePilots(badKey)).toEqual([]);
    expect(await activePilots(badHost)).toEqual([]);
    for (const name of ['bad-key', 'bad-host']) await co.deleteNamespacedCustomObject({ ...VCS, name });
  });

  it('is Degraded while the site is unreachable and recovers without a burst of pilots', async () => {
    const vc = await createVC('flaky', 'site-ssh', 2);
    await waitVC('flaky', 'Running', (v) => v.status?.phase === 'Running' && v.status.workers?.running === 2);
    siteSshd('stop');
    try {
      const degraded = await waitVC('flaky', 'Degraded', (v) => v.status?.phase === 'Degraded');
      expect(condition(degraded, 'SiteReachable')).toMatchObject({ status: 'False', reason: 'Unreachable' });
      // Counts keep their last known values rather than dropping to zero.
      expect(degraded.status?.workers?.running).toBe(2);
    } finally {
      siteSshd('start');
    }
    const back = await waitVC(
      'flaky',
      'Running again',
      (v) => v.status?.phase === 'Running' && condition(v, 'SiteReachable')?.status === 'True',
    );
    expect(back.status?.workers).toMatchObject({ requested: 2, running: 2 });
    // No pilot was submitted while blind or after: still the first two.
    expect(back.status?.allocations?.[0]?.nextSequence).toBe(2);
    expect((await activePilots(vc)).length).toBe(2);
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'flaky' });
    await waitFor('the VirtualCluster to be gone', async () => (await getVC('flaky')) === undefined, 60_000);
    expect(await activePilots(vc)).toEqual([]);
  });

  it('grows with queued HPCJobs between min and max, and shrinks back when they are done', async () => {
    const vc = await createVC('auto', 'site-ssh', 0, {}, { autoscale: 'QueuedJobs', min: 0, max: 2 });
    const idle = await waitVC('auto', 'Running with no demand', (v) => v.status?.phase === 'Running');
    expect(idle.status?.workers).toMatchObject({ requested: 0, queued: 0, running: 0 });
    await Promise.all(
      [1, 2, 3].map((i) =>
        createHPCJob(kc, ns, `auto-${i}`, {
          virtualClusterRef: { name: 'auto' },
          command: ['/bin/sleep', '3'],
          resources: { memory: '128Mi' },
        }),
      ),
    );
    // Three one-core jobs, max two pilots: never more than two.
    const grown = await waitVC(
      'auto',
      'two pilots',
      (v) => v.status?.workers?.requested === 2 && v.status.workers?.running === 2,
    );
    expect(grown.status?.workers?.requested).toBe(2);
    for (const i of [1, 2, 3])
      expect((await waitForPhase(kc, ns, `auto-${i}`, ['Succeeded', 'Failed'])).status?.phase).toBe(
        'Succeeded',
      );
    await waitVC(
      'auto',
      'back to no pilots',
      (v) =>
        v.status?.workers?.requested === 0 &&
        v.status.workers?.running === 0 &&
        v.status.workers?.queued === 0,
    );
    expect(await activePilots(vc)).toEqual([]);
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'auto' });
  });

  it('terminates at the end of its lifetime, cancelling its pilots', async () => {
    const vc = await createVC('short', 'site-ssh', 1, { lifetime: '25s' });
    await waitVC('short', 'a running pilot', (v) => v.status?.workers?.running === 1);
    const ended = await waitVC('short', 'Terminated', (v) => v.status?.phase === 'Terminated', 90_000);
    expect(ended.status?.workers).toMatchObject({ queued: 0, running: 0 });
    expect(await activePilots(vc)).toEqual([]);
    expect(await eventReasons(kc, ns, 'short', ['Terminated'])).toContain('Terminated');
    // HPCJobs that name a terminated VirtualCluster wait, then fail after the configured deadline.
    await createHPCJob(kc, ns, 'late', { virtualClusterRef: { name: 'short' }, command: ['true'] });
    const late = await waitForPhase(kc, ns, 'late', ['Failed'], 60_000);
    expect(late.status?.conditions?.find((c) => c.type === 'VirtualClusterReady')).toMatchObject({
      status: 'False',
      reason: 'NotUsable',
    });
    expect(late.status?.message).toContain('VirtualCluster short is Terminated');
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'short' });
  });

  it('defect 8: removed or changed allocation leaves pilots and the pool token on the site', async () => {
    const vc = await createVC('moving', 'site-ssh', 2);
    await waitVC(
      'moving',
      'Running with 2 pilots',
      (v) => v.status?.phase === 'Running' && v.status.workers?.running === 2,
    );
    const uid8 = uidOf(vc).slice(0, 8);
    const first = (await activePilots(vc)).sort();
    /** The pilot tokens of this VirtualCluster on the site, whatever the cache directory. */
    const tokens = async () =>
      (await ssh.exec(['sh', '-c', 'ls -d ~/.hpcop*/*/pilot.token 2>/dev/null || true'])).stdout
        .split('\n')
        .filter((l) => l.includes(`/${uid8}-`))
        .map((l) => l.replace(/^.*\/(\.hpcop[^/]*)\//, '$1/'));
    expect(await tokens()).toEqual([`.hpcop/${uid8}-site1/pilot.token`]);

    // A new cacheDir: the same batch system lists the old pilots; they are replaced, the old token goes.
    await co.patchNamespacedCustomObject(
      {
        ...VCS,
        name: 'moving',
        body: [{ op: 'add', path: '/spec/allocations/0/condor/cacheDir', value: '~/.hpcop-moved' }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await waitFor(
      'the old pilots and the old token gone, 2 new pilots on the site',
      async () => {
        const now = await activePilots(vc);
        const t = await tokens();
        return (
          now.length === 2 &&
          !now.some((p) => first.includes(p)) &&
          t.length === 1 &&
          t[0]?.startsWith('.hpcop-moved/')
        );
      },
      180_000,
      1000,
    );
    const moved = await waitVC('moving', 'one recorded place', (v) => v.status?.sites?.length === 1);
    expect(moved.status?.sites?.[0]).toMatchObject({
      allocation: 'site1',
      directory: `~/.hpcop-moved/${uid8}-site1`,
    });

    // The allocation removed: its pilots are cancelled and its token removed, with nothing left in the spec.
    await co.patchNamespacedCustomObject(
      { ...VCS, name: 'moving', body: [{ op: 'replace', path: '/spec/allocations', value: [] }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await waitFor(
      'no pilot and no token left on the site',
      async () => (await activePilots(vc)).length === 0 && (await tokens()).length === 0,
      120_000,
      1000,
    );
    await waitVC('moving', 'no recorded place', (v) => (v.status?.sites ?? []).length === 0);
    expect(await eventReasons(kc, ns, 'moving', ['SiteCleaned'])).toContain('SiteCleaned');
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'moving' });
    await waitFor('the VirtualCluster to be gone', async () => (await getVC('moving')) === undefined, 60_000);
  });

  it('keeps an HPCJob that names a missing VirtualCluster waiting with a condition', async () => {
    await createHPCJob(kc, ns, 'orphan', { virtualClusterRef: { name: 'nowhere' }, command: ['true'] });
    const waiting = await waitFor('the HPCJob to say what it waits for', async () => {
      const j = await waitForPhase(kc, ns, 'orphan', ['Pending', 'Failed']);
      return j.status?.conditions?.some((c) => c.type === 'VirtualClusterReady') ? j : undefined;
    });
    expect(waiting.status?.conditions?.find((c) => c.type === 'VirtualClusterReady')).toMatchObject({
      status: 'False',
      reason: 'NotFound',
    });
    const failed = await waitForPhase(kc, ns, 'orphan', ['Failed'], 60_000);
    expect(failed.status?.message).toContain('VirtualCluster nowhere does not exist');
  });
});

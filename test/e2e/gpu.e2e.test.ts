/**
 * GPU workers end to end on the local stack: a VirtualCluster with workers.gpus on the real SLURM site, grown
 * by a queued GPU step, a real pilot whose startd runs HTCondor's GPU discovery and joins the real pool, and the
 * step running there with the device HTCondor assigned it. The stack has no GPU and its SLURM no GRES, so the
 * operator passes HTCondor's documented simulation to the pilots (--pilot-gpu-discovery-extra=-simulate:4,2:
 * two A100s) and the SLURM allocation asks for none (gpuRequest None). On the site's real Son of Grid Engine
 * the pilots do ask for theirs (`-l gpu=2`): the test defines a `gpu` consumable of 2 on the host for its own
 * run (and removes it), and SGE runs one such pilot and holds the second back. The other batch systems' GPU
 * directives are checked in src/sites/batch.test.ts; the CRD's GPU rules by the real API server.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CollectorClient } from '../../src/condor/collector.js';
import { adNumber, adString } from '../../src/condor/parse.js';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';
import { sge } from '../../src/sites/batch.js';
import { SshTransport } from '../../src/sites/ssh.js';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  eventsFor,
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
  STACK,
  uniqueName,
  waitFor,
} from '../support/stack/stack.js';
import {
  activePilots,
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  getVirtualCluster,
  sgeSpec,
  slurmSpec,
  VIRTUALCLUSTERS,
  waitVirtualCluster,
} from './helpers/site.js';

const kc = kubeConfig();
const env = loadStackEnv();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-gpu');
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [...FAST_PILOT_ARGS, '--pilot-gpu-discovery-extra=-simulate:4,2'],
});
const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });
const VCS = { ...VIRTUALCLUSTERS, namespace: ns };

function createVC(name: string, spec: Record<string, unknown>): Promise<VC> {
  return co.createNamespacedCustomObject({
    ...VCS,
    body: { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'VirtualCluster', metadata: { name }, spec },
  }) as Promise<VC>;
}

const waitVC = (name: string, what: string, ok: (vc: VC) => boolean, timeoutMs?: number) =>
  waitVirtualCluster(co, ns, name, what, ok, timeoutMs);

/** The pilots' partitionable slots of VirtualCluster `name` in the pool, with their GPU attributes. */
async function gpuSlots(name: string) {
  const ads = await new CollectorClient(condorCli(), env.HPC_COLLECTOR).slots(
    `VirtualCluster == "${ns}/${name}" && SlotType == "Partitionable"`,
    ['HPCPilot', 'TotalSlotGPUs', 'GPUs', 'DetectedGPUs'],
  );
  return ads.map((a) => ({
    pilot: adString(a, 'HPCPilot'),
    total: adNumber(a, 'TotalSlotGPUs'),
    free: adNumber(a, 'GPUs'),
    detected: adString(a, 'DetectedGPUs'),
  }));
}

/** Runs `script` as the SGE admin inside the site's namespaces (what a site admin does with qconf). */
function sgeAdmin(script: string): string {
  const init = readFileSync(`${STACK}/pids/site.init`, 'utf8').trim();
  const r = spawnSync(
    'nsenter',
    ['-t', init, '-n', '-m', '-u', '-p', '--', 'runuser', '-u', 'sgeadmin', '--', 'sh', '-c', script],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`qconf as sgeadmin failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * The `gpu` consumable, counted per job, with 2 on the site's host: defined for this test only (no other test
 * asks for `gpu`) and removed afterwards, when this test added it.
 */
const SGE_GPU = {
  added: false,
  add(): void {
    if (/^gpu\s/m.test(sgeAdmin('qconf -sc'))) return;
    sgeAdmin(
      'f=$(mktemp) && qconf -sc > "$f" && echo "gpu gpu INT <= YES JOB 0 0" >> "$f" && qconf -Mc "$f"; r=$?; rm -f "$f"; exit $r',
    );
    sgeAdmin('qconf -aattr exechost complex_values gpu=2 hpc-site');
    this.added = true;
  },
  remove(): void {
    if (!this.added) return;
    sgeAdmin('qconf -dattr exechost complex_values gpu=2 hpc-site');
    sgeAdmin(
      'f=$(mktemp) && qconf -sc | grep -v "^gpu " > "$f" && qconf -Mc "$f"; r=$?; rm -f "$f"; exit $r',
    );
    this.added = false;
  },
};

let stopKeeping = () => {};

beforeAll(async () => {
  await installCRDs(kc);
  // A run from an older checkout would drop workers.gpus from what this test writes and reads.
  stopKeeping = keepCRDsInstalled(
    kc,
    (spec) => spec?.properties?.allocations?.items?.properties?.workers?.properties?.gpus !== undefined,
  );
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await op.start();
});

afterAll(async () => {
  stopKeeping();
  // Pilots first: a consumable that queued jobs still ask for cannot be removed.
  await deleteTestObjects(co, ns);
  SGE_GPU.remove();
  ssh.close();
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('GPU workers on the SLURM site (simulated GPUs: HTCondor -simulate, no GRES)', () => {
  it('a GPU step grows a pilot with 2 GPUs, runs there with CUDA_VISIBLE_DEVICES, and the status counts the GPUs', async () => {
    const vc = await createVC(
      'gpus',
      slurmSpec(0, { workers: { autoscale: 'QueuedJobs', min: 0, max: 1, gpus: 2, gpuRequest: 'None' } }),
    );
    const idle = await waitVC('gpus', 'Running with no demand', (v) => v.status?.phase === 'Running');
    expect(idle.status?.gpus).toEqual({ requested: 0, busy: 0, idle: 0 });

    // The step waits on the site for a go file, so that the test sees it holding its GPU.
    const home = (await ssh.exec(['sh', '-c', 'printf %s "$HOME"'])).stdout;
    const go = `${home}/.${ns}-go`;
    await createHPCJob(kc, ns, 'on-gpu', {
      virtualClusterRef: { name: 'gpus' },
      command: [
        '/bin/sh',
        '-c',
        `echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"; i=0; until [ -e '${go}' ] || [ $i -ge 600 ]; do sleep 1; i=$((i+1)); done`,
      ],
      resources: { gpus: 1, memory: '128Mi' },
    });

    // The GPU step's demand asks for one pilot of the GPU allocation: 2 GPUs requested.
    const grown = await waitVC('gpus', 'one pilot requested', (v) => v.status?.workers?.requested === 1);
    expect(grown.status?.gpus?.requested).toBe(2);
    const busy = await waitVC(
      'gpus',
      'one GPU busy and one idle',
      (v) => v.status?.gpus?.busy === 1 && v.status.gpus.idle === 1,
      180_000,
    );
    expect(busy.status?.gpus).toEqual({ requested: 2, busy: 1, idle: 1 });
    expect(busy.status?.allocations?.[0]?.gpus).toEqual({ requested: 2, busy: 1, idle: 1 });
    expect(busy.status?.message).toContain('GPUs: 2 requested, 1 busy, 1 idle');

    // The pilot's startd found the two simulated GPUs and advertises them.
    const [pilot] = await activePilots(vc, ssh);
    const slots = await gpuSlots('gpus');
    expect(slots).toEqual([
      { pilot, total: 2, free: 1, detected: expect.stringMatching(/^GPU-\w+, GPU-\w+$/) },
    ]);
    const wide = execFileSync('kubectl', ['get', 'virtualclusters', '-n', ns, 'gpus', '-o', 'wide'], {
      env: process.env,
    }).toString();
    expect(wide.split('\n')[0]?.split(/\s+/)).toEqual(expect.arrayContaining(['GPUS', 'BUSY-GPUS']));
    expect(wide.split('\n')[1]).toMatch(/^gpus\s+Running\s+1\s+0\s+1\s+0\s+2\s+1\s+/);

    await ssh.exec(['touch', go]);
    try {
      const done = await waitForPhase(kc, ns, 'on-gpu', ['Succeeded', 'Failed']);
      expect(done.status?.phase).toBe('Succeeded');
      expect(done.status?.attempts?.[0]?.host).toContain(`@${pilot}-`);
      // The device HTCondor assigned the step, one of the two the pilot found.
      const out = readFileSync(done.status?.logs?.stdout as string, 'utf8');
      expect(out).toMatch(/^CUDA_VISIBLE_DEVICES=GPU-\w+\n$/);
      expect(slots[0]?.detected?.split(', ')).toContain(out.trim().split('=')[1]);
    } finally {
      await ssh.exec(['rm', '-f', go]);
    }

    // Nothing queued any more: the pilot is cancelled and no GPU is requested.
    const shrunk = await waitVC(
      'gpus',
      'no pilots',
      (v) =>
        v.status?.workers?.requested === 0 && v.status.workers.running === 0 && v.status.workers.queued === 0,
    );
    expect(shrunk.status?.gpus).toEqual({ requested: 0, busy: 0, idle: 0 });
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'gpus' });
    await waitFor(
      'the VirtualCluster to be gone',
      async () => (await getVirtualCluster(co, ns, 'gpus')) === undefined,
    );
  });

  it('a step asking for more GPUs than any worker has waits and says why, growing nothing', async () => {
    await createVC(
      'small',
      slurmSpec(0, { workers: { autoscale: 'QueuedJobs', min: 0, max: 1, gpus: 2, gpuRequest: 'None' } }),
    );
    await createHPCJob(kc, ns, 'too-many', {
      virtualClusterRef: { name: 'small' },
      command: ['true'],
      resources: { gpus: 4, memory: '128Mi' },
    });
    const why = await waitFor('the step to say no worker fits', async () => {
      const j = await waitForPhase(kc, ns, 'too-many', ['Pending', 'Queued', 'Failed']);
      const c = j.status?.conditions?.find((x) => x.type === 'VirtualClusterReady');
      return c?.reason === 'NoWorkerFits' ? c : undefined;
    });
    expect(why.message).toContain('1 cores, 128 MiB and 4 GPUs');
    expect(why.message).toContain('site1: 1 cores, 512 MiB, 2 GPUs');
    await waitFor('a NoWorkerFits warning', async () =>
      (await eventsFor(kc, ns, 'too-many')).some((e) => e.reason === 'NoWorkerFits'),
    );
    // Its GPUs could not be served by a pilot of this VirtualCluster: none was asked for.
    const vc = await waitVC('small', 'Running', (v) => v.status?.phase === 'Running');
    expect(vc.status?.workers?.requested).toBe(0);
    expect(vc.status?.gpus).toEqual({ requested: 0, busy: 0, idle: 0 });
    await co.deleteNamespacedCustomObject({ ...VCS, plural: 'hpcjobs', name: 'too-many' });
    await co.deleteNamespacedCustomObject({ ...VCS, name: 'small' });
  });

  it('the API server refuses a GPU model a directive cannot carry, or a batch system cannot ask for', async () => {
    const refused = async (spec: Record<string, unknown>) => {
      try {
        await createVC(uniqueName('bad').slice(0, 40), spec);
        return 'accepted';
      } catch (e) {
        return String((e as k8s.ApiException<unknown>).body);
      }
    };
    expect(await refused(slurmSpec(0, { workers: { gpus: 1, gpuType: 'a100:8,mps:100' } }))).toContain(
      'workers.gpuType may hold only letters, digits',
    );
    expect(await refused(slurmSpec(0, { workers: { gpuType: 'a100' } }))).toContain(
      'workers.gpuType needs workers.gpus above 0',
    );
    expect(await refused(sgeSpec(0, { workers: { gpus: 1, gpuType: 'a100' } }))).toContain(
      'workers.gpuType is only understood by slurm and lsf',
    );
  });
});

describe('GPU workers on the real Son of Grid Engine (a gpu consumable of 2, simulated devices)', () => {
  it('asks SGE for the GPUs: one pilot runs with -l gpu=2, the second waits for them; a GPU step runs', async () => {
    SGE_GPU.add();
    const vc = await createVC('grid-gpus', sgeSpec(2, { workers: { gpus: 2 } }));
    // SGE starts one pilot; the second asks for GPUs the host no longer has and stays queued.
    const split = await waitVC(
      'grid-gpus',
      'one pilot running (joined), one queued',
      (v) => v.status?.workers?.running === 1 && v.status.workers.queued === 1 && v.status.workers.idle === 1,
      180_000,
    );
    expect(split.status?.gpus).toEqual({ requested: 4, busy: 0, idle: 2 });
    const jobs = (await ssh.exec(sge.list(login.username))).stdout;
    const ours = sge
      .parseList(jobs)
      .filter((j) => j.name.startsWith(split.status?.sites?.[0]?.pilotPrefix ?? '?'));
    expect(ours.map((j) => j.state).sort()).toEqual(['queued', 'running']);
    // The running pilot holds the host's two GPUs (hc: the consumable's value left).
    const left = (await ssh.exec(['qstat', '-F', 'gpu', '-q', 'all.q@hpc-site'])).stdout;
    expect(left).toMatch(/hc:gpu=0/);
    const running = ours.find((j) => j.state === 'running');
    const detail = (await ssh.exec(['qstat', '-j', running?.id ?? '?'])).stdout;
    expect(detail).toMatch(/hard resource_list:.*gpu=2/);

    await createHPCJob(kc, ns, 'on-grid-gpu', {
      virtualClusterRef: { name: 'grid-gpus' },
      command: ['/bin/sh', '-c', 'echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"'],
      resources: { gpus: 1, memory: '128Mi' },
    });
    const done = await waitForPhase(kc, ns, 'on-grid-gpu', ['Succeeded', 'Failed']);
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.attempts?.[0]?.host).toContain(`@${running?.name}-${running?.id}@`);
    expect(readFileSync(done.status?.logs?.stdout as string, 'utf8')).toMatch(
      /^CUDA_VISIBLE_DEVICES=GPU-\w+\n$/,
    );

    await co.deleteNamespacedCustomObject({ ...VCS, name: 'grid-gpus' });
    await waitFor(
      'the VirtualCluster to be gone',
      async () => (await getVirtualCluster(co, ns, 'grid-gpus')) === undefined,
      120_000,
    );
    expect(await activePilots(vc, ssh, sge)).toEqual([]);
  });
});

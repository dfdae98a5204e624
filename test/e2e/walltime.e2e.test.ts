/**
 * Walltime-aware pilots end to end on the local stack's real SLURM site and HTCondor pool: pilots of three
 * minutes (their daemons stop taking steps and shut down after 162 s) and a stream of steps of 60 s that need
 * 65 s plus a 10 s margin each, so that a pilot has time for two of them and would be killed in a third. A
 * pilot advertises its end (HPCPilotEnd); a step starts only where it ends first; every step runs once and
 * finishes. A step longer than a three-minute pilot can take makes the operator replace the idle pilots with
 * a longer one (up to maxWalltime).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CollectorClient } from '../../src/condor/collector.js';
import { adNumber } from '../../src/condor/parse.js';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';
import { pilotLifetimeSeconds } from '../../src/sites/pilot.js';
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
import { condorCli, kubeConfig, loadStackEnv, STACK, uniqueName, waitFor } from '../support/stack/stack.js';
import {
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  slurmSpec,
  VIRTUALCLUSTERS,
} from './helpers/site.js';

const kc = kubeConfig();
const env = loadStackEnv();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-wall');
const op = new OperatorProcess({ namespace: ns, operatorId: ns, extraArgs: FAST_PILOT_ARGS });
const VCS = { ...VIRTUALCLUSTERS, namespace: ns };

/** How often each of the test's HTCondor jobs started (NumJobStarts), from the queue and the history. */
function jobStarts(): Map<string, number> {
  const starts = new Map<string, number>();
  const where = ['-name', env.HPC_SCHEDD_NAME as string, '-pool', env.HPC_COLLECTOR as string];
  for (const tool of ['condor_q', 'condor_history']) {
    const out = execFileSync(
      join(STACK, 'bin', tool),
      [...where, '-constraint', `HPCOperator == "${ns}"`, '-af', 'HPCJobRef', 'NumJobStarts'],
      { env: process.env, encoding: 'utf8' },
    );
    for (const line of out.split('\n')) {
      const [ref, n] = line.trim().split(/\s+/);
      if (ref && n && !starts.has(ref)) starts.set(ref, Number(n));
    }
  }
  return starts;
}

/** The pilot (its name) a step's attempt ran on: slot1_1@<pilot>-<SLURM job id>@hpc-site. */
const pilotOf = (host: string | undefined) => /@(hp[0-9a-f]{8}-\d+)-\d+@/.exec(host ?? '')?.[1];

/**
 * Creates the VirtualCluster with this checkout's CRDs in place: the API server drops fields its CRD does not
 * know, and a test run from an older checkout may have replaced it. The stored object is checked.
 */
async function createVC(name: string, spec: Record<string, unknown>): Promise<VC> {
  await installCRDs(kc);
  const vc = (await co.createNamespacedCustomObject({
    ...VCS,
    body: { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'VirtualCluster', metadata: { name }, spec },
  })) as VC;
  expect([vc.spec.steps?.walltimeMargin, vc.spec.allocations?.[0]?.maxWalltime]).toEqual(['10s', '5m']);
  return vc;
}

/** Three-minute pilots (up to five for long steps), at most two at once, grown by the queued steps. */
const spec = () => {
  const s = slurmSpec(0, { workers: { autoscale: 'QueuedJobs', min: 0, max: 2 } });
  Object.assign(s.allocations[0] as Record<string, unknown>, { walltime: '3m', maxWalltime: '5m' });
  return { ...s, steps: { defaultWalltime: '65s', walltimeMargin: '10s' } };
};

const step = (name: string, seconds: number, walltime?: string) =>
  createHPCJob(kc, ns, name, {
    virtualClusterRef: { name: 'short' },
    command: ['/bin/sleep', String(seconds)],
    resources: { memory: '128Mi', ...(walltime ? { walltime } : {}) },
  });

let stopKeeping = () => {};

beforeAll(async () => {
  await installCRDs(kc);
  stopKeeping = keepCRDsInstalled(kc, (spec) => spec?.properties?.steps !== undefined);
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await op.start();
});

afterAll(async () => {
  stopKeeping();
  // The operator's finalizers remove the jobs and cancel the pilots on the shared stack before it stops.
  await deleteTestObjects(co, ns);
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('walltime-aware pilots on the SLURM site', () => {
  it('a stream of steps close to the pilots\u2019 walltime: each runs once, on a pilot that outlives it', async () => {
    await createVC('short', spec());
    // Three steps with a walltime of their own, one with the VirtualCluster's default (65 s).
    const names = ['s1', 's2', 's3', 's4'];
    await Promise.all([step('s1', 60, '65s'), step('s2', 60, '65s'), step('s3', 60, '65s'), step('s4', 60)]);
    // Each pilot advertises its end: its start plus its lifetime (three minutes less a tenth).
    const lifetime = pilotLifetimeSeconds(180);
    const ads = await waitFor('a pilot advertising HPCPilotEnd', async () => {
      const found = await new CollectorClient(condorCli(), env.HPC_COLLECTOR).slots(
        `VirtualCluster == "${ns}/short" && SlotType == "Partitionable"`,
        ['HPCPilotEnd', 'DaemonStartTime'],
      );
      return found.length > 0 ? found : undefined;
    });
    for (const ad of ads) {
      const left = (adNumber(ad, 'HPCPilotEnd') ?? 0) - (adNumber(ad, 'DaemonStartTime') ?? 0);
      expect([left > lifetime - 10, left <= lifetime]).toEqual([true, true]);
    }
    const done = [];
    for (const name of names) done.push(await waitForPhase(kc, ns, name, ['Succeeded', 'Failed'], 400_000));
    expect(done.map((j) => [j.metadata.name, j.status?.phase, j.status?.attempt])).toEqual(
      names.map((n) => [n, 'Succeeded', 1]),
    );
    // No pilot's end cut a step short: each HTCondor job started exactly once and ran its whole minute.
    const starts = jobStarts();
    expect(names.map((n) => starts.get(`${ns}/${n}`))).toEqual([1, 1, 1, 1]);
    for (const j of done) {
      const a = j.status?.attempts?.[0];
      expect(Date.parse(a?.endTime ?? '') - Date.parse(a?.startTime ?? '')).toBeGreaterThanOrEqual(60_000);
    }
    // A pilot had time for two such steps: none took a third, which its end would have killed.
    const perPilot = new Map<string, number>();
    for (const j of done) {
      const p = pilotOf(j.status?.attempts?.[0]?.host) ?? '?';
      perPilot.set(p, (perPilot.get(p) ?? 0) + 1);
    }
    expect(perPilot.has('?')).toBe(false);
    expect(Math.max(...perPilot.values())).toBeLessThanOrEqual(2);
  });

  it('a step longer than a three-minute pilot gets a pilot long enough for it, and finishes', async () => {
    await step('long', 100, '150s');
    const long = await waitForPhase(kc, ns, 'long', ['Succeeded', 'Failed'], 400_000);
    expect([long.status?.phase, long.status?.attempt]).toEqual(['Succeeded', 1]);
    expect(jobStarts().get(`${ns}/long`)).toBe(1);
    // 150 s of walltime and the 10 s margin after a minute's start-up, within the pilot's lifetime (90 %):
    // the idle three-minute pilots, with less than that left, were replaced.
    const notes = (await eventsFor(kc, ns, 'short'))
      .filter((e) => e.reason === 'PilotsSubmitted')
      .map((e) => e.note ?? '');
    expect(notes).toContain(
      `1 pilot(s) submitted to slurm on ${env.HPC_SITE_HOST} (allocation site1), walltime 00:04:04 for the queued steps`,
    );
  }, 480_000);
});

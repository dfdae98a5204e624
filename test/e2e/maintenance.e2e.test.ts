/**
 * Maintenance windows on the real site: an administrator's reservation (SLURM `flags=maint`, an SGE advance
 * reservation by root) ten hours ahead, and a VirtualCluster whose pilots ask for twelve: the operator reads
 * the reservation over SSH, submits pilots that end before it (the batch system's own time limit says so),
 * and says why in SiteMaintenance and an Event. The reservation starts hours ahead so that the other tests'
 * pilots (walltime 1h) are not held back by it; waiting out a window that is on is shown by the unit tests.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import type { VirtualCluster as VC } from '../../src/crds/virtualcluster.js';
import { sge, slurm } from '../../src/sites/batch.js';
import { SshTransport } from '../../src/sites/ssh.js';
import { createNamespace, deleteNamespace, eventReasons, installCRDs } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, siteLogin, uniqueName, waitFor } from '../support/stack/stack.js';
import {
  activePilots,
  asSiteRoot,
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  getVirtualCluster,
  sgeSpec,
  slurmSpec,
  vcCondition,
  VIRTUALCLUSTERS,
  waitVirtualCluster,
} from './helpers/site.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-maint');
const op = new OperatorProcess({ namespace: ns, operatorId: ns, extraArgs: FAST_PILOT_ARGS });
const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });
/** The same name for the SLURM reservation and the SGE advance reservation. */
const reservation = uniqueName('maint');
const HOUR = 3600;

let sgeReservation = '';

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  asSiteRoot(
    `scontrol create reservation reservationname=${reservation} starttime=now+10hours duration=60 nodes=ALL users=root flags=maint`,
  );
  const at = asSiteRoot('date -d "+10 hours" +%m%d%H%M').trim();
  const granted = asSiteRoot(`qrsub -a ${at} -d 01:00:00 -N ${reservation} -q all.q`);
  sgeReservation = /advance reservation (\d+)/.exec(granted)?.[1] ?? '';
  await op.start();
});

afterAll(async () => {
  // A test that failed half-way leaves its VirtualCluster: deleted while the operator runs, so that its pilots
  // are cancelled rather than left to idle on the shared site.
  // Best effort: a test that failed half-way must still stop its operator and drop its namespace.
  await deleteTestObjects(co, ns).catch(() => undefined);
  await op.stop();
  ssh.close();
  asSiteRoot(
    `scontrol delete reservation=${reservation}; ${sgeReservation ? `qrdel ${sgeReservation}` : 'true'}`,
  );
  await deleteNamespace(kc, ns);
});

async function createVC(name: string, spec: Record<string, unknown>): Promise<VC> {
  return (await co.createNamespacedCustomObject({
    ...VIRTUALCLUSTERS,
    namespace: ns,
    body: { apiVersion: 'hpc.scailfin.io/v1alpha1', kind: 'VirtualCluster', metadata: { name }, spec },
  })) as VC;
}

/** What the batch system itself gives the one pilot as its time limit (s). */
async function pilotTimeLimit(vc: VC, batch: 'slurm' | 'sge'): Promise<number> {
  // The status (counting the pilot) is written before the pilot is submitted: wait for the batch system.
  const name = await waitFor('a pilot in the batch system', async () =>
    (await activePilots(vc, ssh, batch === 'slurm' ? slurm : sge)).at(0),
  );
  if (batch === 'slurm') {
    const out = (await ssh.exec(['squeue', '-h', '-n', name, '-o', '%l'])).stdout.trim();
    const [h, m, s] = out.split(':').map(Number);
    return (h ?? 0) * HOUR + (m ?? 0) * 60 + (s ?? 0);
  }
  const id = (await ssh.exec(['qstat', '-u', login.username])).stdout
    .split('\n')
    .find((l) => l.includes(name.slice(0, 10)))
    ?.trim()
    .split(/\s+/)[0];
  const job = (await ssh.exec(['qstat', '-j', id ?? ''])).stdout;
  return Number(/h_rt=(\d+)/.exec(job)?.[1]);
}

describe.each([
  ['slurm', () => slurmSpec(1)],
  ['sge', () => sgeSpec(1)],
] as const)('maintenance on the %s site', (batch, spec) => {
  it('pilots asking for 12h are sent with a walltime that ends before the reservation 10h ahead', async () => {
    const base = spec();
    const allocation = { ...base.allocations[0], walltime: '12h' };
    const vc = await createVC(`${batch}-maint`, { ...base, allocations: [allocation] });
    const seen = await waitVirtualCluster(
      co,
      ns,
      `${batch}-maint`,
      'SiteMaintenance True and a pilot queued or running',
      (v) => vcCondition(v, 'SiteMaintenance')?.status === 'True' && (v.status?.workers?.requested ?? 0) > 0,
    );
    const condition = vcCondition(seen, 'SiteMaintenance');
    expect(condition?.reason).toBe('PilotsShortened');
    expect(condition?.message).toContain(`maintenance ${reservation}`);
    const limit = await pilotTimeLimit(vc, batch);
    // Ten hours less the 5-minute margin, less the time since the reservation was made.
    expect(limit).toBeLessThanOrEqual(10 * HOUR - 300);
    expect(limit).toBeGreaterThan(9 * HOUR);
    expect(await eventReasons(kc, ns, `${batch}-maint`, ['SiteMaintenance'])).toContain('SiteMaintenance');
    // Deleted while the operator runs: its pilots are cancelled, none is left to idle on the site.
    await co.deleteNamespacedCustomObject({ ...VIRTUALCLUSTERS, namespace: ns, name: `${batch}-maint` });
    await waitFor(`${batch}-maint gone`, async () =>
      (await getVirtualCluster(co, ns, `${batch}-maint`)) ? undefined : true,
    );
    expect(await activePilots(vc, ssh, batch === 'slurm' ? slurm : sge)).toEqual([]);
  });
});

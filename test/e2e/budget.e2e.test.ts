/**
 * Allocation budgets on the real site: VirtualClusters on SLURM (finished jobs from its jobcomp file, running
 * ones from squeue) and SGE (qacct, qstat) whose budget pays for 2 of the 3 one-hour pilots they want. The
 * operator sends 2, says BudgetExhausted with a Warning Event, and shows the core-hours the running pilots use
 * as the batch system reports them.
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
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  sgeSpec,
  slurmSpec,
  vcCondition,
  VIRTUALCLUSTERS,
  waitVirtualCluster,
} from './helpers/site.js';

const kc = kubeConfig();
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const ns = uniqueName('e2e-budget');
const op = new OperatorProcess({ namespace: ns, operatorId: ns, extraArgs: FAST_PILOT_ARGS });
const login = siteLogin();
const ssh = new SshTransport({ ...login, hostKeys: [login.knownHosts] });
const SPECS = { slurm: slurmSpec(3), sge: sgeSpec(3) };

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await createSiteSecrets(kc, ns);
  await op.start();
});

afterAll(async () => {
  // Deleted while the operator runs, so that the pilots are cancelled on the shared site.
  // Best effort: a test that failed half-way must still stop its operator and drop its namespace.
  await deleteTestObjects(co, ns).catch(() => undefined);
  await op.stop();
  ssh.close();
  await deleteNamespace(kc, ns);
});

async function createVC(batch: keyof typeof SPECS): Promise<VC> {
  const base = SPECS[batch];
  const allocation = { ...base.allocations[0], walltime: '1h', budget: { coreHours: 2, period: 'Daily' } };
  return (await co.createNamespacedCustomObject({
    ...VIRTUALCLUSTERS,
    namespace: ns,
    body: {
      apiVersion: 'hpc.scailfin.io/v1alpha1',
      kind: 'VirtualCluster',
      metadata: { name: `${batch}-budget` },
      spec: { ...base, allocations: [allocation] },
    },
  })) as VC;
}

describe('allocation budgets', () => {
  it('send only the pilots the budget pays for, and show what the running ones use (SLURM and SGE)', async () => {
    const created = { slurm: await createVC('slurm'), sge: await createVC('sge') };
    for (const batch of ['slurm', 'sge'] as const) {
      const name = `${batch}-budget`;
      const held = await waitVirtualCluster(
        co,
        ns,
        name,
        'BudgetExhausted True',
        (v) => vcCondition(v, 'BudgetExhausted')?.status === 'True',
      );
      expect(vcCondition(held, 'BudgetExhausted')).toMatchObject({ reason: 'BudgetExhausted' });
      expect(vcCondition(held, 'BudgetExhausted')?.message).toMatch(
        /^allocation site1: [\d.]+ of 2 core-hours used since \d{4}-\d{2}-\d{2}T00:00:00Z; \d more pilot\(s\) of 1 core\(s\) x 1h fit, \d wanted$/,
      );
      expect(held.status?.allocations?.[0]?.budget).toMatchObject({ coreHours: 2 });
      expect(await eventReasons(kc, ns, name, ['BudgetExhausted'])).toContain('BudgetExhausted');
      const pilots = await waitFor(`${name}: 2 pilots in the batch system`, async () => {
        const p = await activePilots(created[batch], ssh, batch === 'slurm' ? slurm : sge);
        return p.length === 2 ? p : undefined;
      });
      expect(pilots).toHaveLength(2);
    }
    // Two running one-core pilots reach 0.05 core-hours (shown as 0.1) after 90 s: read from the queue.
    for (const batch of ['slurm', 'sge'] as const) {
      const used = await waitVirtualCluster(
        co,
        ns,
        `${batch}-budget`,
        'core-hours used above 0',
        (v) => Number(v.status?.allocations?.[0]?.budget?.coreHoursUsed ?? 0) > 0,
        240_000,
      );
      expect(Number(used.status?.allocations?.[0]?.budget?.coreHoursUsed)).toBeLessThan(1);
      // Still no third pilot: 2 running pilots commit the whole 2 core-hours.
      expect(await activePilots(created[batch], ssh, batch === 'slurm' ? slurm : sge)).toHaveLength(2);
    }
  }, 600_000);
});

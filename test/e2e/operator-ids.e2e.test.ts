/**
 * Two operators with different --operator-id, leader election on, their Leases in the same namespace and
 * not named explicitly: each derives its own Lease from its id, so both lead at once and each runs its own
 * namespace's HPCJobs. A second replica of one of them stands by, and /readyz and its log say on whom.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
/** Where both operators keep their Lease (as one release namespace would). */
const leases = uniqueName('e2e-leases');
const nsA = uniqueName('e2e-op-a');
const nsB = uniqueName('e2e-op-b');
const operator = (ns: string) =>
  new OperatorProcess({ namespace: ns, operatorId: ns, leaderElection: { namespace: leases } });
const a = operator(nsA);
const b = operator(nsB);
/** A second replica of operator a: same id, so same Lease. */
const a2 = operator(nsA);

const isLeader = async (op: OperatorProcess) => (await op.metric('leader_election_master_status')) === 1;
const holderOf = async (name: string) =>
  (await coordination.readNamespacedLease({ namespace: leases, name })).spec?.holderIdentity;

beforeAll(async () => {
  await installCRDs(kc);
  await Promise.all([leases, nsA, nsB].map((ns) => createNamespace(kc, ns)));
});

afterAll(async () => {
  await Promise.all([a.stop(), b.stop(), a2.stop()]);
  await Promise.all([leases, nsA, nsB].map((ns) => deleteNamespace(kc, ns)));
});

describe('operators with different ids side by side', () => {
  it('each leads on its own Lease and runs its own HPCJobs', async () => {
    await Promise.all([a.start(), b.start()]);
    await waitFor('both operators to lead', async () => (await isLeader(a)) && (await isLeader(b)), 60_000);
    // Identity is host_pid_random (src/manager.ts).
    expect(await holderOf(`${nsA}.hpc.scailfin.io`)).toContain(`_${a.pid}_`);
    expect(await holderOf(`${nsB}.hpc.scailfin.io`)).toContain(`_${b.pid}_`);
    expect(await a.readyz()).toContain(
      `[+]leader ok: leading: holds the Lease ${leases}/${nsA}.hpc.scailfin.io`,
    );

    await Promise.all([
      createHPCJob(kc, nsA, 'step', { command: ['/bin/sh', '-c', 'echo from a'] }),
      createHPCJob(kc, nsB, 'step', { command: ['/bin/sh', '-c', 'echo from b'] }),
    ]);
    const [ja, jb] = await Promise.all([
      waitForPhase(kc, nsA, 'step', ['Succeeded', 'Failed']),
      waitForPhase(kc, nsB, 'step', ['Succeeded', 'Failed']),
    ]);
    expect([ja.status?.phase, jb.status?.phase]).toEqual(['Succeeded', 'Succeeded']);
    expect(readFileSync(ja.status?.logs?.stdout as string, 'utf8')).toBe('from a\n');
    expect(readFileSync(jb.status?.logs?.stdout as string, 'utf8')).toBe('from b\n');
  });

  it('a second replica with the same id stands by, and says on whom it waits', async () => {
    await a2.start();
    const holder = (await holderOf(`${nsA}.hpc.scailfin.io`)) as string;
    const lease = `${leases}/${nsA}.hpc.scailfin.io`;
    const waiting = `[+]leader ok: standby: waiting for leadership, the Lease ${lease} is held by ${holder}`;
    await waitFor('the standby to name the holder in /readyz', async () =>
      (await a2.readyz()).includes(waiting),
    );
    expect(await isLeader(a2)).toBe(false);
    expect(readFileSync(a2.logFile, 'utf8')).toContain(
      `waiting for leadership: the Lease ${lease} is held by ${holder}`,
    );
  });
});

/**
 * Two replicas with leader election: only the leader submits; after a kill -9 of the leader the standby takes
 * the Lease once it expires and finishes the work, with no HTCondor job submitted twice.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { createNamespace, deleteNamespace, installCRDs } from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';
import { createMany, ledger, listHPCJobs, waitAllFinal, waitQueueEmpty } from './helpers/audit.js';

const kc = kubeConfig();
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
const ns = uniqueName('chaos-leader');
const JOBS = 60;
/** The LeaderElector's defaults (src/runtime/leader.ts). */
const LEASE_SECONDS = 15;

const replica = () =>
  new OperatorProcess({
    namespace: ns,
    operatorId: ns,
    leaderElection: { namespace: ns, id: ns },
    extraArgs: ['--log-level=info'],
  });
const a = replica();
const b = replica();

async function isLeader(op: OperatorProcess): Promise<boolean> {
  return (await op.metric('leader_election_master_status')) === 1;
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
});

afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
  await deleteNamespace(kc, ns);
});

describe('two operator replicas with leader election', () => {
  it('only the leader submits; the standby takes over after a kill -9 and nothing is submitted twice', async () => {
    await a.start();
    await waitFor('replica a to lead', () => isLeader(a), 60_000);
    await b.start();
    expect(await isLeader(b)).toBe(false);

    const names = Array.from({ length: JOBS }, (_, i) => `step-${i}`);
    await createMany(ns, names, { command: ['/bin/sh', '-c', 'sleep 2; echo done'] });
    await waitFor(
      'a third of the HPCJobs to be submitted',
      async () => (await listHPCJobs(ns)).filter((j) => j.status?.jobId).length >= JOBS / 3,
      180_000,
      1000,
    );
    const submitsOf = (op: OperatorProcess) =>
      op.metric('hpc_condor_command_duration_seconds_count', { command: 'condor_submit' });
    expect(await submitsOf(a)).toBeGreaterThan(0);
    expect(await submitsOf(b)).toBe(0);
    // The standby keeps warm caches but does not reconcile.
    expect(await b.metric('controller_runtime_reconcile_total')).toBe(0);

    const killedAt = Date.now();
    await a.kill9();
    await waitFor('replica b to lead', () => isLeader(b), 120_000, 250);
    const takeoverSeconds = (Date.now() - killedAt) / 1000;
    const lease = await coordination.readNamespacedLease({ namespace: ns, name: ns });
    // Identity is host_pid_random (src/manager.ts).
    expect(lease.spec?.holderIdentity).toContain(`_${b.pid}_`);
    console.log(
      `standby took over ${takeoverSeconds.toFixed(1)} s after the leader was killed (lease ${LEASE_SECONDS} s)`,
    );
    // It waits for the dead leader's Lease to expire, and not much longer (one retry period, jittered).
    expect(takeoverSeconds).toBeLessThan(2 * LEASE_SECONDS);

    // Work that arrives after the failover goes out through the new leader.
    await createMany(
      ns,
      Array.from({ length: 20 }, (_, i) => `after-${i}`),
      { command: ['/bin/sh', '-c', 'echo done'] },
    );
    const jobs = await waitAllFinal(ns, JOBS + 20, 600_000);
    await waitQueueEmpty(ns);
    expect(jobs.filter((j) => j.status?.phase !== 'Succeeded').map((j) => j.metadata.name)).toEqual([]);
    const l = await ledger(ns, jobs);
    expect(l.doubled).toEqual([]);
    expect(l.orphans).toEqual([]);
    expect(l.mismatched).toEqual([]);
    expect(l.condorJobs).toBe(JOBS + 20);
    expect(await submitsOf(b)).toBeGreaterThan(0);
    expect(await b.metric('controller_runtime_reconcile_total')).toBeGreaterThan(0);
  });
});

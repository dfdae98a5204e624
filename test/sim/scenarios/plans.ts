/**
 * Named scenarios: hand-written plans that put one fault (or one defect's situation) in front of the
 * operator, so that a test can say which behaviour it pins. `quiet` is the empty world they start from: one
 * schedd, two tenants, one replica, no faults, no crashes.
 */
import type { Fault, JobPlan, Plan, UserAction, VcPlan } from '../plan.js';
import { LOCAL_SCHEDD, MINUTE, SECOND_SCHEDD } from '../plan.js';

export function quiet(seed: number, over: Partial<Plan> = {}): Plan {
  return {
    seed,
    tenants: ['t1', 't2'],
    schedds: [LOCAL_SCHEDD],
    historyMax: 100,
    eventWindow: 1000,
    replicas: 1,
    crashBudget: 0,
    vcs: [],
    jobs: [],
    actions: [],
    faults: [],
    chaosMs: 15 * MINUTE,
    healMaxMs: 120 * MINUTE,
    cleanupMaxMs: 30 * MINUTE,
    crashAt: [],
    ...over,
  };
}

export const job = (name: string, o: Partial<JobPlan> = {}): JobPlan => ({
  at: 1_000,
  ns: 't1',
  name,
  staging: 'chirp',
  retryLimit: 1,
  ...o,
});

export const vc = (name: string, o: Partial<VcPlan> = {}): VcPlan => ({
  at: 0,
  ns: 't1',
  name,
  host: `login.${name}.example.org`,
  collectorHost: `cm.${name}.example.org:9618`,
  workers: 1,
  ...o,
});

export const fault = (
  at: number,
  kind: Fault['kind'],
  ms: number,
  target?: string,
  rate?: number,
): Fault => ({ at, kind, ms, target, rate });

const del = (at: number, name: string, ns = 't1'): UserAction => ({ at, kind: 'delete', ns, name });

/**
 * A step runs on the only pilot of its VirtualCluster; the VirtualCluster is deleted (its pilot cancelled),
 * then the HPCJob: the job's shadow cannot reach the execute side, and the removed job stays in the queue.
 */
export const pilotGoneThenDeleted = (seed: number): Plan =>
  quiet(seed, {
    vcs: [vc('vc-a')],
    jobRunMs: 30 * MINUTE,
    jobs: [job('a', { vc: 'vc-a' })],
    actions: [{ at: 5 * MINUTE, kind: 'delete-vc', ns: 't1', name: 'vc-a' }, del(7 * MINUTE, 'a')],
  });

/** Two schedds for the default pool (--schedd-names), one down part of the time, jobs of three tenants. */
const twoSchedds = (seed: number, spread: 'LeastQueued' | 'Namespace', over: Partial<Plan> = {}): Plan =>
  quiet(seed, {
    tenants: ['t1', 't2', 't3'],
    schedds: [LOCAL_SCHEDD, SECOND_SCHEDD],
    defaultSchedds: [LOCAL_SCHEDD, SECOND_SCHEDD],
    spread,
    jobs: ['a', 'b', 'c', 'd', 'e', 'f'].map((n, i) =>
      job(n, { ns: `t${(i % 3) + 1}`, at: 1_000 + i * 45_000, retryLimit: 2 }),
    ),
    ...over,
  });

/** Several schedds: the invariants hold while HPCJobs are spread over two and one is down for a while. */
const SPREAD_SCENARIOS: Record<string, (seed: number) => Plan> = {
  'two schedds (LeastQueued): the second is down for five minutes while HPCJobs arrive and are deleted': (
    seed,
  ) =>
    twoSchedds(seed, 'LeastQueued', {
      faults: [fault(2 * MINUTE, 'schedd-down', 5 * MINUTE, SECOND_SCHEDD)],
      actions: [del(3 * MINUTE, 'b', 't2'), del(4 * MINUTE, 'e', 't2')],
    }),
  'two schedds (Namespace): one down, the other commits and times out, the leader crashes mid-submit': (
    seed,
  ) =>
    twoSchedds(seed, 'Namespace', {
      replicas: 2,
      crashAfterMs: [3 * MINUTE + 5_000],
      faults: [
        fault(90_000, 'schedd-down', 4 * MINUTE, LOCAL_SCHEDD),
        fault(0, 'submit-timeouts', 6 * MINUTE, SECOND_SCHEDD, 0.5),
      ],
    }),
};

/**
 * Scenarios a correct operator must get through without violating anything. Those named after a defect of
 * issue 12 put the operator in that defect's situation (the invariant that catches it is in brackets).
 */
export const SCENARIOS: Record<string, (seed: number) => Plan> = {
  'defect 1: condor_transfer_data fails for a while before a condor-transfer job is acknowledged [outputs-before-ack]':
    (seed) =>
      quiet(seed, {
        jobOutcome: 'ok',
        jobs: [job('a', { staging: 'condor-transfer' }), job('b')],
        faults: [fault(0, 'transfer-fails', 12 * MINUTE, LOCAL_SCHEDD, 1)],
      }),
  'defect 2: the spool is wiped while jobs run and their ids are reused [final-phase-matches-history]': (
    seed,
  ) =>
    quiet(seed, {
      jobs: [
        job('a'),
        job('b', { ns: 't2' }),
        job('c', { at: 4 * MINUTE, retryLimit: 0 }),
        job('d', { at: 4 * MINUTE + 1 }),
      ],
      faults: [fault(3 * MINUTE, 'spool-wipe', 0, LOCAL_SCHEDD)],
    }),
  "defect 3: another tenant's collectors are black-holed [tenant-isolation]": (seed) =>
    quiet(seed, {
      vcs: [vc('vc-a', { ns: 't1' }), vc('vc-b', { ns: 't1' })],
      jobs: [
        job('a', { ns: 't1', vc: 'vc-a' }),
        job('b', { ns: 't2' }),
        job('c', { ns: 't2', at: 5 * MINUTE }),
      ],
      faults: [
        fault(30_000, 'collector-blackhole', 12 * MINUTE, 'cm.vc-a.example.org:9618'),
        fault(30_000, 'collector-blackhole', 12 * MINUTE, 'cm.vc-b.example.org:9618'),
      ],
    }),
  'defect 4: graceful handover while submits are in flight [one-live-job-per-attempt]': (seed) =>
    quiet(seed, {
      replicas: 2,
      jobs: [job('a'), job('b', { at: 1_500 }), job('c', { at: 2_000 })],
      faults: [fault(1_600, 'graceful-restart', 0)],
    }),
  'defect 5: the leader cannot reach the API server while it submits [submit-only-by-leader]': (seed) =>
    quiet(seed, {
      replicas: 2,
      // The HPCJobs are seen and their intent recorded; then the API server hangs for everyone mid-submit.
      jobs: [job('a', { at: 1_000 }), job('b', { at: 1_200 }), job('c', { at: 1_400 })],
      faults: [
        fault(1_300, 'api-outage-hang', 3 * MINUTE),
        fault(0, 'submit-timeouts', 3 * MINUTE, LOCAL_SCHEDD, 0.5),
      ],
    }),
  'maintenance: a window reserved 40 minutes ahead while pilots come and go [pilot-outside-maintenance]': (
    seed,
  ) =>
    quiet(seed, {
      vcs: [vc('vc-a', { workers: 4 })],
      jobRunMs: 10 * MINUTE,
      jobs: ['a', 'b', 'c', 'd', 'e', 'f'].map((n, i) => job(n, { vc: 'vc-a', at: i * 4 * MINUTE })),
      faults: [
        { ...fault(MINUTE, 'site-maintenance', 20 * MINUTE, 'login.vc-a.example.org'), leadMs: 40 * MINUTE },
      ],
    }),
  'defect 6: the VirtualCluster is deleted while its job runs [liveness]': (seed) =>
    quiet(seed, {
      schedds: [LOCAL_SCHEDD, SECOND_SCHEDD],
      vcs: [vc('vc-a', { scheddName: SECOND_SCHEDD })],
      jobRunMs: 20 * MINUTE,
      jobs: [job('a', { vc: 'vc-a' })],
      actions: [{ at: 6 * MINUTE, kind: 'delete-vc', ns: 't1', name: 'vc-a' }],
    }),
  // Found by the simulation (seed 22602 --minted): a cancel that failed was remembered as done, and the
  // deleted VirtualCluster waited for its pilot to end by itself (its walltime).
  'a VirtualCluster is deleted while half the batch commands fail, its pilot running for an hour [cleanup]': (
    seed,
  ) =>
    quiet(seed, {
      vcs: [vc('vc-a')],
      pilotRunMs: 60 * MINUTE,
      actions: [{ at: 3 * MINUTE, kind: 'delete-vc', ns: 't1', name: 'vc-a' }],
      faults: [fault(3 * MINUTE - 10_000, 'site-batch', 5 * MINUTE, 'login.vc-a.example.org', 0.5)],
    }),
  'defect 9: an HPCJob is deleted after its VirtualCluster is gone [finalizer-after-cleanup, cleanup]': (
    seed,
  ) =>
    quiet(seed, {
      vcs: [vc('vc-a')],
      jobRunMs: 30 * MINUTE,
      jobs: [job('a', { vc: 'vc-a' })],
      actions: [{ at: 5 * MINUTE, kind: 'delete-vc', ns: 't1', name: 'vc-a' }, del(5 * MINUTE + 500, 'a')],
    }),
  // Seen on the stack (bench/walltime): a pilot cancelled before its step's removal reached the starter.
  'an HPCJob is deleted after its pilot is gone: its job stays removed (X) until condor_rm -forcex [no-stuck-removal]':
    (seed) => pilotGoneThenDeleted(seed),
  'defect 10: a person removes jobs with -forcex while the operator is down [lost-only-when-gone]': (seed) =>
    quiet(seed, {
      jobRunMs: 20 * MINUTE,
      jobs: [job('a'), job('b'), job('c')],
      // The only replica dies at 3 minutes; a person removes two jobs with -forcex before its successor runs.
      crashAfterMs: [3 * MINUTE],
      faults: [
        fault(3 * MINUTE + 500, 'person-forcex', 0, LOCAL_SCHEDD),
        fault(3 * MINUTE + 501, 'person-forcex', 0, LOCAL_SCHEDD),
      ],
    }),
  'defect 11: an HPCJob is deleted right after a submit that committed and timed out [cleanup]': (seed) =>
    quiet(seed, {
      jobs: [job('a'), job('b', { at: 2_000 })],
      actions: [del(12_000, 'a'), del(15_000, 'b')],
      faults: [fault(0, 'submit-timeouts', 5 * MINUTE, LOCAL_SCHEDD, 1)],
    }),
  'a leader crashes while submitting and a second replica takes over': (seed) =>
    quiet(seed, {
      replicas: 2,
      jobs: [job('a'), job('b'), job('c', { ns: 't2' })],
      crashAt: [14, 14, undefined, undefined],
    }),
  'the API server is unreachable (calls hang) while an HPCJob is deleted': (seed) =>
    quiet(seed, {
      jobs: [job('a'), job('b')],
      actions: [del(3 * MINUTE, 'a')],
      faults: [fault(3 * MINUTE + 100, 'api-outage-hang', 4 * MINUTE)],
    }),
  'holds and removals by a person': (seed) =>
    quiet(seed, {
      jobs: [job('a'), job('b'), job('c')],
      faults: [
        fault(90_000, 'person-hold', 0, LOCAL_SCHEDD),
        fault(95_000, 'person-remove', 0, LOCAL_SCHEDD),
        fault(5 * MINUTE, 'person-release', 0, LOCAL_SCHEDD),
      ],
    }),
  'the history rotates while the schedd is down': (seed) =>
    quiet(seed, {
      historyMax: 1,
      jobs: [job('a'), job('b'), job('c')],
      faults: [fault(2 * MINUTE, 'schedd-down', 6 * MINUTE, LOCAL_SCHEDD)],
    }),
  'per-pilot tokens: condor_token_create fails and the site hangs while pilots queue [pilot-token-valid, pilot-token-removed]':
    (seed) =>
      quiet(seed, {
        replicas: 2,
        vcs: [vc('vc-a', { workers: 2, pilotTokens: { margin: '1m' } })],
        jobRunMs: 4 * MINUTE,
        jobs: ['a', 'b', 'c', 'd'].map((n, i) => job(n, { vc: 'vc-a', at: i * 3 * MINUTE })),
        faults: [
          fault(2 * MINUTE, 'mint-fails', 2 * MINUTE),
          fault(5 * MINUTE, 'site-hang', 90_000, 'login.vc-a.example.org'),
          fault(8 * MINUTE, 'graceful-restart', 0),
        ],
        actions: [{ at: 12 * MINUTE, kind: 'delete-vc', ns: 't1', name: 'vc-a' }],
      }),
  ...SPREAD_SCENARIOS,
};

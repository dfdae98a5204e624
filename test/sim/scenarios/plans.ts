/**
 * Named scenarios: hand-written plans that put one fault (or one defect's situation) in front of the
 * operator, so that a test can say which behaviour it pins. `quiet` is the empty world they start from: one
 * schedd, two tenants, one replica, no faults, no crashes.
 */
import type { Fault, JobPlan, Plan, VcPlan } from '../plan.js';
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

/** Scenarios a correct operator must get through without violating anything. */
export const SCENARIOS: Record<string, (seed: number) => Plan> = {
  'submit commits then times out': (seed) =>
    quiet(seed, {
      jobs: [job('a'), job('b', { at: 20_000 })],
      faults: [fault(0, 'submit-timeouts', 10 * MINUTE, LOCAL_SCHEDD, 1)],
    }),
  'spool wiped while jobs run, ids reused': (seed) =>
    quiet(seed, {
      jobs: [
        job('a'),
        job('b', { ns: 't2' }),
        job('c', { at: 4 * MINUTE, retryLimit: 0 }),
        job('d', { at: 4 * MINUTE + 1 }),
      ],
      faults: [fault(3 * MINUTE, 'spool-wipe', 0, LOCAL_SCHEDD)],
    }),
  'leader crashes while submitting, a second replica takes over': (seed) =>
    quiet(seed, {
      replicas: 2,
      jobs: [job('a'), job('b'), job('c', { ns: 't2' })],
      crashAt: [14, 14, undefined, undefined],
    }),
  'graceful handover during submits': (seed) =>
    quiet(seed, {
      replicas: 2,
      jobs: [job('a'), job('b', { at: 1_500 }), job('c', { at: 2_000 })],
      faults: [fault(1_600, 'graceful-restart', 0)],
    }),
  'API server unreachable (calls hang) while an HPCJob is deleted': (seed) =>
    quiet(seed, {
      jobs: [job('a'), job('b')],
      actions: [{ at: 3 * MINUTE, kind: 'delete', ns: 't1', name: 'a' }],
      faults: [fault(3 * MINUTE + 100, 'api-outage-hang', 4 * MINUTE)],
    }),
  "another tenant's collector is black-holed": (seed) =>
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
  'holds and removals by a person': (seed) =>
    quiet(seed, {
      jobs: [job('a'), job('b'), job('c')],
      faults: [
        fault(90_000, 'person-hold', 0, LOCAL_SCHEDD),
        fault(95_000, 'person-remove', 0, LOCAL_SCHEDD),
        fault(5 * MINUTE, 'person-release', 0, LOCAL_SCHEDD),
      ],
    }),
  'history rotates before the operator looks': (seed) =>
    quiet(seed, {
      historyMax: 1,
      replicas: 1,
      jobs: [job('a'), job('b'), job('c')],
      faults: [fault(2 * MINUTE, 'schedd-down', 6 * MINUTE, LOCAL_SCHEDD)],
    }),
  'VirtualCluster deleted while its job runs': (seed) =>
    quiet(seed, {
      schedds: [LOCAL_SCHEDD, SECOND_SCHEDD],
      vcs: [vc('vc-a', { scheddName: SECOND_SCHEDD })],
      jobRunMs: 20 * MINUTE,
      jobs: [job('a', { vc: 'vc-a' })],
      actions: [{ at: 6 * MINUTE, kind: 'delete-vc', ns: 't1', name: 'vc-a' }],
    }),
  'condor_transfer_data fails for a while': (seed) =>
    quiet(seed, {
      jobOutcome: 'ok',
      jobs: [job('a', { staging: 'condor-transfer' }), job('b')],
      faults: [fault(0, 'transfer-fails', 12 * MINUTE, LOCAL_SCHEDD, 1)],
    }),
};

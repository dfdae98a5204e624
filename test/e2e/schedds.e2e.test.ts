/**
 * Several schedds on the real stack: an operator given both of the pool's schedds (--schedd-names) spreads
 * HPCJobs over them, each schedd's queue or history holds exactly the jobs status says went there; given a schedd
 * that does not exist (down, as far as the operator can tell; the shared schedd2 daemon is never stopped),
 * new HPCJobs run on the one that answers and SchedulerReachable names the one passed over; given only
 * schedds that do not answer, nothing is submitted and the condition says so.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  getHPCJob,
  installCRDs,
  patchHPCJob,
  waitForPhase,
  type HPCJobObject,
} from '../support/stack/kube.js';
import { everyJob } from '../support/stack/condor-jobs.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { kubeConfig, loadStackEnv, schedd, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const env = loadStackEnv();
const S1 = env.HPC_SCHEDD_NAME as string;
const S2 = env.HPC_SCHEDD2_NAME as string;
/** A schedd name the pool's collector does not know: every call to it fails, as to a schedd that is down. */
const DOWN = 'nosuch@hpc-pool';
const namespaces: string[] = [];
const operators: OperatorProcess[] = [];

/** An operator of its own namespace (and id) whose default pool is `schedds`. */
async function operatorOn(
  schedds: string[],
  o: { waitReady?: boolean } = {},
): Promise<{ ns: string; op: OperatorProcess }> {
  const ns = uniqueName('e2e-schedds');
  await createNamespace(kc, ns);
  namespaces.push(ns);
  const op = new OperatorProcess({
    namespace: ns,
    operatorId: ns,
    extraArgs: [`--schedd-names=${schedds.join(',')}`, '--schedd-spread=LeastQueued'],
  });
  operators.push(op);
  await op.start({ waitReady: o.waitReady });
  return { ns, op };
}

/** Until the operator has found `name` down (its tracker's first read failed): hpc_condor_schedd_reachable 0. */
async function seenDown(op: OperatorProcess, name: string): Promise<void> {
  const series = `hpc_condor_schedd_reachable{schedd="${name}"}`;
  await waitFor(`the operator to find ${name} down`, async () => (await op.metrics()).get(series) === 0);
}

const condition = (j: HPCJobObject | undefined, type: string) =>
  j?.status?.conditions?.find((c) => c.type === type);

beforeAll(async () => {
  await installCRDs(kc);
});

afterAll(async () => {
  await Promise.all(operators.map((op) => op.stop()));
  await Promise.all(namespaces.map((ns) => deleteNamespace(kc, ns)));
});

describe('an operator with several schedds', () => {
  it("spreads HPCJobs over both of the pool's schedds; each schedd's queue or history holds its share", async () => {
    const { ns } = await operatorOn([S1, S2]);
    const names = ['s0', 's1', 's2', 's3', 's4', 's5'];
    await Promise.all(names.map((n) => createHPCJob(kc, ns, n, { command: ['/bin/true'] })));
    const done = await Promise.all(names.map((n) => waitForPhase(kc, ns, n, ['Succeeded', 'Failed'])));
    expect(done.map((j) => j.status?.phase)).toEqual(names.map(() => 'Succeeded'));
    for (const j of done) expect(j.status?.attempts?.[0]?.schedd).toBe(j.status?.schedd);
    const on = (s: string) =>
      done.filter((j) => j.status?.schedd === s).map((j) => `${ns}/${j.metadata.name}`);
    expect(on(S1).length + on(S2).length).toBe(names.length);
    expect(on(S1).length).toBeGreaterThan(0);
    expect(on(S2).length).toBeGreaterThan(0);
    // Each schedd holds exactly its share, in its queue (acknowledged, on its way out) or its history.
    for (const s of [S1, S2]) {
      const constraint = `HPCOperator == "${ns}"`;
      const { all } = await everyJob(schedd(s), constraint, ['HPCJobRef']);
      const refs = new Set(all.map((a) => String(a.HPCJobRef)));
      expect([...refs].sort()).toEqual(on(s).sort());
    }
  });

  it('runs new HPCJobs on the schedd that answers and names the one passed over', async () => {
    const { ns, op } = await operatorOn([DOWN, S1]);
    await seenDown(op, DOWN);
    // Suspended, it is placed (its schedd recorded) but not submitted: the placement status stays to be read.
    await createHPCJob(kc, ns, 'held-back', { command: ['/bin/true'], suspend: true });
    const placed = await waitFor('the suspended HPCJob to be placed', async () => {
      const j = await getHPCJob(kc, ns, 'held-back');
      return j?.status?.schedd ? j : undefined;
    });
    expect(placed.status?.schedd).toBe(S1);
    expect(condition(placed, 'SchedulerReachable')).toMatchObject({
      status: 'True',
      message: `schedd ${S1} answers; passed over when this HPCJob was placed, not answering: ${DOWN}`,
    });
    await patchHPCJob(kc, ns, 'held-back', { spec: { suspend: false } });
    await createHPCJob(kc, ns, 'runs', { command: ['/bin/true'] });
    for (const name of ['held-back', 'runs']) {
      const j = await waitForPhase(kc, ns, name, ['Succeeded', 'Failed']);
      expect({ name, phase: j.status?.phase, schedd: j.status?.schedd }).toEqual({
        name,
        phase: 'Succeeded',
        schedd: S1,
      });
    }
  });

  it('submits nothing while no schedd of its list answers, and says so', async () => {
    const other = 'nosuch2@hpc-pool';
    const { ns } = await operatorOn([DOWN, other], { waitReady: false });
    await createHPCJob(kc, ns, 'stranded', { command: ['/bin/true'] });
    const j = await waitFor('SchedulerReachable=False', async () => {
      const x = await getHPCJob(kc, ns, 'stranded');
      return condition(x, 'SchedulerReachable')?.status === 'False' ? x : undefined;
    });
    expect(condition(j, 'SchedulerReachable')?.message).toMatch(
      new RegExp(
        `^schedd ${DOWN} is unreachable \\(and so do not ${other}: no schedd of the list answers\\)`,
      ),
    );
    expect(j.status?.schedd).toBeUndefined();
    expect(j.status?.attempts ?? []).toEqual([]);
  });
});

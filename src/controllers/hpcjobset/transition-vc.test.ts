import { describe, expect, it } from '@jest/globals';
import { T0, iso } from '../../../test/support/builders/hpcjob.js';
import {
  makeHPCJobSet,
  makeSetJob,
  observeSet,
  setSettings,
} from '../../../test/support/builders/hpcjobset.js';
import { makeVirtualCluster } from '../../../test/support/builders/virtualcluster.js';
import { setTarget } from './placement.js';
import { transitionSet } from './transition.js';
import type { SetEffect, SetObservation } from './transition-types.js';

const settings = setSettings({ defaultTarget: { name: 'schedd@default' } });
const run = (set: Parameters<typeof transitionSet>[0], obs: SetObservation) =>
  transitionSet(set, obs, settings);
const submits = (effects: SetEffect[]) => effects.filter((e) => e.kind === 'submit');
const condition = (t: ReturnType<typeof run>, type: string) =>
  t.status.conditions?.find((c) => c.type === type);

const vc = makeVirtualCluster('vc', 'ns')
  .pool({ scheddName: 'schedd@vc' })
  .allocation((a) => a.workers({ cores: 4, memory: '8Gi' }).set({ walltime: '1h' }))
  .status((s) => s.phase('Running'))
  .obj();
vc.spec.steps = { defaultWalltime: '20m', walltimeMargin: '1m' };
const onVc = () => makeHPCJobSet().template({ virtualClusterRef: { name: 'vc' } });
const atVc = () => observeSet().pool('schedd@vc', 'cm.example:9618').virtualCluster(vc);

describe('HPCJobSet on a VirtualCluster: where its jobs go', () => {
  it("looks at its VirtualCluster's schedd, the recorded one once placed, and nowhere when it cannot be placed", () => {
    const now = T0;
    expect(setTarget(makeHPCJobSet().obj(), undefined, settings, now)).toEqual({ name: 'schedd@default' });
    expect(setTarget(onVc().obj(), vc, settings, now)).toEqual({
      name: 'schedd@vc',
      pool: 'cm.example:9618',
    });
    expect(setTarget(onVc().obj(), 'missing', settings, now)).toBeUndefined();
    const placed = onVc().status({ schedd: 'schedd@vc', pool: 'cm.example:9618', virtualCluster: 'ns/vc' });
    expect(setTarget(placed.obj(), 'missing', settings, now)).toEqual({
      name: 'schedd@vc',
      pool: 'cm.example:9618',
    });
  });

  it('records the placement with its first submission, whose jobs name the VirtualCluster and their walltime need', () => {
    const t = run(onVc().obj(), atVc().obj());
    expect(t.status).toMatchObject({ schedd: 'schedd@vc', pool: 'cm.example:9618', virtualCluster: 'ns/vc' });
    expect(submits(t.afterWrite)).toEqual([
      expect.objectContaining({ virtualCluster: 'ns/vc', walltimeNeededSeconds: 1260 }),
    ]);
    expect(condition(t, 'VirtualClusterReady')).toMatchObject({ status: 'True', reason: 'Found' });
    expect(t.events).toEqual([]);
  });

  it('submits a template no worker can hold, but says NoWorkerFits with one Warning', () => {
    const big = onVc().template({ resources: { cpus: 16 } });
    const t = run(big.obj(), atVc().obj());
    expect(submits(t.afterWrite)).toHaveLength(1);
    expect(condition(t, 'VirtualClusterReady')).toMatchObject({ status: 'True', reason: 'NoWorkerFits' });
    expect(t.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'NoWorkerFits' })]);
    const again = run(big.status(t.status).obj(), atVc().obj());
    expect(again.events).toEqual([]);
  });
});

describe('HPCJobSet on a VirtualCluster: waiting for it', () => {
  it('submits nothing while its VirtualCluster is missing, says why, and has no schedd to speak of', () => {
    const t = run(onVc().obj(), observeSet().nowhere().virtualCluster('missing').obj());
    expect(submits(t.afterWrite)).toEqual([]);
    expect(condition(t, 'VirtualClusterReady')).toMatchObject({ status: 'False', reason: 'NotFound' });
    expect(condition(t, 'SchedulerReachable')).toBeUndefined();
    expect(t.status).toMatchObject({ phase: 'Pending', counts: { pending: 3 } });
    expect(t.status.schedd).toBeUndefined();
    expect(t.status.message).toContain('waiting: VirtualCluster vc does not exist');
    expect(t.requeueAfterMs).toBe(10_000);
  });

  it('fails the indices not submitted once the wait is over, and the set ends Failed', () => {
    const first = run(onVc().obj(), observeSet().nowhere().virtualCluster('missing').at(T0).obj());
    const later = observeSet()
      .nowhere()
      .virtualCluster('missing')
      .at(T0 + 600_000)
      .obj();
    const t = run(onVc().status(first.status).obj(), later);
    expect(t.status).toMatchObject({ phase: 'Failed', failed: '0-2', counts: { failed: 3 } });
    expect(t.events).toContainEqual(
      expect.objectContaining({ type: 'Warning', reason: 'VirtualClusterUnavailable' }),
    );
  });

  it('warns once when the credentials end before an index would, and submits nothing', () => {
    const expiring = structuredClone(vc);
    expiring.status = { ...expiring.status, credentialExpiresAt: iso(T0 + 600_000) };
    const set = onVc().template({ resources: { walltime: '1h' } });
    const t = run(set.obj(), atVc().virtualCluster(expiring).obj());
    expect(submits(t.afterWrite)).toEqual([]);
    expect(condition(t, 'VirtualClusterReady')).toMatchObject({
      status: 'False',
      reason: 'CredentialsExpire',
    });
    expect(t.events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'CredentialsExpire' })]);
    expect(run(set.status(t.status).obj(), atVc().virtualCluster(expiring).obj()).events).toEqual([]);
  });

  it('follows the jobs it has after its VirtualCluster went, and submits no more', () => {
    const set = onVc()
      .spec({ count: 2, parallelism: 1 })
      .status({ schedd: 'schedd@vc', pool: 'cm.example:9618', virtualCluster: 'ns/vc' })
      .obj();
    const obs = observeSet()
      .pool('schedd@vc', 'cm.example:9618')
      .virtualCluster('missing')
      .jobs(makeSetJob(set, 0).completed(0))
      .obj();
    const t = run(set, obs);
    expect(t.status).toMatchObject({ succeeded: '0', counts: { succeeded: 1, pending: 1 } });
    expect(submits(t.afterWrite)).toEqual([]);
    expect(t.afterWrite).toContainEqual(expect.objectContaining({ kind: 'acknowledge' }));
  });

  it('removes the idle jobs of a VirtualCluster that stayed gone, and lets a running one finish', () => {
    const placed = { schedd: 'schedd@vc', pool: 'cm.example:9618', virtualCluster: 'ns/vc' };
    const set = onVc().spec({ count: 3 }).status(placed).obj();
    const gone = () => atVc().virtualCluster('missing');
    const jobs = [makeSetJob(set, 0).running(), makeSetJob(set, 1)];
    const first = run(
      set,
      gone()
        .at(T0)
        .jobs(...jobs)
        .obj(),
    );
    expect(first.afterWrite.filter((e) => e.kind === 'remove')).toEqual([]);
    const later = onVc().spec({ count: 3 }).status(first.status).obj();
    const t = run(
      later,
      gone()
        .at(T0 + 600_000)
        .jobs(...jobs)
        .obj(),
    );
    expect(t.afterWrite).toContainEqual({
      kind: 'remove',
      target: { job: { jobId: '9.1', uid: 'uid-sweep' } },
      reason: "the HPCJobSet's VirtualCluster is gone: the job can never run",
    });
    expect(t.afterWrite.filter((e) => e.kind === 'remove')).toHaveLength(1);
    expect(t.status).toMatchObject({ running: '0', failed: '1-2', counts: { running: 1, failed: 2 } });
  });

  it('is finalized at once when deleted before it was ever placed: nothing of it is on any schedd', () => {
    const set = onVc().deleting().obj();
    const t = run(set, observeSet().nowhere().virtualCluster('missing').obj());
    expect(t.afterWrite.map((e) => e.kind)).toEqual(['removeFiles', 'forget', 'removeFinalizer']);
  });
});

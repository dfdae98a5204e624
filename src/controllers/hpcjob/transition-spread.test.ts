/**
 * An HPCJob among several schedds of the default pool (pure): where a new one goes, that it is recorded
 * before its submission, that it never moves afterwards (retries and cleanup included), and what
 * SchedulerReachable says of schedds that do not answer.
 */
import { describe, expect, it } from '@jest/globals';
import { makeHPCJob, observe } from '../../../test/support/builders/hpcjob.js';
import { candidate, spreadSettings, targetOf } from '../../../test/support/builders/schedds.js';
import { observedTarget } from './placement.js';
import { transition } from './transition.js';

const settings = spreadSettings(['a@ap', 'b@ap']);
const kinds = (effects: { kind: string }[]) => effects.map((e) => e.kind);
const conditionOf = (t: ReturnType<typeof transition>, type: string) =>
  t.status.conditions?.find((c) => c.type === type);

describe('HPCJob placement among several schedds', () => {
  it('sends a new HPCJob to the least loaded schedd that answers', () => {
    const job = makeHPCJob().obj();
    const loads = [candidate('a@ap').load(4).obj(), candidate('b@ap').load(1).obj()];
    expect(observedTarget(job, undefined, settings, 0, loads)).toEqual(targetOf('b@ap'));
    const bDown = [candidate('a@ap').load(4).obj(), candidate('b@ap').down().obj()];
    expect(observedTarget(job, undefined, settings, 0, bDown)).toEqual(targetOf('a@ap'));
  });

  it('keeps an HPCJob on its recorded schedd, for tracking and for a retry, even while it is down', () => {
    const running = makeHPCJob().submitted(1, '3.0', {}, 'b@ap').obj();
    expect(observedTarget(running, undefined, settings, 0)).toEqual(targetOf('b@ap'));
    const retrying = makeHPCJob()
      .submitted(1, '3.0', { outcome: 'Retried', endTime: '2026-12-01T10:05:00Z' }, 'b@ap')
      .status({ phase: 'Pending' })
      .obj();
    const bDown = [candidate('a@ap').obj(), candidate('b@ap').down().obj()];
    expect(observedTarget(retrying, undefined, settings, 0, bDown)).toEqual(targetOf('b@ap'));
  });

  it('follows a schedd that left the list where its jobs are (its recorded name and pool)', () => {
    const job = makeHPCJob().submitted(1, '3.0', {}, 'old@ap').status({ pool: 'cm:9618' }).obj();
    expect(observedTarget(job, undefined, settings, 0)).toEqual({ name: 'old@ap', pool: 'cm:9618' });
  });

  it('looks nowhere for a deleted HPCJob with no schedd recorded: among several, nothing was submitted', () => {
    const job = makeHPCJob().deleting().obj();
    expect(observedTarget(job, undefined, settings, 0)).toBeUndefined();
  });
});

describe('HPCJob transition among several schedds', () => {
  it('writes the chosen schedd before the submission (no deferred first status), passing over one that is down', () => {
    const job = makeHPCJob().obj();
    const obs = observe()
      .scheduler({ name: 'a@ap', target: targetOf('a@ap') })
      .schedds(candidate('a@ap').load(2).obj(), candidate('b@ap').down().obj())
      .obj();
    const t = transition(job, obs, settings);
    expect(t.deferStatus).toBe(false);
    expect(t.status).toMatchObject({ phase: 'Pending', schedd: 'a@ap', pool: 'cm:9618' });
    expect(t.target).toEqual(targetOf('a@ap'));
    expect(kinds(t.afterWrite)).toEqual(['submit']);
    expect(t.beforeWrite).toEqual([]);
    expect(conditionOf(t, 'SchedulerReachable')).toMatchObject({
      status: 'True',
      message: 'schedd a@ap answers; passed over when this HPCJob was placed, not answering: b@ap',
    });
  });

  it('submits nothing and says which schedds do not answer when none does', () => {
    const job = makeHPCJob().obj();
    const obs = observe()
      .scheduler({
        name: 'a@ap',
        target: targetOf('a@ap'),
        state: { synced: true, reachable: false, lastError: 'timed out' },
      })
      .schedds(candidate('a@ap').down('timed out').obj(), candidate('b@ap').down().obj())
      .obj();
    const t = transition(job, obs, settings);
    expect(kinds(t.afterWrite)).toEqual([]);
    expect(t.status.schedd).toBeUndefined();
    expect(conditionOf(t, 'SchedulerReachable')).toMatchObject({
      status: 'False',
      reason: 'SchedulerUnavailable',
    });
    expect(conditionOf(t, 'SchedulerReachable')?.message).toMatch(
      /^schedd a@ap is unreachable \(and so do not b@ap: no schedd of the list answers\): timed out;/,
    );
  });

  it('keeps what the placement said of the schedds passed over while the HPCJob waits where it was placed', () => {
    const message = 'schedd a@ap answers; passed over when this HPCJob was placed, not answering: b@ap';
    const reachable = { type: 'SchedulerReachable', status: 'True' as const, reason: 'Reachable', message };
    const job = makeHPCJob()
      .spec({ suspend: true })
      .status({
        phase: 'Pending',
        schedd: 'a@ap',
        pool: 'cm:9618',
        conditions: [{ ...reachable, lastTransitionTime: '2026-12-01T10:00:00Z' }],
      })
      .obj();
    const t = transition(
      job,
      observe()
        .scheduler({ name: 'a@ap', target: targetOf('a@ap') })
        .obj(),
      settings,
    );
    expect(conditionOf(t, 'SchedulerReachable')).toMatchObject(reachable);
    expect(kinds(t.afterWrite)).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import {
  T0,
  defaultSettings,
  iso,
  makeHPCJob,
  makeTrackedJob,
  observe,
} from '../../../test/support/builders/hpcjob.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import { observedTarget } from './placement.js';
import { transition } from './transition.js';
import { Requeue } from './reasons.js';

const settings = defaultSettings();
const kinds = (t: ReturnType<typeof transition>) => t.afterWrite.map((e) => e.kind);

describe('HPCJob transition: a finished HPCJob', () => {
  it('removes a job still running and acknowledges an ended one', () => {
    const job = makeHPCJob()
      .submitted(1, '7.0', { outcome: 'Succeeded' })
      .status({ phase: 'Succeeded' })
      .obj();
    const live = makeTrackedJob(job, 1, '7.0').running().obj();
    const ended = makeTrackedJob(job, 2, '8.0').completed(0).obj();
    const t = transition(job, observe().jobs(live, ended).obj(), settings);
    expect(t.afterWrite).toEqual([
      {
        kind: 'remove',
        target: { job: { jobId: '7.0', uid: 'uid-step' } },
        reason: 'HPCJob already finished',
      },
      { kind: 'acknowledge', job: { jobId: '8.0', uid: 'uid-step' } },
    ]);
    expect(t.requeueAfterMs).toBe(Requeue.Cleanup);
  });

  it('says the schedd answers again once it does, when the HPCJob ended while it did not', () => {
    const down = {
      type: 'SchedulerReachable',
      status: 'False' as const,
      reason: 'SchedulerUnavailable',
      message: 'schedd schedd@ap is unreachable',
      lastTransitionTime: '2026-01-01T00:00:00Z',
    };
    const job = makeHPCJob()
      .submitted(1, '7.0', { outcome: 'Succeeded' })
      .status({ phase: 'Succeeded', conditions: [down] })
      .obj();
    const back = transition(job, observe().obj(), settings);
    expect(back.status.conditions?.find((c) => c.type === 'SchedulerReachable')).toMatchObject({
      status: 'True',
      reason: 'Reachable',
    });
    const stillDown = transition(job, observe().unreachable().obj(), settings);
    expect(stillDown.status.conditions).toEqual([down]);
  });

  it('deletes it once ttlSecondsAfterFinished has passed, and not before', () => {
    const job = makeHPCJob()
      .spec({ ttlSecondsAfterFinished: 60 })
      .status({ phase: 'Failed', completionTime: iso(T0) })
      .obj();
    expect(
      transition(
        job,
        observe()
          .at(T0 + 30_000)
          .obj(),
        settings,
      ).requeueAfterMs,
    ).toBe(30_000);
    expect(
      kinds(
        transition(
          job,
          observe()
            .at(T0 + 60_000)
            .obj(),
          settings,
        ),
      ),
    ).toEqual(['deleteObject']);
  });
});

describe('HPCJob transition: deletion', () => {
  const deleting = () => makeHPCJob().submitted(1, '7.0').deleting();

  it('removes every job of the HPCJob and keeps the finalizer while any is in the queue', () => {
    const job = deleting().obj();
    const t = transition(job, observe().jobs(makeTrackedJob(job).running().obj()).obj(), settings);
    // Acknowledged as they are removed: they leave at once, instead of staying in X for an acknowledgement.
    expect(t.afterWrite).toEqual([
      { kind: 'discard', target: { uid: 'uid-step' }, reason: 'HPCJob deleted' },
    ]);
    expect(t.requeueAfterMs).toBe(Requeue.Cleanup);
  });

  it('leaves the status as it was: the generation the deletion bumped is not written', () => {
    const job = deleting().status({ observedGeneration: 1, conditions: [] }).obj();
    job.metadata.generation = 2;
    const t = transition(job, observe().jobs(makeTrackedJob(job).running().obj()).obj(), settings);
    expect(t.status).toEqual(job.status);
  });

  it('acknowledges removed jobs so that they leave, and waits for them to go', () => {
    const job = deleting().obj();
    const t = transition(job, observe().jobs(makeTrackedJob(job).removed().obj()).obj(), settings);
    expect(t.afterWrite).toEqual([{ kind: 'acknowledge', job: { jobId: '7.0', uid: 'uid-step' } }]);
    expect(kinds(t)).not.toContain('removeFinalizer');
  });

  it('Orphan after a submit timeout: the finalizer stays until nothing of the HPCJob can still commit', () => {
    const job = deleting().obj();
    const t = transition(job, observe().unsettled().obj(), settings);
    expect(kinds(t)).toEqual(['discard']);
    expect(t.requeueAfterMs).toBe(Requeue.Cleanup);
  });

  it('drops its files, the finalizer and what the backend keeps once nothing is left', () => {
    const t = transition(deleting().obj(), observe().obj(), settings);
    expect(kinds(t)).toEqual(['removeFiles', 'removeFinalizer', 'forget']);
  });

  it('keeps the finalizer and says why while the schedd does not answer', () => {
    const t = transition(deleting().obj(), observe().unreachable().obj(), settings);
    expect(kinds(t)).toEqual([]);
    expect(t.events.map((e) => e.reason)).toEqual(['CleanupBlocked']);
  });

  it('Finalizer after the VirtualCluster is gone: cleanup goes to the recorded schedd and collector', () => {
    const job = makeHPCJob()
      .virtualCluster('vc')
      .submitted(1, '7.0', {}, 'vc-schedd')
      .status({ virtualCluster: 'ns/vc', pool: 'vc-cm:9618' })
      .deleting()
      .obj();
    expect(observedTarget(job, 'missing', settings, T0)).toEqual({ name: 'vc-schedd', pool: 'vc-cm:9618' });
  });

  it('lets an HPCJob on a VirtualCluster that never asked for a submission go at once', () => {
    const job = makeHPCJob().virtualCluster('vc').deleting().obj();
    expect(observedTarget(job, undefined, settings, T0)).toBeUndefined();
    expect(kinds(transition(job, observe().noScheduler().obj(), settings))).toEqual([
      'removeFiles',
      'removeFinalizer',
      'forget',
    ]);
  });

  it('looks on the default pool for a new HPCJob deleted before its first status (written once queued)', () => {
    const job = makeHPCJob().deleting().obj();
    expect(observedTarget(job, undefined, settings, T0)).toEqual(settings.defaultTarget);
    const committed = makeTrackedJob(job, 1, '12.0').obj();
    expect(kinds(transition(job, observe().jobs(committed).obj(), settings))).toEqual(['discard']);
    expect(kinds(transition(job, observe().unsettled().obj(), settings))).toEqual(['discard']);
    expect(kinds(transition(job, observe().obj(), settings))).toEqual([
      'removeFiles',
      'removeFinalizer',
      'forget',
    ]);
  });

  describe('a removed job that stays in the queue (its shadow cannot reach the execute side)', () => {
    const removedBy = (job: HPCJob) => makeTrackedJob(job).removed('HPCJob deleted', T0).acked();

    it('waits out --force-removal-after-seconds: the schedd may still end it the ordinary way', () => {
      const job = deleting().obj();
      const t = transition(
        job,
        observe()
          .at(T0 + 59_000)
          .jobs(removedBy(job).obj())
          .obj(),
        settings,
      );
      expect(kinds(t)).toEqual([]);
      expect(t.requeueAfterMs).toBe(Requeue.Cleanup);
    });

    it('then forces it out with condor_rm -forcex, says so in an Event, and keeps the finalizer until it left', () => {
      const job = deleting().obj();
      const t = transition(
        job,
        observe()
          .at(T0 + 60_000)
          .jobs(removedBy(job).obj())
          .obj(),
        settings,
      );
      expect(t.afterWrite).toEqual([{ kind: 'forceRemove', job: { jobId: '7.0', uid: 'uid-step' } }]);
      expect(t.events).toEqual([
        expect.objectContaining({ type: 'Warning', reason: 'RemovalForced', action: 'Delete' }),
      ]);
      expect(t.events[0]?.note).toContain('7.0');
      expect(t.requeueAfterMs).toBe(Requeue.Cleanup);
      expect(
        kinds(
          transition(
            job,
            observe()
              .at(T0 + 61_000)
              .obj(),
            settings,
          ),
        ),
      ).toEqual(['removeFiles', 'removeFinalizer', 'forget']);
    });

    it('never forces out a removed job whose acknowledgement the schedd does not show yet: the job waits for it, not for its execute side', () => {
      // Found by bench/hpcjobs.ts at N = 20,000: acknowledgements queued behind each other made thousands of
      // jobs overstay the grace, and -forcex raced the acknowledgements.
      const job = deleting().obj();
      const waiting = makeTrackedJob(job).removed('HPCJob deleted', T0).ackAsked().obj();
      const t = transition(
        job,
        observe()
          .at(T0 + 3_600_000)
          .jobs(waiting)
          .obj(),
        settings,
      );
      expect(kinds(t)).not.toContain('forceRemove');
      expect(t.events.map((e) => e.reason)).not.toContain('RemovalForced');
    });

    it('never forces a job that is not removed (X): running, held or completed jobs go the ordinary way', () => {
      const job = deleting().obj();
      const late = T0 + 3_600_000;
      for (const j of [
        makeTrackedJob(job).running().obj(),
        makeTrackedJob(job).held(34, 102, 'memory', T0).obj(),
        makeTrackedJob(job).completed(0, T0).obj(),
      ]) {
        const t = transition(job, observe().at(late).jobs(j).obj(), settings);
        expect(kinds(t)).not.toContain('forceRemove');
        expect(t.events.map((e) => e.reason)).not.toContain('RemovalForced');
      }
    });
  });
});

import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { SchedulerBackend } from '../../condor/backend.js';
import { makeHPCJobSet } from '../../../test/support/builders/hpcjobset.js';
import { FakeObjects, FakeRecorder } from '../../../test/support/fake-objects.js';
import type { AttemptFiles } from '../hpcjob/attempt-files.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { executeSet } from './executor.js';

/** A backend that forces out what it is asked to, except job ids it was asked for moments ago. */
class ForcingBackend {
  readonly forced: string[] = [];
  forceRemove(job: { jobId: string }): 'sent' | 'repeat' {
    if (this.forced.includes(job.jobId)) return 'repeat';
    this.forced.push(job.jobId);
    return 'sent';
  }
}

describe('the HPCJobSet executor', () => {
  it('logs one line for the jobs it forced out in a reconcile, not one per job', async () => {
    const lines: { level: number; msg: string; jobs?: number; first?: string; last?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const store = new FakeObjects<HPCJobSet>();
    const set = store.put(makeHPCJobSet().deleting().obj());
    const backend = new ForcingBackend();
    backend.forced.push('5.0'); // asked for moments ago: not sent again
    const deps = {
      writer: store,
      recorder: new FakeRecorder(),
      files: {} as AttemptFiles, // no effect here touches files
      operatorId: 'op',
      wrapperPath: '/wrapper',
      maxOutputBytes: 1024,
    };
    const afterWrite = ['5.0', '5.1', '5.2', '5.3'].map((jobId) => ({
      kind: 'forceRemove' as const,
      job: { jobId, uid: 'uid-sweep' },
    }));
    await executeSet(
      set,
      { addFinalizer: false, events: [], afterWrite, status: set.status ?? {} },
      backend as unknown as SchedulerBackend, // only forceRemove is called
      deps,
      log,
    );
    expect(backend.forced).toEqual(['5.0', '5.1', '5.2', '5.3']);
    const warned = lines.filter((l) => l.level === 40);
    expect(warned).toEqual([
      expect.objectContaining({
        jobs: 3,
        first: '5.1',
        last: '5.3',
        msg: expect.stringContaining('-forcex'),
      }),
    ]);
  });
});

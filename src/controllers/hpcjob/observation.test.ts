import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { pino } from 'pino';
import { SchedulerBackend, SchedulerBackends } from '../../condor/backend.js';
import { defaultSettings, makeHPCJob } from '../../../test/support/builders/hpcjob.js';
import { FakeSchedd } from '../../../test/support/fake-schedd.js';
import { ManualClock } from '../../../test/support/manual-clock.js';
import { seededRandom } from '../../../test/support/random.js';
import type { AttemptFiles } from './attempt-files.js';
import { observeHPCJob } from './observation.js';

const log = pino({ level: 'silent' });

function deps() {
  const clock = new ManualClock();
  const settings = defaultSettings();
  const backends = new SchedulerBackends({
    connector: {
      schedd: () => new FakeSchedd(clock),
      collector: () => Promise.reject(new Error('no collector')) as never,
    },
    operatorId: 'op',
    clock,
    log,
    onChange: () => undefined,
  });
  const files = { dir: () => '/logs', stderrTail: () => '' } as unknown as AttemptFiles;
  const d = {
    clock,
    random: seededRandom(1),
    backends,
    virtualClusters: { get: () => undefined },
    files,
    settings,
  };
  const find = jest.spyOn(SchedulerBackend.prototype, 'find');
  find.mockClear();
  return { d, find };
}

describe('observeHPCJob', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('looks up the running attempt of an HPCJob (queue, then history)', () => {
    const { d, find } = deps();
    const obs = observeHPCJob(makeHPCJob().submitted(1, '7.0').obj(), d);
    expect(find).toHaveBeenCalledTimes(1);
    expect(obs.scheduler?.current).toEqual({ state: 'pending' });
  });

  it('does not look up the attempt of a deleted HPCJob: it only waits for its jobs to leave', () => {
    const { d, find } = deps();
    const obs = observeHPCJob(makeHPCJob().submitted(1, '7.0').deleting().obj(), d);
    expect(find).not.toHaveBeenCalled();
    expect(obs.scheduler?.current).toBeUndefined();
    expect(obs.scheduler?.jobs).toEqual([]);
  });
});

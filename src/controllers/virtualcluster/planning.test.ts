import { describe, expect, it } from '@jest/globals';
import type { BatchJob } from '../../sites/batch.js';
import { pilotPrefix, planPilots, sequenceOf } from './planning.js';

const job = (id: string, name: string, state: BatchJob['state']): BatchJob => ({
  id,
  name,
  state,
  raw: state,
});
const view = (jobs: BatchJob[], busy: string[] = [], joined: string[] = [], cancelled: string[] = []) => ({
  jobs,
  busy: new Set(busy),
  joined: new Set(joined),
  cancelledByUs: new Set(cancelled),
});

describe('planPilots', () => {
  it('submits the missing pilots, counting queued and running ones', () => {
    const p = planPilots(
      3,
      5,
      view([job('1', 'p-0', 'running'), job('2', 'p-1', 'queued'), job('3', 'p-2', 'done')], [], ['p-0']),
      true,
    );
    expect(p.submit).toBe(1);
    expect(p.cancel).toEqual([]);
    expect(p.counts).toEqual({ requested: 3, queued: 1, running: 1, idle: 1, busy: 0, error: 0 });
  });

  it('never exceeds max, and submits nothing while backing off', () => {
    expect(planPilots(10, 4, view([job('1', 'p-0', 'running')]), true).submit).toBe(3);
    expect(planPilots(10, 4, view([job('1', 'p-0', 'running')]), false).submit).toBe(0);
  });

  it('cancels the surplus: queued pilots first, then idle ones, never busy ones', () => {
    const jobs = [
      job('1', 'p-0', 'running'),
      job('2', 'p-1', 'running'),
      job('3', 'p-2', 'queued'),
      job('4', 'p-3', 'queued'),
    ];
    expect(planPilots(2, 4, view(jobs, ['p-0', 'p-1']), true).cancel).toEqual(['4', '3']);
    expect(planPilots(0, 4, view(jobs, ['p-0']), true).cancel).toEqual(['4', '3', '2']);
  });

  it('counts failed pilots as errors unless the operator cancelled them', () => {
    const p = planPilots(
      0,
      2,
      view([job('1', 'p-0', 'failed'), job('2', 'p-1', 'failed')], [], [], ['2']),
      true,
    );
    expect(p.counts.error).toBe(1);
  });
});

describe('pilot names', () => {
  it('are short, stable and carry a sequence', () => {
    const prefix = pilotPrefix('3f0e', 'site1', () => 'abcdef0123456789');
    expect(prefix).toBe('hpabcdef01-');
    expect(`${prefix}9999`.length).toBeLessThanOrEqual(15);
    expect(sequenceOf(`${prefix}42`, prefix)).toBe(42);
    expect(sequenceOf('other-1', prefix)).toBe(-1);
  });
});

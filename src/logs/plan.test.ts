import { makeHPCJob } from '../../test/support/builders/hpcjob.js';
import { attemptState, planLogs } from './plan.js';

const q = {
  resource: 'hpcjobs' as const,
  namespace: 'ns',
  name: 'step',
  stream: 'stdout' as const,
  follow: true,
};
const o = { logDir: '/logs', target: { name: 'schedd@ap' } };

describe('planLogs', () => {
  it('follows the running attempt by its job id and the HPCJob UID, on the recorded schedd', () => {
    const job = makeHPCJob().submitted(1, '41.0', { outcome: 'Succeeded' }).submitted(2, '42.0').obj();
    expect(planLogs(job, q, o)).toEqual({
      kind: 'live',
      attempt: 2,
      ref: { jobId: '42.0', uid: 'uid-step' },
      target: { name: 'schedd@ap' },
      path: '/logs/ns/step/2/hpc.stdout',
    });
  });

  it('does not follow a running gang step (condor_tail cannot), and serves its log once it has ended', () => {
    const gang = makeHPCJob()
      .virtualCluster('vc')
      .spec({ resources: { nodes: 2 } })
      .submitted(1, '42.0');
    expect(planLogs(gang.obj(), q, o)).toMatchObject({
      kind: 'refuse',
      status: 409,
      message: expect.stringContaining('is a gang step of 2 nodes: its output cannot be followed live'),
    });
    const ended = makeHPCJob()
      .virtualCluster('vc')
      .spec({ resources: { nodes: 2 } })
      .submitted(1, '42.0', { outcome: 'Succeeded' })
      .obj();
    expect(planLogs(ended, q, o)).toEqual({ kind: 'file', attempt: 1, path: '/logs/ns/step/1/hpc.stdout' });
  });

  it('serves the fetched file of an attempt that has ended', () => {
    const job = makeHPCJob().submitted(1, '41.0', { outcome: 'Failed' }).submitted(2, '42.0').obj();
    expect(planLogs(job, { ...q, attempt: 1, stream: 'stderr' }, o)).toEqual({
      kind: 'file',
      attempt: 1,
      path: '/logs/ns/step/1/hpc.stderr',
    });
  });

  it('says why there is nothing yet, and what does not exist', () => {
    expect(planLogs(makeHPCJob().obj(), q, o)).toEqual({
      kind: 'refuse',
      status: 409,
      message: 'hpcjob step has not been submitted yet (phase Pending): it has no logs',
      retryAfterSeconds: 5,
    });
    const job = makeHPCJob().submitted(1, '41.0').obj();
    expect(planLogs(job, { ...q, attempt: 3 }, o)).toEqual({
      kind: 'refuse',
      status: 404,
      message: 'hpcjob step has no attempt 3 (it has attempt 1)',
    });
    expect(planLogs(makeHPCJob().submitted(1, '').obj(), q, o)).toMatchObject({
      kind: 'refuse',
      status: 409,
    });
    expect(planLogs(job, q, { ...o, target: undefined })).toMatchObject({ kind: 'refuse', status: 409 });
  });
});

describe('attemptState', () => {
  it('is running until the attempt is recorded as ended, and gone when the HPCJob (that UID) is', () => {
    const running = makeHPCJob().submitted(1, '41.0').obj();
    const ended = makeHPCJob().submitted(1, '41.0', { outcome: 'Succeeded' }).obj();
    expect(attemptState(running, 'uid-step', 1)).toBe('running');
    expect(attemptState(ended, 'uid-step', 1)).toBe('ended');
    expect(attemptState(ended, 'uid-other', 1)).toBe('gone');
    expect(attemptState(undefined, 'uid-step', 1)).toBe('gone');
  });
});

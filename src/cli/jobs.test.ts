import { describe, expect, it } from '@jest/globals';
import type { HPCJob, HPCJobStatus } from '../crds/hpcjob.js';
import { exitOf, jobSummary, logPath } from './jobs.js';

function job(status: HPCJobStatus, spec: HPCJob['spec'] = { command: ['true'] }): HPCJob {
  return {
    apiVersion: 'hpc.scailfin.io/v1alpha1',
    kind: 'HPCJob',
    metadata: { name: 'fit', namespace: 'ns' },
    spec,
    status,
  };
}

const LOGS = '/var/log/hpc/ns/fit';

describe('logPath', () => {
  const retried = job({
    phase: 'Succeeded',
    attempt: 2,
    attempts: [
      { attempt: 1, outcome: 'Retried', exitCode: 1 },
      { attempt: 2, outcome: 'Succeeded', exitCode: 0 },
    ],
    logs: { stdout: `${LOGS}/2/hpc.stdout`, stderr: `${LOGS}/2/hpc.stderr` },
  });

  it('gives the last attempt by default and earlier ones next to it', () => {
    expect(logPath(retried, 'stdout')).toEqual({ attempt: 2, path: `${LOGS}/2/hpc.stdout` });
    expect(logPath(retried, 'stderr', 1)).toEqual({ attempt: 1, path: `${LOGS}/1/hpc.stderr` });
  });

  it('works for the workspace layout too', () => {
    const ws = job({ ...retried.status, logs: { stdout: '/reana/users/u/workflows/w/.hpc/fit/2/stdout' } });
    expect(logPath(ws, 'stdout', 1).path).toBe('/reana/users/u/workflows/w/.hpc/fit/1/stdout');
  });

  it('says why there is nothing to read', () => {
    expect(() => logPath(job({ phase: 'Pending' }), 'stdout')).toThrow(/has not run yet/);
    expect(() => logPath(retried, 'stdout', 3)).toThrow(/no attempt 3 \(it has attempts 1-2\)/);
    expect(() => logPath(retried, 'stdout', 0)).toThrow(/no attempt 0/);
    const running = job({
      phase: 'Running',
      attempt: 2,
      attempts: [
        { attempt: 1, outcome: 'Retried' },
        { attempt: 2, outcome: 'Running' },
      ],
      logs: { stdout: `${LOGS}/1/hpc.stdout` },
    });
    expect(() => logPath(running, 'stdout')).toThrow(/attempt 2 of hpcjob fit is still running.*--attempt 1/);
    expect(logPath(running, 'stdout', 1).path).toBe(`${LOGS}/1/hpc.stdout`);
    const cancelled = job({ phase: 'Failed', attempt: 1, attempts: [{ attempt: 1, outcome: 'Cancelled' }] });
    expect(() => logPath(cancelled, 'stderr')).toThrow(/no stderr recorded/);
  });
});

describe('summaries', () => {
  it('says phase, attempt, job and host in one line', () => {
    const j = job({
      phase: 'Running',
      attempt: 1,
      jobId: '12.0',
      attempts: [{ attempt: 1, outcome: 'Running', host: 'slot1@pool' }],
    });
    expect(jobSummary(j)).toBe('Running, attempt 1, job 12.0 on slot1@pool');
    expect(jobSummary(job({}))).toMatch(/^Pending/);
    const held = job({ phase: 'Held', attempt: 1, jobId: '3.0', attempts: [{ attempt: 1, holdCode: 47 }] });
    expect(jobSummary(held)).toBe('Held, attempt 1, job 3.0, hold code 47');
  });

  it('shows an exit code or the signal', () => {
    expect(exitOf({ attempt: 1, exitCode: 3 })).toBe('3');
    expect(exitOf({ attempt: 1, signal: 9 })).toBe('signal 9');
    expect(exitOf({ attempt: 1 })).toBe('');
  });
});

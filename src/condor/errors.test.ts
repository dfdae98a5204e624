import { describe, expect, it } from '@jest/globals';
import { classifyFailure } from './errors.js';

describe('classifyFailure', () => {
  it.each([
    ["ERROR: Can't find address of schedd schedd@ap", 'unavailable'],
    [
      'ERROR: Failed to connect to queue manager schedd@ap\nAUTHENTICATE:1003:Failed to authenticate with any method',
      'unavailable',
    ],
    [
      '\n-- Failed to fetch ads from: <10.0.0.5:9618> : ap\nSECMAN:2003:TCP connection to <10.0.0.5:9618> failed.',
      'unavailable',
    ],
    ['Error: Collector has no record of schedd/submitter', 'unavailable'],
    ['ERROR: Failed to parse command file (line 3).', 'rejected'],
    ['\n-- Parse error in constraint expression "HPCJobUID =="', 'rejected'],
    ['Permission denied to remove job 3.0', 'rejected'],
    ['something odd happened', 'failed'],
    // The owner's or the schedd's job quota is full (found by bench/hpcjobset.ts): it empties as jobs leave.
    [
      'ERROR: Failed to create proc\nNumber of submitted jobs would exceed MAX_JOBS_PER_OWNER\nERROR: Failed to commit job submission.',
      'failed',
    ],
    ['Number of submitted jobs would exceed MAX_JOBS_SUBMITTED', 'failed'],
    // A submission larger than the schedd takes at once fails the same way every time.
    ['Number of submitted jobs would exceed MAX_JOBS_PER_SUBMISSION', 'rejected'],
  ])('classifies %j as %s', (stderr, kind) => {
    const e = classifyFailure('condor_q', 1, stderr);
    expect(e.kind).toBe(kind);
    expect(e.message).toContain('condor_q exited 1');
  });

  it('says which failures are worth a retry', () => {
    expect(classifyFailure('condor_q', 1, 'Failed to connect to queue manager').transient).toBe(true);
    expect(classifyFailure('condor_submit', 1, 'ERROR: Failed to parse command file').transient).toBe(false);
  });
});

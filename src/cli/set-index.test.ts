import { describe, expect, it } from '@jest/globals';
import { T0 } from '../../test/support/builders/hpcjob.js';
import { makeHPCJobSet } from '../../test/support/builders/hpcjobset.js';
import { runPlugin } from '../../test/support/run-cli.js';
import { checkIndex, describeIndex, indexReport, indexStatusTable } from './set-index.js';

const counts = { pending: 0, queued: 1, running: 1, held: 0, succeeded: 1, failed: 1, cancelled: 0 };
const record = {
  index: 3,
  failedAttempts: 2,
  jobId: '9.3',
  exitCode: 3,
  failureCategory: 'ExitCode' as const,
  message: 'exited with code 3',
};
const set = makeHPCJobSet()
  .spec({ count: 5 })
  .template({ command: ['/bin/echo'], args: ['item $(HPC_INDEX)'] })
  .status({
    phase: 'Running',
    total: 5,
    counts,
    succeeded: '0',
    running: '1',
    failed: '3',
    indexRecords: [record],
  })
  .obj();

describe('one index of an HPCJobSet', () => {
  it('an index the set does not have is an error naming its indices', () => {
    expect(checkIndex(set, 4)).toBe(4);
    expect(() => checkIndex(set, 5)).toThrow('hpcjobset sweep has no index 5: it has 5 (indices 0-4)');
    expect(() => checkIndex(set, -1)).toThrow('has no index -1');
  });

  it("reports an index's state, attempt and record; one on no list is what the counts allow", () => {
    expect(indexReport(set, 0)).toMatchObject({ state: 'succeeded', attempt: 1, failedAttempts: 0 });
    expect(indexReport(set, 3)).toMatchObject({ state: 'failed', attempt: 2, failedAttempts: 2, record });
    expect(indexReport(set, 2)).toMatchObject({ state: 'queued', attempt: 1 });
    expect(indexStatusTable(indexReport(set, 3))).toBe(
      'HPCJOBSET   INDEX   STATE    ATTEMPT   FAILED   LAST FAILED JOB   MESSAGE\n' +
        'sweep       3       failed   2         2        9.3               exited with code 3\n',
    );
  });

  it('describes it: what it runs, its last failure and how to find its HTCondor job', () => {
    const text = describeIndex(set, 3, T0);
    expect(text).toContain("Command:          /bin/echo 'item 3'\n");
    expect(text).toContain('Environment:      HPC_INDEX=3\n');
    expect(text).toContain(
      'Last failure:     attempt 2, ExitCode, exit code 3, HTCondor job 9.3: exited with code 3\n',
    );
    expect(text).toContain(
      `HTCondor:         condor_q -constraint 'HPCJobUID == "uid-sweep" && HPCJobSetIndex == 3'\n`,
    );
    expect(text).toContain('Index:            3 (indices 0-4)\n');
  });

  it('--index is a usage error without one HPCJobSet, and --attempt with a set', async () => {
    const onJob = await runPlugin('logs', 'fit', '--index', '1');
    expect([onJob.code, onJob.err]).toEqual([
      2,
      "error: --index is for an HPCJobSet: logs hpcjobset/NAME --index N\nSee 'kubectl hpc logs --help'.\n",
    ]);
    const none = await runPlugin('status', '--index', '1');
    expect(none.code).toBe(2);
    expect(none.err).toContain('status --index takes one HPCJobSet: status hpcjobset/NAME --index N');
    expect((await runPlugin('describe', 'fit', '--index', '0')).err).toContain('--index is for an HPCJobSet');
  });
});

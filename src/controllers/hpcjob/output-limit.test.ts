import { describe, expect, it } from '@jest/globals';
import { defaultSettings, makeHPCJob, observe } from '../../../test/support/builders/hpcjob.js';
import { JobStatus } from '../../condor/job-status.js';
import { Tag } from '../../condor/tags.js';
import { buildSubmitJob } from './description.js';
import { jobState } from './job-state.js';
import { transition } from './transition.js';

const settings = defaultSettings({ maxOutputBytes: 1000, maxOutputBytesCeiling: 5000 });
const WS = { path: '/reana/users/u/workflows/w', staging: 'chirp' as const };
const submitOf = (t: ReturnType<typeof transition>) => t.afterWrite.find((e) => e.kind === 'submit');

describe('Bounded outputs: spec.workspace.maxOutputBytes', () => {
  it('gives the wrapper the operator default when the spec says nothing', () => {
    const t = transition(makeHPCJob().spec({ workspace: WS }).obj(), observe().obj(), settings);
    expect(submitOf(t)).toMatchObject({ maxOutputBytes: 1000 });
  });

  it("gives the wrapper the spec's limit up to the ceiling", () => {
    const job = makeHPCJob()
      .spec({ workspace: { ...WS, maxOutputBytes: 5000 } })
      .obj();
    expect(submitOf(transition(job, observe().obj(), settings))).toMatchObject({ maxOutputBytes: 5000 });
  });

  it('refuses a limit above the ceiling, naming the field', () => {
    const job = makeHPCJob()
      .spec({ workspace: { ...WS, maxOutputBytes: 5001 } })
      .obj();
    const t = transition(job, observe().obj(), settings);
    expect(submitOf(t)).toBeUndefined();
    expect(t.status.phase).toBe('Failed');
    expect(t.status.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'InvalidWorkspace',
      message:
        'spec.workspace.maxOutputBytes is 5001; this operator allows at most 5000 (--max-output-bytes-ceiling)',
    });
  });

  it('passes the limit to the wrapper as HPC_MAX_OUTPUT_BYTES, only with a workspace', () => {
    const o = { operatorId: 'op', wrapperPath: '/w.sh', attemptDir: '/d', memoryMiB: 1024 };
    const env = (job: ReturnType<ReturnType<typeof makeHPCJob>['obj']>, max?: number) => {
      const value = buildSubmitJob(job, 1, { ...o, maxOutputBytes: max }).commands.environment;
      return value?.kind === 'env' ? value.value : {};
    };
    expect(env(makeHPCJob().spec({ workspace: WS }).obj(), 1000)).toMatchObject({
      HPC_MAX_OUTPUT_BYTES: '1000',
    });
    expect(env(makeHPCJob().obj(), 1000)).not.toHaveProperty('HPC_MAX_OUTPUT_BYTES');
  });

  it("reads the wrapper's output-too-large report as an OutputTooLarge failure with its message", () => {
    const message =
      'the outputs are 8100 bytes, more than the 8000 allowed; the biggest: big.bin (5000 bytes)';
    const st = jobState({
      jobId: '7.0',
      uid: 'u',
      attempt: 1,
      ref: 'ns/step',
      source: 'queue',
      acked: false,
      ad: {
        JobStatus: JobStatus.Completed,
        ExitCode: 124,
        [Tag.WrapperResult]: JSON.stringify({ exitCode: 124, category: 'output-too-large', message }),
      },
    });
    expect(st).toMatchObject({ state: 'failed', category: 'OutputTooLarge', message });
  });
});

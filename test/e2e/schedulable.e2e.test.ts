/**
 * Why a step is not running, on the real pool: the operator asks condor_q -better-analyze about a job that
 * stays idle and writes condition Schedulable with what HTCondor says, and kubectl hpc describe shows it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  eventReasons,
  getHPCJob,
  installCRDs,
  waitForPhase,
  type HPCJobObject,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { REPO, kubeConfig, loadStackEnv, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const ns = uniqueName('e2e-why');
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: ['--match-analysis-after-seconds=3', '--match-analysis-every-seconds=5'],
});

const schedulable = (j: HPCJobObject) => j.status?.conditions?.find((c) => c.type === 'Schedulable');

function describeJob(name: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', join(REPO, 'src/cli/kubectl-hpc.ts'), 'describe', name, '-n', ns],
      { cwd: REPO, env: { ...process.env, ...loadStackEnv() } },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    ),
  );
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await op.start();
});

afterAll(async () => {
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('Schedulable: why a step is not running', () => {
  it('says which requirement no slot meets, with an Event, and kubectl hpc describe shows it', async () => {
    await createHPCJob(kc, ns, 'nowhere', {
      command: ['/bin/true'],
      requirements: 'TARGET.HasCVMFS =?= true',
    });
    const job = await waitFor(
      'condition Schedulable on the idle job',
      async () => {
        const j = await getHPCJob(kc, ns, 'nowhere');
        return j && schedulable(j) ? j : undefined;
      },
      90_000,
    );
    expect(job.status?.phase).toBe('Queued');
    expect(schedulable(job)).toMatchObject({ status: 'False', reason: 'NoMatchingSlot' });
    expect(schedulable(job)?.message).toMatch(/^0 of \d+ machines match: .*TARGET\.HasCVMFS/);
    expect(await eventReasons(kc, ns, 'nowhere', ['NotSchedulable'])).toContain('NotSchedulable');
    const text = await describeJob('nowhere');
    expect(text).toContain('Schedulable');
    expect(text).toContain('NoMatchingSlot');
  });

  it('explains a step waiting for resources in use, and turns True once it starts', async () => {
    // The pool's one partitionable slot has 16 GiB: two steps of 9 GiB cannot run together.
    const big = { command: ['/bin/sleep', '25'], resources: { memory: '9000Mi' } };
    await createHPCJob(kc, ns, 'first', big);
    await waitForPhase(kc, ns, 'first', ['Running']);
    await createHPCJob(kc, ns, 'second', { ...big, command: ['/bin/true'] });
    const waiting = await waitFor(
      'the second step to be explained',
      async () => {
        const j = await getHPCJob(kc, ns, 'second');
        return j && schedulable(j)?.status === 'False' ? j : undefined;
      },
      60_000,
    );
    expect(['SlotsBusy', 'Priority']).toContain(schedulable(waiting)?.reason);
    const done = await waitForPhase(kc, ns, 'second', ['Succeeded', 'Failed'], 180_000);
    expect(done.status?.phase).toBe('Succeeded');
    expect(schedulable(done)).toMatchObject({ status: 'True', reason: 'Matched' });
  });
});

/**
 * kubectl-hpc end to end: the plugin as a child process (through tsx, no build) against the local stack,
 * with a real operator, real HTCondor jobs and real Events. Each test reads what a person would read.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  getHPCJob,
  installCRDs,
  waitForPhase,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { REPO, kubeConfig, uniqueName, waitFor } from '../support/stack/stack.js';

const kc = kubeConfig();
const ns = uniqueName('e2e-cli');
const op = new OperatorProcess({ namespace: ns, operatorId: ns });
const CLI = join(REPO, 'src/cli/kubectl-hpc.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kubectl hpc ...` the way kubectl would, but from the sources. Never throws on a non-zero exit. */
function hpc(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: REPO, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** The raw HPCJob, with the annotations and tokens the helper's type leaves out. */
async function rawJob(name: string) {
  return (await getHPCJob(kc, ns, name)) as unknown as {
    metadata: { annotations?: Record<string, string> };
    status?: {
      phase?: string;
      attempt?: number;
      retryToken?: string;
      cancelToken?: string;
      logs?: { stdout?: string };
    };
  };
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  await op.start();
  await Promise.all([
    createHPCJob(kc, ns, 'ok', { command: ['/bin/sh', '-c', 'echo hello from kubectl-hpc'] }),
    // Fails on its first attempt, succeeds on its second: two attempts with different logs.
    createHPCJob(kc, ns, 'flaky', {
      script: 'echo "run $HPC_ATTEMPT"\necho "err $HPC_ATTEMPT" >&2\n[ "$HPC_ATTEMPT" -ge 2 ]',
      retryPolicy: {
        limit: 2,
        backoff: { initial: '1s', factor: 1 },
        rules: [{ onExitCodes: [1], action: 'retry' }],
      },
    }),
    // Overstays its walltime: HTCondor holds it with code 47, which fails the HPCJob by default.
    createHPCJob(kc, ns, 'held', { command: ['/bin/sleep', '300'], resources: { walltime: '3s' } }),
    createHPCJob(kc, ns, 'long', { command: ['/bin/sleep', '600'] }),
    // No allocations and no token Secret: it never gets workers, but it is enough for a status row.
    kc.makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({
      group: 'hpc.scailfin.io',
      version: 'v1alpha1',
      plural: 'virtualclusters',
      namespace: ns,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'VirtualCluster',
        metadata: { name: 'tiny' },
        spec: {
          pool: { collectorHost: '127.0.0.1', pilotTokenSecretRef: { name: 'none' } },
          allocations: [],
        },
      },
    }),
  ]);
});

afterAll(async () => {
  // The namespace goes first, while the operator still runs to lift its finalizers; otherwise the HPCJobs and
  // the VirtualCluster keep the namespace Terminating on the shared stack.
  await deleteNamespace(kc, ns);
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const left = async (plural: string) =>
    (
      (await co.listNamespacedCustomObject({
        group: 'hpc.scailfin.io',
        version: 'v1alpha1',
        plural,
        namespace: ns,
      })) as {
        items: unknown[];
      }
    ).items.length;
  await waitFor(
    'the test objects to be deleted',
    async () => (await left('hpcjobs')) + (await left('virtualclusters')) === 0,
    90_000,
    1000,
  ).catch((e: Error) => console.warn(e.message));
  await op.stop();
});

describe('kubectl hpc on the local stack', () => {
  it('waits for jobs with plain progress lines and says how each ended', async () => {
    const r = await hpc(['wait', 'ok', 'flaky', 'held', '-n', ns, '--timeout', '4m']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Not a terminal: one line per change, no cursor movement.
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toMatch(/^flaky: (Submitted|Queued|Running|Pending)/m);
    expect(r.stdout).toContain('hpcjob ok: Succeeded\n');
    expect(r.stdout).toContain('hpcjob flaky: Succeeded\n');
    expect(r.stdout).toContain('hpcjob held: Failed\n');

    const unmet = await hpc(['wait', 'held', '--for', 'succeeded', '-n', ns, '--timeout', '1m']);
    expect(unmet.code).toBe(1);
    expect(unmet.stdout).toContain('hpcjob held: Failed, not Succeeded\n');
  });

  it('shows HPCJobs and VirtualClusters in status', async () => {
    await waitForPhase(kc, ns, 'long', ['Running']);
    // Without its pilot-token Secret the VirtualCluster goes straight to Failed, and stays there.
    await waitFor('the VirtualCluster to be Failed', async () => {
      const vc = (await kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({
        group: 'hpc.scailfin.io',
        version: 'v1alpha1',
        plural: 'virtualclusters',
        namespace: ns,
        name: 'tiny',
      })) as { status?: { phase?: string } };
      return vc.status?.phase === 'Failed';
    });
    const r = await hpc(['status', '-n', ns]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^HPCJOB +PHASE +ATTEMPTS +JOB +VIRTUALCLUSTER +AGE$/m);
    expect(r.stdout).toMatch(/^ok +Succeeded +1 +\d+\.0 +\S+$/m);
    expect(r.stdout).toMatch(/^flaky +Succeeded +2 +\d+\.0 +\S+$/m);
    expect(r.stdout).toMatch(/^held +Failed +1 +\d+\.0 +\S+$/m);
    expect(r.stdout).toMatch(/^long +Running +1 +\d+\.0 +\S+$/m);
    expect(r.stdout).toMatch(/^VIRTUALCLUSTER +PHASE +REQUESTED +QUEUED +RUNNING +IDLE +BUSY +ERROR +AGE$/m);
    expect(r.stdout).toMatch(/^tiny +Failed +0 +0 +0 +0 +0 +0 +\S+$/m);

    const json = await hpc(['status', '-n', ns, '-o', 'json']);
    const list = JSON.parse(json.stdout) as {
      kind: string;
      items: { kind: string; metadata: { name: string } }[];
    };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => `${i.kind}/${i.metadata.name}`).sort()).toEqual([
      'HPCJob/flaky',
      'HPCJob/held',
      'HPCJob/long',
      'HPCJob/ok',
      'VirtualCluster/tiny',
    ]);

    const missing = await hpc(['status', '-n', ns, 'ok', 'nosuch']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no HPCJob, HPCJobSet or VirtualCluster named nosuch');
  });

  it('prints the logs of the last attempt and of earlier ones', async () => {
    expect(await hpc(['logs', 'ok', '-n', ns])).toEqual({
      code: 0,
      stdout: 'hello from kubectl-hpc\n',
      stderr: '',
    });
    expect((await hpc(['logs', 'flaky', '-n', ns])).stdout).toBe('run 2\n');
    expect((await hpc(['logs', 'flaky', '-n', ns, '--attempt', '1'])).stdout).toBe('run 1\n');
    expect((await hpc(['logs', 'flaky', '-n', ns, '--attempt', '1', '--stderr'])).stdout).toBe('err 1\n');

    const running = await hpc(['logs', 'long', '-n', ns]);
    expect(running.code).toBe(1);
    expect(running.stderr).toContain('attempt 1 of hpcjob long is still running');
    const noSuchAttempt = await hpc(['logs', 'flaky', '-n', ns, '--attempt', '3']);
    expect(noSuchAttempt.code).toBe(1);
    expect(noSuchAttempt.stderr).toContain('has no attempt 3 (it has attempts 1-2)');
  });

  it("falls back to kubectl exec in the operator's pod when the log is not on this machine", async () => {
    const path = (await rawJob('ok')).status?.logs?.stdout as string;
    const stubs = mkdtempSync(join(tmpdir(), 'kubectl-stub-'));
    const env = (dir: string) => ({ ...process.env, PATH: `${dir}:${process.env.PATH}` });
    const good = join(stubs, 'good');
    const bad = join(stubs, 'bad');
    for (const [dir, body] of [
      [good, 'printf "stub kubectl %s\\n" "$*"'],
      [bad, 'echo \'Error from server (NotFound): deployments.apps "hpc-operator" not found\' >&2; exit 1'],
    ] as const) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'kubectl'), `#!/bin/sh\n${body}\n`);
      chmodSync(join(dir, 'kubectl'), 0o755);
    }
    // Moves the attempt's directory away for a moment, as if the operator ran elsewhere.
    const attemptDir = dirname(path);
    renameSync(attemptDir, `${attemptDir}.away`);
    try {
      const viaPod = await hpc(
        ['logs', 'ok', '-n', ns, '--kubeconfig', process.env.KUBECONFIG as string],
        env(good),
      );
      expect(viaPod.code).toBe(0);
      expect(viaPod.stdout).toBe(
        `stub kubectl --kubeconfig=${process.env.KUBECONFIG} exec -n hpc-operator-system deploy/hpc-operator -- cat ${path}\n`,
      );
      const otherNs = await hpc(['logs', 'ok', '-n', ns, '--operator-namespace', 'ops'], env(good));
      expect(otherNs.stdout).toContain(' exec -n ops deploy/hpc-operator -- cat ');

      const failed = await hpc(['logs', 'ok', '-n', ns], env(bad));
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(`cannot read ${path}: it is not on this machine`);
      expect(failed.stderr).toContain('deployments.apps "hpc-operator" not found');
    } finally {
      renameSync(`${attemptDir}.away`, attemptDir);
    }
  });

  it('describes a job with its attempt history, conditions and Events', async () => {
    const r = await hpc(['describe', 'flaky', '-n', ns]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Phase: +Succeeded$/m);
    expect(r.stdout).toMatch(/^ {2}Succeeded +True +ExitedZero /m);
    expect(r.stdout).toMatch(/^ {2}ATTEMPT +JOB +OUTCOME +EXIT +HOLD +HOST +RUNTIME +START +END +RAN$/m);
    expect(r.stdout).toMatch(/^ {2}1 +\d+\.0 +Retried +1 +\S*hpc-pool +\S+ +\S+Z +\S+Z +\d+s$/m);
    expect(r.stdout).toMatch(/^ {2}2 +\d+\.0 +Succeeded +0 +\S*hpc-pool /m);
    expect(r.stdout).toContain('rules: exit 1 -> retry');
    expect(r.stdout).toMatch(/^ {2}\S+ +Warning +AttemptFailed +/m);
    // The plain life cycle is in the conditions and attempts above: no Normal Event for it without
    // --lifecycle-events (each would be one more API write per step).
    expect(r.stdout).not.toMatch(/ Normal +Succeeded /);

    const held = await hpc(['describe', 'held', '-n', ns]);
    expect(held.stdout).toMatch(/^ {2}1 +\d+\.0 +Failed +47 \(JobExecuteExceeded\) /m);
    expect(held.stdout).toMatch(/^ {2}#1: .*failure: Hold.*exceeded allowed execute duration/m);

    const missing = await hpc(['describe', 'nosuch', '-n', ns]);
    expect(missing).toMatchObject({ code: 1, stderr: `error: hpcjob nosuch in namespace ${ns} not found\n` });
  });

  it('explains the walltime hold of a job, and a hold code on its own', async () => {
    const r = await hpc(['explain-hold', 'held', '-n', ns]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^hpcjob held, attempt 1 \(HTCondor job \d+\.0\): hold 47 \(JobExecuteExceeded\)$/m,
    );
    expect(r.stdout).toMatch(/^HTCondor said: +\S/m);
    expect(r.stdout).toContain('spec.resources.walltime');
    expect(r.stdout).toMatch(/^Operator: +fails the HPCJob: hold code 47 is permanent\.$/m);

    const code = await hpc(['explain-hold', '--code', '13', '--subcode', '2']);
    expect(code.code).toBe(0);
    expect(code.stdout).toMatch(/^Hold code: +13\/2 \(TransferInputError, ENOENT\)$/m);
    expect(code.stdout).toContain('spec.workspace.inputs');
    expect(code.stdout).toMatch(/^Operator: +fails the HPCJob/m);

    expect((await hpc(['explain-hold', 'ok', '-n', ns])).stdout).toContain('hpcjob ok: no attempt was held');
  });

  it('refuses to retry a running job, and retries a finished one into attempt 2', async () => {
    const refused = await hpc(['retry', 'long', '-n', ns]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'hpcjob long is Running: retry starts a new attempt of a finished HPCJob',
    );
    expect((await rawJob('long')).metadata.annotations?.['hpc.scailfin.io/retry']).toBeUndefined();

    const r = await hpc(['retry', 'ok', '-n', ns, '--wait', '--timeout', '4m']);
    expect(r.code).toBe(0);
    const token = /retry requested \(hpc\.scailfin\.io\/retry=(\S+)\)/.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    expect(r.stdout).toContain('hpcjob ok: attempt 2 Succeeded');
    const j = await rawJob('ok');
    expect(j.metadata.annotations?.['hpc.scailfin.io/retry']).toBe(token);
    expect(j.status).toMatchObject({ phase: 'Succeeded', attempt: 2, retryToken: token });
    expect((await hpc(['logs', 'ok', '-n', ns, '--attempt', '1'])).stdout).toBe('hello from kubectl-hpc\n');
    expect((await hpc(['logs', 'ok', '-n', ns])).stdout).toBe('hello from kubectl-hpc\n');
  });

  it('cancels a running job and waits until it is Failed (Cancelled)', async () => {
    const r = await hpc(['cancel', 'long', '-n', ns, '--wait', '--timeout', '2m']);
    expect(r.code).toBe(0);
    const token = /cancel requested \(hpc\.scailfin\.io\/cancel=(\S+)\)/.exec(r.stdout)?.[1];
    expect(r.stdout).toContain('hpcjob long: cancelled (Failed, attempt 1)');
    const j = await getHPCJob(kc, ns, 'long');
    expect(j?.status?.phase).toBe('Failed');
    expect(j?.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('Cancelled');
    expect((await rawJob('long')).status?.cancelToken).toBe(token);

    const again = await hpc(['cancel', 'long', '-n', ns]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('hpcjob long already finished (Failed): there is nothing to cancel');
  });
});

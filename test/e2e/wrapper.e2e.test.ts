/**
 * The job wrapper on the real pool, through the operator: the REANA workspace staged in and out with
 * condor_chirp (the job's IO proxy) and with a cctools chirp_server, HTCondor file transfer and a shared file
 * system; steps run in Charliecloud with the workspace at its original path. The image is the stack's own
 * Debian 13 root, mounted read-only in the pool at /images/debian13 (no registry is reachable here). And
 * what the wrapper does when HTCondor tells it to stop (condor_rm) while the step runs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { equalsString } from '../../src/condor/schedd-commands.js';
import {
  createHPCJob,
  createNamespace,
  deleteHPCJob,
  deleteNamespace,
  installCRDs,
  waitForPhase,
  type HPCJobObject,
} from '../support/stack/kube.js';
import { OperatorProcess } from '../support/stack/operator.js';
import { REPO, kubeConfig, schedd, uniqueName, waitFor } from '../support/stack/stack.js';
import { SHARED, checksums, chownTree, makeWorkspace, startChirpServer } from '../support/stack/workspace.js';

const kc = kubeConfig();
const ns = uniqueName('e2e-wrapper');
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [`--workspace-mount=/reana=${SHARED}`],
});
const IMAGE = 'dir:///images/debian13';

function attempt(j: HPCJobObject) {
  return j.status?.attempts?.[0];
}

beforeAll(async () => {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  chownTree(SHARED);
  await op.start();
});

afterAll(async () => {
  await op.stop();
  await deleteNamespace(kc, ns);
});

describe('chirp staging (condor_chirp through the IO proxy) with Charliecloud', () => {
  it('fetches the workspace, runs the step at the original path and returns only new and changed files', async () => {
    const ws = makeWorkspace({
      'data/in.txt': 'input\n',
      'data/sub/deep.txt': 'deep\n',
      'untouched.txt': 'same\n',
    });
    const before = statSync(join(ws.host, 'untouched.txt')).mtimeMs;
    await createHPCJob(kc, ns, 'chirp-ok', {
      image: IMAGE,
      containerRuntime: 'charliecloud',
      script: [
        'cat /etc/debian_version',
        'pwd',
        'cat data/in.txt data/sub/deep.txt',
        'mkdir -p results/plots',
        'echo "fit result" > results/fit.txt',
        'echo png > results/plots/a.png',
        'echo changed >> data/in.txt',
      ].join('\n'),
      workspace: { path: ws.path, staging: 'chirp' },
    });
    const j = await waitForPhase(kc, ns, 'chirp-ok', ['Succeeded', 'Failed']);
    expect(j.status?.phase).toBe('Succeeded');
    expect(attempt(j)).toMatchObject({ runtime: 'charliecloud', exitCode: 0 });
    expect(readFileSync(join(ws.host, 'results/fit.txt'), 'utf8')).toBe('fit result\n');
    expect(readFileSync(join(ws.host, 'results/plots/a.png'), 'utf8')).toBe('png\n');
    expect(readFileSync(join(ws.host, 'data/in.txt'), 'utf8')).toBe('input\nchanged\n');
    // Not written back: unchanged on the worker.
    expect(statSync(join(ws.host, 'untouched.txt')).mtimeMs).toBe(before);
    // The step ran in the container (Debian 13) with the workspace at its REANA path.
    const stdout = readFileSync(join(ws.host, '.hpc/chirp-ok/1/stdout'), 'utf8');
    const debian = readFileSync(join(REPO, '.cache/rootfs/etc/debian_version'), 'utf8');
    expect(stdout).toBe(`${debian}${ws.path}\ninput\ndeep\n`);
    expect(j.status?.logs?.stdout).toBe(`${ws.path}/.hpc/chirp-ok/1/stdout`);
    const report = JSON.parse(readFileSync(join(ws.host, '.hpc/chirp-ok/1/result.json'), 'utf8')) as Record<
      string,
      number | string
    >;
    expect(report).toMatchObject({
      exitCode: 0,
      category: 'ok',
      runtime: 'charliecloud',
      bytesIn: 'input\n'.length + 'deep\n'.length + 'same\n'.length,
    });
    expect(report.bytesOut).toBe('fit result\n'.length + 'png\n'.length + 'input\nchanged\n'.length);
  });

  it('brings back the logs and partial results of a failing step and reports its exit code', async () => {
    const ws = makeWorkspace({ 'in.txt': 'x' });
    await createHPCJob(kc, ns, 'chirp-fail', {
      image: IMAGE,
      containerRuntime: 'charliecloud',
      script: 'echo partial > partial.txt\necho "fit did not converge" >&2\nexit 7',
      workspace: { path: ws.path, staging: 'chirp' },
    });
    const j = await waitForPhase(kc, ns, 'chirp-fail', ['Succeeded', 'Failed']);
    expect(j.status?.phase).toBe('Failed');
    expect(attempt(j)).toMatchObject({ exitCode: 7, failureCategory: 'ExitCode', runtime: 'charliecloud' });
    expect(j.status?.message).toContain('fit did not converge');
    expect(readFileSync(join(ws.host, 'partial.txt'), 'utf8')).toBe('partial\n');
    expect(readFileSync(join(ws.host, '.hpc/chirp-fail/1/stderr'), 'utf8')).toContain('fit did not converge');
  });

  it('reports a stage-in failure as its own category, which the default policy retries', async () => {
    await createHPCJob(kc, ns, 'stage-in-fail', {
      command: ['true'],
      workspace: { path: '/reana/users/none/workflows/missing', staging: 'chirp' },
      retryPolicy: { limit: 1, backoff: { initial: '1s' } },
    });
    const j = await waitForPhase(kc, ns, 'stage-in-fail', ['Succeeded', 'Failed']);
    expect(j.status?.phase).toBe('Failed');
    expect(j.status?.attempts?.map((a) => [a.failureCategory, a.exitCode, a.outcome])).toEqual([
      ['StageIn', 122, 'Retried'],
      ['StageIn', 122, 'Failed'],
    ]);
  });
});

describe('bounded outputs (workspace.maxOutputBytes)', () => {
  it('fails with OutputTooLarge naming the biggest files, and stages nothing back', async () => {
    const ws = makeWorkspace({ 'in.txt': 'x' });
    await createHPCJob(kc, ns, 'too-much', {
      image: IMAGE,
      containerRuntime: 'charliecloud',
      script: 'head -c 6000 /dev/zero > big.bin\nhead -c 10 /dev/zero > small.bin\necho wrote them',
      workspace: { path: ws.path, staging: 'chirp', maxOutputBytes: 4096 },
    });
    const j = await waitForPhase(kc, ns, 'too-much', ['Succeeded', 'Failed']);
    expect(j.status?.phase).toBe('Failed');
    expect(j.status?.attempts).toHaveLength(1);
    expect(attempt(j)).toMatchObject({ exitCode: 124, failureCategory: 'OutputTooLarge' });
    expect(j.status?.message).toContain(
      'the outputs are 6010 bytes, more than the 4096 allowed (spec.workspace.maxOutputBytes); nothing was staged back; the biggest: big.bin (6000 bytes), small.bin (10 bytes)',
    );
    // Nothing partial in the workspace: only what was there and the step's logs.
    expect(existsSync(join(ws.host, 'big.bin'))).toBe(false);
    expect(existsSync(join(ws.host, 'small.bin'))).toBe(false);
    expect(readFileSync(join(ws.host, '.hpc/too-much/1/stdout'), 'utf8')).toBe('wrote them\n');
  });
});

describe('the wrapper told to stop by HTCondor', () => {
  it('condor_rm while the step runs (the HPCJob deleted): the step gets SIGTERM, its partial results and logs come back', async () => {
    const ws = makeWorkspace({ 'in.txt': 'x' });
    await createHPCJob(kc, ns, 'chirp-term', {
      // Native: the step's own signal handling, no runtime in between. It says through chirp that it runs.
      script: [
        'trap \'kill "$sleeper"; echo saved > checkpoint.txt; echo "step: caught TERM" >&2; exit 3\' TERM',
        'echo partial > partial.txt',
        '/usr/libexec/condor/condor_chirp set_job_attr HPCStepStarted true',
        'sleep 600 & sleeper=$!',
        'wait "$sleeper"',
      ].join('\n'),
      workspace: { path: ws.path, staging: 'chirp' },
    });
    const sd = schedd();
    const mine = `${equalsString('HPCOperator', ns)} && ${equalsString('HPCJobRef', `${ns}/chirp-term`)}`;
    await waitFor(
      'the step to run',
      async () => {
        const [ad] = await sd.query(mine, ['HPCStepStarted']);
        return ad?.HPCStepStarted === true;
      },
      180_000,
    );
    // The operator removes the job (condor_rm): HTCondor sends the wrapper SIGTERM, then SIGKILL later.
    await deleteHPCJob(kc, ns, 'chirp-term');
    const logs = join(ws.host, '.hpc/chirp-term/1');
    await waitFor('the report in the workspace', () => existsSync(join(logs, 'result.json')), 180_000);
    const report = JSON.parse(readFileSync(join(logs, 'result.json'), 'utf8')) as Record<string, unknown>;
    expect(report).toMatchObject({ category: 'terminated', signal: 15, exitCode: 3 });
    expect(readFileSync(join(ws.host, 'partial.txt'), 'utf8')).toBe('partial\n');
    expect(readFileSync(join(ws.host, 'checkpoint.txt'), 'utf8')).toBe('saved\n');
    expect(readFileSync(join(logs, 'stderr'), 'utf8')).toContain('step: caught TERM');
  });
});

describe('cctools staging (chirp_server with a ticket)', () => {
  let server: Awaited<ReturnType<typeof startChirpServer>>;
  beforeAll(async () => {
    server = await startChirpServer();
  });
  afterAll(() => server?.stop());

  it('gets the workspace from the chirp_server and puts the results back', async () => {
    const ws = makeWorkspace({ 'data/in.txt': 'from chirp\n' });
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'chirp-ticket' }, stringData: { ticket: server.ticket } },
    });
    await createHPCJob(kc, ns, 'cctools', {
      image: IMAGE,
      containerRuntime: 'charliecloud',
      script: 'cat data/in.txt > copy.txt\nmkdir -p out/deeper\necho made > out/deeper/made.txt',
      workspace: {
        path: ws.path,
        staging: 'cctools',
        chirp: {
          server: `127.0.0.1:${server.port}`,
          root: '/reana',
          ticketSecretRef: { name: 'chirp-ticket' },
        },
      },
    });
    const j = await waitForPhase(kc, ns, 'cctools', ['Succeeded', 'Failed']);
    expect(j.status?.phase).toBe('Succeeded');
    expect(readFileSync(join(ws.host, 'copy.txt'), 'utf8')).toBe('from chirp\n');
    expect(readFileSync(join(ws.host, 'out/deeper/made.txt'), 'utf8')).toBe('made\n');
    // The ticket travelled with the job and was not left in the operator's files.
    expect(existsSync(join(op.logDir, ns, 'cctools', '1', 'hpc-chirp.ticket'))).toBe(false);
  });
});

describe('condor-transfer and shared-fs staging', () => {
  it('condor-transfer: HTCondor carries the workspace and the operator merges the results back', async () => {
    const ws = makeWorkspace({ 'a/in.txt': 'ct\n' });
    await createHPCJob(kc, ns, 'transfer', {
      image: IMAGE,
      containerRuntime: 'charliecloud',
      script: `pwd; cat a/in.txt > a/out.txt; echo new > top.txt`,
      workspace: { path: ws.path, staging: 'condor-transfer' },
    });
    const j = await waitForPhase(kc, ns, 'transfer', ['Succeeded', 'Failed']);
    expect(j.status?.phase).toBe('Succeeded');
    expect(readFileSync(join(ws.host, 'a/out.txt'), 'utf8')).toBe('ct\n');
    expect(readFileSync(join(ws.host, 'top.txt'), 'utf8')).toBe('new\n');
  });

  it('shared-fs: the worker sees the workspace itself', async () => {
    const ws = makeWorkspace({ 'in.txt': 'shared\n' });
    await createHPCJob(kc, ns, 'shared', {
      image: IMAGE,
      containerRuntime: 'charliecloud',
      script: 'cat in.txt > out.txt',
      workspace: { path: ws.path, staging: 'shared-fs' },
    });
    const j = await waitForPhase(kc, ns, 'shared', ['Succeeded', 'Failed']);
    expect(j.status?.phase).toBe('Succeeded');
    expect(readFileSync(join(ws.host, 'out.txt'), 'utf8')).toBe('shared\n');
  });
});

describe('a large workspace', () => {
  it('round-trips 1,000 files in nested directories, 100 MB, intact (checksums)', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 1000; i++) {
      const body = Buffer.alloc(100 * 1024);
      for (let b = 0; b < body.length; b += 4) body.writeUInt32LE((i * 2654435761 + b) >>> 0, b);
      files[`d${i % 10}/e${Math.floor(i / 10) % 10}/f${i}.bin`] = body;
    }
    const ws = makeWorkspace(files);
    const sent = checksums(ws.host);
    expect(sent.size).toBe(1000);
    await createHPCJob(kc, ns, 'big', {
      image: IMAGE,
      containerRuntime: 'charliecloud',
      // The step proves what it received (a checksum list) and sends everything back as new files.
      script:
        'find d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 -type f | sort | xargs sha256sum > received.sha256\nmkdir -p copy && cp -r d0 d1 d2 d3 d4 d5 d6 d7 d8 d9 copy/',
      workspace: { path: ws.path, staging: 'chirp' },
      resources: { disk: '1Gi' },
    });
    const j = await waitForPhase(kc, ns, 'big', ['Succeeded', 'Failed'], 600_000);
    expect(j.status?.phase).toBe('Succeeded');
    const received = new Map(
      readFileSync(join(ws.host, 'received.sha256'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map(([sum, path]) => [path as string, sum as string]),
    );
    expect(received).toEqual(sent);
    const back = checksums(join(ws.host, 'copy'));
    expect(back).toEqual(sent);
    const report = JSON.parse(readFileSync(join(ws.host, '.hpc/big/1/result.json'), 'utf8')) as Record<
      string,
      number
    >;
    expect(report.bytesIn).toBe(1000 * 100 * 1024);
    console.log(
      `1,000 files / 100 MB: stage-in ${report.stageInSeconds} s, stage-out ${report.stageOutSeconds} s`,
    );
  });
});

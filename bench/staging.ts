/**
 * Staging benchmark (make bench): a REANA-layout workspace of nested directories is staged into a job through
 * condor_chirp, read by the step, copied and staged back; the wrapper's own report gives the times.
 * Runs on the local stack through the operator, like a user's HPCJob. Prints a table; not a test.
 *
 *   node --import tsx bench/staging.ts [files=1000] [kib-per-file=100]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createHPCJob,
  createNamespace,
  deleteNamespace,
  installCRDs,
  waitForPhase,
} from '../test/support/stack/kube.js';
import { OperatorProcess } from '../test/support/stack/operator.js';
import { kubeConfig, uniqueName } from '../test/support/stack/stack.js';
import { SHARED, chownTree, makeWorkspace } from '../test/support/stack/workspace.js';

const files = Number(process.argv[2] ?? 1000);
const kib = Number(process.argv[3] ?? 100);
const kc = kubeConfig();
const ns = uniqueName('bench-staging');
const op = new OperatorProcess({
  namespace: ns,
  operatorId: ns,
  extraArgs: [`--workspace-mount=/reana=${SHARED}`],
});

async function main(): Promise<void> {
  await installCRDs(kc);
  await createNamespace(kc, ns);
  chownTree(SHARED);
  await op.start();
  try {
    const content: Record<string, Buffer> = {};
    for (let i = 0; i < files; i++)
      content[`d${i % 10}/e${Math.floor(i / 10) % 10}/f${i}.bin`] = Buffer.alloc(kib * 1024, i % 251);
    const ws = makeWorkspace(content);
    const started = Date.now();
    await createHPCJob(kc, ns, 'staging', {
      image: 'dir:///images/debian13',
      containerRuntime: 'charliecloud',
      script:
        'find . -path ./.hpc -prune -o -type f -print | xargs cat > /dev/null\nmkdir -p copy && cp -r d* copy/',
      workspace: { path: ws.path, staging: 'chirp' },
      resources: { disk: '2Gi' },
    });
    const j = await waitForPhase(kc, ns, 'staging', ['Succeeded', 'Failed'], 1_800_000);
    const total = (Date.now() - started) / 1000;
    const r = JSON.parse(readFileSync(join(ws.host, '.hpc/staging/1/result.json'), 'utf8')) as Record<
      string,
      number
    >;
    const mb = (files * kib) / 1024;
    const rows = [
      ['files', String(files)],
      ['size (MiB)', mb.toFixed(1)],
      ['phase', String(j.status?.phase)],
      ['stage-in (s)', String(r.stageInSeconds)],
      ['stage-in (MiB/s)', (mb / (r.stageInSeconds ?? 1)).toFixed(1)],
      ['run (s)', String(r.runSeconds)],
      ['stage-out (s), new files = same size', String(r.stageOutSeconds)],
      ['stage-out (MiB/s)', (mb / (r.stageOutSeconds ?? 1)).toFixed(1)],
      ['create -> Succeeded (s)', total.toFixed(1)],
    ];
    console.log('\nchirp staging through the HTCondor IO proxy (condor_chirp), Charliecloud step');
    for (const [k, v] of rows) console.log(`  ${(k ?? '').padEnd(40)} ${v ?? ''}`);
  } finally {
    await op.stop();
    await deleteNamespace(kc, ns);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

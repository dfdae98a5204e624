/**
 * HPCJob benchmarks (make bench) on the local stack; prints tables with ratios and the targets met or missed;
 * not a test.
 *
 *   node --import tsx bench/hpcjobs.ts [N ...] [--finalizer N] [--steady N] [--schedds N]
 *
 * N: HPCJobs applied at once whose jobs never match a slot (requirements false), so they stay Queued: this
 * measures submission and tracking, not the two cores running them, against the schedd's own limit, the API
 * server's own cost and the per-job strategy of the peers (bench/hpcjobs/throughput.ts). Default 100 1000 5000.
 * --finalizer N: the same for N HPCJobs created with the operator's finalizer, as the REANA backend creates
 * them; the issue-15 targets at N = 20,000 are read from this run. Default 20000 when no N is given.
 * --steady N: N HPCJobs of /bin/true that run and succeed, created with and without the finalizer: the API
 * writes of the steady path per HPCJob, by kind (bench/hpcjobs/writes.ts). Default 20 when no N is given.
 * --schedds N: N HPCJobs for an operator of one schedd, then of both of the stack's schedds: submit
 * throughput, two vs one (bench/hpcjobs/schedds.ts). Default 5000 when no N is given.
 */
import { installCRDs } from '../test/support/stack/kube.js';
import { kc } from './hpcjobs/cluster.js';
import { reportThroughput } from './hpcjobs/report.js';
import { runThroughput, type Row } from './hpcjobs/throughput.js';
import { reportSchedds, runSchedds, type ScheddsRow } from './hpcjobs/schedds.js';
import { reportSteady, runSteady, type SteadyRow } from './hpcjobs/writes.js';

interface Runs {
  sizes: number[];
  finalized: number[];
  steady: number[];
  schedds: number[];
}

function parseArgs(argv: string[]): Runs {
  const runs: Runs = { sizes: [], finalized: [], steady: [], schedds: [] };
  const flags: Record<string, number[]> = {
    '--finalizer': runs.finalized,
    '--steady': runs.steady,
    '--schedds': runs.schedds,
  };
  for (let i = 0; i < argv.length; i++) {
    const list = flags[argv[i] as string];
    if (list) list.push(Number(argv[++i]));
    else runs.sizes.push(Number(argv[i]));
  }
  if (argv.length === 0)
    return { sizes: [100, 1000, 5000], finalized: [20000], steady: [20], schedds: [5000] };
  for (const list of Object.values(runs) as number[][]) {
    const bad = list.find((n) => !Number.isInteger(n) || n <= 0);
    if (bad !== undefined) throw new Error(`not a number of HPCJobs: ${bad}`);
  }
  return runs;
}

async function main(): Promise<void> {
  const { sizes, finalized, steady, schedds } = parseArgs(process.argv.slice(2));
  await installCRDs(kc);
  const steadyRows: SteadyRow[] = [];
  for (const n of steady) {
    console.log(`running the steady path, N=${n} ...`);
    steadyRows.push(...(await runSteady(n)));
    reportSteady(steadyRows);
  }
  const rows: Row[] = [];
  const throughput = [
    ...sizes.map((n) => ({ n, withFinalizer: false })),
    ...finalized.map((n) => ({ n, withFinalizer: true })),
  ];
  for (const { n, withFinalizer } of throughput) {
    console.log(`running N=${n}${withFinalizer ? ' (created with the finalizer)' : ''} ...`);
    rows.push(await runThroughput(n, withFinalizer));
    reportThroughput(rows);
  }
  const scheddRows: ScheddsRow[] = [];
  for (const n of schedds) {
    console.log(`running two schedds vs one, N=${n} ...`);
    scheddRows.push(await runSchedds(n));
    reportSchedds(scheddRows);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

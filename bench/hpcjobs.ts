/**
 * HPCJob benchmarks (make bench) on the local stack; prints tables with ratios and the targets met or missed;
 * not a test.
 *
 *   node --import tsx bench/hpcjobs.ts [N ...] [--steady N]
 *
 * N: HPCJobs applied at once whose jobs never match a slot (requirements false), so they stay Queued: this
 * measures submission and tracking, not the two cores running them, against the schedd's own limit, the API
 * server's own cost and the per-job strategy of the peers (bench/hpcjobs/throughput.ts). Default 100 1000 5000.
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

function parseArgs(argv: string[]): { sizes: number[]; steady: number[]; schedds: number[] } {
  const sizes: number[] = [];
  const steady: number[] = [];
  const schedds: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--steady') steady.push(Number(argv[++i]));
    else if (argv[i] === '--schedds') schedds.push(Number(argv[++i]));
    else sizes.push(Number(argv[i]));
  }
  const valid = (xs: number[]) => xs.filter((n) => Number.isInteger(n) && n > 0);
  if (argv.length === 0) return { sizes: [100, 1000, 5000], steady: [20], schedds: [5000] };
  return { sizes: valid(sizes), steady: valid(steady), schedds: valid(schedds) };
}

async function main(): Promise<void> {
  const { sizes, steady, schedds } = parseArgs(process.argv.slice(2));
  await installCRDs(kc);
  const steadyRows: SteadyRow[] = [];
  for (const n of steady) {
    console.log(`running the steady path, N=${n} ...`);
    steadyRows.push(...(await runSteady(n)));
    reportSteady(steadyRows);
  }
  const rows: Row[] = [];
  for (const n of sizes) {
    console.log(`running N=${n} ...`);
    rows.push(await runThroughput(n));
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

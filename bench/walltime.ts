/**
 * Walltime-aware matching on versus off (make bench), on the local stack's SLURM site: how many steps finish
 * in a fixed window when pilots are short and steps long, how many runs a pilot's end cuts short and the
 * core-seconds they cost. Prints a table with both phases side by side; not a test.
 *
 *   node --import tsx bench/walltime.ts [--minutes M] [--steps N] [--step-seconds S] [--pilot-minutes P]
 *                                       [--pilots K] [--phases on,off]
 *
 * Defaults (about 20 minutes in all): an 8-minute window per phase, steps of 85 s, at most 2 one-core pilots of
 * 3 minutes; the flags are explained by bench/walltime/params.ts (USAGE, printed on a bad flag).
 */
import { installCRDs, keepCRDsInstalled } from '../test/support/stack/kube.js';
import { kubeConfig } from '../test/support/stack/stack.js';
import { parseArgs, problem, USAGE } from './walltime/params.js';
import { runPhase } from './walltime/phase.js';
import { describe, report, type Row } from './walltime/report.js';

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const p = parseArgs(process.argv.slice(2));
  const why = typeof p === 'string' ? p : problem(p);
  if (typeof p === 'string' || why) {
    console.error(`${why}\n\n${USAGE}`);
    process.exit(2);
  }
  const kc = kubeConfig();
  await installCRDs(kc);
  // Another checkout's test run may put its own CRDs back meanwhile; the phases depend on spec.steps.
  const stopKeeping = keepCRDsInstalled(kc, (spec) => spec?.properties?.steps !== undefined);
  // Ctrl-C ends the window early; the phase still cleans up what it made.
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  console.log(`walltime bench: ${describe(p)}`);
  const rows: Row[] = [];
  try {
    for (const mode of p.phases) {
      if (abort.signal.aborted) break;
      rows.push({ mode, ...(await runPhase(p, mode, abort.signal)) });
      report(p, rows);
    }
  } finally {
    stopKeeping();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

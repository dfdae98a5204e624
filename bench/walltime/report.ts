/** The walltime bench's table: the phases side by side, as Markdown (docs/performance.md quotes it). */
import { lifetimeSeconds, stepNeedSeconds, stepWalltimeSeconds, type Mode, type Params } from './params.js';
import type { PhaseResult } from './tally.js';

export type Row = { mode: Mode } & PhaseResult;

const LINES: [string, (r: PhaseResult) => string | number][] = [
  ['steps Succeeded in the window', (r) => r.succeeded],
  ['runs started (NumJobStarts)', (r) => r.runsStarted],
  ['runs lost (evicted, or ended without finishing the step)', (r) => r.runsLost],
  ['runs still going at the end', (r) => r.runningAtEnd],
  ['steps still waiting at the end', (r) => r.waitingAtEnd],
  ['attempts (HTCondor jobs) / ended otherwise than Succeeded', (r) => `${r.attempts} / ${r.failedAttempts}`],
  ['core-seconds of runs that finished their step', (r) => Math.round(r.usefulCoreSeconds)],
  ['core-seconds of runs that did not finish', (r) => Math.round(r.lostCoreSeconds)],
  ['pilots submitted', (r) => r.pilots],
  ['why runs were evicted (VacateReason, jobs)', (r) => reasons(r.vacateReasons)],
];

function reasons(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0
    ? '-'
    : entries.map(([why, n]) => `${why.replace(/\|/g, '/')} (${n})`).join('; ');
}

/** The parameters, as one line above the table. */
export function describe(p: Params): string {
  return (
    `window ${p.minutes} min per phase; ${p.steps} steps of sleep ${p.stepSeconds} s queued at its start; ` +
    `at most ${p.pilots} one-core SLURM pilots of ${p.pilotMinutes} min (walltime = maxWalltime; they take steps for ` +
    `${lifetimeSeconds(p)} s); "on": resources.walltime ${stepWalltimeSeconds(p)}s + walltimeMargin = ` +
    `HPCWalltimeNeeded ${stepNeedSeconds(p)} s; "off": no walltime, no defaultWalltime`
  );
}

export function report(p: Params, rows: Row[]): void {
  if (rows.length === 0) return;
  console.log(`\nWalltime-aware matching on and off: ${describe(p)}\n`);
  console.log(`| | ${rows.map((r) => `walltime-aware ${r.mode}`).join(' | ')} |`);
  console.log(`| --- | ${rows.map(() => '---:').join(' | ')} |`);
  for (const [label, value] of LINES) console.log(`| ${label} | ${rows.map(value).join(' | ')} |`);
  for (const r of rows)
    if (r.waitingAtEnd === 0)
      console.log(`\nwarning: "${r.mode}" ran out of queued steps before the window ended: raise --steps`);
}

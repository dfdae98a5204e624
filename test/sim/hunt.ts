/**
 * Runs seeds and sums up: one seed (a plan drawn from it, run once), a range of seeds in this thread, and the
 * text a failure prints (the violation, the end of its trace, and the command that replays it).
 */
import { drawPlan, withoutVirtualClusters } from './plan.js';
import { Prng } from './prng.js';
import { runSchedule, type Result, type ScheduleOptions } from './schedule.js';

export async function runSeed(
  seed: number,
  o: ScheduleOptions & { noVc?: boolean; minted?: boolean } = {},
): Promise<Result> {
  const plan = drawPlan(seed, new Prng(seed), { minted: o.minted });
  return runSchedule(o.noVc ? withoutVirtualClusters(plan) : plan, o);
}

export interface Failure {
  seed: number;
  invariant: string;
  message: string;
  trace: string;
}

export interface Tally {
  ran: number;
  steps: number;
  virtualMs: number;
  worstTrackingGapMs: number;
  counts: Record<string, number>;
  failures: Failure[];
}

export function emptyTally(): Tally {
  return { ran: 0, steps: 0, virtualMs: 0, worstTrackingGapMs: 0, counts: {}, failures: [] };
}

export function add(t: Tally, r: Result): void {
  t.ran++;
  t.steps += r.steps;
  t.virtualMs += r.virtualMs;
  t.worstTrackingGapMs = Math.max(t.worstTrackingGapMs, r.worstTrackingGapMs);
  for (const [k, v] of Object.entries(r.counts)) t.counts[k] = (t.counts[k] ?? 0) + v;
  if (r.violation)
    t.failures.push({
      seed: r.seed,
      invariant: r.violation.invariant,
      message: r.violation.message,
      trace: r.trace,
    });
}

export function merge(into: Tally, t: Tally): void {
  into.ran += t.ran;
  into.steps += t.steps;
  into.virtualMs += t.virtualMs;
  into.worstTrackingGapMs = Math.max(into.worstTrackingGapMs, t.worstTrackingGapMs);
  for (const [k, v] of Object.entries(t.counts)) into.counts[k] = (into.counts[k] ?? 0) + v;
  into.failures.push(...t.failures);
}

/** How a hunt runs its seeds (the command line's --no-vc, --minted and --ignore). */
export interface HuntOptions {
  noVc?: boolean;
  minted?: boolean;
  ignore?: string[];
}

export async function runRange(from: number, count: number, h: HuntOptions = {}): Promise<Tally> {
  const t = emptyTally();
  for (let seed = from; seed < from + count; seed++)
    add(t, await runSeed(seed, { noVc: h.noVc, minted: h.minted, ignore: h.ignore }));
  return t;
}

export function replayCommand(seed: number, h: HuntOptions = {}): string {
  const flags = `${h.noVc ? ' --no-vc' : ''}${h.minted ? ' --minted' : ''}${h.ignore?.length ? ` --ignore ${h.ignore.join(',')}` : ''}`;
  return `node --import tsx test/sim/run.ts --seed ${seed}${flags} --trace`;
}

export function describeFailure(f: Failure, h: HuntOptions = {}, traceLines = 60): string {
  const lines = f.trace.split('\n');
  return [
    `seed ${f.seed}: ${f.invariant}: ${f.message}`,
    ...lines.slice(-traceLines).map((l) => `  ${l}`),
    `replay: ${replayCommand(f.seed, h)}`,
  ].join('\n');
}

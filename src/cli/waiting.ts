/**
 * Waiting for HPCJobs with a progress display: used by `wait` and by `retry --wait` / `cancel --wait`.
 * It polls (one list per namespace per tick, whatever the number of jobs) rather than watching: a person's
 * wait does not need sub-second news, and a poll has no reconnects to get wrong.
 */
import type { HPCJob } from '../crds/hpcjob.js';
import type { CliContext } from './command.js';
import { humanDuration } from './format.js';
import { jobSummary } from './jobs.js';
import { CliError, type Kube } from './kube.js';
import { LiveBlock, sleep, spinner, type LiveLine } from './live.js';

/** Where a job stands: keep waiting, done as hoped, or done otherwise (it can no longer get there). */
export type Verdict = 'waiting' | 'met' | 'unmet';

export interface WaitOptions {
  namespace: string;
  names: string[];
  /** What is being waited for, for the progress header: "to finish", "for Succeeded". */
  goal: string;
  verdict(job: HPCJob): Verdict;
  /** The progress text of one job (default: phase, attempt, HTCondor job). */
  summary?(job: HPCJob): string;
  timeoutMs?: number;
  intervalMs?: number;
}

export interface WaitResult {
  name: string;
  verdict: Exclude<Verdict, 'waiting'> | 'gone';
  job?: HPCJob;
}

/** How long the API may fail in a row during a wait before the wait fails. */
const API_PATIENCE_MS = 60_000;

export async function waitForJobs(ctx: CliContext, o: WaitOptions): Promise<WaitResult[]> {
  const kube = ctx.kube();
  const live = new LiveBlock(ctx.out);
  const start = ctx.now();
  const results = new Map<string, WaitResult>();
  let failingSince: number | undefined;
  for (let tick = 0; ; tick++) {
    let jobs: HPCJob[];
    try {
      jobs = await readJobs(kube, o, tick);
      failingSince = undefined;
    } catch (e) {
      // A long wait outlives API server restarts and network blips: after the first look, keep trying for a
      // while (the progress says so) before giving up.
      if (tick === 0) throw e;
      failingSince ??= ctx.now();
      if (ctx.now() - failingSince > API_PATIENCE_MS) throw e;
      live.render([{ key: 'api', text: `(cannot read the HPCJobs, retrying: ${(e as Error).message})` }]);
      await sleep(o.intervalMs ?? 1000);
      continue;
    }
    const lines = jobLines(jobs, o, tick, results, live.tty);
    const elapsed = ctx.now() - start;
    const finished = results.size === o.names.length;
    renderProgress(live, lines, { o, tick, elapsed, finished });
    if (finished) {
      live.done();
      return o.names.map((n) => results.get(n) as WaitResult);
    }
    if (o.timeoutMs !== undefined && elapsed >= o.timeoutMs) {
      live.done();
      const pending = o.names.filter((n) => !results.has(n));
      throw new CliError(
        `timed out after ${humanDuration(elapsed)} waiting for ${pending.join(', ')} ${o.goal}`,
      );
    }
    await sleep(o.intervalMs ?? 1000);
  }
}

/** The jobs waited for: one get for one job (gone after the first look: none), else one list. */
async function readJobs(kube: Kube, o: WaitOptions, tick: number): Promise<HPCJob[]> {
  return o.names.length === 1
    ? await kube.getHPCJob(o.namespace, o.names[0] as string).then(
        (j) => [j],
        (e: Error) => (tick > 0 && / not found$/.test(e.message) ? [] : Promise.reject(e)),
      )
    : await kube.listHPCJobs(o.namespace);
}

/** Records the verdict of each job that has one (the first is kept), and gives each job's progress line. */
function jobLines(
  jobs: HPCJob[],
  o: WaitOptions,
  tick: number,
  results: Map<string, WaitResult>,
  tty: boolean,
): LiveLine[] {
  const summary = o.summary ?? jobSummary;
  const byName = new Map(jobs.map((j) => [j.metadata.name, j]));
  const lines: LiveLine[] = [];
  for (const name of o.names) {
    const job = byName.get(name);
    if (!job) {
      // Missing at the start is a typo (an error); missing later means it was deleted while we waited.
      if (tick === 0) throw new CliError(`hpcjob ${name} in namespace ${o.namespace} not found`);
      if (!results.has(name)) results.set(name, { name, verdict: 'gone' });
    } else if (!results.has(name)) {
      const v = o.verdict(job);
      if (v !== 'waiting') results.set(name, { name, verdict: v, job });
    }
    const r = results.get(name);
    const text = r?.verdict === 'gone' ? 'deleted' : summary((r?.job ?? job) as HPCJob);
    const mark = r ? (r.verdict === 'met' ? 'done' : 'stopped') : '';
    lines.push({ key: name, text: `${name}: ${text}${mark && tty ? `  [${mark}]` : ''}` });
  }
  return lines;
}

/** On a terminal: a header with a spinner (or the time waited, once finished) above the indented jobs. */
function renderProgress(
  live: LiveBlock,
  lines: LiveLine[],
  p: { o: WaitOptions; tick: number; elapsed: number; finished: boolean },
): void {
  if (!live.tty) {
    live.render(lines);
    return;
  }
  const { o, tick, elapsed, finished } = p;
  const what = o.names.length === 1 ? `hpcjob ${o.names[0]}` : `${o.names.length} hpcjobs`;
  const head = finished
    ? `waited ${humanDuration(elapsed)} for ${what} ${o.goal}`
    : `${spinner(tick)} waiting for ${what} ${o.goal} (${humanDuration(elapsed)})`;
  lines.unshift({ key: '', text: head });
  live.render(lines.map((l, i) => (i === 0 ? l : { ...l, text: `  ${l.text}` })));
}

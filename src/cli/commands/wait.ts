/** `kubectl hpc wait`: block until HPCJobs reach a phase, with a progress display. */
import { FINAL_PHASES, PHASES, type HPCJob } from '../../crds/hpcjob.js';
import { UsageError, stringFlag } from '../args.js';
import { COMMON_FLAGS, NAMESPACE, TIMEOUT, namespaceOf, type CliContext, type Command } from '../command.js';
import { isFinal } from '../jobs.js';
import { waitForJobs, type Verdict } from '../waiting.js';
import { durationFlag } from './util.js';

/** `--for Succeeded,failed` -> the phases, spelled as in the CRD. */
export function parsePhases(flag: string | undefined): string[] {
  if (flag === undefined) return [...FINAL_PHASES];
  const wanted = flag
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (wanted.length === 0) throw new UsageError('--for needs at least one phase');
  return wanted.map((w) => {
    const phase = PHASES.find((p) => p.toLowerCase() === w.toLowerCase());
    if (!phase) throw new UsageError(`--for: ${JSON.stringify(w)} is not a phase (${PHASES.join(', ')})`);
    return phase;
  });
}

/** Met when the phase is wanted; unmet when the job has finished otherwise, since it cannot move on. */
export function phaseVerdict(job: HPCJob, wanted: readonly string[]): Verdict {
  const phase = job.status?.phase;
  if (phase !== undefined && wanted.includes(phase)) return 'met';
  return isFinal(phase) ? 'unmet' : 'waiting';
}

export const wait: Command = {
  name: 'wait',
  summary: 'Wait until HPCJobs reach a phase (default: any final phase), showing progress.',
  usage: ['wait HPCJOB... [--for PHASE[,PHASE...]] [--timeout DURATION] [-n NS]'],
  details: `On a terminal the progress is one line per job, redrawn in place; in a pipe a line is printed each
time a job's state changes. Exits 0 when every job reached a wanted phase, 1 when one finished in another
phase (it will not get there now), was deleted, or the timeout passed. A job that finishes between two looks
without being seen in a wanted non-final phase (e.g. Running) counts as not reaching it.

Examples:
  kubectl hpc wait fit merge
  kubectl hpc wait fit --for Succeeded --timeout 2h
  kubectl hpc wait fit --for Running`,
  flags: [
    NAMESPACE,
    {
      name: 'for',
      type: 'string',
      placeholder: 'PHASES',
      help: `Comma-separated phases to wait for (default ${FINAL_PHASES.join(',')}).`,
    },
    TIMEOUT,
    { name: 'interval', type: 'string', placeholder: 'DURATION', help: 'How often to look (default 1s).' },
    ...COMMON_FLAGS,
  ],
  async run(ctx: CliContext): Promise<number> {
    const names = [...new Set(ctx.args.positionals)];
    if (names.length === 0) throw new UsageError('wait needs the names of one or more HPCJobs');
    const wanted = parsePhases(stringFlag(ctx.args, 'for'));
    const timeoutMs = durationFlag(ctx, 'timeout');
    const intervalMs = Math.max(200, durationFlag(ctx, 'interval') ?? 1000);
    const results = await waitForJobs(ctx, {
      namespace: namespaceOf(ctx),
      names,
      goal: stringFlag(ctx.args, 'for') === undefined ? 'to finish' : `for ${wanted.join(' or ')}`,
      verdict: (job) => phaseVerdict(job, wanted),
      intervalMs,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    for (const r of results) {
      const phase = r.job?.status?.phase;
      if (r.verdict === 'met') ctx.out.write(`hpcjob ${r.name}: ${phase}\n`);
      else if (r.verdict === 'gone') ctx.out.write(`hpcjob ${r.name}: deleted while waiting\n`);
      else ctx.out.write(`hpcjob ${r.name}: ${phase}, not ${wanted.join(' or ')}\n`);
    }
    return results.every((r) => r.verdict === 'met') ? 0 : 1;
  },
};

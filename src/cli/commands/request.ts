/**
 * `retry` and `cancel`: both ask the operator for something by setting an annotation to a new token, and
 * the operator records the token it acted on in status (retryToken / cancelToken). So "done" is observable:
 * the status token equals ours. The annotation is a merge patch on metadata only, made against the
 * resourceVersion that was checked, so the phase check cannot go stale between reading and writing.
 */
import type { HPCJob } from '../../crds/hpcjob.js';
import { boolFlag } from '../args.js';
import { COMMON_FLAGS, NAMESPACE, TIMEOUT, namespaceOf, type CliContext, type Command } from '../command.js';
import { jobSummary } from '../jobs.js';
import { CliError, Conflict } from '../kube.js';
import { waitForJobs, type Verdict } from '../waiting.js';
import { durationFlag, newToken, requireName } from './util.js';

export interface RequestKind {
  verb: 'retry' | 'cancel';
  annotation: string;
  /** Why the request makes no sense in this state, or undefined when it does. */
  refuse(job: HPCJob): string | undefined;
  /** Whether the wait is over: the operator took our token, and what it started has ended. */
  verdict(job: HPCJob, token: string, before: HPCJob): Verdict;
}

export function requestCommand(kind: RequestKind, summary: string, details: string): Command {
  return {
    name: kind.verb,
    summary,
    usage: [`${kind.verb} HPCJOB [-n NS] [--wait [--timeout DURATION]]`],
    details,
    flags: [
      NAMESPACE,
      {
        name: 'wait',
        type: 'boolean',
        help:
          kind.verb === 'retry'
            ? 'Wait until the new attempt has ended, showing progress.'
            : 'Wait until the operator has cancelled the job, showing progress.',
      },
      TIMEOUT,
      ...COMMON_FLAGS,
    ],
    run: (ctx) => request(ctx, kind),
  };
}

async function request(ctx: CliContext, kind: RequestKind): Promise<number> {
  const name = requireName(ctx, kind.verb);
  const timeoutMs = durationFlag(ctx, 'timeout');
  const ns = namespaceOf(ctx);
  const kube = ctx.kube();
  let before: HPCJob | undefined;
  let token = '';
  // The operator writes status often, and each write moves resourceVersion: read, check, patch, and on a
  // conflict do it again with the fresh object.
  for (let i = 0; i < 10 && !token; i++) {
    const job = await kube.getHPCJob(ns, name);
    const refusal = kind.refuse(job);
    if (refusal) throw new CliError(refusal);
    const t = newToken(ctx.now());
    try {
      await kube.annotateHPCJob(ns, name, { [kind.annotation]: t }, job.metadata.resourceVersion);
      before = job;
      token = t;
    } catch (e) {
      if (!(e instanceof Conflict)) throw e;
    }
  }
  if (!token || !before) throw new CliError(`hpcjob ${name} kept changing; try again`);
  ctx.out.write(`hpcjob ${name}: ${kind.verb} requested (${kind.annotation}=${token})\n`);
  if (!boolFlag(ctx.args, 'wait')) return 0;

  const [result] = await waitForJobs(ctx, {
    namespace: ns,
    names: [name],
    goal: kind.verb === 'retry' ? 'to run its new attempt' : 'to be cancelled',
    verdict: (job) => kind.verdict(job, token, before as HPCJob),
    summary: (job) => {
      const taken = (kind.verb === 'retry' ? job.status?.retryToken : job.status?.cancelToken) === token;
      return taken ? jobSummary(job) : `${jobSummary(job)} (the operator has not taken the request yet)`;
    },
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  });
  if (!result || result.verdict === 'gone') throw new CliError(`hpcjob ${name} was deleted while waiting`);
  const s = result.job?.status ?? {};
  if (kind.verb === 'cancel') {
    ctx.out.write(`hpcjob ${name}: cancelled (${s.phase}, attempt ${s.attempt ?? 0})\n`);
    return 0;
  }
  // A success needs no more words; a failure's message says why.
  const why = s.phase !== 'Succeeded' && s.message ? `: ${s.message.split('\n')[0]}` : '';
  ctx.out.write(`hpcjob ${name}: attempt ${s.attempt} ${s.phase}${why}\n`);
  return result.verdict === 'met' ? 0 : 1;
}

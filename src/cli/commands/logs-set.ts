/**
 * `kubectl hpc logs hpcjobset/NAME --index N`: one index's stdout or stderr, always through the operator's
 * live-logs endpoint (GET .../hpcjobsets/NAME?index=N, checked as get on hpcjobsets/log): an index that
 * ended is the file the operator fetched into the set's directory, a running one is condor_tail of its job.
 * The set's status records no file paths, so there is no direct read or kubectl exec here as for an HPCJob.
 * With -f the plugin waits for an index that is not in HTCondor yet (the operator answers 409 with
 * Retry-After) and follows it once it runs, until it ends.
 */
import { UsageError, boolFlag, intFlag } from '../args.js';
import type { CliContext } from '../command.js';
import { sleep } from '../live.js';
import { fetchLogs, type LogRequest, type OperatorEndpoint } from '../operator-logs.js';
import { checkIndex } from '../set-index.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { needEndpoint, report, tell } from './logs-live.js';

/** How long to wait before asking again when the operator gives no Retry-After (ms). */
const RETRY_MS = 2000;

export async function logsOfIndex(ctx: CliContext, set: HPCJobSet, index: number): Promise<number> {
  if (intFlag(ctx.args, 'attempt') !== undefined)
    throw new UsageError(
      "--attempt is for HPCJobs: an HPCJobSet keeps the output of each index's last ended attempt",
    );
  checkIndex(set, index);
  const name = set.metadata.name;
  const r: Omit<LogRequest, 'follow'> = {
    namespace: set.metadata.namespace,
    name,
    index,
    stream: boolFlag(ctx.args, 'stderr') ? 'stderr' : 'stdout',
  };
  const ep = needEndpoint(ctx, `the output of index ${index} of hpcjobset ${name} is served by the operator`);
  if (!boolFlag(ctx.args, 'follow'))
    return report(ctx, await fetchLogs(ctx.kube().kc, ep, { ...r, follow: false }, ctx.out));
  return followIndex(ctx, ep, r);
}

/** Follows the index until its attempt ends; while it is not in HTCondor yet, asks again when told to. */
async function followIndex(
  ctx: CliContext,
  ep: OperatorEndpoint,
  r: Omit<LogRequest, 'follow'>,
): Promise<number> {
  let told = '';
  for (;;) {
    const a = await fetchLogs(ctx.kube().kc, ep, { ...r, follow: true }, ctx.out);
    if (a.ok || a.status !== 409) return report(ctx, a);
    told = tell(ctx, told, a.message);
    await sleep(a.retryAfterSeconds !== undefined ? a.retryAfterSeconds * 1000 : RETRY_MS);
  }
}

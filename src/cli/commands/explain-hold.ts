/**
 * `kubectl hpc explain-hold`: what an HTCondor hold means for this HPCJob and what to do, from the hold-code
 * table (src/condor/hold-codes.ts) plus what the operator will do about it, worked out with the same
 * decide() the reconciler uses: the default, and this job's retryPolicy.
 */
import { explainHoldCode, holdLabel, type HoldExplanation } from '../../condor/hold-explanation.js';
import { HoldCode } from '../../condor/job-status.js';
import { SUSPEND_REASON } from '../../controllers/hpcjob/job-state.js';
import { decide, type Decision } from '../../controllers/hpcjob/retry.js';
import { HPCJobDefaults, type HPCJob, type RetryPolicy } from '../../crds/hpcjob.js';
import { UsageError, intFlag } from '../args.js';
import {
  COMMON_FLAGS,
  NAMESPACE,
  OUTPUT,
  namespaceOf,
  outputFormat,
  type CliContext,
  type Command,
} from '../command.js';
import { labelled, render, type OutputFormat } from '../format.js';

export const explainHold: Command = {
  name: 'explain-hold',
  summary: 'Explain an HTCondor hold: what the HoldReasonCode means and what to do.',
  usage: [
    'explain-hold HPCJOB [--attempt N] [-n NS] [-o json|yaml]',
    'explain-hold --code N [--subcode M] [-o json|yaml]',
  ],
  details: `With an HPCJob: its latest hold (or that of --attempt N), with HTCondor's hold reason and what the
operator does about it under that job's retryPolicy; -o json|yaml lists every hold. With --code: the code
alone.

Examples:
  kubectl hpc explain-hold fit
  kubectl hpc explain-hold --code 13 --subcode 2`,
  flags: [
    NAMESPACE,
    { name: 'attempt', type: 'int', placeholder: 'N', help: 'Only this attempt.' },
    {
      name: 'code',
      type: 'int',
      placeholder: 'N',
      help: 'Explain this HoldReasonCode instead of an HPCJob.',
    },
    { name: 'subcode', type: 'int', placeholder: 'M', help: 'With --code: the HoldReasonSubCode.' },
    OUTPUT,
    ...COMMON_FLAGS,
  ],
  async run(ctx: CliContext): Promise<number> {
    const code = intFlag(ctx.args, 'code');
    const subCode = intFlag(ctx.args, 'subcode');
    const format = outputFormat(ctx);
    if (code !== undefined) return explainCode(ctx, code, subCode, format);
    if (subCode !== undefined) throw new UsageError('--subcode goes with --code');
    return explainJobHolds(ctx, format);
  },
};

/** `--code N [--subcode M]`: the code alone, with what the operator does about it by default. */
function explainCode(
  ctx: CliContext,
  code: number,
  subCode: number | undefined,
  format: OutputFormat | undefined,
): number {
  if (ctx.args.positionals.length > 0) throw new UsageError('give an HPCJob or --code, not both');
  if (code < 0 || (subCode ?? 0) < 0) throw new UsageError('hold codes and subcodes are not negative');
  const e = explainHoldCode(code, subCode);
  const operator = decide(undefined, { category: 'Hold', holdCode: code, holdSubCode: subCode });
  if (format) ctx.out.write(render({ ...e, operatorDefault: operator }, format));
  else ctx.out.write(explanationText(e) + labelled('Operator', operatorText(operator, undefined)));
  return 0;
}

/** One held attempt: the explanation and what the operator does, by default and under the job's policy. */
interface HoldReport {
  attempt: number;
  jobId: string | undefined;
  holdReason: string | undefined;
  releases: number;
  explanation: HoldExplanation;
  operatorDefault: Decision;
  operatorForThisJob: Decision;
}

/** `HPCJOB [--attempt N]`: the job's holds, the latest in full. */
async function explainJobHolds(ctx: CliContext, format: OutputFormat | undefined): Promise<number> {
  const [name, ...rest] = ctx.args.positionals;
  if (!name) throw new UsageError('explain-hold needs an HPCJob, or --code N');
  if (rest.length > 0) throw new UsageError('explain-hold takes one HPCJob');
  const job = await ctx.kube().getHPCJob(namespaceOf(ctx), name);
  const only = intFlag(ctx.args, 'attempt');
  const reports = holdReports(job, only);
  if (format) {
    ctx.out.write(render({ hpcJob: name, namespace: job.metadata.namespace, holds: reports }, format));
    return 0;
  }
  if (reports.length === 0) {
    ctx.out.write(
      `hpcjob ${name}: ${only === undefined ? 'no attempt was held' : `attempt ${only} was not held`} ` +
        '(no hold code recorded in status.attempts)\n',
    );
    return 0;
  }
  ctx.out.write(holdsText(name, reports, job.spec.retryPolicy));
  return 0;
}

function holdReports(job: HPCJob, only: number | undefined): HoldReport[] {
  const held = (job.status?.attempts ?? []).filter(
    (a) => a.holdCode !== undefined && (only === undefined || a.attempt === only),
  );
  return held.map((a) => {
    const e = explainHoldCode(a.holdCode as number, a.holdSubCode);
    const failure = { category: 'Hold' as const, holdCode: e.code, holdSubCode: a.holdSubCode };
    return {
      attempt: a.attempt,
      jobId: a.jobId,
      holdReason: a.holdReason,
      releases: a.releases ?? 0,
      explanation: e,
      operatorDefault: decide(undefined, failure),
      operatorForThisJob: decide(job.spec.retryPolicy, failure),
    };
  });
}

/** The latest hold in full; earlier ones (often the same code again) in a line, --attempt for their details. */
function holdsText(name: string, reports: HoldReport[], policy: RetryPolicy | undefined): string {
  const r = reports[reports.length - 1] as HoldReport;
  const earlier = reports
    .slice(0, -1)
    .map((x) => `attempt ${x.attempt}: ${holdLabel(x.explanation.code, x.explanation.subCode)}`);
  return (
    `hpcjob ${name}, attempt ${r.attempt}${r.jobId ? ` (HTCondor job ${r.jobId})` : ''}: ` +
    `hold ${holdLabel(r.explanation.code, r.explanation.subCode)}\n` +
    (r.holdReason ? labelled('HTCondor said', r.holdReason) : '') +
    explanationText(r.explanation, false) +
    labelled(
      'Operator',
      r.explanation.code === HoldCode.UserRequest && !r.holdReason?.startsWith(SUSPEND_REASON)
        ? 'leaves the hold to the person who placed it: the HPCJob stays Held until the job is released, or until --user-hold-timeout-seconds (default 24 h) passes; then it ' +
            lowerFirst(operatorText(r.operatorForThisJob, policy, r.operatorDefault))
        : operatorText(r.operatorForThisJob, policy, r.operatorDefault),
    ) +
    (r.releases ? labelled('Releases', `${r.releases} so far for this attempt`) : '') +
    (earlier.length > 0 ? labelled('Earlier holds', `${earlier.join('; ')} (see --attempt N)`) : '')
  );
}

function explanationText(e: HoldExplanation, withCode = true): string {
  return (
    (withCode ? labelled('Hold code', holdLabel(e.code, e.subCode)) : '') +
    (e.subCodeMeaning ? labelled('Subcode', `${e.subCode} ${e.subCodeName}: ${e.subCodeMeaning}`) : '') +
    labelled('Meaning', e.meaning) +
    labelled('What to do', e.advice)
  );
}

/** What the operator does with such a hold, and whether the job's own rules changed the default. */
function operatorText(d: Decision, policy: RetryPolicy | undefined, byDefault?: Decision): string {
  const what =
    d.action === 'release'
      ? `releases the job after the backoff, up to releaseLimit (${policy?.releaseLimit ?? HPCJobDefaults.releaseLimit}) times per attempt`
      : d.action === 'retry'
        ? `starts a new attempt after the backoff, up to limit (${policy?.limit ?? HPCJobDefaults.retryLimit})` +
          (d.memoryFactor ? ` with memory x${d.memoryFactor}` : '')
        : 'fails the HPCJob';
  const changed =
    byDefault && byDefault.because !== d.because ? `; without that rule it would ${verb(byDefault)}` : '';
  return `${what}: ${d.because}${changed}.`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function verb(d: Decision): string {
  return d.action === 'release' ? 'release it' : d.action === 'retry' ? 'retry it' : 'fail';
}

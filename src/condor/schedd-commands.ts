/**
 * The condor_* command lines for one schedd, addressed with -name/-pool, taking ClassAd constraints as
 * text: submit, query, history, job actions, qedit, transfer_data. The operator itself goes through the
 * structured ScheddApi (condor/schedd.ts renders its selectors into constraints for these); tests and
 * benchmarks use these directly with constraints of their own.
 */
import type { ChildProcess } from 'node:child_process';
import type { CondorCli, RunResult } from './cli.js';
import { CondorError } from './errors.js';
import { JsonAdStream } from './json-ads.js';
import { parseSubmitTerse, type JobAd, type SubmittedRange } from './parse.js';
import { scheddLabel, type CallPurpose, type ScheddTarget } from './schedd-api.js';
import { classAdLiteral } from './submit-description.js';

/** The tools that act on jobs. */
export type JobTool = 'condor_rm' | 'condor_hold' | 'condor_release';

const SUBMIT_TIMEOUT_MS = 120_000;
const SUBMIT_TIMEOUT_PER_PROC_MS = 10;

/**
 * How long one condor_submit may take: two minutes, and more for a large cluster. The local schedd took 2 ms
 * per proc for 5,000 and 5.4 ms for 20,000 (bench/hpcjobs.ts); a timeout would leave an HPCJobSet waiting for
 * a read of the queue to learn what was committed.
 */
export function submitTimeoutMs(procs: number): number {
  return Math.max(SUBMIT_TIMEOUT_MS, procs * SUBMIT_TIMEOUT_PER_PROC_MS);
}
export class ScheddCommands {
  constructor(
    readonly cli: CondorCli,
    readonly target: ScheddTarget = {},
  ) {}

  /** A label for metrics and logs. */
  get label(): string {
    return scheddLabel(this.target);
  }

  #addr(): string[] {
    const a: string[] = [];
    if (this.target.name) a.push('-name', this.target.name);
    if (this.target.pool) a.push('-pool', this.target.pool);
    return a;
  }

  #run(
    tool: string,
    args: string[],
    o: {
      input?: string;
      okExitCodes?: number[];
      timeoutMs?: number;
      cwd?: string;
      purpose?: CallPurpose;
    } = {},
  ) {
    return this.cli.run(tool, [...this.#addr(), ...args], { ...o, target: this.label });
  }

  /**
   * The ads a -json listing prints, read ad by ad as they arrive (json-ads.ts): the text of a whole queue is
   * never held at once.
   */
  async #readAds(
    tool: string,
    args: string[],
    purpose: CallPurpose,
    onAd?: (ad: JobAd) => void,
  ): Promise<JobAd[]> {
    const ads: JobAd[] = [];
    const reader = new JsonAdStream(tool, onAd ?? ((ad) => ads.push(ad)));
    await this.cli.run(tool, [...this.#addr(), ...args], {
      target: this.label,
      purpose,
      onStdout: (chunk) => reader.write(chunk),
    });
    reader.end();
    return ads;
  }

  /**
   * Submits a description read from stdin (of `procs` jobs, for its timeout). `spool` uploads the executable and inputs to the schedd, which is
   * what a remote operator needs (its files are not on the access point).
   */
  async submit(
    description: string,
    o: { spool?: boolean; cwd?: string; procs?: number } = {},
  ): Promise<SubmittedRange[]> {
    const args = ['-terse'];
    if (o.spool !== false) args.push('-spool');
    args.push('-');
    const r = await this.#run('condor_submit', args, {
      input: description,
      timeoutMs: submitTimeoutMs(o.procs ?? 1),
      cwd: o.cwd,
      purpose: 'submit',
    });
    return parseSubmitTerse(r.stdout);
  }

  /**
   * condor_q over every owner's jobs that match, projecting only `attributes`. With `onAd`, each ad goes to it
   * as soon as it is read and none is returned.
   */
  async query(
    constraint: string,
    attributes: readonly string[],
    purpose: CallPurpose = 'track',
    onAd?: (ad: JobAd) => void,
  ): Promise<JobAd[]> {
    const args = [
      '-allusers',
      '-constraint',
      constraint,
      '-json',
      '-attributes',
      withIds(attributes).join(','),
    ];
    return this.#readAds('condor_q', args, purpose, onAd);
  }

  /** condor_history of jobs that left the queue, newest first. */
  async history(
    constraint: string,
    attributes: readonly string[],
    o: { limit?: number; completedSince?: number } = {},
  ): Promise<JobAd[]> {
    const args = ['-constraint', constraint, '-json', '-attributes', withIds(attributes).join(',')];
    if (o.limit !== undefined) args.push('-limit', String(o.limit));
    if (o.completedSince !== undefined) args.push('-completedsince', String(Math.floor(o.completedSince)));
    return this.#readAds('condor_history', args, 'track');
  }

  /**
   * condor_rm / condor_hold / condor_release by constraint. Returns false when no job matched or all were
   * already in that state: these tools exit 1 for "not found" and "already done" (reference/htcondor.md §3).
   * `forcex` (condor_rm only) takes jobs already removed (X) out of the queue at once; HTCondor refuses it for
   * a job in any other state (exit 1, "not in `X' state to be forcibly removed"), which is false here too.
   */
  async act(
    action: JobTool,
    constraint: string,
    reason?: string,
    o: { forcex?: boolean } = {},
  ): Promise<boolean> {
    if (o.forcex && action !== 'condor_rm')
      throw new Error(`-forcex is an option of condor_rm, not ${action}`);
    const args = [...(o.forcex ? ['-forcex'] : []), '-constraint', constraint];
    if (reason !== undefined && action !== 'condor_release' && !o.forcex)
      args.push('-reason', reason.replace(/[\r\n]+/g, ' '));
    const r = await this.#run(action, args, { okExitCodes: [1], purpose: 'action' });
    if (r.exitCode === 0) return true;
    if (isNothingMatched(r)) return false;
    throw new CondorError(
      'failed',
      action,
      r.exitCode,
      r.stderr,
      `${action} failed: ${r.stderr.trim().slice(0, 500)}`,
    );
  }

  /** condor_qedit of one attribute on every matching job; false when nothing matched. */
  async edit(constraint: string, attribute: string, value: string | number | boolean): Promise<boolean> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(attribute)) throw new Error(`invalid attribute name ${attribute}`);
    const v = typeof value === 'string' ? classAdLiteral(value) : String(value);
    const r = await this.#run('condor_qedit', ['-constraint', constraint, attribute, v], {
      okExitCodes: [1],
    });
    if (r.exitCode === 0) return true;
    if (/No jobs match|matching 0 jobs/i.test(r.stderr + r.stdout)) return false;
    throw new CondorError(
      'failed',
      'condor_qedit',
      r.exitCode,
      r.stderr,
      `condor_qedit failed: ${r.stderr.trim().slice(0, 500)}`,
    );
  }

  /** Fetches the output sandboxes of matching spooled jobs into their submit-time directories. */
  async transferData(constraint: string): Promise<void> {
    await this.#run('condor_transfer_data', ['-constraint', constraint], {
      timeoutMs: 300_000,
      purpose: 'logs',
    });
  }

  /**
   * `condor_q -better-analyze` of the jobs that match, as text (the tool has no machine-readable form).
   * The operator sends one job at a time: the analysis of one job stands for its whole autocluster.
   */
  async betterAnalyze(constraint: string): Promise<string> {
    const r = await this.#run('condor_q', ['-allusers', '-better-analyze', '-constraint', constraint], {
      timeoutMs: 60_000,
      purpose: 'analyze',
    });
    return r.stdout;
  }

  /**
   * condor_tail of one running job's stdout or stderr, as a child process whose stdout is the log: one poll
   * of its last `maxBytes`, or with `follow` a poll every 2 s (each asks the schedd's transfer queue) until
   * the job leaves the running state. Every poll brings at most `maxBytes`. The caller reads the child's
   * stdout and kills it when nobody wants it any more; on a job that is not running the tool waits, so the
   * caller checks the job first.
   */
  tail(jobId: string, o: { stream: 'stdout' | 'stderr'; maxBytes: number; follow: boolean }): ChildProcess {
    if (!/^\d+\.\d+$/.test(jobId)) throw new Error(`not a job id: ${JSON.stringify(jobId)}`);
    const args = [...this.#addr(), '-maxbytes', String(Math.max(1, Math.floor(o.maxBytes)))];
    if (o.follow) args.push('-f');
    if (o.stream === 'stderr') args.push('-no-stdout', '-stderr');
    args.push(jobId);
    return this.cli.spawn('condor_tail', args, { target: this.label, purpose: 'logs' });
  }

  /** A cheap round trip to the schedd (used by /readyz and the SchedulerReachable condition). */
  async ping(): Promise<void> {
    await this.#run('condor_q', ['-allusers', '-constraint', 'false', '-af', 'ClusterId'], {
      timeoutMs: 15_000,
    });
  }
}

function withIds(attributes: readonly string[]): string[] {
  const set = new Set(['ClusterId', 'ProcId', ...attributes]);
  return [...set];
}

function isNothingMatched(r: RunResult): boolean {
  const text = r.stderr + r.stdout;
  return (
    /Couldn't find\/\w+ all jobs matching constraint/i.test(text) ||
    /There are no jobs in the queue/i.test(text) ||
    /not found/i.test(text) ||
    /already (marked for removal|held)|not held to be released|not in .X. state to be forcibly removed/i.test(
      text,
    )
  );
}

/** A ClassAd constraint `Attr == "value"` with the value safely quoted. */
export function equalsString(attribute: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(attribute)) throw new Error(`invalid attribute name ${attribute}`);
  return `${attribute} == ${classAdLiteral(value)}`;
}

/**
 * The operator's ScheddApi over the condor_* tools: each structured selector becomes one ClassAd
 * constraint (values quoted by classAdLiteral, ids as numbers), each call one command line.
 */
import { parseMatchAnalysis, type MatchAnalysis } from './match-analysis.js';
import { jobIdsOf } from './parse.js';
import type { JobAd } from './parse.js';
import type { CondorCli } from './cli.js';
import type { CallPurpose, JobAction, JobRef, JobSelector, ScheddApi, ScheddTarget } from './schedd-api.js';
import { ScheddCommands, type JobTool } from './schedd-commands.js';
import {
  classAdLiteral,
  renderSubmitDescription,
  renderSubmitTable,
  type SubmitJob,
  type SubmitTable,
} from './submit-description.js';
import { Tag } from './tags.js';

const TOOL: Record<JobAction, JobTool> = {
  remove: 'condor_rm',
  hold: 'condor_hold',
  release: 'condor_release',
  forcex: 'condor_rm',
  discard: 'condor_rm',
};

/** One job as a constraint: `ClusterId.ProcId` (the numbers checked) and its HPCJobUID. */
function jobConstraint(ref: JobRef): string {
  const m = /^(\d+)\.(\d+)$/.exec(ref.jobId);
  if (!m) throw new Error(`not a job id: ${JSON.stringify(ref.jobId)}`);
  return `(ClusterId == ${Number(m[1])} && ProcId == ${Number(m[2])} && ${Tag.JobUID} == ${classAdLiteral(ref.uid)})`;
}

/** The ClassAd constraint of a selector (see JobSelector for its meaning). */
export function selectorConstraint(sel: JobSelector): string {
  const parts = [`${Tag.Operator} == ${classAdLiteral(sel.operator)}`];
  if (sel.jobs !== undefined || sel.uids !== undefined) {
    const any = (sel.jobs ?? []).map(jobConstraint);
    if (sel.uids?.length) any.push(`member(${Tag.JobUID}, {${sel.uids.map(classAdLiteral).join(', ')}})`);
    parts.push(any.length === 0 ? 'false' : `(${any.join(' || ')})`);
  }
  if (sel.changedWithinSeconds !== undefined) {
    parts.push(`EnteredCurrentStatus >= time() - ${Math.max(0, Math.ceil(sel.changedWithinSeconds))}`);
  }
  if (sel.setIndex !== undefined) {
    if (!Number.isSafeInteger(sel.setIndex) || sel.setIndex < 0)
      throw new Error(`not an index: ${JSON.stringify(sel.setIndex)}`);
    parts.push(`${Tag.SetIndex} == ${sel.setIndex}`);
  }
  return parts.join(' && ');
}

export class ScheddClient implements ScheddApi {
  readonly commands: ScheddCommands;

  constructor(cli: CondorCli, target: ScheddTarget = {}, o: { cwd?: string } = {}) {
    this.commands = new ScheddCommands(cli, target);
    this.#cwd = o.cwd;
  }

  readonly #cwd: string | undefined;

  get label(): string {
    return this.commands.label;
  }

  async submit(jobs: readonly SubmitJob[]): Promise<string[]> {
    return jobIdsOf(
      await this.commands.submit(renderSubmitDescription(jobs), { cwd: this.#cwd, procs: jobs.length }),
    );
  }

  async submitTable(table: SubmitTable): Promise<string[]> {
    return jobIdsOf(
      await this.commands.submit(renderSubmitTable(table), { cwd: this.#cwd, procs: table.size }),
    );
  }

  query(
    sel: JobSelector,
    attributes: readonly string[],
    purpose: CallPurpose,
    onAd?: (ad: JobAd) => void,
  ): Promise<JobAd[]> {
    return this.commands.query(selectorConstraint(sel), attributes, purpose, onAd);
  }

  history(sel: JobSelector, attributes: readonly string[], o: { limit?: number }): Promise<JobAd[]> {
    return this.commands.history(selectorConstraint(sel), attributes, o);
  }

  act(action: JobAction, sel: JobSelector, reason?: string): Promise<boolean> {
    if (action === 'forcex')
      // Only jobs in X match: the schedd refuses -forcex for any other, and says nothing matched.
      return this.commands.act('condor_rm', `${selectorConstraint(sel)} && JobStatus == 3`, undefined, {
        forcex: true,
      });
    if (action === 'discard') return this.#discard(sel, reason);
    return this.commands.act(TOOL[action], selectorConstraint(sel), reason);
  }

  /**
   * HPCAck first: HTCondor decides at the removal whether a job stays in the queue (leave_in_queue), and a job
   * acknowledged afterwards waits in X for a periodic pass. The edit fails when nothing matches (all gone):
   * then condor_rm matches nothing either and says so.
   */
  async #discard(sel: JobSelector, reason?: string): Promise<boolean> {
    const c = selectorConstraint(sel);
    await this.commands.edit(c, Tag.Ack, true).catch(() => undefined);
    return this.commands.act('condor_rm', c, reason);
  }

  acknowledge(sel: JobSelector): Promise<boolean> {
    return this.commands.edit(selectorConstraint(sel), Tag.Ack, true);
  }

  transferData(sel: JobSelector): Promise<void> {
    return this.commands.transferData(selectorConstraint(sel));
  }

  ping(): Promise<void> {
    return this.commands.ping();
  }

  async analyze(sel: JobSelector): Promise<MatchAnalysis | undefined> {
    return parseMatchAnalysis(await this.commands.betterAnalyze(selectorConstraint(sel)));
  }
}

/**
 * `kubectl hpc describe`: one HPCJob for a person: what it runs, where it is, every attempt, what comes next
 * and the recent Events. Reads like `kubectl describe`, but knows the attempt history and the hold codes.
 */
import type * as k8s from '@kubernetes/client-node';
import { holdLabel } from '../../condor/hold-explanation.js';
import { HPCJobDefaults as D, type HPCJob, type RetryRule } from '../../crds/hpcjob.js';
import { intFlag } from '../args.js';
import { ALL_NAMESPACES, COMMON_FLAGS, NAMESPACE, type CliContext, type Command } from '../command.js';
import { age, between, indent, oneLine, shellWord, shortTime, table, timeWithAge } from '../format.js';
import { NO_STATUS_PHASE, exitOf, isFinal } from '../jobs.js';
import { eventTime } from '../kube.js';
import { describeSet, namedHPCJobSet } from './describe-set.js';
import { INDEX_FLAG, describeOfIndex, indexFlag } from './set-index.js';
import { namedHPCJob } from './util.js';

export { shellWord };

export const describe: Command = {
  name: 'describe',
  summary:
    'Show an HPCJob (or HPCJobSet) in detail: spec, conditions, attempt history, next retry and recent Events.',
  usage: [
    'describe HPCJOB [-n NS | -A] [--events N]',
    'describe hpcjobset/NAME [-n NS] [--events N]',
    'describe hpcjobset/NAME --index N [-n NS]',
  ],
  details: `-A finds the HPCJob in whatever namespace it is (an error when the name is in several).
hpcjobset/NAME describes an HPCJobSet: its counts, index ranges and the indices that failed; with
--index N one index: its state, attempt, environment and command, its last failed attempt, and the
condor_q constraint that finds its HTCondor job.`,
  flags: [
    NAMESPACE,
    ALL_NAMESPACES,
    { name: 'events', type: 'int', placeholder: 'N', help: 'How many recent Events to show (default 20).' },
    INDEX_FLAG,
    ...COMMON_FLAGS,
  ],
  async run(ctx: CliContext): Promise<number> {
    const index = indexFlag(ctx);
    if (index !== undefined) return describeOfIndex(ctx, index);
    const set = await namedHPCJobSet(ctx);
    if (set) return describeSet(ctx, set);
    const job = await namedHPCJob(ctx, 'describe');
    const kube = ctx.kube();
    // Events are a help, not the point: describe the job even when they cannot be read.
    const events = await kube.eventsFor(job).catch((e: Error) => e);
    ctx.out.write(
      describeHPCJob(job, events, { now: ctx.now(), maxEvents: intFlag(ctx.args, 'events') ?? 20 }),
    );
    return 0;
  },
};

export function describeHPCJob(
  job: HPCJob,
  events: k8s.EventsV1Event[] | Error,
  o: { now: number; maxEvents: number },
): string {
  const s = job.status ?? {};
  const out: string[] = [];
  const field = fieldWriter(out);
  field('Name', job.metadata.name);
  field('Namespace', job.metadata.namespace);
  field('Created', timeWithAge(job.metadata.creationTimestamp, o.now));
  field('Phase', s.phase ?? NO_STATUS_PHASE);
  field('Message', s.message?.split('\n')[0]);
  out.push('Spec:');
  specFields(job, field);
  out.push('Status:');
  statusFields(job, o.now, field);
  out.push(...conditionLines(s.conditions ?? [], o.now));
  out.push(...attemptLines(s.attempts ?? []));
  out.push(...eventLines(events, o));
  return out.join('\n') + '\n';
}

/** Adds a `Label:` line to a section (indented by pad), the values in one column; no line for no value. */
export type FieldWriter = (label: string, value: string | undefined, pad?: number) => void;

export function fieldWriter(out: string[]): FieldWriter {
  return (label, value, pad = 0) => {
    if (value !== undefined && value !== '')
      out.push(`${' '.repeat(pad)}${(label + ':').padEnd(18 - pad)}${value}`);
  };
}

function specFields(job: HPCJob, field: FieldWriter): void {
  const spec = job.spec;
  if (spec.command) field('Command', [...spec.command, ...(spec.args ?? [])].map(shellWord).join(' '), 2);
  if (spec.script !== undefined) {
    const lines = spec.script.trimEnd().split('\n');
    field('Script', oneLine(lines[0], 70) + (lines.length > 1 ? ` (${lines.length} lines)` : ''), 2);
  }
  field(
    'Image',
    spec.image
      ? `${spec.image} (runtime ${spec.containerRuntime ?? D.containerRuntime})`
      : 'none (runs natively)',
    2,
  );
  const r = spec.resources ?? {};
  const res = [`cpus ${r.cpus ?? D.cpus}`, `memory ${r.memory ?? D.memory}`];
  if (r.disk !== undefined) res.push(`disk ${r.disk}`);
  if (r.gpus) res.push(`gpus ${r.gpus}`);
  if (r.walltime) res.push(`walltime ${r.walltime}`);
  // A gang step's resources are per node.
  field('Resources', ((r.nodes ?? 1) > 1 ? `${r.nodes} nodes, each ` : '') + res.join(', '), 2);
  if (spec.workspace)
    field('Workspace', `${spec.workspace.path} (staging ${spec.workspace.staging ?? D.staging})`, 2);
  field('VirtualCluster', spec.virtualClusterRef?.name, 2);
  field('Requirements', spec.requirements, 2);
  field('Retry policy', retryPolicyText(job.spec), 2);
  if (spec.activeDeadlineSeconds)
    field('Deadline', `${spec.activeDeadlineSeconds}s after the first submission`, 2);
  if (spec.suspend) field('Suspend', 'true (the HTCondor job is held)', 2);
}

function statusFields(job: HPCJob, now: number, field: FieldWriter): void {
  const s = job.status ?? {};
  const limit = job.spec.retryPolicy?.limit ?? D.retryLimit;
  field('Attempt', s.attempt ? `${s.attempt} (at most ${limit + 1})` : 'none yet', 2);
  if (s.jobId) field('HTCondor job', `${s.jobId}${s.schedd ? ` on ${s.schedd}` : ''}`, 2);
  field('Started', timeWithAge(s.startTime, now), 2);
  field('Completed', timeWithAge(s.completionTime, now), 2);
  field('Next retry', s.nextRetryTime && !isFinal(s.phase) ? timeWithAge(s.nextRetryTime, now) : 'none', 2);
  field('Retry token', s.retryToken, 2);
  field('Cancel token', s.cancelToken, 2);
  if (s.logs?.stdout) field('Stdout', s.logs.stdout, 2);
  if (s.logs?.stderr) field('Stderr', s.logs.stderr, 2);
}

type Status = NonNullable<HPCJob['status']>;

export function conditionLines(conditions: NonNullable<Status['conditions']>, now: number): string[] {
  if (conditions.length === 0) return ['Conditions: none'];
  const rows = conditions.map((c) => [
    c.type,
    c.status,
    c.reason,
    age(c.lastTransitionTime, now),
    oneLine(c.message, 70),
  ]);
  return ['Conditions:', indent(table(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], rows)).trimEnd()];
}

function attemptLines(attempts: NonNullable<Status['attempts']>): string[] {
  if (attempts.length === 0) return ['Attempts: none'];
  const rows = attempts.map((a) => [
    String(a.attempt),
    a.jobId ?? '',
    a.outcome ?? '',
    exitOf(a),
    a.holdCode !== undefined ? holdLabel(a.holdCode, a.holdSubCode) : '',
    a.host ?? '',
    a.runtime ?? '',
    shortTime(a.startTime),
    shortTime(a.endTime),
    between(a.startTime, a.endTime),
  ]);
  const header = ['ATTEMPT', 'JOB', 'OUTCOME', 'EXIT', 'HOLD', 'HOST', 'RUNTIME', 'START', 'END', 'RAN'];
  const out = ['Attempts:', indent(table(header, rows)).trimEnd()];
  // Reasons are long: under the table, whole, instead of cut down inside it.
  for (const a of attempts) {
    const notes: string[] = [];
    // The operator's message usually quotes the hold reason already: say it once.
    if (a.holdReason && !a.message?.includes(a.holdReason)) {
      notes.push(`hold: ${oneLine(a.holdReason, 300)}`);
    }
    if (a.releases) notes.push(`released ${a.releases}x`);
    if (a.failureCategory) notes.push(`failure: ${a.failureCategory}`);
    if (a.message && a.outcome !== 'Succeeded') notes.push(oneLine(a.message, 200));
    if (notes.length > 0) out.push(`  #${a.attempt}: ${notes.join('; ')}`);
  }
  return out;
}

export function eventLines(
  events: k8s.EventsV1Event[] | Error,
  o: { now: number; maxEvents: number },
): string[] {
  if (events instanceof Error) return [`Events: cannot be read (${events.message})`];
  const recent = events.slice(-Math.max(0, o.maxEvents));
  if (recent.length === 0) return ['Events: none'];
  const rows = recent.map((e) => {
    const count = e.series?.count ?? e.deprecatedCount;
    return [
      humanAgo(eventTime(e), o.now),
      e.type ?? '',
      e.reason ?? '',
      oneLine(e.note, 100) + (count && count > 1 ? ` (x${count})` : ''),
    ];
  });
  return ['Events:', indent(table(['LAST SEEN', 'TYPE', 'REASON', 'MESSAGE'], rows)).trimEnd()];
}

function humanAgo(ms: number, now: number): string {
  return ms === 0 ? '' : age(new Date(ms).toISOString(), now);
}

/** The retry policy of a spec (an HPCJob's, or an HPCJobSet's template) in one line. */
export function retryPolicyText(spec: HPCJob['spec']): string {
  const p = spec.retryPolicy ?? {};
  const b = p.backoff ?? {};
  const head =
    `limit ${p.limit ?? D.retryLimit}, release limit ${p.releaseLimit ?? D.releaseLimit}, ` +
    `backoff ${b.initial ?? D.backoffInitial} x${b.factor ?? D.backoffFactor} up to ${b.max ?? D.backoffMax}`;
  const rules = (p.rules ?? []).map(ruleText);
  return rules.length === 0 ? `${head}; default rules` : `${head}; rules: ${rules.join('; ')}`;
}

export function ruleText(r: RetryRule): string {
  const on: string[] = [];
  if (r.onHoldCodes)
    on.push(`hold ${r.onHoldCodes.join(',')}${r.onHoldSubCodes ? `/${r.onHoldSubCodes.join(',')}` : ''}`);
  if (r.onExitCodes) on.push(`exit ${r.onExitCodes.join(',')}`);
  if (r.onSignals) on.push(`signal ${r.onSignals.join(',')}`);
  if (r.onCategories) on.push(r.onCategories.join(','));
  return `${on.join(' + ')} -> ${r.action}${r.memoryFactor ? ` (memory x${r.memoryFactor})` : ''}`;
}

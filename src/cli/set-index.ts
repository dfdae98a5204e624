/**
 * One index of an HPCJobSet for a person (pure): its state as the set's status says it (index-state.ts:
 * exact for what ended, running or held; "queued or pending" when only the counts know), its attempt, the
 * record of its failed attempts, what it runs, and how to find its HTCondor job. `kubectl hpc status|describe
 * hpcjobset/NAME --index N` print it; the logs of it come through the operator (commands/logs-set.ts).
 */
import { classAdLiteral } from '../condor/submit-description.js';
import { Tag } from '../condor/tags.js';
import { expand, indexVars, totalOf } from '../controllers/hpcjobset/index-env.js';
import {
  indexWhere,
  indicesText,
  noSuchIndex,
  type IndexWhere,
} from '../controllers/hpcjobset/index-state.js';
import type { HPCJobSet, IndexRecord } from '../crds/hpcjobset.js';
import { CliError } from './errors.js';
import { oneLine, shellWord, table, timeWithAge } from './format.js';

/** The index, checked against the set: an index it does not have is an error naming its indices. */
export function checkIndex(set: HPCJobSet, index: number): number {
  const total = totalOf(set);
  if (!Number.isSafeInteger(index) || index < 0 || index >= total)
    throw new CliError(noSuchIndex(set.metadata.name, index, total));
  return index;
}

/** What one index is, as -o json|yaml print it. */
export interface IndexReport {
  namespace: string;
  hpcJobSet: string;
  index: number;
  total: number;
  /** The state, or the states it may be in ("queued or pending"). */
  state: string;
  /** The attempt it runs, ran last, or makes next; undefined when cancelled (status does not say). */
  attempt?: number;
  failedAttempts: number;
  record?: IndexRecord;
}

/** The attempt an index runs, ran last or makes next (its failed attempts plus one; its last if it failed). */
function attemptOf(w: IndexWhere): number | undefined {
  const [state] = w.states;
  if (w.states.length === 1 && state === 'cancelled') return undefined;
  if (w.states.length === 1 && state === 'failed') return Math.max(1, w.failedAttempts);
  return w.failedAttempts + 1;
}

export function indexReport(set: HPCJobSet, index: number): IndexReport {
  const w = indexWhere(set.status, index);
  const attempt = attemptOf(w);
  return {
    namespace: set.metadata.namespace,
    hpcJobSet: set.metadata.name,
    index,
    total: totalOf(set),
    state: w.states.join(' or '),
    ...(attempt !== undefined ? { attempt } : {}),
    failedAttempts: w.failedAttempts,
    ...(w.record ? { record: w.record } : {}),
  };
}

/** `kubectl hpc status hpcjobset/NAME --index N`: one row. */
export function indexStatusTable(r: IndexReport): string {
  const header = ['HPCJOBSET', 'INDEX', 'STATE', 'ATTEMPT', 'FAILED', 'LAST FAILED JOB', 'MESSAGE'];
  const row = [
    r.hpcJobSet,
    String(r.index),
    r.state,
    r.attempt === undefined ? '-' : String(r.attempt),
    String(r.failedAttempts),
    r.record?.jobId ?? '',
    oneLine(r.record?.message, 60),
  ];
  return table(header, [row]);
}

/** How the failed attempt ended, in one line. */
function failureText(rec: IndexRecord): string {
  const parts = [`attempt ${rec.failedAttempts}`];
  if (rec.failureCategory) parts.push(rec.failureCategory);
  if (rec.exitCode !== undefined) parts.push(`exit code ${rec.exitCode}`);
  if (rec.jobId) parts.push(`HTCondor job ${rec.jobId}`);
  return parts.join(', ') + (rec.message ? `: ${oneLine(rec.message, 80)}` : '');
}

/** `kubectl hpc describe hpcjobset/NAME --index N`. */
export function describeIndex(set: HPCJobSet, index: number, now: number): string {
  const r = indexReport(set, index);
  const out: string[] = [];
  const field = (label: string, value: string | undefined) => {
    if (value) out.push(`${(label + ':').padEnd(18)}${value}`);
  };
  const vars = indexVars(set, index);
  const t = set.spec.template;
  field(
    'HPCJobSet',
    `${set.metadata.namespace}/${set.metadata.name} (phase ${set.status?.phase ?? 'Pending'})`,
  );
  field('Index', `${index} (${indicesText(r.total)})`);
  field('State', r.state);
  const failed = r.failedAttempts > 0 ? ` (${r.failedAttempts} failed)` : '';
  field('Attempt', r.attempt === undefined ? `-${failed}` : `${r.attempt}${failed}`);
  field(
    'Environment',
    Object.entries(vars)
      .map(([k, v]) => shellWord(`${k}=${v}`))
      .join(' '),
  );
  if (t.command)
    field('Command', [...t.command, ...(t.args ?? []).map((a) => expand(a, vars))].map(shellWord).join(' '));
  if (t.script !== undefined) field('Script', oneLine(t.script.split('\n')[0], 70));
  if (r.record) field('Last failure', failureText(r.record));
  if (r.record?.nextRetryTime) field('Next retry', timeWithAge(r.record.nextRetryTime, now));
  // The current job's id is not in status (it would cost a write per index): the queue has it.
  const uid = set.metadata.uid ?? '';
  field(
    'HTCondor',
    `condor_q -constraint '${Tag.JobUID} == ${classAdLiteral(uid)} && ${Tag.SetIndex} == ${index}'`,
  );
  field('Logs', `kubectl hpc logs hpcjobset/${set.metadata.name} --index ${index} [--stderr] [-f]`);
  return out.join('\n') + '\n';
}

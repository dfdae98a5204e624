/**
 * HPCJobSets in `kubectl hpc status` and `describe`: a table row per set with its counts, and a set described
 * for a person (template, counts, index ranges, the indices that failed, conditions, Events).
 */
import type * as k8s from '@kubernetes/client-node';
import { HPCJobSetAnnotations, type HPCJobSet } from '../../crds/hpcjobset.js';
import { age, indent, oneLine, table, timeWithAge } from '../format.js';
import { NO_STATUS_PHASE } from '../jobs.js';
import { conditionLines, eventLines, fieldWriter, retryPolicyText, shellWord } from './describe.js';

interface Section {
  header: string[];
  rows: { key: string; cells: string[] }[];
  ageColumn: number;
}

export function hpcJobSetSection(
  sets: HPCJobSet[],
  o: { allNamespaces: boolean; wide: boolean; now: number },
): Section {
  const header = [
    'HPCJOBSET',
    'PHASE',
    'TOTAL',
    'SUCCEEDED',
    'RUNNING',
    'QUEUED',
    'HELD',
    'PENDING',
    'FAILED',
    'AGE',
  ];
  if (o.wide) header.push('CANCELLED', 'FAILED-INDICES', 'MESSAGE');
  if (o.allNamespaces) header.unshift('NAMESPACE');
  const rows = sets.map((set) => {
    const s = set.status ?? {};
    const c = s.counts ?? {};
    const n = (v: number | undefined) => String(v ?? 0);
    const cells = [
      set.metadata.name,
      s.phase ?? '',
      n(s.total),
      n(c.succeeded),
      n(c.running),
      n(c.queued),
      n(c.held),
      n(c.pending),
      n(c.failed),
      age(set.metadata.creationTimestamp, o.now),
    ];
    if (o.wide) cells.push(n(c.cancelled), oneLine(s.failed, 30), oneLine(s.message, 70));
    if (o.allNamespaces) cells.unshift(set.metadata.namespace);
    return { key: `hpcjobset/${set.metadata.namespace}/${set.metadata.name}`, cells };
  });
  return { header, rows, ageColumn: header.indexOf('AGE') };
}

export function describeHPCJobSet(
  set: HPCJobSet,
  events: k8s.EventsV1Event[] | Error,
  o: { now: number; maxEvents: number },
): string {
  const s = set.status ?? {};
  const spec = set.spec;
  const out: string[] = [];
  const field = fieldWriter(out);
  field('Name', set.metadata.name);
  field('Namespace', set.metadata.namespace);
  field('Kind', 'HPCJobSet');
  field('Created', timeWithAge(set.metadata.creationTimestamp, o.now));
  field('Phase', s.phase ?? NO_STATUS_PHASE);
  field('Message', s.message);
  out.push('Spec:');
  field('Indices', spec.items ? `${spec.items.length} items` : `count ${spec.count ?? 0}`, 2);
  const t = spec.template;
  if (t.command) field('Command', [...t.command, ...(t.args ?? [])].map(shellWord).join(' '), 2);
  if (t.script !== undefined) field('Script', oneLine(t.script.split('\n')[0], 70), 2);
  field('Parallelism', spec.parallelism === undefined ? 'all at once' : String(spec.parallelism), 2);
  field('VirtualCluster', t.virtualClusterRef?.name, 2);
  if (t.activeDeadlineSeconds)
    field('Deadline', `${t.activeDeadlineSeconds}s after each index's first submission`, 2);
  field('Retry policy', retryPolicyText(t), 2);
  if (spec.suspend) field('Suspend', 'true (its jobs are held)', 2);
  if (spec.ttlSecondsAfterFinished !== undefined)
    field('TTL', `${spec.ttlSecondsAfterFinished}s after it finished`, 2);
  field('Cancel indices', set.metadata.annotations?.[HPCJobSetAnnotations.CancelIndices], 2);
  out.push('Status:');
  statusFields(set, o.now, field);
  out.push(...conditionLines(s.conditions ?? [], o.now));
  out.push(...recordLines(set));
  out.push(...eventLines(events, o));
  return out.join('\n') + '\n';
}

function statusFields(set: HPCJobSet, now: number, field: ReturnType<typeof fieldWriter>): void {
  const s = set.status ?? {};
  const c = s.counts ?? {};
  const counts = Object.entries(c)
    .filter(([, v]) => v)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ');
  field('Indices', s.total === undefined ? 'none yet' : `${s.total}: ${counts || 'none counted yet'}`, 2);
  field('Running', s.running, 2);
  field('Held', s.held, 2);
  field('Succeeded', s.succeeded, 2);
  field('Failed', s.failed, 2);
  field('Cancelled', s.cancelled, 2);
  field('Schedd', s.schedd, 2);
  field('VirtualCluster', s.virtualCluster, 2);
  field('Started', timeWithAge(s.startTime, now), 2);
  field('Completed', timeWithAge(s.completionTime, now), 2);
}

/** The indices that failed at least once, as a table (status keeps records only for them). */
function recordLines(set: HPCJobSet): string[] {
  const records = set.status?.indexRecords ?? [];
  if (records.length === 0) return ['Failed attempts: none'];
  const rows = records.map((r) => [
    String(r.index),
    String(r.failedAttempts),
    r.jobId ?? '',
    r.failureCategory ?? '',
    r.exitCode === undefined ? '' : String(r.exitCode),
    r.nextRetryTime ?? '',
    oneLine(r.message, 60),
  ]);
  const header = ['INDEX', 'FAILED', 'LAST JOB', 'CATEGORY', 'EXIT', 'NEXT RETRY', 'MESSAGE'];
  return ['Failed attempts:', indent(table(header, rows)).trimEnd()];
}

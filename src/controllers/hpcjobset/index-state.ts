/**
 * Where one index of an HPCJobSet stands, read from its status alone (pure): the ended lists (succeeded,
 * failed, cancelled) are never cut, so an index on one of them is known exactly; queued, running and held are
 * lists that may be cut (",..."), and pending is a count only. So an index on no list is one of the states
 * its counts and cut lists leave possible, and this says which ones rather than guess (a status written
 * before the queued list existed has only its count). Shared by the live-logs
 * route and `kubectl hpc status|describe|logs hpcjobset/NAME --index N`.
 */
import type { HPCJobSetStatus, IndexRecord, IndexState } from '../../crds/hpcjobset.js';
import { CUT_MARK } from './ranges.js';

export interface IndexWhere {
  /** The states the index may be in: exactly one when status says it. */
  states: IndexState[];
  /** The index's attempt record, when an attempt of it failed. */
  record?: IndexRecord;
  /** Attempts of it that failed so far; the current (or next) attempt is this plus one. */
  failedAttempts: number;
}

/** "indices 0-9" (the set's indices, for messages that name an index). */
export function indicesText(total: number): string {
  if (total === 0) return 'no indices';
  return total === 1 ? 'index 0 only' : `indices 0-${total - 1}`;
}

/** The refusal of an index the set does not have (the live-logs route and kubectl hpc say the same). */
export function noSuchIndex(name: string, index: number, total: number): string {
  return `hpcjobset ${name} has no index ${index}: it has ${total} (${indicesText(total)})`;
}

/** True when the range text ("0-99,105", maybe cut with ",...") names `index`. */
export function rangesInclude(text: string | undefined, index: number): boolean {
  if (!text) return false;
  const body = text.endsWith(CUT_MARK) ? text.slice(0, -CUT_MARK.length) : text;
  for (const item of body.split(',')) {
    const [from, to = from] = item.split('-').map((x) => Number(x.trim()));
    if (from !== undefined && to !== undefined && from <= index && index <= to) return true;
  }
  return false;
}

function cut(text: string | undefined): boolean {
  return text?.endsWith(CUT_MARK) ?? false;
}

/** Where index `index` (in range: the caller checks) stands by `status`. */
export function indexWhere(status: HPCJobSetStatus | undefined, index: number): IndexWhere {
  const s = status ?? {};
  const record = s.indexRecords?.find((r) => r.index === index);
  const base = { failedAttempts: record?.failedAttempts ?? 0, ...(record ? { record } : {}) };
  for (const state of ['succeeded', 'failed', 'cancelled', 'queued', 'running', 'held'] as const)
    if (rangesInclude(s[state], index)) return { ...base, states: [state] };
  // Backing off before its next attempt: not in HTCondor (nextRetryTime goes once the retry is submitted).
  if (record?.nextRetryTime) return { ...base, states: ['pending'] };
  const states: IndexState[] = [];
  if (cut(s.queued) || ((s.counts?.queued ?? 0) > 0 && !s.queued)) states.push('queued');
  if ((s.counts?.pending ?? 0) > 0 || !s.counts) states.push('pending');
  if (cut(s.running)) states.push('running');
  if (cut(s.held)) states.push('held');
  return { ...base, states: states.length > 0 ? states : ['queued', 'pending'] };
}

/** True once the index has ended for good (its outcome will not change). */
export function hasEnded(w: IndexWhere): boolean {
  return w.states.length === 1 && ['succeeded', 'failed', 'cancelled'].includes(w.states[0] as string);
}

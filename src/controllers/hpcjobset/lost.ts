/**
 * Indices whose job left the queue without the operator seeing it end: the last status written saw the job
 * of the index's current attempt (the index was listed queued, running or held), and now, with the queue read after
 * every submission and the schedd answering, no job of that attempt is there (condor_rm -forcex by someone:
 * the job leaves at once, and no condor_history lookup follows a set's jobs; a spool lost). The attempt is a failed one (Lost), retried as the retry policy
 * says: submitting the same attempt again would run it twice under one number (found by the simulation,
 * seeds 31 and 51). A job that goes before any status listed its index (between its submission and the next
 * status write) cannot be told from one never submitted: that index is submitted again as the same attempt.
 * Pure.
 */
import type { TrackedJob } from '../../condor/queue-snapshot.js';
import type { SetDraft } from './draft.js';
import { failed } from './follow.js';
import { Ended, type IndexView } from './index-view.js';
import { ownRanges } from './ranges.js';

/** The record's message: what the operator knows of an attempt whose job it did not see end. */
export const lostMessage = (attempt: number): string =>
  `the job of attempt ${attempt} left the queue without the operator seeing it end (removed with condor_rm -forcex, or lost with the schedd's spool)`;

/**
 * Fails the attempts whose job vanished; false when some vanished and this observation cannot tell (the
 * schedd away, a submission not settled): then the caller keeps the status as it was, since writing those
 * indices pending would forget that they had a job (found by the simulation, seed 1600).
 */
export function loseVanished(d: SetDraft, view: IndexView): boolean {
  const { obs } = d;
  const st = d.set.status;
  const vanished = [st?.queued, st?.running, st?.held]
    .flatMap((r) => ownRanges(r, view.total))
    .filter((index) => view.ended[index] === Ended.No && !view.live.has(index));
  if (vanished.length === 0) return true;
  if (!obs.settled || !obs.state.synced || !obs.state.reachable) return false;
  for (const index of vanished) {
    const attempt = (view.records.get(index)?.failedAttempts ?? 0) + 1;
    // What is known of the vanished job: its index and attempt (its id is not kept in status).
    const job: TrackedJob = {
      jobId: '',
      uid: d.uid,
      attempt,
      ref: '',
      ad: {},
      source: 'history',
      acked: false,
    };
    failed(d, view, index, job, { category: 'Lost' }, lostMessage(attempt));
    // No id to show: the record has none rather than an empty one.
    const r = view.records.get(index);
    if (r?.jobId === '') delete r.jobId;
  }
  return true;
}

/**
 * The acknowledgements a tracker owes its schedd: HPCAck=true for the jobs whose end the operator recorded,
 * sent in one condor_qedit per tick, so that they may leave the queue (leave_in_queue).
 */
import type { ScheddApi, JobRef, JobSelector } from './schedd-api.js';

/** Most jobs per condor_qedit. */
const MAX_PER_CALL = 200;

export class AckQueue {
  readonly #refs = new Map<string, JobRef>();

  get size(): number {
    return this.#refs.size;
  }

  set(key: string, ref: JobRef): void {
    this.#refs.set(key, ref);
  }

  delete(key: string): void {
    this.#refs.delete(key);
  }

  /**
   * Sends what is owed for the jobs `inQueue` says the last read saw (one of ours that left needs nothing).
   * The error when the condor_qedit failed: a removed job leaves the queue at once, and HTCondor 23 fails a
   * condor_qedit that matches nothing ("Queue transaction failed"), so the caller reads the whole queue next,
   * which tells which jobs left, rather than let the failure stop every poll (found by
   * bench/hpcjobs/schedds.ts: a schedd's tracker failing every poll after a mass deletion).
   */
  async flush(
    api: ScheddApi,
    ours: (s: Partial<JobSelector>) => JobSelector,
    inQueue: (r: JobRef) => boolean,
  ): Promise<string | undefined> {
    for (const [k, r] of this.#refs) if (!inQueue(r)) this.#refs.delete(k);
    const batch = [...this.#refs].slice(0, MAX_PER_CALL);
    if (batch.length === 0) return undefined;
    try {
      await api.acknowledge(ours({ jobs: batch.map(([, ref]) => ref) }));
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    for (const [k] of batch) this.#refs.delete(k);
    return undefined;
  }
}

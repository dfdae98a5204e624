/**
 * A small in-memory schedd for unit tests of the condor layer: a queue and a history of job ads with the
 * selector semantics of ScheddApi (condor/schedd-api.ts), jobs that leave the queue once ended and
 * acknowledged (leave_in_queue), ids from a counter that a spool wipe resets, and switches to make calls fail
 * or hang. The deterministic simulation has the complete model; this one is just enough for one component.
 */
import { CondorError } from '../../src/condor/errors.js';
import { JobStatus } from '../../src/condor/job-status.js';
import type { MatchAnalysis } from '../../src/condor/match-analysis.js';
import type { JobAd } from '../../src/condor/parse.js';
import type { JobAction, JobSelector, ScheddApi } from '../../src/condor/schedd-api.js';
import {
  expandSubmitTable,
  renderSubmitTable,
  type SubmitJob,
  type SubmitTable,
} from '../../src/condor/submit-description.js';
import { Tag } from '../../src/condor/tags.js';
import type { Clock } from '../../src/runtime/clock.js';

const idOf = (ad: JobAd) => `${String(ad.ClusterId)}.${String(ad.ProcId)}`;
const ended = (ad: JobAd) => ad.JobStatus === JobStatus.Completed || ad.JobStatus === JobStatus.Removed;

export class FakeSchedd implements ScheddApi {
  readonly label = 'fake';
  readonly queue = new Map<string, JobAd>();
  /** Jobs that left the queue, newest first (condor_history). */
  past: JobAd[] = [];
  readonly calls: { method: string; sel?: JobSelector; jobs?: number; reason?: string }[] = [];
  #nextCluster = 1;
  /** Every call throws CondorError('unavailable') while true. */
  down = false;
  /** Calls of these methods wait until release() (a daemon that does not answer). */
  readonly hanging = new Set<string>();
  #waiters: (() => void)[] = [];
  /** transferData throws while true. */
  transferFails = false;
  /** Jobs whose spooled sandbox lacks a file it lists: transferData of any of them fails as HTCondor does. */
  readonly missingFromSpool = new Set<string>();
  /**
   * Jobs whose shadow cannot reach the execute side: once removed they stay in X, acknowledged or not, until
   * condor_rm -forcex (the job lease is not modelled here).
   */
  readonly unreachable = new Set<string>();

  constructor(readonly clock: Clock) {}

  /** Lets every hanging call go on. */
  release(): void {
    this.hanging.clear();
    for (const w of this.#waiters.splice(0)) w();
  }

  async #enter(method: string, extra: Omit<FakeSchedd['calls'][number], 'method'> = {}): Promise<void> {
    this.calls.push({ method, ...extra });
    if (this.hanging.has(method)) await new Promise<void>((r) => this.#waiters.push(r));
    if (this.down)
      throw new CondorError('unavailable', method, 1, '', `${method}: Failed to connect to queue manager`);
  }

  #seconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  matches(ad: JobAd, sel: JobSelector): boolean {
    if (ad[Tag.Operator] !== sel.operator) return false;
    if (sel.jobs !== undefined || sel.uids !== undefined) {
      const byId = (sel.jobs ?? []).some((j) => j.jobId === idOf(ad) && j.uid === ad[Tag.JobUID]);
      const byUid = (sel.uids ?? []).includes(String(ad[Tag.JobUID]));
      if (!byId && !byUid) return false;
    }
    if (sel.changedWithinSeconds !== undefined)
      return Number(ad.EnteredCurrentStatus) >= this.#seconds() - sel.changedWithinSeconds;
    return true;
  }

  /** Puts a job in the queue as if submitted (returns its id). */
  add(attributes: JobAd): string {
    const ad: JobAd = {
      ClusterId: this.#nextCluster++,
      ProcId: 0,
      JobStatus: JobStatus.Idle,
      QDate: this.#seconds(),
      EnteredCurrentStatus: this.#seconds(),
      ...attributes,
    };
    this.queue.set(idOf(ad), ad);
    return idOf(ad);
  }

  /** Changes a job's state the way the schedd would (EnteredCurrentStatus moves with JobStatus). */
  set(jobId: string, patch: JobAd): void {
    const ad = this.queue.get(jobId);
    if (!ad) throw new Error(`no job ${jobId}`);
    if (patch.JobStatus !== undefined && patch.JobStatus !== ad.JobStatus)
      ad.EnteredCurrentStatus = this.#seconds();
    Object.assign(ad, patch);
    this.#leave(jobId);
  }

  /** The spool is wiped: queue and history are gone and ids start again at 1. */
  wipe(): void {
    this.queue.clear();
    this.past = [];
    this.#nextCluster = 1;
  }

  #leave(jobId: string): void {
    const ad = this.queue.get(jobId);
    if (ad && ended(ad) && ad[Tag.Ack] === true && !this.unreachable.has(jobId)) {
      this.queue.delete(jobId);
      this.past.unshift(ad);
    }
  }

  /** As the real client: the table must render (that is where a bad value is refused), then its jobs. */
  async submitTable(table: SubmitTable): Promise<string[]> {
    renderSubmitTable(table);
    return this.submit(expandSubmitTable(table));
  }

  async submit(jobs: readonly SubmitJob[]): Promise<string[]> {
    await this.#enter('submit', { jobs: jobs.length });
    const cluster = this.#nextCluster++;
    return jobs.map((j, proc) => {
      const ad: JobAd = {
        ClusterId: cluster,
        ProcId: proc,
        JobStatus: JobStatus.Idle,
        QDate: this.#seconds(),
        EnteredCurrentStatus: this.#seconds(),
      };
      for (const [k, v] of Object.entries(j.attributes)) ad[k] = v;
      this.queue.set(idOf(ad), ad);
      return idOf(ad);
    });
  }

  async query(sel: JobSelector, attributes: readonly string[]): Promise<JobAd[]> {
    await this.#enter('query', { sel });
    return [...this.queue.values()]
      .filter((ad) => this.matches(ad, sel))
      .map((ad) => project(ad, attributes));
  }

  async history(sel: JobSelector, attributes: readonly string[], o: { limit?: number }): Promise<JobAd[]> {
    await this.#enter('history', { sel });
    const found = this.past.filter((ad) => this.matches(ad, sel)).map((ad) => project(ad, attributes));
    return o.limit === undefined ? found : found.slice(0, o.limit);
  }

  async act(action: JobAction, sel: JobSelector, reason?: string): Promise<boolean> {
    await this.#enter(action, { sel, reason });
    if (action === 'forcex') return this.#forcex(sel);
    if (action === 'discard') {
      // As HTCondor: acknowledged before its removal, a job leaves with it (unless its execute side is gone).
      await this.acknowledge(sel);
      const removed = await this.act('remove', sel, reason);
      for (const id of [...this.queue.keys()]) this.#leave(id);
      return removed;
    }
    const hit = [...this.queue.entries()].filter(([, ad]) => this.matches(ad, sel));
    for (const [id, ad] of hit) {
      if (action === 'remove') this.set(id, { JobStatus: JobStatus.Removed, RemoveReason: reason ?? '' });
      if (action === 'hold' && !ended(ad))
        this.set(id, { JobStatus: JobStatus.Held, HoldReasonCode: 1, HoldReason: reason ?? '' });
      if (action === 'release' && ad.JobStatus === JobStatus.Held)
        this.set(id, { JobStatus: JobStatus.Idle });
    }
    return hit.length > 0;
  }

  /** condor_rm -forcex: jobs in X leave at once (LeaveJobInQueue = False); any other is refused. */
  #forcex(sel: JobSelector): boolean {
    const hit = [...this.queue.entries()].filter(
      ([, ad]) => this.matches(ad, sel) && ad.JobStatus === JobStatus.Removed,
    );
    for (const [id, ad] of hit) {
      ad.LeaveJobInQueue = false;
      this.queue.delete(id);
      this.unreachable.delete(id);
      this.past.unshift(ad);
    }
    return hit.length > 0;
  }

  async acknowledge(sel: JobSelector): Promise<boolean> {
    await this.#enter('acknowledge', { sel });
    const hit = [...this.queue.entries()].filter(([, ad]) => this.matches(ad, sel));
    for (const [id, ad] of hit) {
      ad[Tag.Ack] = true;
      this.#leave(id);
    }
    return hit.length > 0;
  }

  async transferData(sel: JobSelector): Promise<void> {
    await this.#enter('transferData', { sel });
    if (this.transferFails) throw new CondorError('failed', 'condor_transfer_data', 1, '', 'transfer failed');
    const broken = (sel.jobs ?? []).map((j) => j.jobId).find((id) => this.missingFromSpool.has(id));
    if (broken) {
      const text = `condor_transfer_data exited 1: DCSchedd::receiveJobSandbox:7003:File transfer failed for target job ${broken}: SCHEDD failed to send file(s): |Error: reading from file /var/spool/condor/${broken}/hpc.stderr: (errno 2) No such file or directory`;
      throw new CondorError('failed', 'condor_transfer_data', 1, text, text);
    }
  }

  async ping(): Promise<void> {
    await this.#enter('ping');
  }

  /** What analyze answers for a job in the queue (undefined: the tool printed no summary). */
  analysis: MatchAnalysis | undefined;

  async analyze(sel: JobSelector): Promise<MatchAnalysis | undefined> {
    await this.#enter('analyze', { sel });
    return [...this.queue.values()].some((ad) => this.matches(ad, sel)) ? this.analysis : undefined;
  }
}

function project(ad: JobAd, attributes: readonly string[]): JobAd {
  const out: JobAd = { ClusterId: ad.ClusterId, ProcId: ad.ProcId };
  for (const a of attributes) if (a in ad) out[a] = ad[a];
  return out;
}

/** The operator tags of attempt `attempt` of HPCJob `uid` (for FakeSchedd.add). */
export function tags(uid: string, attempt = 1, operator = 'op'): JobAd {
  return { [Tag.Operator]: operator, [Tag.JobUID]: uid, [Tag.Attempt]: attempt, [Tag.Ref]: `ns/${uid}` };
}

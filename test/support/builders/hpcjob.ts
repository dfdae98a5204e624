/**
 * Builders for HPCJobs, their HTCondor jobs and what a reconcile observes, in the style of kueue's
 * `MakeWorkload(...).Queue(...).Obj()`: each method sets one thing and returns the builder; `obj()` gives a
 * fresh object. Tests say only what matters to them.
 */
import type { MatchAnalysis } from '../../../src/condor/match-analysis.js';
import type { FetchState, Lookup, SubmitOutcome, TrackedJob } from '../../../src/condor/backend.js';
import { JobStatus, HoldCode } from '../../../src/condor/job-status.js';
import type { JobAd } from '../../../src/condor/parse.js';
import type { ScheddTarget } from '../../../src/condor/schedd-api.js';
import { Tag } from '../../../src/condor/tags.js';
import { API_VERSION } from '../../../src/crds/common.js';
import {
  HPCJOB_KIND,
  type Attempt,
  type HPCJob,
  type HPCJobSpec,
  type HPCJobStatus,
} from '../../../src/crds/hpcjob.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import { FINALIZER } from '../../../src/controllers/hpcjob/transition.js';
import type { ScheddCandidate } from '../../../src/controllers/hpcjob/spread.js';
import type {
  HPCJobObservation,
  HPCJobSettings,
  SchedulerView,
} from '../../../src/controllers/hpcjob/transition-types.js';

export const T0 = Date.parse('2026-12-01T10:00:00Z');
export const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
export const seconds = (ms: number): number => Math.floor(ms / 1000);

export class HPCJobBuilder {
  readonly #job: HPCJob;

  constructor(name: string, namespace: string) {
    this.#job = {
      apiVersion: API_VERSION,
      kind: HPCJOB_KIND,
      metadata: {
        name,
        namespace,
        uid: `uid-${name}`,
        generation: 1,
        resourceVersion: '1',
        creationTimestamp: iso(T0),
        finalizers: [FINALIZER],
      },
      spec: { script: 'echo hello' },
    };
  }

  spec(patch: Partial<HPCJobSpec>): this {
    Object.assign(this.#job.spec, patch);
    return this;
  }

  virtualCluster(name: string): this {
    this.#job.spec.virtualClusterRef = { name };
    return this;
  }

  retry(policy: NonNullable<HPCJobSpec['retryPolicy']>): this {
    this.#job.spec.retryPolicy = policy;
    return this;
  }

  withoutFinalizer(): this {
    this.#job.metadata.finalizers = [];
    return this;
  }

  deleting(at = T0): this {
    this.#job.metadata.deletionTimestamp = iso(at);
    return this;
  }

  annotate(key: string, value: string): this {
    this.#job.metadata.annotations = { ...this.#job.metadata.annotations, [key]: value };
    return this;
  }

  status(patch: Partial<HPCJobStatus>): this {
    this.#job.status = { ...this.#job.status, ...patch };
    return this;
  }

  /** Attempt `n` submitted as `jobId` on the default schedd and still running (the one being followed). */
  submitted(n: number, jobId: string, patch: Partial<Attempt> = {}, schedd = 'local'): this {
    const attempts = (this.#job.status?.attempts ?? []).filter((a) => a.attempt !== n);
    attempts.push({ attempt: n, jobId, schedd, submitTime: iso(T0), outcome: 'Running', ...patch });
    return this.status({ attempt: n, jobId, schedd, phase: 'Queued', attempts, firstSubmitTime: iso(T0) });
  }

  obj(): HPCJob {
    return structuredClone(this.#job);
  }
}

export const makeHPCJob = (name = 'step', namespace = 'ns'): HPCJobBuilder =>
  new HPCJobBuilder(name, namespace);

/** A job ad of attempt `attempt` of `job` in a given HTCondor state. */
export class TrackedJobBuilder {
  readonly #t: TrackedJob;

  constructor(job: HPCJob, attempt: number, jobId: string) {
    const ref = `${job.metadata.namespace}/${job.metadata.name}`;
    const uid = job.metadata.uid as string;
    const [c, p] = jobId.split('.').map(Number);
    const ad: JobAd = {
      ClusterId: c,
      ProcId: p,
      [Tag.JobUID]: uid,
      [Tag.Attempt]: attempt,
      [Tag.Ref]: ref,
      JobStatus: JobStatus.Idle,
      QDate: seconds(T0),
      EnteredCurrentStatus: seconds(T0),
    };
    this.#t = { jobId, uid, attempt, ref, ad, source: 'queue', acked: false };
  }

  ad(patch: JobAd): this {
    Object.assign(this.#t.ad, patch);
    return this;
  }

  running(host = 'slot1@worker', startedAt = T0 + 10_000): this {
    return this.ad({
      JobStatus: JobStatus.Running,
      RemoteHost: host,
      JobCurrentStartDate: seconds(startedAt),
    });
  }

  completed(exitCode: number, endedAt = T0 + 60_000): this {
    return this.ad({
      JobStatus: JobStatus.Completed,
      ExitCode: exitCode,
      JobCurrentStartDate: seconds(T0 + 10_000),
      EnteredCurrentStatus: seconds(endedAt),
      LastRemoteHost: 'slot1@worker',
    });
  }

  held(code: number, subCode?: number, reason = 'held', since = T0 + 30_000): this {
    return this.ad({
      JobStatus: JobStatus.Held,
      HoldReasonCode: code,
      HoldReasonSubCode: subCode,
      HoldReason: reason,
      EnteredCurrentStatus: seconds(since),
    });
  }

  heldByUser(since = T0 + 30_000): this {
    return this.held(HoldCode.UserRequest, 0, 'via condor_hold (by user alice)', since);
  }

  /** Removed (X) since `since` (ms; EnteredCurrentStatus), still in the queue. */
  removed(reason = 'via condor_rm (by user alice)', since = T0): this {
    return this.ad({
      JobStatus: JobStatus.Removed,
      RemoveReason: reason,
      EnteredCurrentStatus: seconds(since),
    });
  }

  fromHistory(): this {
    this.#t.source = 'history';
    return this;
  }

  /** HPCJobAck is set, and the schedd's ad shows it. */
  acked(): this {
    this.#t.acked = true;
    this.#t.ad[Tag.Ack] = true;
    return this;
  }

  /** HPCJobAck was asked for (the tracker's own record), and the schedd's ad does not show it yet. */
  ackAsked(): this {
    this.#t.acked = true;
    delete this.#t.ad[Tag.Ack];
    return this;
  }

  obj(): TrackedJob {
    return structuredClone(this.#t);
  }
}

export const makeTrackedJob = (job: HPCJob, attempt = 1, jobId = '7.0'): TrackedJobBuilder =>
  new TrackedJobBuilder(job, attempt, jobId);

export const DEFAULT_TARGET: ScheddTarget = { name: 'schedd@ap', pool: 'cm:9618' };

export function defaultSettings(patch: Partial<HPCJobSettings> = {}): HPCJobSettings {
  return {
    defaultTarget: DEFAULT_TARGET,
    virtualClusterWaitMs: 600_000,
    userHoldTimeoutMs: 86_400_000,
    outputFetchTimeoutMs: 3_600_000,
    maxOutputBytes: 10 * 2 ** 30,
    maxOutputBytesCeiling: 100 * 2 ** 30,
    matchAnalysisAfterMs: 60_000,
    matchAnalysisEveryMs: 300_000,
    lifecycleEvents: false,
    forceRemovalAfterMs: 60_000,
    ...patch,
  };
}

/** What a reconcile observes: the time, the VirtualCluster, the schedd's view. */
export class ObservationBuilder {
  readonly #obs: HPCJobObservation = { now: T0, jitter: 0.5 };

  /** By default the schedd answers and has been read (see scheduler()); this takes it away. */
  constructor() {
    this.scheduler();
  }

  noScheduler(): this {
    delete this.#obs.scheduler;
    return this;
  }

  at(ms: number): this {
    this.#obs.now = ms;
    return this;
  }

  virtualCluster(vc: VirtualCluster | 'missing'): this {
    this.#obs.virtualCluster = vc;
    return this;
  }

  /** A schedd that answers, has been read, and holds `jobs` of the HPCJob. */
  scheduler(patch: Partial<SchedulerView> = {}): this {
    this.#obs.scheduler = {
      name: 'schedd@ap',
      target: DEFAULT_TARGET,
      state: { synced: true, reachable: true },
      jobs: [],
      fetches: new Map(),
      settled: true,
      ...patch,
    };
    return this;
  }

  /** What the reconcile read of every configured schedd, when a new HPCJob chooses among several. */
  schedds(...candidates: ScheddCandidate[]): this {
    this.#obs.schedds = candidates;
    return this;
  }

  unreachable(error = 'Failed to connect to queue manager'): this {
    return this.scheduler({ state: { synced: true, reachable: false, lastError: error } });
  }

  /** The current attempt's job, found in the queue (and listed among the HPCJob's jobs). */
  current(job: TrackedJob, fetch?: FetchState): this {
    const s = this.#need();
    s.current = { state: 'found', job };
    if (job.source === 'queue') s.jobs = [...s.jobs.filter((j) => j.jobId !== job.jobId), job];
    if (fetch) (s.fetches as Map<string, FetchState>).set(job.jobId, fetch);
    return this;
  }

  lookup(l: Lookup): this {
    this.#need().current = l;
    return this;
  }

  submission(outcome: SubmitOutcome): this {
    this.#need().submission = outcome;
    return this;
  }

  jobs(...jobs: TrackedJob[]): this {
    this.#need().jobs = jobs;
    return this;
  }

  unsettled(): this {
    this.#need().settled = false;
    return this;
  }

  /** HTCondor's match analysis of the current job, made at `at`. */
  analysis(result: MatchAnalysis, at = this.#obs.now): this {
    this.#need().analysis = { at, result };
    return this;
  }

  stderrTail(tail: string): this {
    this.#obs.stderrTail = tail;
    return this;
  }

  obj(): HPCJobObservation {
    return { ...this.#obs, logsDir: this.#obs.logsDir ?? '/logs/ns/step/1' };
  }

  #need(): SchedulerView {
    if (!this.#obs.scheduler) this.scheduler();
    return this.#obs.scheduler as SchedulerView;
  }
}

export const observe = (): ObservationBuilder => new ObservationBuilder();

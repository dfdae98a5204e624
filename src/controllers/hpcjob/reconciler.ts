/**
 * Reconciles one HPCJob, level-triggered: it reads the HPCJob from the informer cache and its HTCondor job
 * from the schedd tracker, moves the world one step (request a submission, a release, a removal; record a
 * transition) and writes the status. Events only enqueue keys; nothing here waits on HTCondor.
 */
import { mkdirSync, openSync, readSync, closeSync, fstatSync, rmSync } from 'node:fs';
import type { Logger } from 'pino';
import type { SchedulerBackend, SchedulerBackends } from '../../condor/backend.js';
import type { ScheddTarget } from '../../condor/schedd.js';
import type { TrackedJob } from '../../condor/tracker.js';
import { adNumber } from '../../condor/parse.js';
import { API_VERSION, type Condition } from '../../crds/common.js';
import {
  FINAL_PHASES,
  HPCJOB_KIND,
  HPCJobAnnotations,
  HPCJobConditions as C,
  type Attempt,
  type FailureCategory,
  type HPCJob,
  type HPCJobStatus,
  type Phase,
} from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { rfc3339, setStatusCondition, type NewCondition } from '../../runtime/conditions.js';
import type { Result } from '../../runtime/controller.js';
import type { EventType, Recorder as EventRecorder } from '../../runtime/event-types.js';
import { errorMessage, isConflict, isNotFound } from '../../runtime/kube-api.js';
import type { Informer } from '../../runtime/informer.js';
import type { Metrics } from '../../runtime/metrics.js';
import type { KubeObjectWriter as ObjectWriter } from '../../runtime/kube/objects.js';
import { mibQuantity } from '../../util/units.js';
import { STDERR_FILE, STDOUT_FILE, attemptLogDir, buildSubmitJob, memoryMiBOf } from './description.js';
import { SUSPEND_REASON, observe, type Hold, type Observation } from './observe.js';
import { backoffMs, decide, type Failure } from './retry.js';
import { noWorkerFits } from './fit.js';
import { validateSpec } from './validate.js';
import { dropSecretFiles, mergeTransferredResults, planStaging, type SecretSource } from './staging.js';

export const FINALIZER = 'hpc.scailfin.io/condor-cleanup';
/** Most attempts kept in status (the CRD's maxItems). */
const MAX_ATTEMPTS_KEPT = 50;
/** How long a finished attempt waits for its stdout/stderr to come back before the status is written without. */
const LOG_WAIT_MS = 15_000;

export interface HPCJobReconcilerDeps {
  log: Logger;
  jobs: Informer<HPCJob>;
  virtualClusters?: Informer<VirtualCluster>;
  writer: ObjectWriter;
  recorder: EventRecorder;
  backends: SchedulerBackends;
  metrics: Metrics;
  operatorId: string;
  wrapperPath: string;
  logDir: string;
  defaultTarget: ScheddTarget;
  /** An HPCJob naming a missing VirtualCluster fails after waiting this long. */
  virtualClusterWaitMs?: number;
  /** Workspace volumes mounted in the operator (condor-transfer staging). */
  workspaceMounts?: { remote: string; local: string }[];
  /** Reads chirp tickets for cctools staging. */
  secrets?: SecretSource;
  now?: () => number;
}

/** The status being built by one reconcile, and what to do once it is written. */
interface Work {
  job: HPCJob;
  status: HPCJobStatus;
  conditions: Condition[];
  events: [EventType, string, string, string][];
  /** Job ids whose end is recorded in this status: acknowledged after the write. */
  acks: string[];
  requeueAfterMs?: number;
}

export class HPCJobReconciler {
  readonly #d: HPCJobReconcilerDeps;
  readonly #now: () => number;

  constructor(deps: HPCJobReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  reconcile = async (key: string, log: Logger): Promise<Result> => {
    let job = this.#d.jobs.getByKey(key);
    if (!job) return {};
    if (job.metadata.deletionTimestamp) return this.#finalize(job, log);
    if (!job.metadata.finalizers?.includes(FINALIZER)) {
      // Continue with the updated object: one reconcile both guards the job and starts it.
      job = (await this.#d.writer.addFinalizer(job, FINALIZER)) ?? job;
    }
    const w: Work = {
      job,
      status: structuredClone(job.status ?? {}),
      conditions: structuredClone(job.status?.conditions ?? []),
      events: [],
      acks: [],
    };
    await this.#step(w, log);
    return this.#commit(w, log);
  };

  // ---------------------------------------------------------------- the state machine

  async #step(w: Work, log: Logger): Promise<void> {
    const { job, status } = w;
    const annotations = job.metadata.annotations ?? {};
    const cancel = annotations[HPCJobAnnotations.Cancel];
    if (cancel && cancel !== status.cancelToken) {
      this.#cancel(w, cancel, log);
      return;
    }
    const retry = annotations[HPCJobAnnotations.Retry];
    if (retry && retry !== status.retryToken && status.phase && FINAL_PHASES.includes(status.phase)) {
      // A person asked for one more attempt: back to Pending, history kept; the next reconcile submits it.
      status.retryToken = retry;
      status.phase = 'Pending';
      status.completionTime = undefined;
      status.nextRetryTime = undefined;
      status.message = `attempt ${(status.attempt ?? 0) + 1} requested by hand`;
      w.conditions = w.conditions.filter((c) => c.type !== C.Succeeded && c.type !== C.Failed);
      this.#event(
        w,
        'Normal',
        'RetryRequested',
        'Retry',
        `a new attempt was asked for (${HPCJobAnnotations.Retry}=${retry})`,
      );
      w.requeueAfterMs = 1;
      log.info({ token: retry }, 'retry requested');
      return;
    }
    if (retry && retry !== status.retryToken) status.retryToken = retry;
    if (status.phase && FINAL_PHASES.includes(status.phase)) {
      await this.#finished(w);
      return;
    }
    const invalid = validateSpec(job.spec);
    if (invalid) {
      this.#cond(w, { type: C.Accepted, status: 'False', reason: invalid.reason, message: invalid.message });
      this.#end(w, 'Failed', invalid.message, 'InvalidSpec');
      return;
    }
    this.#cond(w, {
      type: C.Accepted,
      status: 'True',
      reason: 'Valid',
      message: 'the spec passed validation',
    });

    const placement = this.#placement(w);
    if (!placement) return;
    const backend = this.#d.backends.for(placement.target);
    if (!backend.tracker.synced) {
      // Until the first poll, absence of a job proves nothing: do not submit or judge.
      w.requeueAfterMs = 1000;
      if (!backend.tracker.reachable) this.#schedulerCondition(w, backend);
      return;
    }
    this.#schedulerCondition(w, backend);
    status.schedd = backend.name;
    if (placement.virtualCluster) status.virtualCluster = placement.virtualCluster;

    const n = status.attempt ?? 0;
    const current = n > 0 ? status.attempts?.find((a) => a.attempt === n) : undefined;

    if (this.#deadlineExceeded(w)) {
      if (current?.jobId)
        backend.actions.request(
          'condor_rm',
          { uid: job.metadata.uid as string },
          'HPCJob activeDeadlineSeconds exceeded',
        );
      if (current && current.outcome === 'Running') {
        current.outcome = 'Failed';
        current.failureCategory = 'DeadlineExceeded';
        current.endTime = this.#iso();
        if (current.jobId) w.acks.push(current.jobId);
      }
      this.#end(
        w,
        'Failed',
        `activeDeadlineSeconds (${job.spec.activeDeadlineSeconds}) exceeded`,
        'DeadlineExceeded',
      );
      return;
    }

    if (!current || current.outcome !== 'Running') {
      await this.#nextAttempt(w, backend, placement.virtualCluster, log);
      return;
    }
    await this.#track(w, backend, current, log);
  }

  /** Where the job runs: the default pool or its VirtualCluster's. Undefined while it must wait. */
  #placement(w: Work): { target: ScheddTarget; virtualCluster?: string } | undefined {
    const ref = w.job.spec.virtualClusterRef;
    if (!ref) return { target: this.#d.defaultTarget };
    const ns = w.job.metadata.namespace;
    const vc = this.#d.virtualClusters?.get(ns, ref.name);
    const phase = vc?.status?.phase;
    const unusable =
      !vc ||
      phase === 'Terminating' ||
      phase === 'Terminated' ||
      phase === 'Failed' ||
      !!vc.metadata.deletionTimestamp;
    if (unusable) {
      const why = !vc
        ? `VirtualCluster ${ref.name} does not exist`
        : `VirtualCluster ${ref.name} is ${phase ?? 'being deleted'}`;
      const waitMs = this.#d.virtualClusterWaitMs ?? 10 * 60_000;
      const since = Date.parse(w.job.metadata.creationTimestamp ?? '') || this.#now();
      this.#cond(w, {
        type: C.VirtualClusterReady,
        status: 'False',
        reason: !vc ? 'NotFound' : 'NotUsable',
        message: why,
      });
      if ((w.status.attempt ?? 0) === 0 && this.#now() - since > waitMs) {
        this.#end(w, 'Failed', `${why} (waited ${Math.round(waitMs / 1000)} s)`, 'VirtualClusterUnavailable');
      } else {
        w.status.phase = w.status.phase ?? 'Pending';
        w.status.message = `waiting: ${why}`;
        w.requeueAfterMs = 10_000;
      }
      return undefined;
    }
    // Submitted all the same (the workers may grow), but a job no worker can hold says so.
    const tooBig = noWorkerFits(w.job, vc);
    if (
      this.#cond(w, {
        type: C.VirtualClusterReady,
        status: 'True',
        reason: tooBig ? 'NoWorkerFits' : 'Found',
        message: tooBig ?? `VirtualCluster ${ref.name} is ${phase ?? 'known'}`,
      }) &&
      tooBig
    ) {
      this.#event(w, 'Warning', 'NoWorkerFits', 'Submit', tooBig);
    }
    return {
      target: {
        name: vc.spec.pool.scheddName || this.#d.defaultTarget.name,
        pool: vc.spec.pool.collectorHost,
      },
      virtualCluster: `${ns}/${ref.name}`,
    };
  }

  /** Submits (or adopts) the next attempt, once any backoff is over. */
  async #nextAttempt(
    w: Work,
    backend: SchedulerBackend,
    virtualCluster: string | undefined,
    log: Logger,
  ): Promise<void> {
    const { job, status } = w;
    const uid = job.metadata.uid as string;
    const next = (status.attempt ?? 0) + 1;
    if (status.nextRetryTime) {
      const due = Date.parse(status.nextRetryTime) - this.#now();
      if (due > 0) {
        w.requeueAfterMs = due;
        return;
      }
    }
    if (job.spec.suspend) {
      w.status.phase = status.phase ?? 'Pending';
      this.#cond(w, {
        type: C.Suspended,
        status: 'True',
        reason: 'Suspended',
        message: 'spec.suspend is true: not submitting',
      });
      status.message = 'suspended before submission';
      return;
    }
    this.#condIfPresent(w, { type: C.Suspended, status: 'False', reason: 'NotSuspended', message: '' });

    // Adopt a job of this attempt that already exists (a submission whose status write was lost).
    const existing = backend.tracker.find(uid, next);
    let jobId = existing?.jobId;
    let adopted = !!existing && existing.source !== 'submitted';
    if (!jobId) {
      const outcome = backend.submissions.outcome(uid, next);
      if (!outcome) {
        const memoryMiB = this.#memoryFor(w, next);
        const logDir = attemptLogDir(this.#d.logDir, job, next);
        mkdirSync(logDir, { recursive: true, mode: 0o700 });
        const plan = await planStaging(job, logDir, this.#d.workspaceMounts ?? [], this.#d.secrets);
        if ('reason' in plan) {
          if (!plan.transient) {
            this.#cond(w, { type: C.Accepted, status: 'False', reason: plan.reason, message: plan.message });
            this.#end(w, 'Failed', plan.message, plan.reason);
            return;
          }
          this.#cond(w, { type: C.Submitted, status: 'False', reason: plan.reason, message: plan.message });
          status.phase = status.phase ?? 'Pending';
          status.message = `waiting: ${plan.message}`;
          w.requeueAfterMs = 10_000;
          return;
        }
        backend.submissions.request({
          uid,
          attempt: next,
          ref: `${job.metadata.namespace}/${job.metadata.name}`,
          job: buildSubmitJob(job, next, {
            operatorId: this.#d.operatorId,
            wrapperPath: this.#d.wrapperPath,
            logDir: this.#d.logDir,
            virtualCluster,
            memoryMiB,
            inputFiles: plan.inputFiles,
            transferDir: plan.transferDir,
          }),
        });
        status.phase = status.phase ?? 'Pending';
        return;
      }
      if (outcome.state === 'in-flight') return;
      backend.submissions.clear(uid, next);
      if (outcome.state === 'failed') {
        if (!outcome.permanent) {
          const changed = this.#cond(w, {
            type: C.Submitted,
            status: 'False',
            reason: 'SubmitFailed',
            message: truncate(outcome.message, 1000),
          });
          if (changed)
            this.#event(
              w,
              'Warning',
              'SubmitFailed',
              'Submit',
              `condor_submit failed, will retry: ${outcome.message}`,
            );
          status.phase = status.phase ?? 'Pending';
          status.message = `submission failed, retrying: ${truncate(outcome.message, 300)}`;
          w.requeueAfterMs = 5000 + Math.random() * 5000;
          return;
        }
        // The schedd refuses this job: an attempt that failed at submission.
        this.#recordAttempt(w, {
          attempt: next,
          schedd: backend.name,
          submitTime: this.#iso(),
          outcome: 'Running',
        });
        this.#failure(
          w,
          backend,
          { category: 'SubmitError' },
          `condor_submit refused the job: ${outcome.message}`,
          undefined,
          log,
        );
        return;
      }
      jobId = outcome.jobId;
      adopted = outcome.adopted;
    }
    // Spooled with the job: a ticket copy is not needed any more.
    dropSecretFiles(attemptLogDir(this.#d.logDir, job, next));
    const [cluster, proc] = jobId.split('.').map(Number);
    status.attempt = next;
    status.jobId = jobId;
    status.clusterId = cluster;
    status.procId = proc;
    status.nextRetryTime = undefined;
    this.#recordAttempt(w, {
      attempt: next,
      jobId,
      schedd: backend.name,
      submitTime: this.#iso(),
      outcome: 'Running',
      memory: mibQuantity(this.#memoryFor(w, next)),
    });
    this.#phase(w, 'Submitted');
    this.#cond(w, {
      type: C.Submitted,
      status: 'True',
      reason: adopted ? 'Adopted' : 'Submitted',
      message: `HTCondor job ${jobId} on ${backend.name}`,
    });
    this.#cond(w, { type: C.Running, status: 'False', reason: 'Queued', message: 'waiting for a slot' });
    this.#condIfPresent(w, { type: C.Held, status: 'False', reason: 'NotHeld', message: '' });
    status.message = `attempt ${next}: submitted as ${jobId}`;
    this.#event(
      w,
      'Normal',
      next > 1 ? 'Retried' : 'Submitted',
      'Submit',
      `attempt ${next} ${adopted ? 'adopted' : 'submitted'} as HTCondor job ${jobId} on ${backend.name}`,
    );
    if (adopted) log.info({ jobId, attempt: next }, 'adopted an existing HTCondor job');
  }

  /** Follows the current attempt's HTCondor job. */
  async #track(w: Work, backend: SchedulerBackend, current: Attempt, log: Logger): Promise<void> {
    const { job } = w;
    const uid = job.metadata.uid as string;
    const tj = backend.tracker.find(uid, current.attempt);
    if (!tj) {
      const submitted = Date.parse(current.submitTime ?? '') || 0;
      const presence = backend.tracker.presence(uid, current.attempt, submitted);
      if (presence === 'pending') {
        w.requeueAfterMs = 5000;
        return;
      }
      this.#failure(
        w,
        backend,
        { category: 'Lost' },
        `HTCondor job ${current.jobId} is in neither the queue nor the history`,
        undefined,
        log,
      );
      return;
    }
    const obs = observe(tj);
    switch (obs.state) {
      case 'submitted':
        this.#phase(w, 'Submitted');
        break;
      case 'queued':
        // Released (by us or by hand): a pending release time is moot.
        w.status.nextRetryTime = undefined;
        this.#phase(w, 'Queued');
        this.#cond(w, { type: C.Running, status: 'False', reason: 'Queued', message: 'waiting for a slot' });
        this.#condIfPresent(w, { type: C.Held, status: 'False', reason: 'NotHeld', message: '' });
        this.#suspendIfAsked(w, backend, tj);
        break;
      case 'running':
        this.#running(w, current, obs);
        this.#suspendIfAsked(w, backend, tj);
        break;
      case 'suspended':
        this.#phase(w, 'Held');
        if (!job.spec.suspend) {
          backend.actions.request('condor_release', { jobId: tj.jobId });
          if (
            this.#cond(w, {
              type: C.Suspended,
              status: 'False',
              reason: 'Resuming',
              message: `releasing ${tj.jobId}`,
            })
          ) {
            this.#event(w, 'Normal', 'Resumed', 'Release', `spec.suspend is false: releasing ${tj.jobId}`);
          }
        } else {
          this.#cond(w, {
            type: C.Suspended,
            status: 'True',
            reason: 'Suspended',
            message: `${tj.jobId} is held because spec.suspend is true`,
          });
        }
        w.status.message = `attempt ${current.attempt} suspended`;
        break;
      case 'held':
        this.#held(w, backend, current, tj, obs.hold, log);
        break;
      case 'succeeded': {
        // The logs come back first, so that whoever sees Succeeded can read them.
        if (this.#waitForLogs(w, backend, tj, obs.endedAt)) return;
        this.#backfillStart(w, current, obs.startedAt, obs.host);
        current.outcome = 'Succeeded';
        current.exitCode = obs.exitCode;
        current.endTime = isoOf(obs.endedAt) ?? this.#iso();
        if (obs.host) current.host = obs.host;
        if (obs.result?.runtime) current.runtime = obs.result.runtime;
        current.message = 'exited 0';
        w.acks.push(tj.jobId);
        this.#cond(w, { type: C.Running, status: 'False', reason: 'Completed', message: '' });
        this.#condIfPresent(w, { type: C.Held, status: 'False', reason: 'NotHeld', message: '' });
        this.#cond(w, {
          type: C.Succeeded,
          status: 'True',
          reason: 'ExitedZero',
          message: `attempt ${current.attempt} exited 0`,
        });
        this.#end(w, 'Succeeded', `attempt ${current.attempt} succeeded`);
        break;
      }
      case 'failed': {
        if (this.#waitForLogs(w, backend, tj, obs.endedAt)) return;
        this.#backfillStart(w, current, obs.startedAt, obs.host);
        current.exitCode = obs.exitCode;
        current.signal = obs.signal;
        if (obs.host) current.host = obs.host;
        if (obs.result?.runtime) current.runtime = obs.result.runtime;
        const tail = this.#stderrTail(w, current.attempt);
        const message = `attempt ${current.attempt} ${obs.message}${tail ? `; stderr:\n${tail}` : ''}`;
        this.#failure(
          w,
          backend,
          { category: obs.category, exitCode: obs.exitCode, signal: obs.signal },
          message,
          tj,
          log,
          isoOf(obs.endedAt),
        );
        break;
      }
      case 'removed':
        this.#failure(
          w,
          backend,
          { category: 'Removed' },
          `HTCondor job ${tj.jobId} was removed outside the operator: ${obs.reason}`,
          tj,
          log,
          isoOf(obs.endedAt),
        );
        break;
    }
  }

  /** Fetches the attempt's logs; true (with a requeue) while they are on their way, for at most LOG_WAIT_MS. */
  #waitForLogs(
    w: Work,
    backend: SchedulerBackend,
    tj: TrackedJob,
    endedAtSeconds: number | undefined,
  ): boolean {
    const fetch = this.#fetchLogs(w, backend, tj);
    const endedAt = (endedAtSeconds ?? this.#now() / 1000) * 1000;
    if (fetch !== 'pending' || this.#now() - endedAt >= LOG_WAIT_MS) return false;
    w.requeueAfterMs = 1000;
    return true;
  }

  /** A run that started and ended between two looks (or while the API server was away) still gets its start. */
  #backfillStart(w: Work, current: Attempt, startedAt: number | undefined, host: string | undefined): void {
    const started = isoOf(startedAt);
    if (!started || current.startTime) return;
    // The Started event too, so the event history reads the same however often we looked.
    this.#event(
      w,
      'Normal',
      'Started',
      'Run',
      `attempt ${current.attempt} (${current.jobId}) started on ${host ?? 'a worker'} at ${started}`,
    );
    const submitted = Date.parse(current.submitTime ?? '');
    if (submitted && startedAt) this.#d.metrics.queueWait.observe(Math.max(0, startedAt - submitted / 1000));
    current.startTime = started;
    w.status.startTime = w.status.startTime ?? started;
  }

  #running(w: Work, current: Attempt, obs: Extract<Observation, { state: 'running' }>): void {
    const started = isoOf(obs.startedAt) ?? this.#iso();
    if (w.status.phase !== 'Running') {
      this.#event(
        w,
        'Normal',
        'Started',
        'Run',
        `attempt ${current.attempt} (${current.jobId}) started on ${obs.host ?? 'a worker'}`,
      );
      const submitted = Date.parse(current.submitTime ?? '');
      if (submitted && obs.startedAt)
        this.#d.metrics.queueWait.observe(Math.max(0, obs.startedAt - submitted / 1000));
    }
    this.#phase(w, 'Running');
    current.startTime = current.startTime ?? started;
    if (obs.host) current.host = obs.host;
    w.status.startTime = w.status.startTime ?? started;
    w.status.message = `attempt ${current.attempt} running on ${obs.host ?? 'a worker'}`;
    this.#cond(w, {
      type: C.Running,
      status: 'True',
      reason: 'Running',
      message: `on ${obs.host ?? 'a worker'}`,
    });
    this.#condIfPresent(w, { type: C.Held, status: 'False', reason: 'NotHeld', message: '' });
  }

  /** spec.suspend on a queued or running job: hold it. */
  #suspendIfAsked(w: Work, backend: SchedulerBackend, tj: TrackedJob): void {
    if (!w.job.spec.suspend) {
      this.#condIfPresent(w, { type: C.Suspended, status: 'False', reason: 'NotSuspended', message: '' });
      return;
    }
    backend.actions.request('condor_hold', { jobId: tj.jobId }, SUSPEND_REASON);
    if (
      this.#cond(w, {
        type: C.Suspended,
        status: 'True',
        reason: 'Suspending',
        message: `holding ${tj.jobId}`,
      })
    ) {
      this.#event(w, 'Normal', 'Suspending', 'Hold', `spec.suspend is true: holding ${tj.jobId}`);
    }
  }

  #held(w: Work, backend: SchedulerBackend, current: Attempt, tj: TrackedJob, hold: Hold, log: Logger): void {
    const { status, job } = w;
    const holdTime = isoOf(hold.since);
    // Right after a release the tracker may still show the hold it released: wait for the next poll.
    if (current.lastReleaseTime && holdTime && Date.parse(holdTime) <= Date.parse(current.lastReleaseTime)) {
      w.requeueAfterMs = 2000;
      return;
    }
    const newHold =
      current.holdTime !== holdTime || current.holdCode !== hold.code || status.phase !== 'Held';
    current.holdCode = hold.code;
    current.holdSubCode = hold.subCode;
    current.holdReason = truncate(hold.reason, 2048);
    if (holdTime) current.holdTime = holdTime;
    this.#phase(w, 'Held');
    const heldMsg = `HTCondor hold code ${hold.code}${hold.subCode !== undefined ? `/${hold.subCode}` : ''}: ${hold.reason}`;
    this.#cond(w, { type: C.Held, status: 'True', reason: `HoldCode${hold.code}`, message: heldMsg });
    this.#cond(w, { type: C.Running, status: 'False', reason: 'Held', message: '' });
    if (newHold) {
      this.#d.metrics.holds.inc({ code: String(hold.code) });
      this.#event(w, 'Warning', 'Held', 'Hold', `attempt ${current.attempt} (${tj.jobId}) held: ${heldMsg}`);
    }
    const failure: Failure = { category: 'Hold', holdCode: hold.code, holdSubCode: hold.subCode };
    const decision = decide(job.spec.retryPolicy, failure);
    const releaseLimit = job.spec.retryPolicy?.releaseLimit ?? 3;
    if (decision.action === 'release' && (current.releases ?? 0) < releaseLimit) {
      if (!status.nextRetryTime) {
        const delay = backoffMs(job.spec.retryPolicy, (current.releases ?? 0) + 1);
        status.nextRetryTime = this.#iso(this.#now() + delay);
        status.message = `${heldMsg}; releasing at ${status.nextRetryTime} (${decision.because})`;
        w.requeueAfterMs = delay;
        return;
      }
      const due = Date.parse(status.nextRetryTime) - this.#now();
      if (due > 0) {
        w.requeueAfterMs = due;
        return;
      }
      backend.actions.request('condor_release', { jobId: tj.jobId });
      current.releases = (current.releases ?? 0) + 1;
      current.lastReleaseTime = this.#iso();
      status.nextRetryTime = undefined;
      status.message = `released ${tj.jobId} (${current.releases} of ${releaseLimit}; ${decision.because})`;
      this.#event(w, 'Normal', 'Released', 'Release', `released held job ${tj.jobId} (${decision.because})`);
      log.info({ jobId: tj.jobId, code: hold.code }, 'released a held job');
      return;
    }
    // #failure adds the rule's reason itself; only the exhausted releases are news here.
    const exhausted = decision.action === 'release' ? ` (released ${releaseLimit} times already)` : '';
    this.#failure(
      w,
      backend,
      failure,
      `attempt ${current.attempt} held: ${heldMsg}${exhausted}`,
      tj,
      log,
      undefined,
      decision.action === 'release' ? 'retry' : decision.action,
    );
  }

  /**
   * An attempt failed: record it and either schedule the next attempt or end the HPCJob. The HTCondor job
   * (if still in the queue) is removed and acknowledged once the status says how it ended.
   */
  #failure(
    w: Work,
    backend: SchedulerBackend,
    f: Failure,
    message: string,
    tj: TrackedJob | undefined,
    log: Logger,
    endTime?: string,
    forced?: 'retry' | 'release' | 'fail',
  ): void {
    const { job, status } = w;
    const n = status.attempt ?? 0;
    const current =
      status.attempts?.find((a) => a.attempt === n) ?? status.attempts?.[status.attempts.length - 1];
    const decision = forced
      ? { ...decide(job.spec.retryPolicy, f), action: forced }
      : decide(job.spec.retryPolicy, f);
    const limit = job.spec.retryPolicy?.limit ?? 3;
    const retriesUsed = Math.max(0, n - 1);
    const retry = decision.action !== 'fail' && retriesUsed < limit;
    if (current) {
      current.outcome = retry ? 'Retried' : f.category === 'Lost' ? 'Lost' : 'Failed';
      current.failureCategory = f.category;
      current.endTime = endTime ?? this.#iso();
      current.message = truncate(message, 4096);
    }
    if (tj) {
      // A held or still-queued job must go; a completed one just leaves once acknowledged.
      const jobStatus = adNumber(tj.ad, 'JobStatus');
      if (jobStatus !== 4 && jobStatus !== 3)
        backend.actions.request('condor_rm', { jobId: tj.jobId }, `HPCJob attempt ${n} ended: ${f.category}`);
      w.acks.push(tj.jobId);
    }
    this.#cond(w, { type: C.Running, status: 'False', reason: f.category, message: '' });
    if (retry) {
      const delay = backoffMs(job.spec.retryPolicy, retriesUsed + 1);
      status.nextRetryTime = this.#iso(this.#now() + delay);
      this.#phase(w, 'Pending');
      this.#cond(w, {
        type: C.Submitted,
        status: 'False',
        reason: 'BackingOff',
        message: `next attempt at ${status.nextRetryTime}`,
      });
      this.#condIfPresent(w, { type: C.Held, status: 'False', reason: 'NotHeld', message: '' });
      status.message = truncate(
        `${message}; retrying (attempt ${n + 1} of at most ${limit + 1}) at ${status.nextRetryTime} (${decision.because})`,
        8192,
      );
      this.#event(
        w,
        'Warning',
        'AttemptFailed',
        'Retry',
        `attempt ${n} failed (${f.category}); retrying in ${Math.round(delay / 1000)} s (${decision.because})`,
      );
      w.requeueAfterMs = delay;
      log.info({ attempt: n, category: f.category, retryInMs: delay }, 'attempt failed; retrying');
      return;
    }
    const why = decision.action === 'fail' ? decision.because : `retry limit ${limit} reached`;
    this.#end(w, f.category === 'Lost' ? 'Lost' : 'Failed', `${message} (${why})`, f.category);
  }

  /** A person asked to cancel: the HTCondor job is removed (by the final-phase cleanup) and the HPCJob ends. */
  #cancel(w: Work, token: string, log: Logger): void {
    const { status } = w;
    status.cancelToken = token;
    if (status.phase && FINAL_PHASES.includes(status.phase)) return;
    const current = status.attempts?.find((a) => a.attempt === status.attempt);
    if (current && current.outcome === 'Running') {
      current.outcome = 'Cancelled';
      current.endTime = this.#iso();
      current.message = 'cancelled by hand';
    }
    this.#cond(w, { type: C.Running, status: 'False', reason: 'Cancelled', message: '' });
    this.#end(w, 'Failed', `cancelled (${HPCJobAnnotations.Cancel}=${token})`, 'Cancelled');
    // The final-phase pass removes the job from the queue and acknowledges it.
    w.requeueAfterMs = 1;
    log.info({ token }, 'cancel requested');
  }

  /** Marks the HPCJob final. */
  #end(w: Work, phase: Phase, message: string, reason?: string): void {
    const { status } = w;
    this.#phase(w, phase);
    status.completionTime = status.completionTime ?? this.#iso();
    status.nextRetryTime = undefined;
    status.message = truncate(message, 8192);
    if (phase !== 'Succeeded') {
      this.#cond(w, {
        type: C.Failed,
        status: 'True',
        reason: reason ?? 'Failed',
        message: truncate(message, 32768),
      });
      this.#event(w, 'Warning', phase === 'Lost' ? 'Lost' : 'Failed', 'Finish', truncate(message, 1000));
    } else {
      this.#event(w, 'Normal', 'Succeeded', 'Finish', message);
    }
  }

  /** A final HPCJob: make sure its jobs are gone from the queue, and honour ttlSecondsAfterFinished. */
  async #finished(w: Work): Promise<void> {
    const { job, status } = w;
    const target = this.#placementQuiet(job);
    if (target) {
      const backend = this.#d.backends.for(target);
      for (const tj of backend.tracker.inQueue(job.metadata.uid as string)) {
        const st = adNumber(tj.ad, 'JobStatus');
        if (st !== 4 && st !== 3)
          backend.actions.request('condor_rm', { jobId: tj.jobId }, 'HPCJob already finished');
        if (!tj.acked && !backend.tracker.isAcked(tj.jobId)) {
          if (st === 4 && this.#fetchLogs(w, backend, tj) === 'pending') w.requeueAfterMs = 2000;
          else w.acks.push(tj.jobId);
        }
      }
    }
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl !== undefined && status.completionTime) {
      const due = Date.parse(status.completionTime) + ttl * 1000 - this.#now();
      if (due <= 0) {
        try {
          await this.#d.writer.delete(job);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        return;
      }
      w.requeueAfterMs = Math.min(w.requeueAfterMs ?? Infinity, due);
    }
  }

  /** The schedd of a job without side effects (for cleanup of final or deleted jobs). */
  #placementQuiet(job: HPCJob): ScheddTarget | undefined {
    const ref = job.spec.virtualClusterRef;
    if (!ref) return this.#d.defaultTarget;
    const vc = this.#d.virtualClusters?.get(job.metadata.namespace, ref.name);
    if (vc)
      return {
        name: vc.spec.pool.scheddName || this.#d.defaultTarget.name,
        pool: vc.spec.pool.collectorHost,
      };
    // The VirtualCluster is gone: the schedd recorded in status still knows the jobs.
    return job.status?.schedd
      ? { ...this.#d.defaultTarget, name: job.status.schedd === 'local' ? undefined : job.status.schedd }
      : undefined;
  }

  /**
   * Deletion: remove every HTCondor job of this HPCJob (by its UID, any attempt), confirm they left the
   * queue, then drop the finalizer. While the schedd cannot be reached the finalizer stays, and an Event says why.
   */
  async #finalize(job: HPCJob, log: Logger): Promise<Result> {
    if (!job.metadata.finalizers?.includes(FINALIZER)) return {};
    const uid = job.metadata.uid as string;
    const target = this.#placementQuiet(job);
    if (target) {
      const backend = this.#d.backends.for(target);
      if (!backend.tracker.synced || !backend.tracker.reachable) {
        this.#d.recorder.event(
          { ...job, apiVersion: API_VERSION, kind: HPCJOB_KIND },
          'Warning',
          'CleanupBlocked',
          'Delete',
          `cannot remove the HTCondor jobs yet: schedd ${backend.name} is unreachable (${backend.tracker.lastError ?? 'no answer yet'}); the finalizer stays until it answers`,
        );
        return { requeueAfterMs: 5000 };
      }
      const left = backend.tracker.inQueue(uid);
      const pending = backend.submissions.outcome(uid, (job.status?.attempt ?? 0) + 1);
      if (left.length > 0 || pending?.state === 'in-flight') {
        // Acknowledged, a removed job leaves the queue; one still idle, running or held is removed first.
        for (const tj of left) if (!backend.tracker.isAcked(tj.jobId)) backend.tracker.ack(tj.jobId);
        if (pending?.state === 'in-flight' || left.some((tj) => adNumber(tj.ad, 'JobStatus') !== 3)) {
          backend.actions.request('condor_rm', { uid }, 'HPCJob deleted');
        }
        return { requeueAfterMs: 1000 };
      }
      // Nothing of it in the queue as of a poll that started after this reconcile's view: done.
      if (job.status?.phase && !FINAL_PHASES.includes(job.status.phase)) {
        log.info({ uid }, 'HTCondor jobs of the deleted HPCJob are gone');
      }
    }
    rmSync(`${this.#d.logDir}/${job.metadata.namespace}/${job.metadata.name}`, {
      recursive: true,
      force: true,
    });
    try {
      await this.#d.writer.removeFinalizer(job, FINALIZER);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    return {};
  }

  // ---------------------------------------------------------------- helpers

  #deadlineExceeded(w: Work): boolean {
    const limit = w.job.spec.activeDeadlineSeconds;
    const first = w.status.attempts?.[0]?.submitTime;
    if (!limit || !first) return false;
    const due = Date.parse(first) + limit * 1000;
    if (this.#now() >= due) return true;
    w.requeueAfterMs = Math.min(w.requeueAfterMs ?? Infinity, due - this.#now());
    return false;
  }

  /** Memory for attempt `n`: the spec's, raised by memoryFactor rules that matched earlier failures. */
  #memoryFor(w: Work, n: number): number {
    let mib = memoryMiBOf(w.job);
    for (const a of w.status.attempts ?? []) {
      if (a.attempt >= n || a.outcome !== 'Retried' || !a.failureCategory) continue;
      const d = decide(w.job.spec.retryPolicy, {
        category: a.failureCategory as FailureCategory,
        exitCode: a.exitCode,
        signal: a.signal,
        holdCode: a.holdCode,
        holdSubCode: a.holdSubCode,
      });
      if (d.memoryFactor) mib = Math.ceil(mib * d.memoryFactor);
    }
    return mib;
  }

  #fetchLogs(w: Work, backend: SchedulerBackend, tj: TrackedJob): 'pending' | 'done' | 'failed' {
    if (tj.source === 'history') return 'failed';
    const state = backend.actions.fetchOutput(tj.jobId);
    const dir = attemptLogDir(this.#d.logDir, w.job, tj.attempt);
    const ws = w.job.spec.workspace?.path;
    // With a workspace the wrapper also puts the logs there, where the workflow (and REANA) can read them.
    w.status.logs = ws
      ? {
          stdout: `${ws}/.hpc/${w.job.metadata.name}/${tj.attempt}/stdout`,
          stderr: `${ws}/.hpc/${w.job.metadata.name}/${tj.attempt}/stderr`,
        }
      : { stdout: `${dir}/${STDOUT_FILE}`, stderr: `${dir}/${STDERR_FILE}` };
    if (state === 'done') mergeTransferredResults(w.job, dir, this.#d.workspaceMounts ?? []);
    return state;
  }

  #stderrTail(w: Work, attempt: number): string {
    return tailOf(`${attemptLogDir(this.#d.logDir, w.job, attempt)}/${STDERR_FILE}`, 2048, 20);
  }

  #recordAttempt(w: Work, a: Attempt): void {
    const attempts = w.status.attempts ?? [];
    const i = attempts.findIndex((x) => x.attempt === a.attempt);
    if (i >= 0) attempts[i] = { ...attempts[i], ...a };
    else attempts.push(a);
    w.status.attempts = attempts.slice(-MAX_ATTEMPTS_KEPT);
    w.status.attempt = a.attempt;
  }

  #schedulerCondition(w: Work, backend: SchedulerBackend): void {
    if (backend.tracker.reachable) {
      this.#cond(w, {
        type: C.SchedulerReachable,
        status: 'True',
        reason: 'Reachable',
        message: `schedd ${backend.name} answers`,
      });
    } else {
      this.#cond(w, {
        type: C.SchedulerReachable,
        status: 'False',
        reason: 'SchedulerUnavailable',
        message: `schedd ${backend.name} is unreachable: ${truncate(backend.tracker.lastError ?? '', 500)}; state is kept and work resumes when it answers`,
      });
      w.requeueAfterMs = Math.min(w.requeueAfterMs ?? Infinity, 10_000);
    }
  }

  #phase(w: Work, phase: Phase): void {
    if (w.status.phase !== phase) this.#d.metrics.transitions.inc({ phase });
    w.status.phase = phase;
  }

  /** Sets a condition; returns true when it changed (to emit Events only on transitions). */
  #cond(w: Work, c: NewCondition): boolean {
    return setStatusCondition(
      w.conditions,
      { ...c, observedGeneration: w.job.metadata.generation },
      new Date(this.#now()),
    );
  }

  /** Sets a condition only if it is already there (flipping Held or Suspended back without adding noise). */
  #condIfPresent(w: Work, c: NewCondition): void {
    if (w.conditions.some((x) => x.type === c.type)) this.#cond(w, c);
  }

  #event(w: Work, type: EventType, reason: string, action: string, note: string): void {
    w.events.push([type, reason, action, note]);
  }

  #iso(ms = this.#now()): string {
    return rfc3339(new Date(ms));
  }

  /** Writes the status when it changed, then sends Events and acknowledgements. */
  async #commit(w: Work, log: Logger): Promise<Result> {
    const { job, status } = w;
    status.conditions = w.conditions;
    status.observedGeneration = job.metadata.generation;
    const before = JSON.stringify(job.status ?? {});
    const after = JSON.stringify(prune(status));
    if (before !== after) {
      try {
        await this.#d.writer.patchStatus(job, prune(status));
      } catch (e) {
        if (isConflict(e)) {
          // Our cache was behind our own last write: try again once it has caught up.
          return { requeueAfterMs: 200 };
        }
        if (isNotFound(e)) return {};
        throw new Error(`status write failed: ${errorMessage(e)}`, { cause: e });
      }
    }
    const obj = { ...job, apiVersion: API_VERSION, kind: HPCJOB_KIND };
    for (const [type, reason, action, note] of w.events)
      this.#d.recorder.event(obj, type, reason, action, note);
    if (w.acks.length > 0) {
      const target = this.#placementQuiet(job);
      if (target) {
        const backend = this.#d.backends.for(target);
        for (const id of w.acks) backend.tracker.ack(id);
      }
    }
    if (w.events.length)
      log.debug({ phase: status.phase, events: w.events.map((e) => e[1]) }, 'status written');
    return w.requeueAfterMs !== undefined && Number.isFinite(w.requeueAfterMs)
      ? { requeueAfterMs: Math.max(1, w.requeueAfterMs) }
      : {};
  }
}

/** Drops undefined fields (they would not survive the API round trip and make every compare differ). */
function prune<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 3) + '...';
}

function isoOf(epochSeconds: number | undefined): string | undefined {
  return epochSeconds ? rfc3339(new Date(epochSeconds * 1000)) : undefined;
}

/** The last `maxLines` lines of a file, within its last `maxBytes`; '' when it cannot be read. */
export function tailOf(path: string, maxBytes: number, maxLines: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').replace(/\s+$/, '').split('\n');
    return lines.slice(-maxLines).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

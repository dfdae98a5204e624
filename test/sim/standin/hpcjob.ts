/**
 * STAND-IN (replaced by the real operator through operator-hook.ts): the HPCJob controller, small but
 * careful about the invariants the simulation checks: intent is recorded before acting, a submit is
 * preceded by a look for the attempt in the queue and the history (adoption), submits happen only well
 * inside the Lease, outputs are fetched and merged before the final status, HPCAck only after it, jobs are
 * found by (uid, attempt), never by id alone, and the finalizer goes only when the queue holds nothing of
 * the HPCJob and no submit for it is in flight.
 */
import type { OperatorConfig } from '../../../src/config.js';
import { adNumber, type JobAd } from '../../../src/condor/parse.js';
import type { CondorConnector, ScheddApi, ScheddTarget } from '../../../src/condor/schedd-api.js';
import { scheddLabel } from '../../../src/condor/schedd-api.js';
import { CondorError } from '../../../src/condor/errors.js';
import { TRACKED_ATTRIBUTES, Tag } from '../../../src/condor/tags.js';
import type { AttemptFiles } from '../../../src/controllers/hpcjob/attempt-files.js';
import { buildSubmitJob } from '../../../src/controllers/hpcjob/description.js';
import type { HPCJob, HPCJobStatus } from '../../../src/crds/hpcjob.js';
import { HPCJobAnnotations } from '../../../src/crds/hpcjob.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import type { Clock } from '../../../src/runtime/clock.js';
import type { ObjectWriter } from '../../../src/runtime/kube-api.js';
import * as S from './hpcjob-status.js';
import { findAttempt, placementOf, statusTarget, type Placement } from './placement.js';
import type { Informer } from './informer.js';
import type { LeaderElector } from './leader.js';
import { attemptKey, type Snapshot, type Tracker } from './tracker.js';
import { WorkQueue } from './workqueue.js';

export interface HpcJobControllerDeps {
  clock: Clock;
  config: OperatorConfig;
  condor: CondorConnector;
  files: AttemptFiles;
  writer: ObjectWriter;
  leader: LeaderElector;
  tracker: Tracker;
  jobs: Informer<HPCJob>;
  vcs: Informer<VirtualCluster>;
  /** How long a condor_submit may take before it is killed (the Lease must outlast it). */
  submitTimeoutMs: number;
}

export class HpcJobController {
  readonly queue: WorkQueue;
  readonly submitting = new Set<string>();
  readonly fetched = new Set<string>();
  /** When this replica last acted on a key's job: older snapshots do not show the effect yet. */
  readonly actedAt = new Map<string, number>();

  constructor(readonly d: HpcJobControllerDeps) {
    this.queue = new WorkQueue(d.clock, 4, (key) => this.reconcile(key));
  }

  async reconcile(key: string): Promise<void> {
    const job = this.d.jobs.items.get(key);
    if (!job) return this.#forget(key);
    // Decisions about VirtualClusters need their cache complete (WaitForCacheSync).
    if (!this.d.vcs.synced) return this.queue.after(key, 1_000);
    if (job.metadata.deletionTimestamp) return this.#finalize(key, job);
    if (!job.metadata.finalizers?.includes(S.FINALIZER)) {
      this.d.jobs.update(
        await this.d.writer.setFinalizers(job, [...(job.metadata.finalizers ?? []), S.FINALIZER]),
      );
      return this.queue.add(key);
    }
    const st = job.status ?? {};
    const placement = placementOf(job, this.d.config, this.d.vcs.items);
    if (S.isFinal(st.phase)) return this.#finished(key, job, placement);
    const cancel = job.metadata.annotations?.[HPCJobAnnotations.Cancel];
    if (cancel && cancel !== st.cancelToken) return this.#cancel(key, job, cancel, placement);
    if ('wait' in placement) return this.#waitForVc(key, job);
    if ('gone' in placement) return this.#vcGone(key, job);
    if (!st.attempt)
      return void (await this.#write(job, {
        phase: 'Pending',
        attempt: 1,
        schedd: scheddLabel(placement.target),
      }));
    if (!st.jobId) return this.#submitOrAdopt(key, job, placement.target, placement.vc);
    return this.#observe(key, job, placement.target);
  }

  async #write(job: HPCJob, patch: Partial<HPCJobStatus>): Promise<HPCJob> {
    // A merge patch: a field to clear must be sent as null, or the old value stays.
    const body: Record<string, unknown> = { ...(job.status ?? {}), ...patch };
    for (const [k, v] of Object.entries(body)) if (v === undefined) body[k] = null;
    const o = await this.d.writer.patchStatus(job, body);
    this.d.jobs.update(o);
    return o;
  }

  #schedd(t: ScheddTarget): ScheddApi {
    return this.d.condor.schedd(t);
  }

  #sel(uid: string) {
    return { operator: this.d.config.operatorId, uids: [uid] };
  }

  async #finished(key: string, job: HPCJob, placement: Placement): Promise<void> {
    const st = job.status ?? {};
    const retry = job.metadata.annotations?.[HPCJobAnnotations.Retry];
    if (retry && retry !== st.retryToken) {
      await this.#write(job, {
        phase: 'Pending',
        attempt: (st.attempt ?? 0) + 1,
        jobId: undefined,
        retryToken: retry,
        completionTime: undefined,
        message: 'retry requested',
      });
      return;
    }
    if (!st.attempt) return this.d.tracker.release(key);
    const target = statusTarget(job, placement, this.d.config);
    const snap = this.d.tracker.use(target, key);
    if (!snap) return;
    const uid = job.metadata.uid as string;
    const ended = [...snap.ads.values()].filter((a) => a[Tag.JobUID] === uid && a[Tag.Ack] !== true);
    if (ended.some((a) => [1, 2, 5].includes(adNumber(a, 'JobStatus') ?? 0)))
      await this.#schedd(target).act('remove', this.#sel(uid), 'HPCJob finished');
    if (ended.length) await this.#schedd(target).acknowledge(this.#sel(uid));
    else this.d.tracker.release(key);
  }

  async #cancel(key: string, job: HPCJob, token: string, placement: Placement): Promise<void> {
    const n = job.status?.attempt ?? 0;
    const o = await this.#write(job, {
      phase: 'Failed',
      cancelToken: token,
      message: 'Cancelled',
      completionTime: new Date(this.d.clock.now()).toISOString(),
      attempts: n ? S.withAttempt(job.status ?? {}, n, { outcome: 'Cancelled' }) : job.status?.attempts,
    });
    if (n)
      await this.#schedd(statusTarget(o, placement, this.d.config)).act(
        'remove',
        this.#sel(job.metadata.uid as string),
        'HPCJob cancelled',
      );
    this.queue.add(key);
  }

  async #waitForVc(key: string, job: HPCJob): Promise<void> {
    const created = Date.parse(job.metadata.creationTimestamp ?? '') || this.d.clock.now();
    const left = created + this.d.config.virtualClusterWaitSeconds * 1000 - this.d.clock.now();
    if (left > 0) return this.queue.after(key, Math.min(left, 30_000));
    await this.#write(job, {
      phase: 'Failed',
      message: 'VirtualCluster not found',
      completionTime: new Date(this.d.clock.now()).toISOString(),
    });
  }

  /** Its VirtualCluster went away: the attempt can never run. Its job goes first, then the HPCJob fails. */
  async #vcGone(key: string, job: HPCJob): Promise<void> {
    const uid = job.metadata.uid as string;
    const target = statusTarget(job, { gone: true }, this.d.config);
    if (!job.status?.jobId && job.status?.attempt) {
      // A submit whose reply was lost may have committed: that job decides, not the VirtualCluster.
      const found = await findAttempt(this.#schedd(target), this.#sel(uid), job.status.attempt);
      if (found) return this.#adopted(job, found, target);
    }
    if (job.status?.jobId) {
      const snap = this.#fresh(key, this.d.tracker.use(target, key));
      if (!snap) return;
      const ad = snap.ads.get(attemptKey(uid, job.status.attempt ?? 1));
      if (ad && [1, 2, 5].includes(adNumber(ad, 'JobStatus') ?? 0))
        return this.#act(key, target, 'remove', uid, 'VirtualCluster deleted');
      // Ended or gone from the queue: judged like any other attempt.
      return this.#observe(key, job, target);
    }
    await this.#fail(job, 'Removed', 'VirtualCluster deleted');
  }

  /** The snapshot, if it started after this replica last acted on the key. */
  #fresh(key: string, snap: Snapshot | undefined): Snapshot | undefined {
    return snap && snap.startedAt > (this.actedAt.get(key) ?? 0) ? snap : undefined;
  }

  async #act(
    key: string,
    target: ScheddTarget,
    action: 'remove' | 'hold' | 'release',
    uid: string,
    reason?: string,
  ): Promise<void> {
    this.actedAt.set(key, this.d.clock.now());
    await this.#schedd(target).act(action, this.#sel(uid), reason);
  }

  async #submitOrAdopt(
    key: string,
    job: HPCJob,
    target: ScheddTarget,
    vc: string | undefined,
  ): Promise<void> {
    const st = job.status ?? {};
    const n = st.attempt ?? 1;
    const uid = job.metadata.uid as string;
    const due = Date.parse(st.nextRetryTime ?? '') - this.d.clock.now();
    if (due > 0) return this.queue.after(key, due);
    // An earlier submit (timed out, or its status write lost) may have committed: adopt it, suspended or not.
    const schedd = this.#schedd(target);
    const found = await findAttempt(schedd, this.#sel(uid), n);
    if (found) return this.#adopted(job, found, target);
    if (job.spec.suspend) return;
    const plan = await this.d.files.prepare(job, n);
    if ('reason' in plan) return this.queue.after(key, 10_000);
    if (!this.d.leader.canCommit(this.d.submitTimeoutMs + 5_000)) return this.queue.after(key, 2_000);
    const fence = this.d.submitTimeoutMs + 5_000;
    // A reconcile left over from a session that stopped must not race the new session's adoption.
    if (this.queue.stopped) return;
    const sj = buildSubmitJob(job, n, {
      operatorId: this.d.config.operatorId,
      wrapperPath: this.d.config.wrapperPath,
      attemptDir: this.d.files.dir(job, n),
      virtualCluster: vc,
      inputFiles: plan.inputFiles,
      transferDir: plan.transferDir,
    });
    this.submitting.add(uid);
    let ids: string[];
    try {
      const r = await this.d.leader.fenced(fence, () => schedd.submit([sj]));
      if (!r) return this.queue.after(key, 2_000);
      ids = r;
    } catch (e) {
      // A timeout may have committed: the next round adopts what it finds.
      return this.queue.after(key, e instanceof CondorError && e.kind === 'timeout' ? 1_000 : 10_000);
    } finally {
      this.submitting.delete(uid);
    }
    this.d.files.submitted(job, n);
    const jobId = ids[0] as string;
    const now = new Date(this.d.clock.now()).toISOString();
    await this.#write(job, {
      phase: 'Submitted',
      jobId,
      schedd: scheddLabel(target),
      attempts: S.withAttempt(st, n, {
        jobId,
        schedd: scheddLabel(target),
        submitTime: now,
        outcome: 'Running',
      }),
    });
  }

  async #adopted(job: HPCJob, ad: JobAd, target: ScheddTarget): Promise<void> {
    const jobId = S.jobIdOf(ad);
    const n = job.status?.attempt ?? 1;
    const now = new Date(this.d.clock.now()).toISOString();
    await this.#write(job, {
      phase: S.phaseOf(ad),
      jobId,
      schedd: scheddLabel(target),
      attempts: S.withAttempt(job.status ?? {}, n, { jobId, submitTime: now, outcome: 'Running' }),
    });
  }

  async #observe(key: string, job: HPCJob, target: ScheddTarget): Promise<void> {
    const uid = job.metadata.uid as string;
    const n = job.status?.attempt ?? 1;
    const snap = this.#fresh(key, this.d.tracker.use(target, key));
    if (!snap) return;
    const ad = snap.ads.get(attemptKey(uid, n));
    if (!ad) {
      const submitted = Date.parse(S.currentAttempt(job)?.submitTime ?? '') || 0;
      if (snap.startedAt <= submitted) return;
      const h = (await this.#schedd(target).history(this.#sel(uid), TRACKED_ATTRIBUTES, { limit: 20 })).find(
        (a) => adNumber(a, Tag.Attempt) === n,
      );
      return h ? this.#ended(key, job, h, target, true) : this.#lost(job);
    }
    switch (adNumber(ad, 'JobStatus')) {
      case 4:
        return this.#ended(key, job, ad, target, false);
      case 3:
        return this.#fail(job, 'Removed', 'removed by a person');
      case 5:
        return this.#held(key, job, ad, target);
      default:
        if (job.spec.suspend) return this.#act(key, target, 'hold', uid, S.SUSPEND_REASON);
        if (S.phaseOf(ad) !== job.status?.phase) await this.#write(job, { phase: S.phaseOf(ad) });
    }
  }

  async #held(key: string, job: HPCJob, ad: JobAd, target: ScheddTarget): Promise<void> {
    const uid = job.metadata.uid as string;
    const n = job.status?.attempt ?? 1;
    if (S.heldByUs(ad) && !job.spec.suspend) return this.#act(key, target, 'release', uid);
    if (adNumber(ad, 'HoldReasonCode') === 1) {
      if (job.status?.phase !== 'Held')
        await this.#write(job, { phase: 'Held', message: String(ad.HoldReason ?? '') });
      return;
    }
    const releases = S.currentAttempt(job)?.releases ?? 0;
    if (S.transientHold(ad) && releases < (job.spec.retryPolicy?.releaseLimit ?? 3)) {
      await this.#write(job, {
        phase: 'Held',
        attempts: S.withAttempt(job.status ?? {}, n, { releases: releases + 1 }),
      });
      return this.#act(key, target, 'release', uid);
    }
    // Removed first; the HPCJob fails once the job is seen Removed (it cannot complete any more).
    await this.#act(key, target, 'remove', uid, `HPCJob failed: held (${String(ad.HoldReason ?? '')})`);
  }

  async #ended(
    key: string,
    job: HPCJob,
    ad: JobAd,
    target: ScheddTarget,
    fromHistory: boolean,
  ): Promise<void> {
    const uid = job.metadata.uid as string;
    const n = job.status?.attempt ?? 1;
    if (adNumber(ad, 'JobStatus') === 3) return this.#fail(job, 'Removed', 'removed by a person');
    const fetchKey = attemptKey(uid, n);
    if (!fromHistory && !this.fetched.has(fetchKey)) {
      await this.#schedd(target).transferData(this.#sel(uid));
      this.d.files.mergeResults(job, n);
      this.fetched.add(fetchKey);
    }
    const ok = S.succeededAd(ad);
    await this.#write(job, {
      phase: ok ? 'Succeeded' : 'Failed',
      message: ok ? 'completed' : `failed: ${this.d.files.stderrTail(job, n).slice(0, 200)}`,
      completionTime: new Date(this.d.clock.now()).toISOString(),
      attempts: S.withAttempt(job.status ?? {}, n, {
        outcome: ok ? 'Succeeded' : 'Failed',
        exitCode: adNumber(ad, 'ExitCode'),
        ...(ok ? {} : { failureCategory: ad.ExitBySignal ? 'Signal' : 'ExitCode' }),
      }),
    });
    this.queue.add(key);
  }

  async #fail(job: HPCJob, category: 'Removed' | 'Hold', message: string): Promise<void> {
    const n = job.status?.attempt ?? 1;
    await this.#write(job, {
      phase: 'Failed',
      message,
      completionTime: new Date(this.d.clock.now()).toISOString(),
      attempts: S.withAttempt(job.status ?? {}, n, { outcome: 'Failed', failureCategory: category }),
    });
  }

  /** Neither the queue nor the history has the attempt: retry while the policy allows, else Lost. */
  async #lost(job: HPCJob): Promise<void> {
    const n = job.status?.attempt ?? 1;
    const attempts = S.withAttempt(job.status ?? {}, n, { outcome: 'Lost', failureCategory: 'Lost' });
    if (n <= (job.spec.retryPolicy?.limit ?? 3)) {
      const next = new Date(this.d.clock.now() + S.backoffMs(job, n)).toISOString();
      await this.#write(job, {
        phase: 'Pending',
        attempt: n + 1,
        jobId: undefined,
        nextRetryTime: next,
        attempts,
      });
    } else
      await this.#write(job, {
        phase: 'Lost',
        attempts,
        completionTime: new Date(this.d.clock.now()).toISOString(),
      });
  }

  async #finalize(key: string, job: HPCJob): Promise<void> {
    const uid = job.metadata.uid as string;
    if (!job.metadata.finalizers?.includes(S.FINALIZER)) return;
    if (this.submitting.has(uid)) return this.queue.after(key, 1_000);
    if (job.status?.attempt) {
      const schedd = this.#schedd(
        statusTarget(job, placementOf(job, this.d.config, this.d.vcs.items), this.d.config),
      );
      await schedd.act('remove', this.#sel(uid), 'HPCJob deleted');
      await schedd.acknowledge(this.#sel(uid));
      if ((await schedd.query(this.#sel(uid), ['JobStatus'], 'action')).length)
        return this.queue.after(key, 10_000);
    }
    this.d.files.removeAll(job);
    this.d.jobs.update(
      await this.d.writer.setFinalizers(
        job,
        (job.metadata.finalizers ?? []).filter((f) => f !== S.FINALIZER),
      ),
    );
  }

  #forget(key: string): void {
    this.queue.forget(key);
    this.actedAt.delete(key);
    this.d.tracker.release(key);
    const live = new Set([...this.d.jobs.items.values()].map((j) => j.metadata.uid));
    for (const k of [...this.fetched]) if (!live.has(k.split('#')[0])) this.fetched.delete(k);
  }
}

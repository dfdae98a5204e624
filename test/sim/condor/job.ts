/**
 * One job in the schedd model: its ClassAd (the attributes condor_q -json would print, times in seconds of
 * the virtual clock), where its sandbox comes back to, and its planned life. Also the selector semantics of
 * src/condor/schedd-api.ts (JobSelector) and the projection of an ad to the asked attributes.
 */
import type { JobSelector } from '../../../src/condor/schedd-api.js';
import type { ClassAdValue, SubmitJob, SubmitValue } from '../../../src/condor/submit-description.js';
import { Tag } from '../../../src/condor/tags.js';
import type { JobAd } from '../../../src/condor/parse.js';
import type { Timer } from '../../../src/runtime/clock.js';
import type { LifePlan } from './lifecycle.js';

export const JobStatus = { Idle: 1, Running: 2, Removed: 3, Completed: 4, Held: 5 } as const;
export type JobStatusCode = (typeof JobStatus)[keyof typeof JobStatus];

export interface SimJob {
  schedd: string;
  /** Spool generation: a wiped spool starts a new one (ids are reused across generations). */
  epoch: number;
  id: string;
  ad: JobAd;
  iwd: string;
  outputFile: string;
  errorFile: string;
  transferOutputs: string[];
  leaveInQueue: boolean;
  plan: LifePlan;
  /** The next transition of its life. */
  timer?: Timer;
  /** Who put it on hold, while held. */
  heldBy?: 'person' | 'operator' | 'system';
  /** condor_transfer_data fetched its sandbox. */
  transferred: boolean;
  /** Removed while its execute side was gone: its shadow waits out the job lease, the job stays in X. */
  shadowCutOff?: boolean;
}

export const seconds = (ms: number): number => Math.floor(ms / 1000);

export function jobUid(job: SimJob): string | undefined {
  const v = job.ad[Tag.JobUID];
  return typeof v === 'string' ? v : undefined;
}

export function jobAttempt(job: SimJob): number | undefined {
  const v = job.ad[Tag.Attempt];
  return typeof v === 'number' ? v : undefined;
}

/** The HPCJobSet index of a set's job; undefined for an HPCJob's. */
export function jobIndex(job: SimJob): number | undefined {
  const v = job.ad[Tag.SetIndex];
  return typeof v === 'number' ? v : undefined;
}

export function status(job: SimJob): JobStatusCode {
  return job.ad.JobStatus as JobStatusCode;
}

export function setStatus(job: SimJob, s: JobStatusCode, nowMs: number): void {
  job.ad.LastJobStatus = job.ad.JobStatus;
  job.ad.JobStatus = s;
  job.ad.EnteredCurrentStatus = seconds(nowMs);
}

/** A value of a submit command as the ad would carry it (lists joined with commas, as HTCondor does). */
function commandValue(v: SubmitValue | undefined): string | number | boolean | undefined {
  if (!v) return undefined;
  switch (v.kind) {
    case 'string':
    case 'int':
    case 'bool':
      return v.value;
    case 'list':
    case 'args':
      return v.value.join(',');
    case 'expr':
      return `/Expr(${v.value.expr})/`;
    case 'env':
      return Object.entries(v.value)
        .map(([k, x]) => `${k}=${x}`)
        .join(' ');
  }
}

function adValue(v: ClassAdValue): unknown {
  if (v === null) return undefined;
  if (typeof v === 'object') return `/Expr(${v.expr})/`;
  return v;
}

export function newJob(o: {
  schedd: string;
  epoch: number;
  cluster: number;
  proc: number;
  nowMs: number;
  job: SubmitJob;
  plan: LifePlan;
}): SimJob {
  const c = o.job.commands;
  const ad: JobAd = {
    ClusterId: o.cluster,
    ProcId: o.proc,
    GlobalJobId: `${o.schedd}#${o.cluster}.${o.proc}#${seconds(o.nowMs)}`,
    Owner: 'hpcop',
    JobUniverse: 5,
    Cmd: commandValue(c.executable),
    Iwd: commandValue(c.initialdir),
    JobBatchName: commandValue(c.batch_name),
    RequestMemory: commandValue(c.request_memory),
    RequestCpus: commandValue(c.request_cpus) ?? 1,
    LeaveJobInQueue: commandValue(c.leave_in_queue) ?? false,
    QDate: seconds(o.nowMs),
    JobStatus: JobStatus.Idle,
    EnteredCurrentStatus: seconds(o.nowMs),
    NumJobStarts: 0,
    NumHolds: 0,
  };
  for (const [k, v] of Object.entries(o.job.attributes)) {
    const x = adValue(v);
    if (x !== undefined) ad[k] = x;
  }
  const outputs = c.transfer_output_files;
  return {
    schedd: o.schedd,
    epoch: o.epoch,
    id: `${o.cluster}.${o.proc}`,
    ad,
    iwd: String(commandValue(c.initialdir) ?? '/'),
    outputFile: String(commandValue(c.output) ?? '_condor_stdout'),
    errorFile: String(commandValue(c.error) ?? '_condor_stderr'),
    transferOutputs: outputs?.kind === 'list' ? [...outputs.value] : [],
    leaveInQueue: c.leave_in_queue !== undefined,
    plan: o.plan,
    transferred: false,
  };
}

/**
 * JobSelector semantics (schedd-api.ts): only the operator's jobs; then, when jobs or uids is given, jobs
 * that are one of those jobs (id and HPCJobUID both) or have one of the uids (either matches; a given but
 * empty list matches nothing); then, when
 * changedWithinSeconds is given, only jobs whose EnteredCurrentStatus is at most that many seconds ago.
 */
export function matches(ad: JobAd, sel: JobSelector, nowMs: number): boolean {
  if (ad[Tag.Operator] !== sel.operator) return false;
  if (sel.jobs !== undefined || sel.uids !== undefined) {
    const id = `${String(ad.ClusterId)}.${String(ad.ProcId)}`;
    const uid = ad[Tag.JobUID];
    const byId = sel.jobs?.some((j) => j.jobId === id && j.uid === uid) ?? false;
    const byUid = typeof uid === 'string' && (sel.uids?.includes(uid) ?? false);
    if (!byId && !byUid) return false;
  }
  if (sel.changedWithinSeconds !== undefined) {
    const entered = typeof ad.EnteredCurrentStatus === 'number' ? ad.EnteredCurrentStatus : 0;
    if (seconds(nowMs) - entered > sel.changedWithinSeconds) return false;
  }
  return true;
}

/** The ad with only ClusterId, ProcId and `attributes` (those it has: -json leaves undefined ones out). */
export function project(ad: JobAd, attributes: readonly string[]): JobAd {
  const out: JobAd = { ClusterId: ad.ClusterId, ProcId: ad.ProcId };
  for (const a of attributes) if (ad[a] !== undefined) out[a] = structuredClone(ad[a]);
  return out;
}

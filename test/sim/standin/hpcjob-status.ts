/**
 * STAND-IN: small pure helpers of the stand-in HPCJob controller: phases from a job ad, hold classes,
 * attempt records.
 */
import type { JobAd } from '../../../src/condor/parse.js';
import { adBool, adNumber, adString } from '../../../src/condor/parse.js';
import type { Attempt, HPCJob, HPCJobStatus, Phase } from '../../../src/crds/hpcjob.js';
import { FINAL_PHASES } from '../../../src/crds/hpcjob.js';

export const FINALIZER = 'hpc.scailfin.io/condor-cleanup';
export const SUSPEND_REASON = 'suspended by the hpc operator (spec.suspend)';

export const isFinal = (p: Phase | undefined): boolean => !!p && FINAL_PHASES.includes(p);

export function jobIdOf(ad: JobAd): string {
  return `${String(ad.ClusterId)}.${String(ad.ProcId)}`;
}

export function phaseOf(ad: JobAd): Phase {
  switch (adNumber(ad, 'JobStatus')) {
    case 2:
      return 'Running';
    case 5:
      return 'Held';
    default:
      return 'Queued';
  }
}

export function succeededAd(ad: JobAd): boolean {
  return (
    adNumber(ad, 'JobStatus') === 4 && adBool(ad, 'ExitBySignal') === false && adNumber(ad, 'ExitCode') === 0
  );
}

/** Holds worth a release (reference/htcondor.md §2.4, class T). */
export function transientHold(ad: JobAd): boolean {
  const code = adNumber(ad, 'HoldReasonCode');
  const sub = adNumber(ad, 'HoldReasonSubCode');
  return code === 13 || (code === 12 && sub !== 2) || (code === 6 && sub === 110) || code === 45;
}

export function heldByUs(ad: JobAd): boolean {
  return adNumber(ad, 'HoldReasonCode') === 1 && adString(ad, 'HoldReason') === SUSPEND_REASON;
}

/** The status with attempt `n` changed by `patch` (added when missing). */
export function withAttempt(st: HPCJobStatus, n: number, patch: Partial<Attempt>): Attempt[] {
  const list = [...(st.attempts ?? [])];
  const i = list.findIndex((a) => a.attempt === n);
  if (i >= 0) list[i] = { ...list[i], ...patch, attempt: n };
  else list.push({ attempt: n, ...patch });
  return list.slice(-50);
}

export function currentAttempt(job: HPCJob): Attempt | undefined {
  const n = job.status?.attempt;
  return job.status?.attempts?.find((a) => a.attempt === n);
}

export function backoffMs(job: HPCJob, n: number): number {
  return Math.min(120_000, 10_000 * 2 ** Math.max(0, n - 1));
}

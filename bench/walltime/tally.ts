/**
 * What one phase of the walltime bench achieved (pure, unit tested), from the HPCJobs and their HTCondor jobs
 * as they were at the end of the window. A step cut short by a pilot's end is evicted: HTCondor puts the same
 * job back in the queue and runs it again, so the HPCJob keeps one attempt (status.attempts) while the job's
 * ad counts each run (NumJobStarts) and the wall time of the runs that were thrown away
 * (RemoteWallClockTime less CommittedTime).
 */
import { JobStatus } from '../../src/condor/job-status.js';
import { adNumber, adString, type JobAd } from '../../src/condor/parse.js';

/** An HPCJob as the bench reads it (the fields it looks at). */
export interface StepObject {
  metadata: { name: string };
  status?: { phase?: string; attempts?: { outcome?: string }[] };
}

/** What the tally reads from each HTCondor job (condor_q and condor_history, the queue's ad first). */
export const AD_ATTRIBUTES = [
  'JobStatus',
  'ExitCode',
  'NumJobStarts',
  'RequestCpus',
  'RemoteWallClockTime',
  'CommittedTime',
  'VacateReason',
] as const;

/** Phases of an HPCJob that is not waiting for a slot. */
const AT_WORK_OR_DONE = ['Running', 'Succeeded', 'Failed', 'Lost'];

export interface PhaseResult {
  /** HPCJobs Succeeded at the end of the window. */
  succeeded: number;
  /** HPCJob attempts (HTCondor jobs submitted), and those that ended otherwise than Succeeded or Running. */
  attempts: number;
  failedAttempts: number;
  /** Runs HTCondor started (NumJobStarts over all jobs). */
  runsStarted: number;
  /** Runs that ended without the step finishing (evicted, or ended in a hold or failure). */
  runsLost: number;
  /** Runs still going at the end of the window (neither finished nor lost yet). */
  runningAtEnd: number;
  /** HPCJobs that had not run to their end (waiting, or evicted and waiting again). */
  waitingAtEnd: number;
  /** Core-seconds of finished steps' runs, and of runs that did not finish. */
  usefulCoreSeconds: number;
  lostCoreSeconds: number;
  /** Pilots submitted during the phase. */
  pilots: number;
  /** Why runs were evicted (the last VacateReason of each job that had one), counted. */
  vacateReasons: Record<string, number>;
}

/** The last reported ad of each job: the queue's ad wins over the history's (the job may move in between). */
export function mergeAds(queue: JobAd[], history: JobAd[]): JobAd[] {
  const id = (ad: JobAd) => `${adNumber(ad, 'ClusterId')}.${adNumber(ad, 'ProcId')}`;
  const seen = new Set(queue.map(id));
  return [...queue, ...history.filter((ad) => !seen.has(id(ad)))];
}

/** A job's runs: started, the one going now, the one that finished the step, and the core-seconds each way. */
function runsOf(ad: JobAd) {
  const status = adNumber(ad, 'JobStatus');
  const starts = adNumber(ad, 'NumJobStarts') ?? 0;
  const cpus = adNumber(ad, 'RequestCpus') ?? 1;
  const wall = adNumber(ad, 'RemoteWallClockTime') ?? 0;
  const finished = status === JobStatus.Completed && adNumber(ad, 'ExitCode') === 0;
  // RemoteWallClockTime counts the runs that ended (the current one is added when it does); CommittedTime
  // leaves out the runs that were evicted.
  const committed = finished ? (adNumber(ad, 'CommittedTime') ?? 0) : 0;
  const running = status === JobStatus.Running || status === JobStatus.TransferringOutput ? 1 : 0;
  return {
    starts,
    running,
    lost: Math.max(0, starts - running - (finished ? 1 : 0)),
    useful: cpus * committed,
    wasted: cpus * Math.max(0, wall - committed),
  };
}

export function tally(steps: StepObject[], ads: JobAd[], pilots: number): PhaseResult {
  const r: PhaseResult = {
    succeeded: steps.filter((s) => s.status?.phase === 'Succeeded').length,
    attempts: 0,
    failedAttempts: 0,
    runsStarted: 0,
    runsLost: 0,
    runningAtEnd: 0,
    waitingAtEnd: 0,
    usefulCoreSeconds: 0,
    lostCoreSeconds: 0,
    pilots,
    vacateReasons: {},
  };
  for (const s of steps) {
    const attempts = s.status?.attempts ?? [];
    r.attempts += attempts.length;
    r.failedAttempts += attempts.filter(
      (a) => !['Succeeded', 'Running', undefined].includes(a.outcome),
    ).length;
  }
  for (const ad of ads) {
    const runs = runsOf(ad);
    r.runsStarted += runs.starts;
    r.runsLost += runs.lost;
    r.runningAtEnd += runs.running;
    r.usefulCoreSeconds += runs.useful;
    r.lostCoreSeconds += runs.wasted;
    const reason = adString(ad, 'VacateReason');
    if (reason) r.vacateReasons[reason] = (r.vacateReasons[reason] ?? 0) + 1;
  }
  r.waitingAtEnd = steps.filter((s) => !AT_WORK_OR_DONE.includes(s.status?.phase ?? '')).length;
  return r;
}

/**
 * The walltime bench's own arithmetic (bench/walltime): its command line and the check of its parameters, and
 * the tally of one phase from HPCJobs and the ads of their HTCondor jobs (an evicted run is counted from the
 * job's NumJobStarts and RemoteWallClockTime less CommittedTime, as HTCondor keeps them).
 */
import { describe, expect, it } from '@jest/globals';
import { parseArgs, problem, stepNeedSeconds, type Params } from '../../bench/walltime/params.js';
import { mergeAds, tally } from '../../bench/walltime/tally.js';
import { makeHPCJob, makeTrackedJob } from '../support/builders/hpcjob.js';

const params = (argv: string[]) => parseArgs(argv) as Params;

describe('walltime bench parameters', () => {
  it('defaults: more steps queued than two pilots can run in the window', () => {
    const p = params([]);
    expect([p.minutes, p.stepSeconds, p.pilotMinutes, p.pilots, p.phases]).toEqual([
      8,
      85,
      3,
      2,
      ['on', 'off'],
    ]);
    expect(p.steps).toBe(2 * (Math.ceil(480 / 85) + 2));
    expect(stepNeedSeconds(p)).toBe(100);
    expect(problem(p)).toBeUndefined();
  });

  it('flags, and what it refuses', () => {
    const p = params(['--minutes', '2', '--steps', '5', '--phases', 'off']);
    expect([p.minutes, p.steps, p.phases]).toEqual([2, 5, ['off']]);
    expect(parseArgs(['--steps', '0'])).toBe('--steps must be a whole number above 0, not 0');
    expect(parseArgs(['--phases', 'both'])).toBe('--phases: on, off or both');
    expect(parseArgs(['--window', '3'])).toBe('unknown flag --window');
    expect(parseArgs(['--minutes'])).toBe('--minutes needs a value');
  });

  it('parameters that show nothing: a step no pilot can run, or two steps that fit into one pilot', () => {
    expect(problem(params(['--step-seconds', '95']))).toMatch(/needs 110 s of a pilot .* at most 102 s/);
    expect(problem(params(['--step-seconds', '81']))).toMatch(/two steps of 81 s fit into a pilot's 162 s/);
  });
});

const job = (name: string) => makeHPCJob(name, 'bench');
const ad = (name: string, id: string) => makeTrackedJob(job(name).obj(), 1, id);

describe('walltime bench tally', () => {
  it('counts finished steps, runs lost to eviction and the core-seconds of each', () => {
    const steps = [
      job('a').submitted(1, '1.0', { outcome: 'Succeeded' }).status({ phase: 'Succeeded' }).obj(),
      job('b').submitted(1, '2.0').status({ phase: 'Running' }).obj(),
      job('c').submitted(1, '3.0').status({ phase: 'Queued' }).obj(),
      job('d').status({ phase: 'Queued' }).obj(),
    ];
    const evicted = 'The startd is shutting down';
    const ads = [
      // Cut short once (70 s thrown away), then ran its 85 s to the end.
      ad('a', '1.0')
        .completed(0)
        .ad({ NumJobStarts: 2, RemoteWallClockTime: 155, CommittedTime: 85, VacateReason: evicted })
        .obj().ad,
      // Cut short once, running again now (the current run is not in RemoteWallClockTime yet).
      ad('b', '2.0')
        .running()
        .ad({ NumJobStarts: 2, RemoteWallClockTime: 60, CommittedTime: 0, VacateReason: evicted })
        .obj().ad,
      // Cut short, waiting again: a two-core run of 30 s.
      ad('c', '3.0').ad({ NumJobStarts: 1, RequestCpus: 2, RemoteWallClockTime: 30, CommittedTime: 0 }).obj()
        .ad,
    ];
    expect(tally(steps, ads, 5)).toEqual({
      succeeded: 1,
      attempts: 3,
      failedAttempts: 0,
      runsStarted: 5,
      runsLost: 3,
      runningAtEnd: 1,
      waitingAtEnd: 2,
      usefulCoreSeconds: 85,
      lostCoreSeconds: 70 + 60 + 60,
      pilots: 5,
      vacateReasons: { [evicted]: 2 },
    });
  });

  it('a run that failed counts as lost, with all its time, and so does its attempt', () => {
    const steps = [job('a').submitted(1, '1.0', { outcome: 'Failed' }).status({ phase: 'Failed' }).obj()];
    const ads = [
      ad('a', '1.0').completed(143).ad({ NumJobStarts: 1, RemoteWallClockTime: 40, CommittedTime: 40 }).obj()
        .ad,
    ];
    const r = tally(steps, ads, 1);
    expect([r.succeeded, r.failedAttempts, r.runsLost, r.usefulCoreSeconds, r.lostCoreSeconds]).toEqual([
      0, 1, 1, 0, 40,
    ]);
  });

  it('a job in both the queue and the history is counted once, as the queue has it', () => {
    const queued = ad('a', '1.0').running().ad({ NumJobStarts: 2 }).obj().ad;
    const older = ad('a', '1.0').ad({ NumJobStarts: 1 }).obj().ad;
    const other = ad('b', '2.0').completed(0).obj().ad;
    expect(mergeAds([queued], [older, other])).toEqual([queued, other]);
  });
});

/**
 * Steps and pilots in time, pure and unit tested: how long a step needs a pilot for (its walltime, or the
 * VirtualCluster's default, plus the margin), how long a pilot lives, and which walltime to ask the batch system
 * for so that the queued steps fit, between the allocation's walltime and maxWalltime.
 */
import type { HPCJob } from '../../crds/hpcjob.js';
import { STEP_DEFAULTS } from '../../crds/virtualcluster-steps.js';
import type { Allocation, VirtualCluster } from '../../crds/virtualcluster.js';
import { pilotLifetimeSeconds } from '../../sites/pilot.js';
import { durationMs } from '../../util/units.js';
import { allocationWalltimeSeconds } from './pilots.js';

/**
 * From a pilot's start until it can run a step: its daemons start and join the pool, the negotiator matches
 * (a cycle or two), the step's sandbox arrives. A pilot asked for by the queued steps lives this much longer
 * than they need.
 */
export const PILOT_STARTUP_SECONDS = 60;

const seconds = (d: string) => Math.ceil(durationMs(d) / 1000);

/**
 * How long a step needs a pilot for (s): its resources.walltime, or the VirtualCluster's steps.defaultWalltime,
 * plus steps.walltimeMargin; undefined when it has neither (it may start on any pilot).
 */
export function stepNeedSeconds(job: HPCJob, vc: VirtualCluster): number | undefined {
  const walltime = job.spec.resources?.walltime ?? vc.spec.steps?.defaultWalltime;
  if (walltime === undefined) return undefined;
  return seconds(walltime) + seconds(vc.spec.steps?.walltimeMargin ?? STEP_DEFAULTS.walltimeMargin);
}

/** The longest walltime a pilot of the allocation may ask for (s): maxWalltime, else walltime. */
export function maxWalltimeSeconds(a: Allocation): number {
  return Math.max(allocationWalltimeSeconds(a), a.maxWalltime ? seconds(a.maxWalltime) : 0);
}

/** The shortest pilot walltime whose lifetime covers `needSeconds` after the pilot's start-up. */
export function pilotWalltimeFor(needSeconds: number): number {
  const want = needSeconds + PILOT_STARTUP_SECONDS;
  // The lifetime grows with the walltime (the shutdown margin is a tenth, at most 10 minutes): search upwards
  // from the smallest candidate, a few steps at most.
  let w = want;
  while (pilotLifetimeSeconds(w) < want) w += Math.max(1, want - pilotLifetimeSeconds(w));
  return w;
}

/**
 * The walltime of the allocation's next pilots (s): its walltime, longer when the longest queued step needs
 * more, never above maxWalltime (a step that needs even more waits with NoWorkerFits).
 */
export function pilotWalltimeSeconds(a: Allocation, longestNeedSeconds: number): number {
  const base = allocationWalltimeSeconds(a);
  if (longestNeedSeconds === 0) return base;
  return Math.min(maxWalltimeSeconds(a), Math.max(base, pilotWalltimeFor(longestNeedSeconds)));
}

/** How long the longest pilot of the allocation can run steps (s), after its start-up. */
export function longestStepSeconds(a: Allocation): number {
  return pilotLifetimeSeconds(maxWalltimeSeconds(a)) - PILOT_STARTUP_SECONDS;
}

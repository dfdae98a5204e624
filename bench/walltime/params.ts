/**
 * The walltime bench's parameters (pure, unit tested): the command line, what follows from it (each step's
 * need, the pilots' lifetime), and the check that the "on" phase can run its steps at all.
 */
import { PILOT_STARTUP_SECONDS } from '../../src/controllers/virtualcluster/walltime.js';
import { pilotLifetimeSeconds } from '../../src/sites/pilot.js';

export const MODES = ['on', 'off'] as const;
export type Mode = (typeof MODES)[number];

export interface Params {
  /** The window in which finished steps are counted (minutes, from the VirtualCluster's creation). */
  minutes: number;
  /** HPCJobs queued at the start of each phase: more than the window can run, so the queue never runs dry. */
  steps: number;
  /** How long each step sleeps (s). */
  stepSeconds: number;
  /** The pilots' walltime (minutes), the same in both phases (maxWalltime equal: autoscaling cannot lengthen them). */
  pilotMinutes: number;
  /** At most this many one-core pilots at once (the site's 4 CPUs are shared). */
  pilots: number;
  phases: Mode[];
}

/** What a step declares beyond its sleep in the "on" phase (the wrapper's start and stage-out). */
export const STEP_WALLTIME_SLACK_SECONDS = 5;
/** The VirtualCluster's steps.walltimeMargin in the "on" phase. */
export const WALLTIME_MARGIN_SECONDS = 10;

export const DEFAULTS = { minutes: 8, stepSeconds: 85, pilotMinutes: 3, pilots: 2 } as const;

export const USAGE = `node --import tsx bench/walltime.ts [--minutes M] [--steps N] [--step-seconds S] [--pilot-minutes P] [--pilots K] [--phases on,off]

  --minutes M        the window in which Succeeded steps are counted, per phase (default ${DEFAULTS.minutes})
  --steps N          HPCJobs queued at the start of each phase (default: K x (ceil(60 M / S) + 2), more than fit)
  --step-seconds S   how long each step sleeps (default ${DEFAULTS.stepSeconds}); in the "on" phase it declares
                     resources.walltime S+${STEP_WALLTIME_SLACK_SECONDS}s, with a walltimeMargin of ${WALLTIME_MARGIN_SECONDS}s
  --pilot-minutes P  the pilots' walltime, walltime = maxWalltime in both phases (default ${DEFAULTS.pilotMinutes})
  --pilots K         at most K one-core pilots at once (default ${DEFAULTS.pilots}; the site has 4 CPUs, shared)
  --phases LIST      which phases to run, in order (default on,off)`;

const FLAGS: Record<string, keyof Omit<Params, 'phases'>> = {
  '--minutes': 'minutes',
  '--steps': 'steps',
  '--step-seconds': 'stepSeconds',
  '--pilot-minutes': 'pilotMinutes',
  '--pilots': 'pilots',
};

/** The command line, or an error message (shown with the usage). */
export function parseArgs(argv: string[]): Params | string {
  const given: Partial<Record<keyof Params, number>> = {};
  let phases: Mode[] = [...MODES];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[++i];
    if (value === undefined) return `${flag} needs a value`;
    if (flag === '--phases') {
      phases = value.split(',') as Mode[];
      if (phases.length === 0 || !phases.every((p) => MODES.includes(p))) return `--phases: on, off or both`;
      continue;
    }
    const key = FLAGS[flag];
    if (!key) return `unknown flag ${flag}`;
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) return `${flag} must be a whole number above 0, not ${value}`;
    given[key] = n;
  }
  const p = { ...DEFAULTS, ...given, phases } as Params;
  p.steps = given.steps ?? p.pilots * (Math.ceil((60 * p.minutes) / p.stepSeconds) + 2);
  return p;
}

/** The walltime a step declares in the "on" phase (s). */
export const stepWalltimeSeconds = (p: Params) => p.stepSeconds + STEP_WALLTIME_SLACK_SECONDS;

/** How long an "on" step needs a pilot for (s): HPCWalltimeNeeded, its walltime plus the margin. */
export const stepNeedSeconds = (p: Params) => stepWalltimeSeconds(p) + WALLTIME_MARGIN_SECONDS;

/** How long a pilot takes steps (s): HPCPilotEnd less its start. */
export const lifetimeSeconds = (p: Params) => pilotLifetimeSeconds(60 * p.pilotMinutes);

/**
 * Why the parameters cannot show anything, or undefined: an "on" step that needs more than a pilot can give
 * would wait forever (NoWorkerFits); a step that two fit into a pilot's lifetime would never be cut short "off".
 */
export function problem(p: Params): string | undefined {
  // As longestStepSeconds says for an allocation whose maxWalltime is its walltime.
  const longest = lifetimeSeconds(p) - PILOT_STARTUP_SECONDS;
  if (stepNeedSeconds(p) > longest)
    return `a step needs ${stepNeedSeconds(p)} s of a pilot but a ${p.pilotMinutes}-minute pilot runs steps of at most ${longest} s: shorten --step-seconds or lengthen --pilot-minutes`;
  if (2 * p.stepSeconds <= lifetimeSeconds(p))
    return `two steps of ${p.stepSeconds} s fit into a pilot's ${lifetimeSeconds(p)} s: no step would be cut short "off"; lengthen --step-seconds`;
  return undefined;
}

/**
 * How a VirtualCluster places its steps in time: a pilot advertises when it ends (HPCPilotEnd), and a step
 * starts only on a pilot with time enough left for its walltime plus a margin, so that no pilot's end kills a
 * running step. Split from virtualcluster.ts so that each schema module stays small; STEP_DEFAULTS is the one
 * owner of these defaults.
 */
import { duration } from './common.js';
import { obj, type Infer } from './schema.js';

export const STEP_DEFAULTS = {
  /**
   * What a step needs beyond its walltime: being matched and started, staging its workspace back and its
   * output home before the pilot shuts down.
   */
  walltimeMargin: '2m',
} as const;

export const stepsSchema = obj(
  {
    defaultWalltime: duration(
      'Walltime assumed for HPCJobs on this VirtualCluster without resources.walltime: such a step starts only on a pilot with that long (plus walltimeMargin) left. Unset: they start on any pilot, and the end of one may cut them short (they are then evicted and run again elsewhere).',
    ),
    walltimeMargin: duration(
      'Time a pilot must have left beyond a step\u2019s walltime for the step to start there (matching, start-up, staging out).',
      STEP_DEFAULTS.walltimeMargin,
    ),
  },
  {
    description:
      'How steps fit in the pilots\u2019 walltime: each pilot advertises its end (HPCPilotEnd) and takes only steps that finish before it.',
    default: {},
  },
);

export type Steps = Infer<typeof stepsSchema>;

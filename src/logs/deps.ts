/** What the live-logs route works with: ports, the shared followers and its settings. */
import type { Logger } from 'pino';
import type { ScheddTarget } from '../condor/schedd-api.js';
import type { HPCJob } from '../crds/hpcjob.js';
import type { HPCJobSet } from '../crds/hpcjobset.js';
import type { AccessReviews } from './access.js';
import type { LogsCondor } from './condor.js';
import type { FollowerPool } from './pool.js';

export interface LogsDeps {
  reviews: AccessReviews;
  /** The HPCJob as the operator's cache has it. */
  job(namespace: string, name: string): HPCJob | undefined;
  /** The schedd the HPCJob's current attempt was submitted to (as recorded in its status). */
  target(job: HPCJob): ScheddTarget | undefined;
  /** The HPCJobSet as the operator's cache has it (undefined also where sets are not served). */
  set(namespace: string, name: string): HPCJobSet | undefined;
  /** The schedd of the set's jobs. */
  setTarget(set: HPCJobSet): ScheddTarget | undefined;
  condor: LogsCondor;
  pool: FollowerPool;
  /** The operator's --log-dir. */
  logDir: string;
  /** condor_tail -maxbytes (--log-tail-max-bytes). */
  maxBytes: number;
  log: Logger;
  now(): Date;
  /** How often a wait for an attempt's end looks at the cache (ms). */
  pollMs: number;
  /** How long a one-shot condor_tail may take (ms). */
  onceTimeoutMs: number;
}

/** How long a client is told to wait when the schedd has no room for another follower, or is away (s). */
export const BUSY_RETRY_SECONDS = 10;

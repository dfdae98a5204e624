/**
 * Everything the operator touches outside its own memory, as ports. `src/manager.ts` builds the real ones
 * (client-node, the condor_* tools, SSH, the log directory); the deterministic simulation (test/sim) builds
 * in-memory models of the same. `buildOperator(config, deps)` (src/operator.ts) wires controllers, backends
 * and leader election on top of them.
 */
import type { TokenMinter } from './condor/token-create.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { CondorConnector } from './condor/schedd-api.js';
import type { AttemptFiles } from './controllers/hpcjob/attempt-files.js';
import type { HPCJob } from './crds/hpcjob.js';
import type { HPCJobSet } from './crds/hpcjobset.js';
import type { VirtualCluster } from './crds/virtualcluster.js';
import type { Clock, Random } from './runtime/clock.js';
import type { EventSink, LeaseStore, ListWatchSource, ObjectWriter, Secrets } from './runtime/kube-api.js';
import type { SiteConnector } from './sites/session.js';

export interface OperatorDeps {
  clock: Clock;
  random: Random;
  log: Logger;
  /** Where every metric registers. */
  registry: Registry;
  /** This replica's name in the Lease and in Events (reportingInstance). */
  identity: string;
  hpcJobs: ListWatchSource<HPCJob>;
  virtualClusters: ListWatchSource<VirtualCluster>;
  hpcJobWriter: ObjectWriter;
  /** HPCJobSets and their writer; without them the HPCJobSet controller does not run. */
  hpcJobSets?: ListWatchSource<HPCJobSet>;
  hpcJobSetWriter?: ObjectWriter;
  virtualClusterWriter: ObjectWriter;
  events: EventSink;
  /** Leader election's Lease; undefined runs without it (one replica). */
  leases?: LeaseStore;
  secrets: Secrets;
  condor: CondorConnector;
  sites: SiteConnector;
  /** Mints per-pilot tokens (VirtualClusters with spec.pool.pilotTokens); without it they cannot be used. */
  minter?: TokenMinter;
  files: AttemptFiles;
}

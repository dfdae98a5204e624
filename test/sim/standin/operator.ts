/**
 * STAND-IN for buildOperator(config, deps) (src/operator.ts), so that the simulation runs before the real
 * operator exists and its invariants can be seen to hold for a careful operator. Leader election gates two
 * controllers (HPCJob, VirtualCluster) that start when this replica leads and stop when it does not.
 * Delete test/sim/standin once operator-hook.ts points at buildOperator.
 */
import type { OperatorConfig } from '../../../src/config.js';
import type { HPCJob } from '../../../src/crds/hpcjob.js';
import type { VirtualCluster } from '../../../src/crds/virtualcluster.js';
import type { OperatorDeps } from '../../../src/operator-deps.js';
import type { SimOperator } from '../process.js';
import { TIMEOUTS } from '../world.js';
import { HpcJobController } from './hpcjob.js';
import { Informer } from './informer.js';
import { LeaderElector } from './leader.js';
import { Tracker } from './tracker.js';
import { VcController } from './vc.js';

interface Session {
  jobs: Informer<HPCJob>;
  vcs: Informer<VirtualCluster>;
  tracker: Tracker;
  hpc: HpcJobController;
  vc: VcController;
}

export function buildStandIn(config: OperatorConfig, deps: OperatorDeps): SimOperator {
  let session: Session | undefined;
  const { leases, sites } = deps;
  if (!leases || !sites) throw new Error('the stand-in needs a LeaseStore and a SiteConnector');
  const stopSession = (): void => {
    if (!session) return;
    for (const x of [session.hpc.queue, session.vc.queue, session.tracker, session.jobs, session.vcs])
      x.stop();
    session = undefined;
  };
  const leader = new LeaderElector(
    deps.clock,
    leases,
    deps.identity,
    { namespace: config.leaderElectionNamespace, name: config.leaderElectionId },
    (leading) => {
      stopSession();
      if (leading) session = startSession(config, { ...deps, sites }, leader);
    },
  );
  return {
    start: () => {
      leader.start();
      return Promise.resolve();
    },
    async stop() {
      leader.stop();
      // Submits in flight (jobs and pilots) end before the Lease is given up (LeaderElector.release).
      await leader.release();
    },
    diagnostics: () => ({
      hpcJobs: session?.jobs.items.size ?? 0,
      virtualClusters: session?.vcs.items.size ?? 0,
      tracked: session?.tracker.size ?? 0,
      fetched: session?.hpc.fetched.size ?? 0,
      submitting: session?.hpc.submitting.size ?? 0,
      timers: (session?.hpc.queue.timers.size ?? 0) + (session?.vc.queue.timers.size ?? 0),
    }),
  };
}

function startSession(
  config: OperatorConfig,
  deps: OperatorDeps & { sites: NonNullable<OperatorDeps['sites']> },
  leader: LeaderElector,
): Session {
  // The informers' callbacks run only after start(), when both controllers exist.
  const wake = (key: string): void => hpc.queue.add(key);
  const jobs = new Informer<HPCJob>(deps.clock, deps.hpcJobs, wake);
  const vcs = new Informer<VirtualCluster>(deps.clock, deps.virtualClusters, (key) => {
    vc.queue.add(key);
    onVcChange(key);
  });
  const onVcChange = (key: string): void => {
    const [ns, name] = key.split('/');
    for (const [k, j] of jobs.items)
      if (j.metadata.namespace === ns && j.spec.virtualClusterRef?.name === name) wake(k);
  };
  const tracker = new Tracker(deps.clock, deps.condor, config.operatorId, (users) => users.forEach(wake));
  const hpc = new HpcJobController({
    clock: deps.clock,
    config,
    condor: deps.condor,
    files: deps.files,
    writer: deps.hpcJobWriter,
    leader,
    tracker,
    jobs,
    vcs,
    submitTimeoutMs: TIMEOUTS.submit,
  });
  const vc = new VcController({
    clock: deps.clock,
    condor: deps.condor,
    sites: deps.sites,
    secrets: deps.secrets,
    writer: deps.virtualClusterWriter,
    vcs,
    onChange: onVcChange,
    fenced: (ms, act) => leader.fenced(ms, act),
  });
  jobs.start();
  vcs.start();
  return { jobs, vcs, tracker, hpc, vc };
}

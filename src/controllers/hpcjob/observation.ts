/**
 * Gathers what one HPCJob reconcile sees, from memory only: the VirtualCluster from its informer, and the
 * state of the schedd that has (or will have) the HPCJob's jobs from its backend (what the last polls read,
 * submissions and fetches asked for). Looking at a schedd starts tracking it, and an attempt the queue does
 * not show is looked up in the history; otherwise nothing here changes the world.
 */
import type { SchedulerBackend, SchedulerBackends } from '../../condor/backend.js';
import type { FetchState } from '../../condor/output-fetcher.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import type { Clock, Random } from '../../runtime/clock.js';
import type { AttemptFiles } from './attempt-files.js';
import { hasCompleted } from './job-state.js';
import { choosesSchedd, observedTarget } from './placement.js';
import type { ScheddCandidate } from './spread.js';
import type { HPCJobObservation, HPCJobSettings, SchedulerView } from './transition-types.js';

/** Objects by namespace and name, as an informer's cache holds them. */
export interface ObjectCache<T> {
  get(namespace: string, name: string): T | undefined;
}

export interface ObserverDeps {
  clock: Clock;
  random: Random;
  backends: SchedulerBackends;
  virtualClusters: ObjectCache<VirtualCluster>;
  files: AttemptFiles;
  settings: HPCJobSettings;
}

export function observeHPCJob(job: HPCJob, deps: ObserverDeps): HPCJobObservation {
  const ref = job.spec.virtualClusterRef;
  const virtualCluster = ref
    ? (deps.virtualClusters.get(job.metadata.namespace, ref.name) ?? 'missing')
    : undefined;
  const obs: HPCJobObservation = { now: deps.clock.now(), jitter: deps.random(), virtualCluster };
  if (choosesSchedd(job, deps.settings)) obs.schedds = spreadCandidates(deps);
  const target = observedTarget(job, virtualCluster, deps.settings, obs.now, obs.schedds);
  if (!target) return obs;
  const backend = deps.backends.for(target);
  obs.scheduler = schedulerView(job, backend);
  const n = job.status?.attempt ?? 0;
  if (n > 0) {
    obs.logsDir = deps.files.dir(job, n);
    const current = obs.scheduler.current;
    const fetched =
      current?.state === 'found' && obs.scheduler.fetches.get(current.job.jobId)?.state === 'done';
    if (fetched) obs.stderrTail = deps.files.stderrTail(job, n);
  }
  return obs;
}

/** What each configured schedd's backend knows: whether it answers, was read, and how loaded it is. */
function spreadCandidates(deps: ObserverDeps): ScheddCandidate[] {
  return (deps.settings.spread?.targets ?? []).map((target) => {
    const b = deps.backends.for(target);
    const { reachable, synced, lastError } = b.state;
    return { target, name: b.name, reachable, synced, load: b.load(), lastError };
  });
}

function schedulerView(job: HPCJob, backend: SchedulerBackend): SchedulerView {
  const uid = job.metadata.uid as string;
  const s = job.status;
  const n = s?.attempt ?? 0;
  const current = n > 0 ? s?.attempts?.find((a) => a.attempt === n) : undefined;
  const jobs = backend.jobsOf(uid);
  // A deleted HPCJob only waits for its jobs to leave the queue: its attempt is not looked up in the history
  // (20,000 deleted at once made a condor_history each 200 of them, each a scan of the whole history).
  const follow = current?.outcome === 'Running' && !job.metadata.deletionTimestamp;
  const lookup = follow ? backend.find(uid, n, { jobId: current.jobId }) : undefined;
  const fetches = new Map<string, FetchState>();
  const candidates = lookup?.state === 'found' ? [...jobs, lookup.job] : jobs;
  for (const j of candidates) {
    if (!hasCompleted(j)) continue;
    const f = backend.fetchStatus(j);
    if (f) fetches.set(j.jobId, f);
  }
  return {
    name: backend.name,
    target: backend.target,
    state: backend.state,
    current: lookup,
    jobs,
    submission: backend.submission(uid, n + 1),
    fetches,
    settled: backend.settled(uid),
    analysis: lookup?.state === 'found' ? backend.analysis(lookup.job) : undefined,
  };
}

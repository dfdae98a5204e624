/**
 * Live logs on the operator's serving port: the real ports (TokenReview and SubjectAccessReview through the
 * operator's kubeconfig, the condor_* tools through its call lanes, the HPCJob cache) and one follower pool
 * per replica, stopped with the operator.
 */
import { CondorCli } from '../condor/cli.js';
import { recordedTarget } from '../controllers/hpcjob/placement.js';
import { setTarget } from '../controllers/hpcjobset/placement.js';
import { setSettingsFrom, settingsFrom } from '../operator.js';
import { KubeAccessReviews } from '../runtime/kube/access-reviews.js';
import type { RouteDeps } from '../serving/routes.js';
import { CachedClientCA } from './access.js';
import { condorForLogs } from './condor.js';
import { FollowerPool } from './pool.js';
import { LOGS_PREFIX, logsRoute } from './route.js';

/** The cluster's client CA is read again at most this often (it changes only when the CA is rotated). */
const CLIENT_CA_TTL_MS = 60_000;
/** How often a wait for an attempt's end looks at the HPCJob cache. */
const POLL_MS = 1000;
/** A one-shot condor_tail that has not answered in this long is killed (on a job that just ended it waits). */
const ONCE_TIMEOUT_MS = 30_000;

export function mountLogs({ serving, op, config, kc, log }: RouteDeps): void {
  const cli = new CondorCli({
    binDir: config.condorBinDir || undefined,
    observer: (e) => op.condorMetrics.observeCommand(e),
  });
  const reviews = new KubeAccessReviews(kc);
  const ca = new CachedClientCA(() => reviews.clientCA(), CLIENT_CA_TTL_MS);
  const pool = new FollowerPool({
    maxPerSchedd: config.maxLogFollowersPerSchedd,
    headBytes: config.logTailMaxBytes,
  });
  op.manager.onStop('log-followers', () => pool.stopAll());
  const settings = settingsFrom(config);
  const setSettings = setSettingsFrom(config);
  serving.route(
    LOGS_PREFIX,
    logsRoute({
      reviews: {
        reviewToken: (token) => reviews.reviewToken(token),
        reviewAccess: (user, attributes) => reviews.reviewAccess(user, attributes),
        clientCA: () => ca.get(),
      },
      job: (namespace, name) => op.hpcJobs.get(namespace, name),
      set: (namespace, name) => op.hpcJobSets?.get(namespace, name),
      // Where the set's jobs are: the default pool's first schedd, or the one recorded for a set on a
      // VirtualCluster (none recorded: nothing of it is anywhere; the VirtualCluster itself is not needed).
      setTarget: (set) => setTarget(set, 'missing', setSettings, Date.now()),
      target: (job) => {
        const ref = job.spec.virtualClusterRef;
        const vc = ref ? (op.virtualClusters.get(job.metadata.namespace, ref.name) ?? 'missing') : undefined;
        return recordedTarget(job, vc, settings);
      },
      condor: condorForLogs(cli, op.lanes, config.operatorId),
      pool,
      logDir: config.logDir,
      maxBytes: config.logTailMaxBytes,
      log,
      now: () => new Date(),
      pollMs: POLL_MS,
      onceTimeoutMs: ONCE_TIMEOUT_MS,
    }),
  );
}

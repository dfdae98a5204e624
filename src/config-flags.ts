/**
 * Every operator flag: its config key, HPCOP_* environment variable, kind, default and help (config.ts parses
 * them). One owner for each default.
 */

export interface OperatorConfig {
  /** Instance id stamped on every HTCondor job (HPCOperator): two operators sharing a schedd never collide. */
  operatorId: string;
  /** Namespace to watch; empty for all. */
  namespace: string;
  workers: number;
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  /** Leader election timings (s): how long a Lease lasts unrenewed, when a leader gives up, how often it tries. */
  leaderElectLeaseDurationSeconds: number;
  leaderElectRenewDeadlineSeconds: number;
  leaderElectRetryPeriodSeconds: number;
  healthProbeBindAddress: string;
  metricsBindAddress: string;
  /** HTTPS for the admission webhook and live logs, and the directory of its tls.crt/tls.key (empty: managed). */
  servingBindAddress: string;
  servingCertDir: string;
  /** The operator-managed certificate: its Secret (in the leader election namespace) and lifetime (s). */
  servingCertSecret: string;
  servingCertLifetimeSeconds: number;
  /** The webhook's Service (the certificate's names) and ValidatingWebhookConfiguration (its caBundle). */
  webhookServiceName: string;
  webhookConfigName: string;
  condorBinDir: string;
  /** Default pool for HPCJobs without a VirtualCluster. */
  scheddName: string;
  collector: string;
  /** The job wrapper shipped as each job's executable. */
  wrapperPath: string;
  /** Where spooled stdout/stderr of finished jobs are fetched to. */
  logDir: string;
  /** Live logs: condor_tail -f children at once per schedd, and condor_tail -maxbytes (each poll's most). */
  maxLogFollowersPerSchedd: number;
  logTailMaxBytes: number;
  /** An HPCJob naming a missing VirtualCluster fails after this many seconds. */
  virtualClusterWaitSeconds: number;
  /** A hold placed by a person is respected this long before the attempt counts as failed (s). */
  userHoldTimeoutSeconds: number;
  /** Fetching a finished attempt's output is given up after failing this long (s). */
  outputFetchTimeoutSeconds: number;
  /** The most bytes a step stages back when its spec says nothing, and the most it may ask for. */
  maxOutputBytes: number;
  maxOutputBytesCeiling: number;
  /** A job idle this long gets HTCondor's match analysis (condition Schedulable), refreshed this often (s). */
  matchAnalysisAfterSeconds: number;
  matchAnalysisEverySeconds: number;
  /** Normal Events for each submission, start and success of an HPCJob too (three API writes more per step). */
  lifecycleEvents: boolean;
  /** Where workspaces are mounted in the operator, as "remote-prefix=local-dir" pairs (for condor-transfer staging). */
  workspaceMounts: string;
  /** How often pilots report to the collector (s). */
  pilotUpdateIntervalSeconds: number;
  /** VirtualCluster reconcile period while pilots come and go, and when steady (s). */
  pilotActivePollSeconds: number;
  pilotSteadyPollSeconds: number;
  /** An HTCondor release tarball uploaded for allocations with condor.source bundle. */
  pilotBundle: string;
  /** Extra condor_gpu_discovery options for pilots with GPUs (GPU_DISCOVERY_EXTRA), e.g. -simulate:4,2. */
  pilotGpuDiscoveryExtra: string;
  /** Tracker poll interval while things change, the longest while jobs are queued, and while idle (ms). */
  trackerMinIntervalMs: number;
  trackerActiveMaxIntervalMs: number;
  trackerIdleMaxIntervalMs: number;
  /** A schedd backend (tracker included) nobody used for this long, with nothing of ours queued, is dropped (s). */
  scheddIdleSeconds: number;
  /** Submission coalescing: most jobs per condor_submit, and the quiet time before a batch goes (ms). */
  submitBatchSize: number;
  submitLingerMs: number;
  logLevel: string;
}

export interface FlagSpec {
  key: keyof OperatorConfig;
  env: string;
  help: string;
  kind: 'string' | 'int' | 'bool';
  default: string;
}

export const FLAGS: Record<string, FlagSpec> = {
  'operator-id': {
    key: 'operatorId',
    env: 'HPCOP_OPERATOR_ID',
    kind: 'string',
    default: 'hpc-operator',
    help: 'value of the HPCOperator attribute on every HTCondor job this operator submits',
  },
  namespace: {
    key: 'namespace',
    env: 'HPCOP_NAMESPACE',
    kind: 'string',
    default: '',
    help: 'namespace to watch (empty: all)',
  },
  workers: {
    key: 'workers',
    env: 'HPCOP_WORKERS',
    kind: 'int',
    default: '4',
    help: 'concurrent reconciles per controller',
  },
  'leader-elect': {
    key: 'leaderElect',
    env: 'HPCOP_LEADER_ELECT',
    kind: 'bool',
    default: 'true',
    help: 'elect a leader through a Lease so that only one replica works',
  },
  'leader-election-namespace': {
    key: 'leaderElectionNamespace',
    env: 'HPCOP_LEADER_ELECTION_NAMESPACE',
    kind: 'string',
    default: 'hpc-operator-system',
    help: 'namespace of the leader election Lease',
  },
  'leader-election-id': {
    key: 'leaderElectionId',
    env: 'HPCOP_LEADER_ELECTION_ID',
    kind: 'string',
    default: '',
    help: 'name of the leader election Lease (empty: <operator-id>.hpc.scailfin.io, so operators with different ids never wait on each other)',
  },
  'leader-elect-lease-duration-seconds': {
    key: 'leaderElectLeaseDurationSeconds',
    env: 'HPCOP_LEADER_ELECT_LEASE_DURATION_SECONDS',
    kind: 'int',
    default: '15',
    help: 'how long a standby waits after the last renewal it saw before it takes the Lease',
  },
  'leader-elect-renew-deadline-seconds': {
    key: 'leaderElectRenewDeadlineSeconds',
    env: 'HPCOP_LEADER_ELECT_RENEW_DEADLINE_SECONDS',
    kind: 'int',
    default: '10',
    help: 'how long the leader keeps trying to renew before it stops acting (must be below the lease duration)',
  },
  'leader-elect-retry-period-seconds': {
    key: 'leaderElectRetryPeriodSeconds',
    env: 'HPCOP_LEADER_ELECT_RETRY_PERIOD_SECONDS',
    kind: 'int',
    default: '2',
    help: 'how often the leader renews and a standby tries to take the Lease',
  },
  'health-probe-bind-address': {
    key: 'healthProbeBindAddress',
    env: 'HPCOP_HEALTH_PROBE_BIND_ADDRESS',
    kind: 'string',
    default: ':8081',
    help: 'address of /healthz and /readyz',
  },
  'metrics-bind-address': {
    key: 'metricsBindAddress',
    env: 'HPCOP_METRICS_BIND_ADDRESS',
    kind: 'string',
    default: ':8080',
    help: 'address of /metrics ("0" disables)',
  },
  'serving-bind-address': {
    key: 'servingBindAddress',
    env: 'HPCOP_SERVING_BIND_ADDRESS',
    kind: 'string',
    default: ':9443',
    help: 'HTTPS address of the admission webhook and live logs ("0" disables)',
  },
  'serving-cert-dir': {
    key: 'servingCertDir',
    env: 'HPCOP_SERVING_CERT_DIR',
    kind: 'string',
    default: '',
    help: 'directory with tls.crt and tls.key for the HTTPS port, re-read when they change (empty: managed by the operator)',
  },
  'serving-cert-secret': {
    key: 'servingCertSecret',
    env: 'HPCOP_SERVING_CERT_SECRET',
    kind: 'string',
    default: '',
    help: "without --serving-cert-dir: the Secret in the operator's namespace (--leader-election-namespace) that holds the operator-managed certificate and CA, shared by the replicas; the manifests name hpc-operator-serving-cert (empty: kept in memory, for one replica)",
  },
  'serving-cert-lifetime-seconds': {
    key: 'servingCertLifetimeSeconds',
    env: 'HPCOP_SERVING_CERT_LIFETIME_SECONDS',
    kind: 'int',
    default: String(90 * 24 * 3600),
    help: 'lifetime of the operator-managed certificate and its CA; both are renewed when a third of it is left',
  },
  'webhook-service-name': {
    key: 'webhookServiceName',
    env: 'HPCOP_WEBHOOK_SERVICE_NAME',
    kind: 'string',
    default: 'hpc-operator-webhook',
    help: 'the Service in front of the HTTPS port: the operator-managed certificate is for <name>.<namespace>.svc (and localhost, 127.0.0.1)',
  },
  'webhook-config-name': {
    key: 'webhookConfigName',
    env: 'HPCOP_WEBHOOK_CONFIG_NAME',
    kind: 'string',
    default: '',
    help: 'the ValidatingWebhookConfiguration whose caBundle the operator keeps set to its CA; the manifests name hpc-operator-validating-webhook (empty: none, e.g. when cert-manager injects it)',
  },
  'condor-bin-dir': {
    key: 'condorBinDir',
    env: 'HPCOP_CONDOR_BIN_DIR',
    kind: 'string',
    default: '',
    help: 'directory of the condor_* tools (empty: PATH)',
  },
  'schedd-name': {
    key: 'scheddName',
    env: 'HPCOP_SCHEDD_NAME',
    kind: 'string',
    default: '',
    help: 'schedd of the default pool (empty: the local schedd of the HTCondor configuration)',
  },
  collector: {
    key: 'collector',
    env: 'HPCOP_COLLECTOR',
    kind: 'string',
    default: '',
    help: 'collector host[:port] of the default pool (empty: COLLECTOR_HOST)',
  },
  'wrapper-path': {
    key: 'wrapperPath',
    env: 'HPCOP_WRAPPER_PATH',
    kind: 'string',
    default: '',
    help: 'job wrapper script shipped with each job (empty: the one in this package)',
  },
  'log-dir': {
    key: 'logDir',
    env: 'HPCOP_LOG_DIR',
    kind: 'string',
    default: '/var/lib/hpc-operator/logs',
    help: 'directory the stdout/stderr of finished jobs are fetched to (a volume in the pod)',
  },
  'max-log-followers-per-schedd': {
    key: 'maxLogFollowersPerSchedd',
    env: 'HPCOP_MAX_LOG_FOLLOWERS_PER_SCHEDD',
    kind: 'int',
    default: '20',
    help: 'live logs: most condor_tail -f children at once per schedd (each polls it every 2 s; clients of one stream share one); more get HTTP 429',
  },
  'log-tail-max-bytes': {
    key: 'logTailMaxBytes',
    env: 'HPCOP_LOG_TAIL_MAX_BYTES',
    kind: 'int',
    default: String(2 ** 20),
    help: 'live logs: condor_tail -maxbytes, the most one poll brings (the start of a running log, then what is new every 2 s)',
  },
  'virtual-cluster-wait-seconds': {
    key: 'virtualClusterWaitSeconds',
    env: 'HPCOP_VIRTUAL_CLUSTER_WAIT_SECONDS',
    kind: 'int',
    default: '600',
    help: 'how long an HPCJob waits for a missing VirtualCluster before it fails',
  },
  'user-hold-timeout-seconds': {
    key: 'userHoldTimeoutSeconds',
    env: 'HPCOP_USER_HOLD_TIMEOUT_SECONDS',
    kind: 'int',
    default: '86400',
    help: 'how long a hold a person placed (condor_hold) is respected before the attempt counts as failed',
  },
  'output-fetch-timeout-seconds': {
    key: 'outputFetchTimeoutSeconds',
    env: 'HPCOP_OUTPUT_FETCH_TIMEOUT_SECONDS',
    kind: 'int',
    default: '3600',
    help: "how long fetching a finished attempt's output may keep failing before the attempt is recorded without it",
  },
  'max-output-bytes': {
    key: 'maxOutputBytes',
    env: 'HPCOP_MAX_OUTPUT_BYTES',
    kind: 'int',
    default: String(10 * 2 ** 30),
    help: 'the most bytes a step stages back to its workspace when spec.workspace.maxOutputBytes is not set',
  },
  'max-output-bytes-ceiling': {
    key: 'maxOutputBytesCeiling',
    env: 'HPCOP_MAX_OUTPUT_BYTES_CEILING',
    kind: 'int',
    default: String(100 * 2 ** 30),
    help: 'the most spec.workspace.maxOutputBytes may ask for (a larger value is refused, naming the field)',
  },
  'match-analysis-after-seconds': {
    key: 'matchAnalysisAfterSeconds',
    env: 'HPCOP_MATCH_ANALYSIS_AFTER_SECONDS',
    kind: 'int',
    default: '60',
    help: 'how long a job waits idle before the operator asks HTCondor why (condition Schedulable)',
  },
  'match-analysis-every-seconds': {
    key: 'matchAnalysisEverySeconds',
    env: 'HPCOP_MATCH_ANALYSIS_EVERY_SECONDS',
    kind: 'int',
    default: '300',
    help: 'how often the match analysis of a job that stays idle is refreshed (one per autocluster and schedd)',
  },
  'lifecycle-events': {
    key: 'lifecycleEvents',
    env: 'HPCOP_LIFECYCLE_EVENTS',
    kind: 'bool',
    default: 'false',
    help: 'also record Normal Events when an HPCJob is submitted, starts and succeeds (status says all of it; each Event is one more API write per step)',
  },
  'workspace-mount': {
    key: 'workspaceMounts',
    env: 'HPCOP_WORKSPACE_MOUNT',
    kind: 'string',
    default: '',
    help: 'workspace volumes mounted in the operator, e.g. /reana=/mnt/reana (comma-separated; needed for staging condor-transfer)',
  },
  'pilot-update-interval-seconds': {
    key: 'pilotUpdateIntervalSeconds',
    env: 'HPCOP_PILOT_UPDATE_INTERVAL_SECONDS',
    kind: 'int',
    default: '60',
    help: 'how often pilots report to the collector',
  },
  'pilot-active-poll-seconds': {
    key: 'pilotActivePollSeconds',
    env: 'HPCOP_PILOT_ACTIVE_POLL_SECONDS',
    kind: 'int',
    default: '10',
    help: 'VirtualCluster check period while pilots come and go',
  },
  'pilot-steady-poll-seconds': {
    key: 'pilotSteadyPollSeconds',
    env: 'HPCOP_PILOT_STEADY_POLL_SECONDS',
    kind: 'int',
    default: '60',
    help: 'VirtualCluster check period when steady',
  },
  'pilot-bundle': {
    key: 'pilotBundle',
    env: 'HPCOP_PILOT_BUNDLE',
    kind: 'string',
    default: '',
    help: 'HTCondor release tarball uploaded to sites whose allocations use condor.source bundle',
  },
  'pilot-gpu-discovery-extra': {
    key: 'pilotGpuDiscoveryExtra',
    env: 'HPCOP_PILOT_GPU_DISCOVERY_EXTRA',
    kind: 'string',
    default: '',
    help: 'extra condor_gpu_discovery options for pilots with workers.gpus (GPU_DISCOVERY_EXTRA), e.g. -simulate:4,2 on a test site without GPUs',
  },
  'tracker-min-interval-ms': {
    key: 'trackerMinIntervalMs',
    env: 'HPCOP_TRACKER_MIN_INTERVAL_MS',
    kind: 'int',
    default: '1000',
    help: 'condor_q interval while jobs change',
  },
  'tracker-active-max-interval-ms': {
    key: 'trackerActiveMaxIntervalMs',
    env: 'HPCOP_TRACKER_ACTIVE_MAX_INTERVAL_MS',
    kind: 'int',
    default: '2000',
    help: 'longest condor_q interval while jobs of this operator are queued (bounds status latency)',
  },
  'tracker-idle-max-interval-ms': {
    key: 'trackerIdleMaxIntervalMs',
    env: 'HPCOP_TRACKER_IDLE_MAX_INTERVAL_MS',
    kind: 'int',
    default: '30000',
    help: 'longest condor_q interval with no job queued',
  },
  'schedd-idle-seconds': {
    key: 'scheddIdleSeconds',
    env: 'HPCOP_SCHEDD_IDLE_SECONDS',
    kind: 'int',
    default: '600',
    help: "stop tracking a schedd (a VirtualCluster's, say) that no HPCJob used for this long and that has none of our jobs",
  },
  'submit-batch-size': {
    key: 'submitBatchSize',
    env: 'HPCOP_SUBMIT_BATCH_SIZE',
    kind: 'int',
    default: '500',
    help: 'most jobs per condor_submit',
  },
  'submit-linger-ms': {
    key: 'submitLingerMs',
    env: 'HPCOP_SUBMIT_LINGER_MS',
    kind: 'int',
    default: '100',
    help: 'quiet time after the last request before a submission batch goes out',
  },
  'log-level': {
    key: 'logLevel',
    env: 'HPCOP_LOG_LEVEL',
    kind: 'string',
    default: 'info',
    help: 'pino log level',
  },
};

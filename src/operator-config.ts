/** What the operator is configured with: one field per flag (src/config-flags.ts has each flag's default). */
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
  /** Several schedds of the default pool, comma-separated (instead of scheddName), and how HPCJobs are spread. */
  scheddNames: string;
  scheddSpread: string;
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
  /** A deleted HPCJob's job still removed (X) in the queue after this long is taken out with condor_rm -forcex (s). */
  forceRemovalAfterSeconds: number;
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

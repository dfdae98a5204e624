/**
 * The HPCJobSet's vocabulary: kind, phases, annotations, condition types, limits and the environment the
 * step gets. One owner for each.
 */
export const HPCJOBSET_KIND = 'HPCJobSet';
export const HPCJOBSET_PLURAL = 'hpcjobsets';

/** The most indices of one set: one HTCondor cluster of this many procs is what the bench measures. */
export const MAX_SET_INDICES = 100_000;
/** The most keys of one item (each becomes an HPC_ITEM_<KEY> variable). */
export const MAX_ITEM_KEYS = 32;
/** The longest item value (it travels base64-encoded in one table row of the submit description). */
export const MAX_ITEM_VALUE = 1024;
/** An item key: it becomes part of an environment variable name (HPC_ITEM_<KEY>). */
export const ITEM_KEY_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,63}$';
/**
 * The longest list of running or held indices kept in status (e.g. "0-99,105"): far above what real sets
 * need; a longer one is cut at a comma and ends with ",..." (the counts stay exact, and the next read of the
 * queue says the same again).
 */
export const MAX_RANGES_TEXT = 65_536;
/**
 * succeeded, failed and cancelled are the record of what ended (its jobs leave the queue) and are never
 * cut: every index of MAX_SET_INDICES alone in its own item ("0,2,4,...") is 588,889 characters, and the
 * three lists name disjoint indices, so together they stay under this and the object under etcd's 1.5 MiB.
 */
export const MAX_DURABLE_RANGES_TEXT = 600_000;
/** The most per-index attempt records kept in status (only indices that failed at least once have one). */
export const MAX_INDEX_RECORDS = 1000;

export const SET_PHASES = ['Pending', 'Running', 'Suspended', 'Succeeded', 'Failed'] as const;
export type SetPhase = (typeof SET_PHASES)[number];
export const FINAL_SET_PHASES: readonly SetPhase[] = ['Succeeded', 'Failed'];

/** Where one index stands (status.counts has one count per state). */
export const INDEX_STATES = [
  'pending',
  'queued',
  'running',
  'held',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type IndexState = (typeof INDEX_STATES)[number];

/**
 * What the step sees: HPC_INDEX (from 0) and, for `items`, HPC_ITEM_<KEY> for each key of its item. The same
 * names written `$(HPC_INDEX)` or `$(HPC_ITEM_<KEY>)` in template.args are replaced by the operator.
 */
export const SetEnv = {
  Index: 'HPC_INDEX',
  ItemPrefix: 'HPC_ITEM_',
} as const;

/**
 * Annotations a person (or kubectl hpc) sets. cancel: end the whole set (its jobs are removed, it ends
 * Failed). cancel-indices: an index list such as "3,10-19" whose jobs are removed and which end cancelled;
 * indices listed once stay cancelled (a later value adds to them).
 */
export const HPCJobSetAnnotations = {
  Cancel: 'hpc.scailfin.io/cancel',
  CancelIndices: 'hpc.scailfin.io/cancel-indices',
} as const;

/** Condition types of an HPCJobSet. */
export const HPCJobSetConditions = {
  /** The spec passed the operator's validation; False means nothing will be submitted. */
  Accepted: 'Accepted',
  /** The set's jobs are held (or not submitted) on purpose: `spec.suspend`. */
  Suspended: 'Suspended',
  /** The schedd answered the last query; False while it is unreachable. */
  SchedulerReachable: 'SchedulerReachable',
  /** With template.virtualClusterRef: the VirtualCluster exists and takes jobs (False: nothing is submitted). */
  VirtualClusterReady: 'VirtualClusterReady',
  /** Terminal: every index succeeded. */
  Succeeded: 'Succeeded',
  /** Terminal: every index ended and at least one failed or was cancelled (or the set was cancelled). */
  Failed: 'Failed',
} as const;

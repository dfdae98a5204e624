/**
 * The schema of an HPCJobSet's status, compressed so that 100,000 indices fit well under the API server's
 * object size limit: a count per state, index ranges ("0-99,105") instead of lists, and attempt records only
 * for the indices that failed at least once.
 */
import { conditionsSchema } from './common.js';
import { FAILURE_CATEGORIES } from './hpcjob-constants.js';
import {
  INDEX_STATES,
  MAX_DURABLE_RANGES_TEXT,
  MAX_INDEX_RECORDS,
  MAX_RANGES_TEXT,
  MAX_SET_INDICES,
  SET_PHASES,
} from './hpcjobset-constants.js';
import { arr, dateTime, enumOf, int, obj, str } from './schema.js';

const ranges = (what: string, maxLength: number) =>
  str({
    description: `Indices ${what}, as ranges such as 0-99,105 (empty: none).`,
    pattern: '^[0-9,.-]*$',
    maxLength,
  });

const countsSchema = obj(
  Object.fromEntries(
    INDEX_STATES.map((s) => [s, int({ description: `Indices ${s}.`, minimum: 0, maximum: MAX_SET_INDICES })]),
  ) as Record<(typeof INDEX_STATES)[number], ReturnType<typeof int>>,
  { description: 'How many indices are in each state; they add up to total.' },
);

export const indexRecordSchema = obj(
  {
    index: int({ description: 'The index.', minimum: 0 }),
    failedAttempts: int({
      description: 'Attempts of this index that failed so far; the next attempt is this plus one.',
      minimum: 1,
    }),
    jobId: str({ description: 'HTCondor job id (ClusterId.ProcId) of the last attempt.', maxLength: 64 }),
    exitCode: int({ description: 'Exit code of the last failed attempt.', minimum: 0, maximum: 255 }),
    failureCategory: enumOf(FAILURE_CATEGORIES, { description: 'Why the last failed attempt failed.' }),
    message: str({ description: 'How the last failed attempt ended.', maxLength: 512 }),
    nextRetryTime: dateTime({ description: 'When the next attempt is due, while backing off.' }),
    firstSubmitTime: dateTime({
      description:
        "When the index's first attempt was submitted (kept only with template.activeDeadlineSeconds, which counts from here).",
    }),
  },
  {
    description: 'The attempts of one index that failed at least once.',
    required: ['index', 'failedAttempts'],
  },
);

export const hpcJobSetStatusSchema = obj(
  {
    phase: enumOf(SET_PHASES, { description: 'Where the set is in its life cycle.' }),
    observedGeneration: int({
      description: 'The .metadata.generation the status was computed from.',
      format: 'int64',
    }),
    conditions: conditionsSchema,
    total: int({ description: 'Number of indices.', minimum: 0, maximum: MAX_SET_INDICES }),
    counts: countsSchema,
    queued: ranges(
      'queued: their job waits in HTCondor (cut with ,... past 65,536 characters)',
      MAX_RANGES_TEXT + 4,
    ),
    running: ranges('running (cut with ,... past 65,536 characters)', MAX_RANGES_TEXT + 4),
    held: ranges('held (cut with ,... past 65,536 characters)', MAX_RANGES_TEXT + 4),
    succeeded: ranges('that succeeded', MAX_DURABLE_RANGES_TEXT),
    failed: ranges('that failed for good', MAX_DURABLE_RANGES_TEXT),
    cancelled: ranges(
      'cancelled (annotation hpc.scailfin.io/cancel-indices, or with the whole set)',
      MAX_DURABLE_RANGES_TEXT,
    ),
    indexRecords: arr(indexRecordSchema, {
      description: `Attempt records of the indices that failed at least once, lowest index first (at most ${MAX_INDEX_RECORDS}; an index that fails when they are full is not retried).`,
      maxItems: MAX_INDEX_RECORDS,
      listType: 'atomic',
    }),
    schedd: str({ description: "Schedd of the set's jobs.", maxLength: 256 }),
    pool: str({
      description: "Collector (host[:port]) of the schedd's pool, when not the operator's default.",
      maxLength: 256,
    }),
    virtualCluster: str({
      description:
        "namespace/name of the VirtualCluster the set's jobs run on (template.virtualClusterRef), once recorded before the first submission.",
      maxLength: 253,
    }),
    startTime: dateTime({ description: 'When the first index was submitted.' }),
    completionTime: dateTime({ description: 'When the set reached a final phase.' }),
    cancelToken: str({
      description: 'The last hpc.scailfin.io/cancel annotation value acted on.',
      maxLength: 128,
    }),
    message: str({ description: 'Short human-readable state.', maxLength: 4096 }),
  },
  { description: 'Observed state, written by the operator only.' },
);

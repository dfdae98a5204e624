/** The schema of an HPCJob's status: observed state, written by the operator only. */
import { conditionsSchema } from './common.js';
import { FAILURE_CATEGORIES, PHASES } from './hpcjob-constants.js';
import { arr, dateTime, enumOf, int, obj, str } from './schema.js';

export const attemptSchema = obj(
  {
    attempt: int({ description: 'Attempt number, from 1.', minimum: 1 }),
    jobId: str({ description: 'HTCondor job id (ClusterId.ProcId).', maxLength: 64 }),
    schedd: str({ description: 'Name of the schedd the attempt was submitted to.', maxLength: 256 }),
    submitTime: dateTime({ description: 'When the attempt was submitted.' }),
    startTime: dateTime({ description: 'When the attempt started executing.' }),
    endTime: dateTime({ description: 'When the attempt ended.' }),
    host: str({ description: 'Slot or host it ran on (RemoteHost).', maxLength: 512 }),
    exitCode: int({ description: 'Exit code of the step.', minimum: 0, maximum: 255 }),
    signal: int({ description: 'Signal that killed the step.', minimum: 0 }),
    holdCode: int({ description: 'Last HTCondor HoldReasonCode.', minimum: 0 }),
    holdSubCode: int({ description: 'Last HTCondor HoldReasonSubCode.' }),
    holdReason: str({ description: 'Last HTCondor HoldReason.', maxLength: 2048 }),
    holdTime: dateTime({ description: 'When the last hold began.' }),
    releases: int({ description: 'condor_release calls made for this attempt.', minimum: 0 }),
    lastReleaseTime: dateTime({ description: 'When the operator last released the job.' }),
    outcome: enumOf(['Running', 'Succeeded', 'Failed', 'Retried', 'Lost', 'Cancelled'] as const, {
      description: 'How the attempt ended (Running while it has not).',
    }),
    failureCategory: enumOf(FAILURE_CATEGORIES, { description: 'Why the attempt failed.' }),
    runtime: str({ description: 'Container runtime the wrapper used.', maxLength: 64 }),
    memory: str({ description: 'Memory requested for this attempt.', maxLength: 32 }),
    message: str({ description: 'Short description of how it ended.', maxLength: 4096 }),
  },
  { description: 'One HTCondor job submitted for this HPCJob.', required: ['attempt'] },
);

export const hpcJobStatusSchema = obj(
  {
    phase: enumOf(PHASES, { description: 'Where the job is in its life cycle.' }),
    observedGeneration: int({
      description: 'The .metadata.generation the status was computed from.',
      format: 'int64',
    }),
    conditions: conditionsSchema,
    attempt: int({ description: 'Number of the current (or last) attempt, from 1.', minimum: 0 }),
    jobId: str({ description: 'HTCondor job id (ClusterId.ProcId) of the current attempt.', maxLength: 64 }),
    clusterId: int({ description: 'HTCondor ClusterId of the current attempt.', format: 'int64' }),
    procId: int({ description: 'HTCondor ProcId of the current attempt.' }),
    schedd: str({ description: 'Schedd of the current attempt.', maxLength: 256 }),
    pool: str({
      description:
        "Collector (host[:port]) of the pool of the current attempt's schedd; empty for the operator's default pool. Kept so that the job is found again after its VirtualCluster is gone.",
      maxLength: 256,
    }),
    virtualCluster: str({ description: 'VirtualCluster the job runs on, if any.', maxLength: 253 }),
    attempts: arr(attemptSchema, {
      description: 'Every attempt, oldest first (the last 50 are kept).',
      maxItems: 50,
      listType: 'atomic',
    }),
    firstSubmitTime: dateTime({
      description: 'When the first attempt was submitted; activeDeadlineSeconds counts from here.',
    }),
    startTime: dateTime({ description: 'When the first attempt started executing.' }),
    completionTime: dateTime({ description: 'When the job reached a final phase.' }),
    nextRetryTime: dateTime({ description: 'When the next attempt or release is due, while backing off.' }),
    retryToken: str({
      description: 'The last hpc.scailfin.io/retry annotation value acted on (kubectl hpc retry).',
      maxLength: 128,
    }),
    cancelToken: str({
      description: 'The last hpc.scailfin.io/cancel annotation value acted on (kubectl hpc cancel).',
      maxLength: 128,
    }),
    message: str({
      description: 'Short human-readable state, with the last lines of stderr on failure.',
      maxLength: 8192,
    }),
    logs: obj(
      {
        stdout: str({ description: 'Where the stdout of the last attempt is.', maxLength: 2048 }),
        stderr: str({ description: 'Where the stderr of the last attempt is.', maxLength: 2048 }),
      },
      { description: 'Where to find the logs of the last attempt.' },
    ),
  },
  { description: 'Observed state, written by the operator only.' },
);

/**
 * What the schemas cannot say, for the reference docs.ts writes: the meaning of each phase, condition type,
 * failure category and annotation. Keyed by the exported constants, so a new phase or condition without a
 * description fails to type-check.
 */
import type { FailureCategory, HPCJobAnnotations, HPCJobConditions, Phase } from './hpcjob.js';
import type { VCPhase, VirtualClusterConditions } from './virtualcluster.js';

export const HPCJOB_PHASES: Record<Phase, string> = {
  Pending:
    'No HTCondor job exists for the current attempt yet: before the first submission, between attempts (backoff), while submissions fail, while suspended before submission, or while waiting for a VirtualCluster, a chirp ticket Secret or a condor-transfer workspace.',
  Submitted:
    'condor_submit returned a job id but the job is not queued yet: its input is still being spooled, or the tracker has not seen it. A new HPCJob on the default pool has no status at all until its job is in the queue, and usually goes straight to Queued or Running (one status write for both).',
  Queued: 'The HTCondor job is idle in the queue, waiting for a matching slot.',
  Running: 'The step executes on a worker.',
  Held: 'The HTCondor job is on hold: a hold (see the `Held` condition and `status.attempts[].holdCode`) or `spec.suspend`.',
  Succeeded: 'Final: an attempt exited 0.',
  Failed:
    'Final: the last attempt failed and the retry policy allowed no further attempt, or the spec was rejected, the deadline passed, or the job was cancelled.',
  Lost: 'Final: the HTCondor job of the last attempt was in neither the queue nor the history, and no retry was left.',
};

export const HPCJOB_CONDITIONS: Record<keyof typeof HPCJobConditions, string> = {
  Accepted:
    'The spec passed the operator validation (`True`, reason `Valid`). `False` means it will never be submitted; the reason names the problem (`InvalidRequirements`, `InvalidImage`, `InvalidWorkspace`, `InvalidQuantity`, `InvalidDuration`, `TooLarge`, `StagingUnavailable`).',
  Submitted:
    'An HTCondor job exists for the current attempt (`Submitted`, or `Adopted` when an existing job with the same tags was found). `False` while backing off (`BackingOff`) or while a submission fails (`SubmitFailed`, `SecretNotFound`, `WorkspaceNotFound`).',
  Running:
    'The current attempt executes on a worker. `False` with reason `Queued`, `Held`, `Completed`, `Cancelled` or the failure category of the attempt.',
  Schedulable:
    "Only for a job that waited idle past `--match-analysis-after-seconds`: HTCondor's match analysis (`condor_q -better-analyze`, one per autocluster, refreshed every `--match-analysis-every-seconds`) says why it does not run. `False` with `NoMatchingSlot` (no slot meets its requirements; the message names each failing clause with the requested value, e.g. `0 of 12 machines match: TARGET.Memory >= RequestMemory (requested RequestMemory = 64000 (mb))`), `NoWorkerFits` (bigger than any worker of its VirtualCluster), `VirtualClusterScalingUp` (its VirtualCluster's pilots are on their way), `Priority` (matching slots run other jobs) or `SlotsBusy` (slots could run it, waiting for free resources); `True` (`Matched`) once it starts.",
  Held: 'The current attempt is on hold in HTCondor: reason `HoldCode<N>`, the message carries the code, subcode and HoldReason; `HeldByUser` when a person put it on hold (code 1): the operator leaves it held until it is released or `--user-hold-timeout` passes. `False` (`NotHeld`) once it runs or is queued again.',
  Suspended:
    'The job is held on purpose because `spec.suspend` is true (`Suspended`, `Suspending`); `False` with `Resuming` or `NotSuspended` after it is set back to false.',
  SchedulerReachable:
    'The schedd answered the last query (`Reachable`). `False` with `SchedulerUnavailable` while it does not; the state is kept and work resumes when it answers.',
  VirtualClusterReady:
    "Only with `spec.virtualClusterRef`: the VirtualCluster exists and can take jobs (`Found`); `False` with `NotFound`, `NotUsable` (Terminating, Terminated, Failed or being deleted) or `CredentialsExpire` (its `status.credentialExpiresAt` comes before a new attempt's walltime and the VirtualCluster's `steps.walltimeMargin` would end, counted from now: the attempt is not submitted until the credentials are renewed; an attempt already submitted is left alone). Each `False` fails the HPCJob (`VirtualClusterUnavailable`) after `--virtual-cluster-wait-seconds`.",
  OutputsFetched:
    "Only while fetching the attempt's output sandbox (stdout, stderr, condor-transfer results) fails: `False` with `FetchFailed` and the error while it is tried again with backoff; `True` (`Fetched`) once it came back. The attempt's end is recorded, and HTCondor allowed to delete the sandbox, only after its output is here (or, after `--output-fetch-timeout`, with what happened said in the attempt).",
  Succeeded: 'Final: the step exited 0 (reason `ExitedZero`).',
  Failed:
    'Final: the job ended without success (phase Failed or Lost); the reason is the failure category of the last attempt, or `InvalidSpec`, `StagingUnavailable`, `DeadlineExceeded`, `VirtualClusterUnavailable`, `Cancelled`.',
};

export const FAILURE_CATEGORY_TEXT: Record<FailureCategory, string> = {
  ExitCode: 'The step exited with a non-zero code (`attempts[].exitCode`). Default: fail.',
  Signal: 'The step was killed by a signal (`attempts[].signal`). Default: fail.',
  Hold: 'The HTCondor job was held (`attempts[].holdCode`, `holdSubCode`, `holdReason`). Default: release transient hold codes (6 with subcode 110 or 26; 11; 12 and 13 unless subcode 2; 18; 36; 45), fail the rest.',
  StageIn: 'The wrapper could not stage the workspace in (exit 122). Default: retry.',
  StageOut: 'The wrapper could not stage results back (exit 123). Default: retry.',
  OutputTooLarge:
    'The outputs to stage back exceeded `workspace.maxOutputBytes` (or the operator default); nothing was staged back, and the message names the biggest files (exit 124). Default: fail (it would happen again).',
  NoRuntime: 'No container runtime on the worker could run the image (exit 121). Default: retry.',
  WrapperError: 'The wrapper contract was broken (exit 120). Default: fail.',
  Lost: 'The HTCondor job was in neither the queue nor the history. Default: retry.',
  Removed:
    'The HTCondor job was removed outside the operator (condor_rm by a person or a policy). Default: fail.',
  DeadlineExceeded: '`activeDeadlineSeconds` passed; the job was removed. Never retried.',
  SubmitError: 'The schedd refused the job at submission (a permanent condor_submit error). Default: fail.',
};

export const HPCJOB_ANNOTATIONS: Record<keyof typeof HPCJobAnnotations, string> = {
  Retry:
    'Any new value starts one more attempt of a finished (Succeeded, Failed, Lost) HPCJob; the attempt history is kept. A value set while the job is not finished is recorded in `status.retryToken` and ignored.',
  Cancel:
    'Any new value removes the HTCondor job and ends the HPCJob as Failed (condition `Failed`, reason `Cancelled`) without deleting it. Ignored on a finished HPCJob.',
};

export const VC_PHASE_TEXT: Record<VCPhase, string> = {
  Pending: 'No allocations in the spec.',
  Validating: 'Allocations are listed but none has been checked yet.',
  Provisioning:
    'Fewer pilots have joined the pool than are requested, or more are active than requested (scaling down).',
  Running: 'Every requested pilot has joined the pool.',
  Degraded:
    'Some allocation rejected its credentials or could not be managed (login node unreachable, a batch command failed), and not every allocation rejected its credentials.',
  Terminating: 'The lifetime ended; pilots are being cancelled.',
  Terminated: 'The lifetime ended and every pilot is gone. Final.',
  Failed:
    'Every allocation rejected its credentials, the pilot token Secret is missing, unreadable or holds no IDTOKEN, or the spec holds a duration or quantity no site can be given (`Ready=False`, reason `InvalidDuration` or `InvalidQuantity`, nothing sent to any site).',
};

export const VC_CONDITIONS: Record<keyof typeof VirtualClusterConditions, string> = {
  CredentialsValid:
    '`True` (`Verified`) when no allocation rejected its credentials and at least one login succeeded. `False` (`Rejected`) names each allocation and why: Secret or `ssh-privatekey` missing, key unreadable, no pinned host key, authentication failed, host key mismatch.',
  CredentialExpiring:
    'Only when the credential Secrets hold an `x509-proxy` or a `token` with an expiry, or the shared pool token has one: `True` (`ExpiresSoon`) within 3 days of `status.credentialExpiresAt`, else `False` (`Valid`). The message names the first to expire; `status.credentials` lists each. Per-pilot tokens are renewed by the operator and not counted.',
  SiteReachable:
    '`True` (`Reachable`) when every allocation could be managed. `False` (`Unreachable`) names each allocation whose login node did not answer or whose batch command (list, submit) failed, with the error.',
  PoolJoined:
    'Set once pilots run: `True` (`Joined`) when at least one running pilot advertises slots to the collector, `False` (`NotJoined`) while none does. `False` (`TokenMissing`) when the pilot token Secret is missing or holds no IDTOKEN, or the pool signing key Secret of `spec.pool.pilotTokens` is missing.',
  SiteMaintenance:
    "Set once a site's maintenance windows were read (SLURM `MAINT` reservations, PBS Pro maintenance reservations, LSF system reservations, SGE advance reservations owned by root). `True` (`WaitingForMaintenance`) while a window is on or too near for a pilot of at least 15 minutes: no pilot is submitted until it is over. `True` (`PilotsShortened`) while pilots are submitted with a walltime that ends 5 minutes before the next window. `False` (`NoWindow`) otherwise. A Normal Event `SiteMaintenance` says when it starts or changes.",
  BudgetExhausted:
    "Set when an allocation has a `budget`: `True` (`BudgetExhausted`) when more pilots are wanted than the rest of the period's core- or GPU-hours can pay for (each queued or running pilot counted at its whole walltime), with a Warning Event; `True` (`UsageUnknown`) while the batch accounting cannot be read (no pilot is sent then); `False` (`WithinBudget`) otherwise. `status.allocations[].budget` shows what was used.",
  Ready:
    '`True` when the phase is Running; the reason is the phase. `False` with `InvalidDuration` or `InvalidQuantity` when the operator refused the spec (the message names the field).',
};

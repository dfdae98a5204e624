/**
 * The table of what each HTCondor HoldReasonCode (and HoldReasonSubCode) means for an HPCJob, and what to
 * do about it. Meanings follow the HTCondor manual's hold-reason table (codes-other-values/hold-reason-codes),
 * restated for people who wrote an HPCJob rather than a submit file: the advice names spec fields, not
 * submit commands. Looking a hold up in it is hold-explanation.ts.
 */
import { HoldCode } from './job-status.js';

export interface SubCodeInfo {
  name: string;
  meaning: string;
  /** Replaces the code's advice when this subcode is the one seen. */
  advice?: string;
}

export interface HoldCodeInfo {
  code: number;
  /** HTCondor's label for the code (the key in the job's NumHoldsByReason). */
  name: string;
  meaning: string;
  advice: string;
  /** What HoldReasonSubCode carries with this code, for subcodes not listed in subCodes. */
  subCodeKind?: 'errno' | 'transfer' | 'policy' | 'resource';
  subCodes?: Readonly<Record<number, SubCodeInfo>>;
}

/** Linux errno values seen as subcodes (codes 6-10, 12-14); names as in errno.h. */
export const ERRNO: Readonly<Record<number, SubCodeInfo>> = {
  1: { name: 'EPERM', meaning: 'operation not permitted' },
  2: { name: 'ENOENT', meaning: 'no such file or directory' },
  5: { name: 'EIO', meaning: 'input/output error' },
  8: { name: 'ENOEXEC', meaning: 'not an executable format' },
  12: { name: 'ENOMEM', meaning: 'out of memory' },
  13: { name: 'EACCES', meaning: 'permission denied' },
  20: { name: 'ENOTDIR', meaning: 'a path component is not a directory' },
  21: { name: 'EISDIR', meaning: 'is a directory' },
  26: { name: 'ETXTBSY', meaning: 'text file busy (the executable was still being written)' },
  28: { name: 'ENOSPC', meaning: 'no space left on device' },
  62: { name: 'ETIME', meaning: 'timer expired' },
  104: { name: 'ECONNRESET', meaning: 'connection reset by peer' },
  110: { name: 'ETIMEDOUT', meaning: 'connection timed out' },
  111: { name: 'ECONNREFUSED', meaning: 'connection refused' },
  113: { name: 'EHOSTUNREACH', meaning: 'no route to host' },
  122: { name: 'EDQUOT', meaning: 'disk quota exceeded' },
};

const FIX_AND_RETRY = 'then run `kubectl hpc retry` (or resubmit)';

const TABLE: HoldCodeInfo[] = [
  {
    code: HoldCode.UserRequest,
    name: 'UserRequest',
    meaning: 'Someone held the job on purpose with condor_hold.',
    advice:
      'If the hold reason starts with "HPCJob suspended", it is spec.suspend: set it to false to resume. Otherwise an ' +
      'administrator or user held it by hand, and the operator respects that: the HPCJob stays Held (condition Held, ' +
      "reason HeldByUser) until someone runs condor_release on the job (the step goes on) or the operator's " +
      '--user-hold-timeout-seconds (default 24 h) passes; then the attempt counts as failed and retryPolicy decides ' +
      '(by default the HPCJob fails). Ask who held it and why; `kubectl hpc cancel` ends it at once.',
  },
  {
    code: HoldCode.JobPolicy,
    name: 'JobPolicy',
    meaning:
      "The job's own policy held it: a periodic_hold or on_exit_hold expression in its submit description became true.",
    advice:
      'The operator does not set these, so a job transform or a site default added one: the hold reason names the ' +
      'expression. The subcode is whatever that policy chose.',
    subCodeKind: 'policy',
  },
  {
    code: 4,
    name: 'CorruptedCredential',
    meaning: 'The credentials attached to the job are not valid.',
    advice: 'Renew the credential (token or proxy) the job carries, ' + FIX_AND_RETRY + '.',
  },
  {
    code: 5,
    name: 'JobPolicyUndefined',
    meaning: 'A policy expression of the job could not be evaluated (it came out Undefined).',
    advice:
      'Usually an attribute the expression needs is missing. Check spec.requirements and any site job transforms.',
  },
  {
    code: HoldCode.FailedToCreateProcess,
    name: 'FailedToCreateProcess',
    meaning: 'The starter on the worker could not start the executable (the job wrapper).',
    advice:
      'The subcode is the errno of the failed exec. Check that the worker can run /bin/sh scripts from its scratch ' +
      'directory (not mounted noexec) and that the hold reason names the right path.',
    subCodeKind: 'errno',
    subCodes: {
      2: {
        ...(ERRNO[2] as SubCodeInfo),
        advice:
          'The executable or its interpreter (/bin/sh) is missing on the worker. Pick workers that have it ' +
          '(spec.requirements), ' +
          FIX_AND_RETRY +
          '.',
      },
      8: {
        ...(ERRNO[8] as SubCodeInfo),
        advice: 'The worker cannot run the file: wrong architecture or a broken #! line.',
      },
      13: {
        ...(ERRNO[13] as SubCodeInfo),
        advice: "The worker's scratch directory is mounted noexec or the file lost its execute bit.",
      },
      26: {
        ...(ERRNO[26] as SubCodeInfo),
        advice: 'A passing race on the worker: the operator releases this hold by itself.',
      },
      110: {
        ...(ERRNO[110] as SubCodeInfo),
        advice: 'A passing network problem: the operator releases this hold by itself.',
      },
    },
  },
  {
    code: 7,
    name: 'UnableToOpenOutput',
    meaning: 'The file for standard output could not be opened on the submit side.',
    advice:
      "The operator's log directory (--log-dir) is not writable or is full: an administrator must fix it.",
    subCodeKind: 'errno',
  },
  {
    code: 8,
    name: 'UnableToOpenInput',
    meaning: 'The file for standard input could not be opened.',
    advice: 'HPCJobs do not use standard input; a site job transform probably added one.',
    subCodeKind: 'errno',
  },
  {
    code: HoldCode.InvalidTransferAck,
    name: 'InvalidTransferAck',
    meaning: 'File transfer hit an internal HTCondor protocol error.',
    advice: 'Usually passing (a dropped connection); the operator releases this hold by itself.',
  },
  {
    code: HoldCode.TransferOutputError,
    name: 'TransferOutputError',
    meaning: 'Sending output files back from the worker failed.',
    advice:
      'Read the hold reason: it names the file and the side (worker or submit). Except for subcode 2 (a missing ' +
      'file) the operator releases these holds by itself, up to retryPolicy.releaseLimit times.',
    subCodeKind: 'transfer',
    subCodes: {
      2: {
        ...(ERRNO[2] as SubCodeInfo),
        advice:
          'A file the job should have produced does not exist, so releasing will not help. With ' +
          'condor-transfer staging the wrapper writes hpc-results and hpc-result.json: if they are missing the ' +
          'wrapper did not get that far. Read the stderr (`kubectl hpc logs --stderr`), fix the step, ' +
          FIX_AND_RETRY +
          '.',
      },
      28: {
        ...(ERRNO[28] as SubCodeInfo),
        advice:
          'A disk filled up while the output came back: free space; the operator releases the hold by itself ' +
          '(up to retryPolicy.releaseLimit times).',
      },
      122: {
        ...(ERRNO[122] as SubCodeInfo),
        advice:
          'A quota ran out while the output came back: free space; the operator releases the hold by itself ' +
          '(up to retryPolicy.releaseLimit times).',
      },
    },
  },
  {
    code: HoldCode.TransferInputError,
    name: 'TransferInputError',
    meaning: 'Sending input files to the worker failed.',
    advice:
      'Read the hold reason: it names the file. Except for subcode 2 (a missing file) the operator releases ' +
      'these holds by itself, up to retryPolicy.releaseLimit times.',
    subCodeKind: 'transfer',
    subCodes: {
      2: {
        ...(ERRNO[2] as SubCodeInfo),
        advice:
          'An input file does not exist on the submit side, so releasing will not help. Check ' +
          'spec.workspace.inputs (and that the workspace path exists where the operator runs), fix the spec or ' +
          'create the file, ' +
          FIX_AND_RETRY +
          '.',
      },
      13: {
        ...(ERRNO[13] as SubCodeInfo),
        advice:
          'The operator may not read an input file: fix its permissions before the operator runs out of ' +
          'releases (retryPolicy.releaseLimit).',
      },
      28: {
        ...(ERRNO[28] as SubCodeInfo),
        advice: "The worker's scratch disk is full: ask for spec.resources.disk, or pick other workers.",
      },
    },
  },
  {
    code: 14,
    name: 'IwdError',
    meaning: "The job's initial working directory could not be used.",
    advice:
      "The operator's per-attempt log directory is missing or not writable: an administrator must check --log-dir.",
    subCodeKind: 'errno',
  },
  {
    code: HoldCode.SubmittedOnHold,
    name: 'SubmittedOnHold',
    meaning: 'The job was submitted in the held state on purpose.',
    advice:
      'The operator does not submit on hold; whoever submitted or transformed the job did. Release it, or cancel ' +
      'the HPCJob.',
  },
  {
    code: HoldCode.SpoolingInput,
    name: 'SpoolingInput',
    meaning: 'The schedd is still receiving the input files of a spooled submission.',
    advice:
      'Nothing: the operator submits with -spool and this hold ends by itself when the upload completes (the ' +
      'HPCJob stays Submitted meanwhile). If it lasts, the schedd or its spool disk is in trouble.',
  },
  {
    code: HoldCode.InvalidTransferGoAhead,
    name: 'InvalidTransferGoAhead',
    meaning: 'File transfer hit an internal HTCondor protocol error.',
    advice: 'Usually passing; the operator releases this hold by itself.',
  },
  {
    code: 19,
    name: 'HookPrepareJobFailure',
    meaning: "A prepare-job hook on the worker failed or couldn't run.",
    advice: 'A site hook rejected the job: its administrator can tell why. Avoid those workers meanwhile.',
  },
  {
    code: HoldCode.StartdHeldJob,
    name: 'StartdHeldJob',
    meaning: "The worker's own policy (WANT_HOLD) held the job.",
    advice:
      "The worker's administrator decides what this means; the hold reason usually says. Subcode 102 is the " +
      'usual memory-exceeded policy.',
    subCodeKind: 'policy',
    subCodes: {
      102: {
        name: 'MemoryExceeded',
        meaning: 'the job used more memory than it asked for',
        advice:
          'Raise spec.resources.memory, or add a retryPolicy rule {onHoldCodes: [21], onHoldSubCodes: [102], ' +
          'action: retry, memoryFactor: 1.5} so the next attempt asks for more.',
      },
    },
  },
  {
    code: 22,
    name: 'UnableToInitUserLog',
    meaning: "The job's event log could not be opened.",
    advice: 'HPCJobs do not ask for an event log; check site job transforms that add one.',
  },
  {
    code: HoldCode.SystemPolicy,
    name: 'SystemPolicy',
    meaning: "The pool's SYSTEM_PERIODIC_HOLD policy held the job.",
    advice:
      'An administrator-set rule (often a limit on memory, runtime or restarts) matched: the hold reason says ' +
      'which. Change what the rule objects to, or ask the administrator. The subcode is theirs.',
    subCodeKind: 'policy',
  },
  {
    code: 27,
    name: 'SystemPolicyUndefined',
    meaning: "The pool's system periodic policy could not be evaluated for this job.",
    advice: "A pool configuration problem: tell the pool's administrator.",
  },
  {
    code: 32,
    name: 'MaxTransferInputSizeExceeded',
    meaning: 'The input files add up to more than the pool allows (MAX_TRANSFER_INPUT_MB).',
    advice:
      'Stage fewer or smaller inputs (spec.workspace.inputs), or use chirp, cctools or shared-fs staging instead ' +
      'of condor-transfer.',
  },
  {
    code: 33,
    name: 'MaxTransferOutputSizeExceeded',
    meaning: 'The output files add up to more than the pool allows (MAX_TRANSFER_OUTPUT_MB).',
    advice:
      'Stage back less (spec.workspace.outputs), or use a staging mode that does not go through the schedd.',
  },
  {
    code: HoldCode.JobOutOfResources,
    name: 'JobOutOfResources',
    meaning: 'The job used more of a resource than it had asked for, and the worker enforces the request.',
    advice: 'Ask for more of the resource the subcode names.',
    subCodeKind: 'resource',
    subCodes: {
      102: {
        name: 'Memory',
        meaning: 'memory use went past the request',
        advice:
          'Raise spec.resources.memory, or add a retryPolicy rule {onHoldCodes: [34], onHoldSubCodes: [102], ' +
          'action: retry, memoryFactor: 1.5} so each new attempt asks for more. Without such a rule the HPCJob ' +
          'fails.',
      },
      104: {
        name: 'Disk',
        meaning: 'scratch disk use went past the request',
        advice: 'Raise spec.resources.disk, ' + FIX_AND_RETRY + '.',
      },
    },
  },
  {
    code: HoldCode.InvalidDockerImage,
    name: 'InvalidDockerImage',
    meaning: 'The docker image of a docker-universe job was not valid or could not be pulled.',
    advice:
      'HPCJobs run their image through the wrapper, not the docker universe, so a site transform must have ' +
      'changed the universe. Check spec.image is right and reachable from the workers.',
  },
  {
    code: HoldCode.FailedToCheckpoint,
    name: 'FailedToCheckpoint',
    meaning: 'The job failed when it was sent the checkpoint signal it asked for.',
    advice: 'Usually passing; the operator releases this hold by itself.',
  },
  {
    code: 43,
    name: 'PreScriptFailed',
    meaning: 'A pre-script configured for the job failed.',
    advice: 'Not set by the operator: check site job transforms.',
  },
  {
    code: 44,
    name: 'PostScriptFailed',
    meaning: 'A post-script configured for the job failed.',
    advice: 'Not set by the operator: check site job transforms.',
  },
  {
    code: HoldCode.SingularityTestFailed,
    name: 'SingularityTestFailed',
    meaning: "The worker's test of its Singularity/Apptainer set-up failed before the job started.",
    advice:
      'A worker problem, not yours: the operator releases this hold by itself so the job can match elsewhere. If ' +
      'it keeps coming back, tell the site and keep away from the worker with spec.requirements.',
  },
  {
    code: HoldCode.JobDurationExceeded,
    name: 'JobDurationExceeded',
    meaning:
      'The job stayed in the running state longer than its allowed_job_duration (file transfer included).',
    advice:
      'The operator does not set allowed_job_duration (spec.resources.walltime maps to allowed_execute_duration, ' +
      'code 47), so the limit comes from the pool: ask its administrator, or make the step shorter.',
  },
  {
    code: HoldCode.JobExecuteExceeded,
    name: 'JobExecuteExceeded',
    meaning:
      'The step ran longer than spec.resources.walltime (allowed_execute_duration; file transfer not counted).',
    advice:
      'Raise spec.resources.walltime if the step needs longer, or find out why it ran long (`kubectl hpc logs`). ' +
      'If a second run can be quicker (it resumes from a checkpoint, say), a retryPolicy rule ' +
      '{onHoldCodes: [47], action: release} runs it again.',
  },
  {
    code: 48,
    name: 'HookShadowPrepareJobFailure',
    meaning: 'A prepare-job hook on the submit side failed and asked for the job to be held.',
    advice: 'A submit-side hook of the pool rejected the job: its administrator can tell why.',
  },
];

export const HOLD_CODES: ReadonlyMap<number, HoldCodeInfo> = new Map(TABLE.map((c) => [c.code, c]));

/** HTCondor JobStatus values and hold-code classes (reference/htcondor.md §2.3, §2.4). */

export const JobStatus = {
  Idle: 1,
  Running: 2,
  Removed: 3,
  Completed: 4,
  Held: 5,
  TransferringOutput: 6,
  Suspended: 7,
} as const;

export const HoldCode = {
  Unspecified: 0,
  UserRequest: 1,
  JobPolicy: 3,
  FailedToCreateProcess: 6,
  InvalidTransferAck: 11,
  TransferOutputError: 12,
  TransferInputError: 13,
  SubmittedOnHold: 15,
  SpoolingInput: 16,
  InvalidTransferGoAhead: 18,
  StartdHeldJob: 21,
  SystemPolicy: 26,
  JobOutOfResources: 34,
  InvalidDockerImage: 35,
  FailedToCheckpoint: 36,
  SingularityTestFailed: 45,
  JobDurationExceeded: 46,
  JobExecuteExceeded: 47,
} as const;

/** Holds a release may cure (network, transfer, a bad worker); others need a change or a human. */
export function isTransientHold(code: number, subCode: number | undefined): boolean {
  switch (code) {
    case HoldCode.InvalidTransferAck:
    case HoldCode.InvalidTransferGoAhead:
    case HoldCode.FailedToCheckpoint:
    case HoldCode.SingularityTestFailed:
      return true;
    case HoldCode.TransferOutputError:
    case HoldCode.TransferInputError:
      // ENOENT: a declared file is missing; releasing will not create it.
      return subCode !== 2;
    case HoldCode.FailedToCreateProcess:
      // ETIMEDOUT and ETXTBSY are passing; ENOENT/EACCES/ENOEXEC are not.
      return subCode === 110 || subCode === 26;
    default:
      return false;
  }
}

/** Memory-exceeded holds: worth a retry with more memory. */
export function isMemoryExceededHold(code: number, subCode: number | undefined): boolean {
  return (code === HoldCode.JobOutOfResources || code === HoldCode.StartdHeldJob) && subCode === 102;
}

/**
 * The words and intervals the VirtualCluster controller writes and waits by, each defined here once: the
 * finalizer, condition reasons (per condition type), Event reasons, and the requeue and backoff intervals.
 * Ready's reason is the phase itself, or a ReadyReason when the spec is refused.
 */

/** Held until every recorded place on the sites is clean (pilots cancelled, token removed). */
export const VC_FINALIZER = 'hpc.scailfin.io/pilot-cleanup';

/** Reasons of Ready when the spec is refused (validate.ts); otherwise Ready's reason is the phase. */
export const ReadyReason = {
  InvalidDuration: 'InvalidDuration',
  InvalidQuantity: 'InvalidQuantity',
} as const;

/** Reasons of the PoolJoined condition. */
export const PoolJoinedReason = {
  Joined: 'Joined',
  NotJoined: 'NotJoined',
  TokenMissing: 'TokenMissing',
  SecretForbidden: 'SecretForbidden',
} as const;

/** Reasons of the CredentialsValid condition. */
export const CredentialsReason = {
  Verified: 'Verified',
  Rejected: 'Rejected',
} as const;

/** Reasons of the SiteReachable condition. */
export const SiteReachableReason = {
  Reachable: 'Reachable',
  Unreachable: 'Unreachable',
} as const;

/** Reasons of the CredentialExpiring condition. */
export const CredentialExpiringReason = {
  ExpiresSoon: 'ExpiresSoon',
  Valid: 'Valid',
} as const;

/** Reasons of the BudgetExhausted condition. */
export const BudgetReason = {
  Exhausted: 'BudgetExhausted',
  UsageUnknown: 'UsageUnknown',
  WithinBudget: 'WithinBudget',
} as const;

/** Reasons of the SiteMaintenance condition. */
export const SiteMaintenanceReason = {
  /** A window is on, or too near for a pilot: none is submitted until it is over. */
  Waiting: 'WaitingForMaintenance',
  /** Pilots are submitted with a walltime that ends before the next window. */
  PilotsShortened: 'PilotsShortened',
  NoWindow: 'NoWindow',
} as const;

/** Why an allocation's credentials cannot be used (said in the allocation's message and CredentialsValid). */
export const CredentialProblemReason = {
  SecretNotFound: 'SecretNotFound',
  SecretForbidden: 'SecretForbidden',
  KeyMissing: 'KeyMissing',
  KeyInvalid: 'KeyInvalid',
  HostKeyMissing: 'HostKeyMissing',
  ProxyInvalid: 'ProxyInvalid',
  AuthenticationFailed: 'AuthenticationFailed',
  HostKeyMismatch: 'HostKeyMismatch',
} as const;

/** Reasons of the Events the controller records. */
export const EventReason = {
  PilotsSubmitted: 'PilotsSubmitted',
  PilotsCancelled: 'PilotsCancelled',
  CredentialsInvalid: 'CredentialsInvalid',
  SiteUnreachable: 'SiteUnreachable',
  Terminated: 'Terminated',
  CleanupBlocked: 'CleanupBlocked',
  SiteCleaned: 'SiteCleaned',
  SiteMaintenance: 'SiteMaintenance',
  BudgetExhausted: 'BudgetExhausted',
} as const;

/** The `action` of those Events: what the operator was doing. */
export const EventAction = {
  Reconcile: 'Reconcile',
  Delete: 'Delete',
  Cleanup: 'Cleanup',
} as const;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Requeue intervals (ms). The poll periods while pilots come and go or stand still are flags (config). */
export const Requeue = {
  /** A spec, a Secret or a token that only a person can fix: look again now and then. */
  needsPerson: 30 * SECOND,
  /** Deleting, and a site cannot be reached to cancel pilots or remove the token. */
  cleanupBlocked: 15 * SECOND,
  /** Deleting, pilots cancelled but still listed: they leave within seconds. */
  cleanupWaiting: 2 * SECOND,
} as const;

/** Defaults of the poll periods when the caller sets none (the flags' own defaults are in src/config.ts). */
export const DEFAULT_ACTIVE_POLL_MS = 5 * SECOND;
export const DEFAULT_STEADY_POLL_MS = 30 * SECOND;

/**
 * Maintenance windows: read from a site this often (a reservation is made hours ahead); a pilot ends this
 * margin before one; a pilot that would be shorter than the minimum (or its walltime, if less) is not sent.
 */
export const Maintenance = {
  readEveryMs: 5 * MINUTE,
  marginMs: 5 * MINUTE,
  minimumPilotMs: 15 * MINUTE,
} as const;

/** Allocations with a budget read the batch accounting this often (the listing of active pilots is fresh). */
export const ACCOUNTING_READ_EVERY_MS = MINUTE;

/** A credential that expires within this long raises CredentialExpiring. */
export const EXPIRY_WARNING_MS = 3 * DAY;

/**
 * Credentials a site refused are not tried again (sites penalise failed logins) until they change, or for
 * REFUSED_RETRY_FIRST_MS after the first refusal, doubling with each one up to REFUSED_RETRY_MS.
 */
export const REFUSED_RETRY_MS = HOUR;
export const REFUSED_RETRY_FIRST_MS = 5 * 60_000;

/** Pilots that fail on their own slow replacements down: 30 s, doubling, at most 15 min. */
export const PilotFailureBackoff = {
  firstMs: 30 * SECOND,
  maxMs: 15 * MINUTE,
  /** Doublings before the cap. */
  maxDoublings: 5,
} as const;

/** The backoff after `failures` pilot failures in a row (failures >= 1). */
export function pilotFailureBackoffMs(failures: number): number {
  const doublings = Math.min(PilotFailureBackoff.maxDoublings, failures - 1);
  return Math.min(PilotFailureBackoff.maxMs, PilotFailureBackoff.firstMs * 2 ** doublings);
}

/**
 * The data the VirtualCluster controller's three parts pass each other (types only, no I/O): the
 * Observation that observation.ts gathers through the ports, the Plan the pure transition makes of it, and
 * the memory carried from one pass to the next. The executor performs a Plan.
 */
import type { SitePlace, VirtualClusterStatus } from '../../crds/virtualcluster.js';
import type { PlannedEvent } from '../../runtime/event-types.js';
import type { BatchJob } from '../../sites/batch.js';
import type { UsageRecord } from '../../sites/accounting.js';
import type { MaintenanceWindow } from '../../sites/maintenance.js';
import type { StoredToken } from '../../sites/pilot-tokens.js';
import type { PilotBundle } from '../../sites/session.js';
import type { Demand } from './demand.js';

/** What the transition is about: one of these per pass, from the object and the time alone (lifecycle.ts). */
export type Mode = 'deleting' | 'terminated' | 'invalid' | 'expired' | 'active';

/** How pilots get their token: spec.pool.pilotTokenSecretRef (shared) or spec.pool.pilotTokens (minted). */
export type TokenView =
  | { kind: 'ok'; mode: 'shared'; token: string; trustDomain: string }
  | { kind: 'ok'; mode: 'minted'; signing: TokenSigning; trustDomain: string }
  /** The Secret or key is missing, or the token is no IDTOKEN (no issuer). */
  | { kind: 'missing'; message: string }
  /** The operator may not read the Secret. */
  | { kind: 'forbidden'; message: string };

/** What the operator signs each pilot's token with, and for how long beyond the pilot's walltime. */
export interface TokenSigning {
  key: Buffer;
  /** The key's name in the pool (the tokens' kid). */
  keyName: string;
  /** user@trustDomain. */
  identity: string;
  marginSeconds: number;
}

/** What one place on a site looked like this pass. */
export type PlaceView =
  | {
      kind: 'listed';
      /** The batch jobs whose name has the place's pilot prefix (any state). */
      jobs: BatchJob[];
      /** The current pool token was stored there through the current session. */
      tokenPrepared: boolean;
      /** The operator's HTCondor bundle is there (condor.source bundle). */
      bundleReady: boolean;
      /** The token was removed from there (a cleanup step done). */
      tokenRemoved: boolean;
      /** Minted tokens stored there, by pilot name (spec.pool.pilotTokens; undefined: not known this pass). */
      pilotTokens?: ReadonlyMap<string, StoredToken>;
      /** What failed when the last pass acted on the place (prepare, submit, remove token). */
      lastError?: string;
      /** The site's maintenance windows not yet over (undefined: never read; a failed read keeps the last). */
      windows?: readonly MaintenanceWindow[];
      /** The accounting records of the login user's jobs this budget period (allocations with a budget). */
      usage?: readonly UsageRecord[];
      /** Why the accounting could not be read (then `usage` is what was read before, if anything). */
      usageError?: string;
    }
  /** The Secret is missing, unreadable or wrong, or the site refused the key or showed another host key. */
  | { kind: 'credentials'; reason: string; message: string }
  /** No answer, a timeout, or the listing command failed. */
  | { kind: 'unreachable'; message: string };

export interface PilotSlots {
  /** Pilot names (HPCPilot) with a slot in the pool. */
  joined: ReadonlySet<string>;
  /** Pilot names with a claimed or dynamic slot (running a job). */
  busy: ReadonlySet<string>;
  /** GPUs of the pilots that advertise any, by pilot name: all of them, and those no job holds. */
  gpus: ReadonlyMap<string, PilotGpus>;
  /** When each pilot that advertises it (HPCPilotEnd) stops taking steps, by pilot name (s since the epoch). */
  ends: ReadonlyMap<string, number>;
}

export interface PilotGpus {
  total: number;
  idle: number;
}

/** Pilot failures of one allocation, and the submission backoff they caused. */
export interface FailureMemory {
  /** Batch ids seen failing (counted once). */
  seen: readonly string[];
  /** Failures since a pilot of the allocation last joined the pool. */
  count: number;
  /** No submission before this (ms since the epoch). */
  nextSubmitAt: number;
}

/** What the transition remembers between passes of one VirtualCluster (in memory; a restart forgets it). */
export interface PilotMemory {
  /** By allocation name. */
  failures: Readonly<Record<string, FailureMemory>>;
  /** Batch ids the operator cancelled itself (not errors), by place key. */
  cancelled: Readonly<Record<string, readonly string[]>>;
}

export const EMPTY_MEMORY: PilotMemory = { failures: {}, cancelled: {} };

export interface Observation {
  /** Read only while the VirtualCluster is active. */
  token?: TokenView;
  /** By place key (places.ts); only the places the mode needs. */
  places: ReadonlyMap<string, PlaceView>;
  slots: PilotSlots;
  /** Earliest expiry of a proxy or token in the current allocations' Secrets (ms since the epoch). */
  credentialExpiresAt?: number;
  /** Each credential with an expiry date the operator cannot renew, earliest first. */
  credentialExpiries?: readonly CredentialExpiry[];
  /** What the unfinished HPCJobs that name the VirtualCluster ask for (CPUs, GPUs). */
  demand: Demand;
  memory: PilotMemory;
}

/** A credential that expires: where it is, and when (ms since the epoch). */
export interface CredentialExpiry {
  secretName: string;
  key: string;
  /** The allocation whose Secret it is; unset for the pool token of spec.pool.pilotTokenSecretRef. */
  allocation?: string;
  expiresAt: number;
}

/** A pilot to submit: its name and batch script. */
export interface PilotToSubmit {
  name: string;
  script: string;
  /** Minted tokens: how long the pilot's own token is valid (s), stored before the pilot is submitted. */
  tokenLifetimeSeconds?: number;
}

/** A token to mint for a pilot and store where the pilot reads it. */
export interface TokenToIssue {
  pilot: string;
  lifetimeSeconds: number;
}

/** Something to do on a site, at a place. */
export type SiteEffect =
  /**
   * Make the pilot directories and store the shared pool token (the executor takes it from the observation);
   * with minted tokens, make the directories and remove any shared token left there.
   */
  | { kind: 'prepare'; place: SitePlace }
  | { kind: 'ensureBundle'; place: SitePlace }
  | { kind: 'cancelPilots'; place: SitePlace; ids: string[]; event?: PlannedEvent }
  | { kind: 'submitPilots'; place: SitePlace; pilots: PilotToSubmit[]; event: PlannedEvent }
  | { kind: 'removeToken'; place: SitePlace }
  /** Mint and store fresh tokens for queued pilots whose token would expire too soon. */
  | { kind: 'issueTokens'; place: SitePlace; tokens: TokenToIssue[] }
  /** Remove the stored tokens of every pilot not in `keep` (the ones that ended). */
  | { kind: 'retainTokens'; place: SitePlace; keep: string[] };

/**
 * What to do, in order: `addFinalizer` before anything; then the status is written (when given and changed);
 * then the site effects; `removeFinalizer` only if every effect before it succeeded. A site effect that
 * fails skips the rest of its place. An effect's `event` is recorded when it succeeded.
 */
export type Effect = { kind: 'addFinalizer' } | SiteEffect | { kind: 'removeFinalizer' };

export interface Plan {
  /** The whole new status; undefined: no status write (deletion). */
  status?: VirtualClusterStatus;
  /** Recorded after the status write. */
  events: PlannedEvent[];
  effects: Effect[];
  /** Kept for the next pass once the status write succeeded. */
  memory: PilotMemory;
  /** 0: only when something changes. */
  requeueAfterMs: number;
}

/** What the transition needs beyond the object, the observation and the time. */
export interface TransitionConfig {
  /** Poll period while pilots come and go, and when all is steady (ms). */
  activePollMs: number;
  steadyPollMs: number;
  /** Pilot UPDATE_INTERVAL (s): how often pilots report to the collector. */
  pilotUpdateIntervalSeconds?: number;
  /** The HTCondor bundle for allocations with condor.source bundle (only its sha256 is read here). */
  bundle?: PilotBundle;
  /** Extra condor_gpu_discovery options for pilots with GPUs (--pilot-gpu-discovery-extra). */
  pilotGpuDiscoveryExtra?: string;
  /** The operator's default schedd Name (--schedd-name): multi-node pilots name its dedicated scheduler. */
  scheddName?: string;
}

/**
 * What the operator does on an HPC site, as one session per allocation with methods named for what they do:
 * put the pool token and the pilot directories in place, list the allocation's batch jobs, submit a pilot,
 * cancel pilots, remove the token. The real session runs the batch system's commands over SSH (the
 * adapters in sites/batch.ts say which); the deterministic simulation (test/sim) implements the same
 * interface with an in-memory batch system. Failures are SshErrors (sites/ssh.ts): `auth` and `host-key`
 * mean the credentials are wrong, `unreachable` and `timeout` mean try again later, `failed` means a command
 * on the site failed (its message says what the tool said).
 */
import type { BatchJob } from './batch.js';
import type { UsageRecord } from './accounting.js';
import type { StoredToken } from './pilot-tokens.js';
import type { MaintenanceWindow } from './maintenance.js';

/** How to log in to a site: address, user, key and the pinned host keys. Never logged. */
export interface SiteLogin {
  host: string;
  port: number;
  user: string;
  /** PEM/OpenSSH private key. */
  privateKey: string;
  /** Accepted host keys, as known_hosts lines or "type base64". */
  hostKeys: readonly string[];
}

/** The HTCondor release uploaded for allocations with condor.source bundle. */
export interface PilotBundle {
  sha256: string;
  content: () => Buffer;
}

export interface SiteSession {
  /** user@host:port, for messages. */
  readonly address: string;
  /**
   * Makes `dir`/pilots, `dir`/logs and `dir`/tokens (private) and stores the shared pool token as
   * `dir`/pilot.token (0600); without a token (minted per pilot), removes any shared one left there.
   */
  prepare(dir: string, token?: string): Promise<void>;
  /** Uploads the bundle into `dir` unless it is there already. */
  ensureBundle(dir: string, bundle: PilotBundle): Promise<void>;
  /** Every batch job of the login user (the caller picks its pilots out by name). */
  listJobs(): Promise<BatchJob[]>;
  /** The site's maintenance windows that have not ended by `nowMs` (sites/maintenance.ts says which count). */
  listMaintenance(nowMs: number): Promise<MaintenanceWindow[]>;
  /** The login user's batch jobs since `sinceMs` as the accounting shows them, running ones included. */
  readUsage(sinceMs: number): Promise<UsageRecord[]>;
  /** Stores `script` as `dir`/pilots/<name>.sh and submits it; returns the batch job id. */
  submitPilot(dir: string, name: string, script: string): Promise<string>;
  /** Cancels these batch jobs. */
  cancel(ids: readonly string[]): Promise<void>;
  /** Removes the pool token and every pilot's token from `dir` (nothing of the pool's credentials stays). */
  removeToken(dir: string): Promise<void>;
  /** Stores a pilot's own token where it reads it (sites/pilot-tokens.ts). */
  storePilotToken(dir: string, pilot: string, token: string): Promise<void>;
  /** The pilot tokens stored in `dir`, with their claims' times. */
  listPilotTokens(dir: string): Promise<Map<string, StoredToken>>;
  /** Removes the tokens of every pilot not in `keep`. */
  retainPilotTokens(dir: string, keep: readonly string[]): Promise<void>;
  close(): void;
}

/** Opens sessions: `batchSystem` is an allocation's spec.batchSystem (slurm, pbs, torque, lsf, sge). */
export interface SiteConnector {
  open(login: SiteLogin, batchSystem: string): SiteSession;
}

/** What the invariant checks may look at: the whole world, read only. */
import type { ApiServer } from '../kube/api-server.js';
import type { User } from '../kube/user.js';
import type { CondorWorld } from '../condor/pools.js';
import type { FileStore } from '../files.js';
import type { Replica } from '../process.js';
import type { SiteModel } from '../site/site-model.js';
import type { Ledger } from './ledger.js';
import type { MinterModel } from '../minter.js';

export interface CheckContext {
  now(): number;
  api: ApiServer;
  user: User;
  ledger: Ledger;
  condor: CondorWorld;
  files: FileStore;
  sites: ReadonlyMap<string, SiteModel>;
  /** The operator's Lease (namespace/name), or undefined when it runs without leader election. */
  lease: { namespace: string; name: string } | undefined;
  replicas(): readonly Replica[];
  /** The pool token of each VirtualCluster (namespace/name): none may stay on a site after it is deleted. */
  poolTokens: ReadonlyMap<string, string>;
  /** The pool signing key of each VirtualCluster that mints per-pilot tokens (namespace/name). */
  signingKeys: ReadonlyMap<string, string>;
  /** The operator host's condor_token_create. */
  minter: MinterModel;
  /** Counts something notable for the coverage summary. */
  count(what: string): void;
}

export interface Violation {
  at: number;
  invariant: string;
  message: string;
}

export type Report = (invariant: string, message: string) => void;

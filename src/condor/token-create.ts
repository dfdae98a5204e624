/**
 * Mints an HTCondor IDTOKEN with condor_token_create from a pool signing key the operator holds in memory
 * (read from a Secret). The key is written for the one call into a new private directory (0700, the file 0600:
 * HTCondor refuses a key file others can read) and removed right after; the token is returned, never logged.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CondorCli } from './cli.js';

export interface TokenRequest {
  /** The signing key's bytes (the collector's passwords.d/<keyName> file, as is). */
  signingKey: Buffer;
  /** The key's name in the pool (the token's `kid`), e.g. POOL. */
  keyName: string;
  /** The pool's TRUST_DOMAIN: the token's issuer. */
  trustDomain: string;
  /** user@domain the token says its holder is. */
  identity: string;
  /** The only authorizations the token carries (-authz). */
  authz: readonly string[];
  lifetimeSeconds: number;
}

/** Makes tokens; the VirtualCluster executor asks one for each pilot. */
export interface TokenMinter {
  mint(r: TokenRequest): Promise<string>;
}

/** A key name HTCondor reads as a file name in its password directory: no path, no dot names. */
const KEY_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

export class CondorTokenMinter implements TokenMinter {
  readonly #cli: CondorCli;

  constructor(cli: CondorCli) {
    this.#cli = cli;
  }

  async mint(r: TokenRequest): Promise<string> {
    if (!KEY_NAME.test(r.keyName))
      throw new Error(`signing key name ${JSON.stringify(r.keyName)} is not a file name`);
    if (!Number.isSafeInteger(r.lifetimeSeconds) || r.lifetimeSeconds < 1)
      throw new Error(`token lifetime must be a whole number of seconds, not ${r.lifetimeSeconds}`);
    const dir = await mkdtemp(join(tmpdir(), 'hpcop-signing-'));
    try {
      const keyFile = join(dir, r.keyName);
      await writeFile(keyFile, r.signingKey, { mode: 0o600 });
      const out = await this.#cli.run('condor_token_create', mintArgs(r), {
        env: {
          _CONDOR_SEC_PASSWORD_DIRECTORY: dir,
          _CONDOR_SEC_TOKEN_POOL_SIGNING_KEY_FILE: keyFile,
          _CONDOR_TRUST_DOMAIN: r.trustDomain,
        },
        purpose: 'token',
        timeoutMs: 30_000,
      });
      const token = out.stdout.trim();
      if (token.split('.').length !== 3) throw new Error('condor_token_create printed no token');
      return token;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** condor_token_create's arguments for `r` (every value is one argv word: nothing is read by a shell). */
export function mintArgs(r: TokenRequest): string[] {
  return [
    '-identity',
    r.identity,
    '-key',
    r.keyName,
    ...r.authz.flatMap((a) => ['-authz', a]),
    '-lifetime',
    String(r.lifetimeSeconds),
  ];
}

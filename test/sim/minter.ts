/**
 * condor_token_create in memory (the TokenMinter port of spec.pool.pilotTokens). A minted token has the real
 * one's shape, header.claims.signature in base64url, with the claims condor_token_create writes: iss (the
 * trust domain), sub (the identity), iat and exp from the VIRTUAL clock, scope (one `condor:/<authz>` per
 * authorization) and a jti. Its signature is an HMAC-SHA256 of header.claims under the signing key, so the
 * world can tell which VirtualCluster's key signed a token it finds on a site (signedBy), the way the
 * collector would. A fault makes the tool fail for a while (exit 1, the real tool's stderr).
 */
import { createHmac } from 'node:crypto';
import { classifyFailure } from '../../src/condor/errors.js';
import { mintArgs, type TokenMinter, type TokenRequest } from '../../src/condor/token-create.js';
import type { Scheduler } from './scheduler.js';
import { applyNow } from './kube/faults.js';
import { fail, type CallPlan, type Caller, type Net } from './net.js';
import type { Prng } from './prng.js';
import type { Trace } from './trace.js';

/** The operator host's condor_token_create: works, or fails until `failsUntil`. */
export class MinterModel {
  failsUntil = 0;
  minted = 0;

  constructor(
    readonly sched: Scheduler,
    readonly trace: Trace,
  ) {}

  fault(ms: number): void {
    this.failsUntil = Math.max(this.failsUntil, this.sched.now() + ms);
    this.trace.add('minter', 'fault', `condor_token_create fails for ${ms} ms`);
  }
}

const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

function signature(key: Buffer | string, signed: string): string {
  return createHmac('sha256', key).update(signed).digest('base64url');
}

/** The token condor_token_create would print for `r` at virtual time `nowMs`. */
export function mintToken(r: TokenRequest, nowMs: number, jti: string): string {
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    iss: r.trustDomain,
    sub: r.identity,
    iat,
    exp: iat + r.lifetimeSeconds,
    scope: r.authz.map((a) => `condor:/${a}`).join(' '),
    jti,
  };
  const signed = `${part({ alg: 'HS256', kid: r.keyName })}.${part(claims)}`;
  return `${signed}.${signature(r.signingKey, signed)}`;
}

/** Whether `token` was signed with `key` (a minted token of the VirtualCluster holding that key). */
export function signedBy(token: string, key: string): boolean {
  const i = token.lastIndexOf('.');
  return i > 0 && signature(key, token.slice(0, i)) === token.slice(i + 1);
}

/** The exp claim of a token (ms since the epoch), 0 when it has none. */
export function expiryOf(token: string): number {
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      exp?: unknown;
    };
    return typeof c.exp === 'number' ? c.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

export interface MinterEnv {
  net: Net;
  prng: Prng;
  now: () => number;
  model: MinterModel;
}

/** One replica's TokenMinter: each mint is a port call (crash points apply), served by the model. */
export class SimTokenMinter implements TokenMinter {
  constructor(
    readonly env: MinterEnv,
    readonly who: Caller,
  ) {}

  mint(r: TokenRequest): Promise<string> {
    // What the real minter refuses before it runs the tool.
    if (!Number.isSafeInteger(r.lifetimeSeconds) || r.lifetimeSeconds < 1)
      return Promise.reject(
        new Error(`token lifetime must be a whole number of seconds, not ${r.lifetimeSeconds}`),
      );
    const text = `condor_token_create ${mintArgs(r).join(' ')}`;
    return this.env.net.call(this.who, { port: 'minter', text, secret: true }, () => this.#plan(r));
  }

  #plan(r: TokenRequest): CallPlan<string> {
    const { prng, now, model } = this.env;
    if (now() < model.failsUntil)
      return {
        serveInMs: prng.int(20, 200),
        serve: () => {
          model.trace.count('condor_token_create failed');
          return fail(
            classifyFailure(
              'condor_token_create',
              1,
              'ERROR: Failed to create a token: signing key POOL could not be read\n',
            ),
          );
        },
      };
    const jti = prng.int(0, 2 ** 31).toString(16);
    return {
      serveInMs: prng.latency(20, 2_000),
      serve: () =>
        applyNow(() => {
          model.minted++;
          return mintToken(r, now(), jti);
        }),
    };
  }
}

/**
 * The HTCondor pool a VirtualCluster's pilots join, and how they prove who they are to it: one long-lived
 * token the admin made (pilotTokenSecretRef), or a token the operator mints for each pilot from the pool's
 * signing key (pilotTokens), valid for that pilot's walltime plus a margin and removed from the site when the
 * pilot ends. Split from virtualcluster.ts so that each schema module stays small; POOL_DEFAULTS is the one
 * owner of these defaults.
 */
import { duration, secretKeyRef } from './common.js';
import { dateTime, int, obj, str, withRules, type Infer } from './schema.js';

/** The key of the pilot token in spec.pool.pilotTokenSecretRef's Secret when `key` is not set. */
export const PILOT_TOKEN_KEY = 'token';

export const POOL_DEFAULTS = {
  /** HTCondor's own name for the pool signing key (the file passwords.d/POOL the collector makes). */
  signingKeyName: 'POOL',
  /** The user part of the minted tokens' identity: pilots advertise as pilot@<trustDomain>. */
  identity: 'pilot',
  /**
   * How long a minted token outlives its pilot's walltime. It also bounds how late a leaked copy can still
   * be used to join the pool. Queued pilots get a fresh token before theirs has less than their walltime
   * plus half this left.
   */
  margin: '10m',
} as const;

/** The least margin the operator uses, whatever the spec says: renewal needs a few passes of room. */
export const MIN_TOKEN_MARGIN_SECONDS = 60;

/** What a minted pilot token may do: advertise the startd (and its master) and read the pool, nothing else. */
export const PILOT_TOKEN_AUTHZ = ['ADVERTISE_STARTD', 'ADVERTISE_MASTER', 'READ'] as const;

const TRUST_DOMAIN_PATTERN = '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$';

const pilotTokensSchema = obj(
  {
    signingKeySecretRef: secretKeyRef(
      'Secret holding the pool signing key (the collector\u2019s passwords.d/POOL file, as is). The operator signs each pilot\u2019s token with it; the key never leaves the operator.',
      POOL_DEFAULTS.signingKeyName,
    ),
    trustDomain: str({
      description:
        'The pool\u2019s TRUST_DOMAIN: the issuer of the tokens and the domain of their identity (pilot@<trustDomain>).',
      pattern: TRUST_DOMAIN_PATTERN,
      maxLength: 253,
    }),
    identity: str({
      description:
        'User part of the tokens\u2019 identity; the collector must allow <identity>@<trustDomain> to ADVERTISE_STARTD and ADVERTISE_MASTER.',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      maxLength: 64,
      default: POOL_DEFAULTS.identity,
    }),
    margin: duration(
      'How long a token outlives its pilot\u2019s walltime (at least 1m). Also how long after its pilot a leaked copy can still be used.',
      POOL_DEFAULTS.margin,
    ),
  },
  {
    description:
      'Mint a short-lived IDTOKEN for each pilot (scoped to ADVERTISE_STARTD, ADVERTISE_MASTER and READ) instead of sharing one long-lived token.',
    required: ['signingKeySecretRef', 'trustDomain'],
  },
);

export const poolSchema = withRules(
  obj(
    {
      collectorHost: str({
        description: 'Collector (central manager) address as host[:port] that the pilots join.',
        pattern: '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?$',
        maxLength: 260,
      }),
      scheddName: str({
        description: 'Name of the schedd HPCJobs on this VirtualCluster are submitted to.',
        pattern: '^[A-Za-z0-9@._-]+$',
        maxLength: 256,
      }),
      pilotTokenSecretRef: secretKeyRef(
        'Secret holding one IDTOKEN that every pilot presents to the collector; it should only allow advertising (ADVERTISE_STARTD, ADVERTISE_MASTER, READ). Prefer pilotTokens: then no long-lived token is stored on any site.',
        PILOT_TOKEN_KEY,
      ),
      pilotTokens: pilotTokensSchema,
    },
    { description: 'The HTCondor pool the pilots join.', required: ['collectorHost'] },
  ),
  [
    {
      rule: 'has(self.pilotTokenSecretRef) != has(self.pilotTokens)',
      message:
        'set exactly one of pilotTokenSecretRef (one long-lived token for every pilot) and pilotTokens (a token minted per pilot)',
    },
  ],
);

export const pilotTokensStatusSchema = obj(
  {
    identity: str({
      description: 'Who the minted tokens say the pilots are (identity@trustDomain).',
      maxLength: 320,
    }),
    onSites: int({
      description: 'Tokens the operator has stored on the sites for pilots that are queued or running.',
      minimum: 0,
    }),
    latestExpiry: dateTime({
      description:
        'When the last of those tokens expires: no copy of a token the operator minted for this VirtualCluster works after it.',
    }),
    lastIssued: dateTime({ description: 'When a token was last minted (for a new pilot or a queued one).' }),
  },
  { description: 'The per-pilot tokens (spec.pool.pilotTokens).' },
);

export const credentialExpirySchema = obj(
  {
    secretName: str({ description: 'The Secret that holds it.', maxLength: 253 }),
    key: str({ description: 'Its key in the Secret (x509-proxy, token).', maxLength: 253 }),
    allocation: str({
      description: 'The allocation whose credentials it is; unset for the pool token of pilotTokenSecretRef.',
      maxLength: 40,
    }),
    expiresAt: dateTime({ description: 'When it expires.' }),
  },
  { description: 'A credential that expires.', required: ['secretName', 'key', 'expiresAt'] },
);

export type Pool = Infer<typeof poolSchema>;
export type PilotTokens = Infer<typeof pilotTokensSchema>;

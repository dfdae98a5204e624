/**
 * Builders for what the VirtualCluster controller observes (src/controllers/virtualcluster/model.ts): the
 * pool token, what each place on a site listed, the pool's slots, the demand, and pilot batch jobs.
 *
 *   makeObservation()
 *     .listed(place, [pilot(place, 0, 'running'), pilot(place, 1, 'queued')])
 *     .joined('hpabcdef01-0')
 *     .obj();
 */
import type { SitePlace } from '../../../src/crds/virtualcluster.js';
import { NO_DEMAND, type Demand } from '../../../src/controllers/virtualcluster/demand.js';
import {
  type CredentialExpiry,
  EMPTY_MEMORY,
  type Observation,
  type PilotGpus,
  type PilotMemory,
  type PlaceView,
  type TokenView,
} from '../../../src/controllers/virtualcluster/model.js';
import { placeKey } from '../../../src/controllers/virtualcluster/places.js';
import type { BatchJob, PilotState } from '../../../src/sites/batch.js';

/** The trust domain of the tokens makeIdToken makes. */
export const TRUST_DOMAIN = 'pool.example';

/** An unsigned JWT with these claims (the operator only reads claims; the collector checks signatures). */
export function makeIdToken(claims: Record<string, unknown> = { iss: TRUST_DOMAIN }): string {
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** Pilot number `seq` of a place, in a batch state (its id: 1000 + seq unless given). */
export function pilot(place: SitePlace, seq: number, state: PilotState, id = String(1000 + seq)): BatchJob {
  return { id, name: `${place.pilotPrefix}${seq}`, state, raw: state };
}

/** A batch job that is not ours (another user's naming). */
export function foreignJob(id: string, name: string, state: PilotState = 'running'): BatchJob {
  return { id, name, state, raw: state };
}

type Listed = Extract<PlaceView, { kind: 'listed' }>;

export class ObservationBuilder {
  #token: TokenView | undefined = {
    kind: 'ok',
    mode: 'shared',
    token: makeIdToken(),
    trustDomain: TRUST_DOMAIN,
  };
  readonly #places = new Map<string, PlaceView>();
  readonly #joined = new Set<string>();
  readonly #busy = new Set<string>();
  readonly #gpus = new Map<string, PilotGpus>();
  readonly #ends = new Map<string, number>();
  #demand: Demand = NO_DEMAND;
  #expiry: number | undefined;
  #expiries: CredentialExpiry[] | undefined;
  #memory: PilotMemory = EMPTY_MEMORY;

  /** No token read (deletion, expiry). */
  noToken(): this {
    this.#token = undefined;
    return this;
  }

  /** Pilots get tokens minted from the pool signing key (spec.pool.pilotTokens), `margin` seconds past their walltime. */
  minted(marginSeconds = 600): this {
    this.#token = {
      kind: 'ok',
      mode: 'minted',
      trustDomain: TRUST_DOMAIN,
      signing: { key: Buffer.from('key'), keyName: 'POOL', identity: `pilot@${TRUST_DOMAIN}`, marginSeconds },
    };
    return this;
  }

  tokenMissing(message = 'Secret pilot-token (key token) with the pilot token is missing'): this {
    this.#token = { kind: 'missing', message };
    return this;
  }

  tokenForbidden(message = 'the operator may not read Secret ns/pilot-token'): this {
    this.#token = { kind: 'forbidden', message };
    return this;
  }

  /**
   * The place listed these jobs (pilots of other places filtered out as the observer does). By default the
   * token is in place through the current session; `flags` say otherwise.
   */
  listed(place: SitePlace, jobs: BatchJob[] = [], flags: Partial<Omit<Listed, 'kind' | 'jobs'>> = {}): this {
    this.#places.set(placeKey(place), {
      kind: 'listed',
      jobs: jobs.filter((j) => j.name.startsWith(place.pilotPrefix)),
      tokenPrepared: true,
      bundleReady: false,
      tokenRemoved: false,
      ...flags,
    });
    return this;
  }

  unreachable(place: SitePlace, message = 'login.example:22 is unreachable: connect ECONNREFUSED'): this {
    this.#places.set(placeKey(place), { kind: 'unreachable', message });
    return this;
  }

  credentials(place: SitePlace, reason = 'AuthenticationFailed', message = 'the site refused the key'): this {
    this.#places.set(placeKey(place), { kind: 'credentials', reason, message });
    return this;
  }

  /** Pilots (by name) with an idle slot in the pool. */
  joined(...names: string[]): this {
    names.forEach((n) => this.#joined.add(n));
    return this;
  }

  /** Pilots (by name) running a job: joined and busy. */
  busy(...names: string[]): this {
    names.forEach((n) => {
      this.#joined.add(n);
      this.#busy.add(n);
    });
    return this;
  }

  /** The HPCJobs' demand: CPUs of CPU-only steps, and the GPUs (and CPUs) of GPU steps. */
  demand(cpus: number, gpus: { gpus: number; cpus: number } = { gpus: 0, cpus: 0 }): this {
    this.#demand = { ...this.#demand, cpus, gpus: gpus.gpus, gpuCpus: gpus.cpus };
    return this;
  }

  /** How long the queued steps need a pilot for (s): the longest and the shortest. */
  needs(longestNeedSeconds: number, shortestNeedSeconds = longestNeedSeconds): this {
    this.#demand = { ...this.#demand, longestNeedSeconds, shortestNeedSeconds };
    return this;
  }

  /** A pilot's slot advertises that it takes steps until `endMs` (HPCPilotEnd, in seconds). */
  ends(name: string, endMs: number): this {
    this.#joined.add(name);
    this.#ends.set(name, Math.floor(endMs / 1000));
    return this;
  }

  /** A pilot's slot advertises `total` GPUs, `idle` of them free. */
  gpus(name: string, total: number, idle: number): this {
    this.#joined.add(name);
    this.#gpus.set(name, { total, idle });
    return this;
  }

  credentialExpiresAt(ms: number): this {
    this.#expiry = ms;
    return this;
  }

  /** Each credential that expires, as the observer lists them (sorted here, earliest first). */
  credentialExpiries(...list: CredentialExpiry[]): this {
    this.#expiries = [...list].sort((a, b) => a.expiresAt - b.expiresAt);
    this.#expiry = this.#expiries[0]?.expiresAt;
    return this;
  }

  memory(m: PilotMemory): this {
    this.#memory = m;
    return this;
  }

  obj(): Observation {
    return {
      ...(this.#token ? { token: structuredClone(this.#token) } : {}),
      places: new Map(structuredClone([...this.#places])),
      slots: {
        joined: new Set(this.#joined),
        busy: new Set(this.#busy),
        gpus: new Map(this.#gpus),
        ends: new Map(this.#ends),
      },
      ...(this.#expiry !== undefined ? { credentialExpiresAt: this.#expiry } : {}),
      ...(this.#expiries ? { credentialExpiries: structuredClone(this.#expiries) } : {}),
      demand: { ...this.#demand },
      memory: structuredClone(this.#memory),
    };
  }
}

export function makeObservation(): ObservationBuilder {
  return new ObservationBuilder();
}

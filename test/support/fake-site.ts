/**
 * An in-memory HPC site for unit tests of the VirtualCluster controller: a SiteConnector whose sessions act
 * on a model of each login host (its batch jobs by user, the files in users' directories) and log what they
 * did, with faults on demand (unreachable, a refused key, a host key that changed, a failing command).
 * Pilots move only when a test says so (run, fail, finish): no clocks, no timers.
 */
import type { JobAd } from '../../src/condor/parse.js';
import type { CollectorApi } from '../../src/condor/schedd-api.js';
import type { BatchJob, PilotState } from '../../src/sites/batch.js';
import type { UsageRecord } from '../../src/sites/accounting.js';
import type { MaintenanceWindow } from '../../src/sites/maintenance.js';
import type { PilotBundle, SiteConnector, SiteLogin, SiteSession } from '../../src/sites/session.js';
import { SshError } from '../../src/sites/ssh.js';
import { storedTokenOf, type StoredToken } from '../../src/sites/pilot-tokens.js';

export interface FakeJob extends BatchJob {
  user: string;
}

/** One login host with its batch system. */
export class FakeHost {
  readonly jobs: FakeJob[] = [];
  /** `user:path` -> content. */
  readonly files = new Map<string, string>();
  /** What sessions did here, in order: `prepare <dir>`, `submit <name>`, `cancel <ids>`, ... */
  readonly log: string[] = [];
  /** The private key the host accepts, and the host key it shows (undefined: any). */
  acceptedKey: string | undefined;
  hostKey: string | undefined;
  /** Faults: every call fails so, or only calls of one operation. */
  down: SshError | undefined;
  failing = new Map<string, SshError>();
  /** The site's maintenance windows (what its reservations list says). */
  maintenance: MaintenanceWindow[] = [];
  /** What the batch accounting says of the jobs (all users: a test puts in what it needs). */
  usage: UsageRecord[] = [];
  #nextId = 100;

  constructor(readonly host: string) {}

  /** The jobs of `user` whose name starts with `prefix`, in the given states (all if none). */
  pilots(prefix: string, ...states: PilotState[]): FakeJob[] {
    return this.jobs.filter(
      (j) => j.name.startsWith(prefix) && (states.length === 0 || states.includes(j.state)),
    );
  }

  /** Moves the queued and running jobs (by name prefix, or all) to `state`; ended ones stay ended. */
  move(state: PilotState, prefix = ''): void {
    for (const j of this.jobs)
      if (j.name.startsWith(prefix) && (j.state === 'queued' || j.state === 'running')) j.state = state;
  }

  hasToken(user: string, dir: string): boolean {
    return this.files.has(`${user}:${dir}/pilot.token`);
  }

  submit(user: string, name: string): string {
    const id = String(this.#nextId++);
    this.jobs.push({ id, name, state: 'queued', raw: 'PENDING', user });
    return id;
  }
}

class FakeSession implements SiteSession {
  #closed = false;

  constructor(
    readonly host: FakeHost,
    readonly login: SiteLogin,
  ) {}

  get address(): string {
    return `${this.login.user}@${this.login.host}:${this.login.port}`;
  }

  #enter(op: string): void {
    if (this.#closed) throw new Error('session used after close()');
    const h = this.host;
    if (h.down) throw h.down;
    if (h.hostKey && !this.login.hostKeys.some((k) => k.includes(h.hostKey as string)))
      throw new SshError('host-key', `the host key of ${this.address} does not match the pinned key`);
    if (h.acceptedKey && this.login.privateKey !== h.acceptedKey)
      throw new SshError('auth', `${this.address} refused the SSH key (authentication failed)`);
    const fault = h.failing.get(op);
    if (fault) throw fault;
    h.log.push(op);
  }

  async prepare(dir: string, token?: string): Promise<void> {
    this.#enter('prepare');
    this.host.log[this.host.log.length - 1] = `prepare ${dir}`;
    if (token === undefined) this.host.files.delete(`${this.login.user}:${dir}/pilot.token`);
    else this.host.files.set(`${this.login.user}:${dir}/pilot.token`, token);
  }

  async storePilotToken(dir: string, pilot: string, token: string): Promise<void> {
    this.#enter('storePilotToken');
    this.host.log[this.host.log.length - 1] = `storePilotToken ${pilot}`;
    this.host.files.set(`${this.login.user}:${dir}/tokens/${pilot}/token`, token);
  }

  async listPilotTokens(dir: string): Promise<Map<string, StoredToken>> {
    this.#enter('listPilotTokens');
    return new Map(this.#tokens(dir).map(([pilot, path]) => [pilot, storedTokenOf(this.#claims(path))]));
  }

  async retainPilotTokens(dir: string, keep: readonly string[]): Promise<void> {
    this.#enter('retainPilotTokens');
    this.host.log[this.host.log.length - 1] = `retainPilotTokens ${keep.join(' ')}`;
    for (const [pilot, path] of this.#tokens(dir)) if (!keep.includes(pilot)) this.host.files.delete(path);
  }

  /** The pilot tokens stored in `dir`: pilot name and file key. */
  #tokens(dir: string): [string, string][] {
    const prefix = `${this.login.user}:${dir}/tokens/`;
    return [...this.host.files.keys()]
      .filter((k) => k.startsWith(prefix) && k.endsWith('/token'))
      .map((k) => [k.slice(prefix.length, -'/token'.length), k]);
  }

  #claims(path: string): string {
    return (this.host.files.get(path) ?? '').split('.')[1] ?? '';
  }

  async ensureBundle(dir: string, bundle: PilotBundle): Promise<void> {
    this.#enter('ensureBundle');
    this.host.files.set(`${this.login.user}:${dir}/condor-${bundle.sha256}.tar.gz`, 'bundle');
  }

  async listJobs(): Promise<BatchJob[]> {
    this.#enter('list');
    return this.host.jobs
      .filter((j) => j.user === this.login.user)
      .map(({ id, name, state, raw }) => ({ id, name, state, raw }));
  }

  /** Not logged: read every few minutes beside the listing, it would blur what tests check in `log`. */
  async listMaintenance(nowMs: number): Promise<MaintenanceWindow[]> {
    if (this.#closed) throw new Error('session used after close()');
    if (this.host.down) throw this.host.down;
    const fault = this.host.failing.get('maintenance');
    if (fault) throw fault;
    return this.host.maintenance.filter((w) => w.endMs > nowMs);
  }

  /** Not logged, like listMaintenance. */
  async readUsage(sinceMs: number): Promise<UsageRecord[]> {
    if (this.#closed) throw new Error('session used after close()');
    if (this.host.down) throw this.host.down;
    const fault = this.host.failing.get('usage');
    if (fault) throw fault;
    return this.host.usage.filter((r) => (r.endMs ?? Infinity) >= sinceMs);
  }

  async submitPilot(dir: string, name: string, script: string): Promise<string> {
    this.#enter('submit');
    this.host.log[this.host.log.length - 1] = `submit ${name}`;
    this.host.files.set(`${this.login.user}:${dir}/pilots/${name}.sh`, script);
    return this.host.submit(this.login.user, name);
  }

  async cancel(ids: readonly string[]): Promise<void> {
    this.#enter('cancel');
    this.host.log[this.host.log.length - 1] = `cancel ${ids.join(' ')}`;
    for (const j of this.host.jobs) {
      if (ids.includes(j.id) && (j.state === 'queued' || j.state === 'running')) {
        j.state = 'failed';
        j.raw = 'CANCELLED';
      }
    }
  }

  async removeToken(dir: string): Promise<void> {
    this.#enter('removeToken');
    this.host.log[this.host.log.length - 1] = `removeToken ${dir}`;
    this.host.files.delete(`${this.login.user}:${dir}/pilot.token`);
    for (const [, path] of this.#tokens(dir)) this.host.files.delete(path);
  }

  close(): void {
    this.#closed = true;
  }
}

export class FakeSiteConnector implements SiteConnector {
  readonly hosts = new Map<string, FakeHost>();
  /** Sessions opened, and how many are still open. */
  opened = 0;
  readonly #sessions: FakeSession[] = [];

  host(name: string): FakeHost {
    let h = this.hosts.get(name);
    if (!h) this.hosts.set(name, (h = new FakeHost(name)));
    return h;
  }

  open(login: SiteLogin, _batchSystem: string): SiteSession {
    this.opened++;
    const s = new FakeSession(this.host(login.host), login);
    this.#sessions.push(s);
    return s;
  }

  /** Every pilot on every host, as `host/name/state`. */
  everywhere(): string[] {
    return [...this.hosts.values()].flatMap((h) => h.jobs.map((j) => `${h.host}/${j.name}/${j.state}`));
  }
}

/** A collector that lists a slot for each pilot a test says joined (busy ones claimed). */
export class FakeCollector implements CollectorApi {
  readonly label = 'fake-collector';
  readonly joined = new Set<string>();
  readonly busy = new Set<string>();
  /** GPUs a joined pilot's partitionable slot advertises: all, and those left for new jobs. */
  readonly gpus = new Map<string, { total: number; idle: number }>();
  failure: Error | undefined;
  queries: string[] = [];

  async pilotSlots(virtualCluster: string, _attributes: readonly string[]): Promise<JobAd[]> {
    this.queries.push(virtualCluster);
    if (this.failure) throw this.failure;
    return [...this.joined].map((name) => ({
      HPCPilot: name,
      State: this.busy.has(name) ? 'Claimed' : 'Unclaimed',
      SlotType: 'Partitionable',
      ...(this.gpus.has(name)
        ? { TotalSlotGPUs: this.gpus.get(name)?.total, GPUs: this.gpus.get(name)?.idle }
        : {}),
    }));
  }
}

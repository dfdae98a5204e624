/**
 * An HPC site in memory: a login node with a batch system whose pilot jobs go queued -> running -> done (or
 * failed), a file system for pilot scripts and pool tokens, and the faults of a real site: SSH refused,
 * hanging until the client's timeout, authentication failing, batch commands failing. A running pilot
 * offers a slot in its VirtualCluster (read from the `VirtualCluster = "ns/name"` line of its script, as
 * the startd would advertise it).
 */
import type { BatchJob, PilotState } from '../../../src/sites/batch.js';
import type { Timer } from '../../../src/runtime/clock.js';
import type { Prng } from '../prng.js';
import type { Scheduler } from '../scheduler.js';
import { Maintenance } from '../../../src/controllers/virtualcluster/reasons.js';
import type { UsageRecord } from '../../../src/sites/accounting.js';
import type { MaintenanceWindow } from '../../../src/sites/maintenance.js';
import type { Trace } from '../trace.js';
import { pilotTokenDir } from '../../../src/sites/pilot-tokens.js';
import { expiryOf } from '../minter.js';

/** A script's `#SBATCH --time=H:MM:SS` (ms). */
export function walltimeMsOf(script: string): number | undefined {
  const m = /#SBATCH --time=(\d+):(\d+):(\d+)/.exec(script);
  return m ? (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 : undefined;
}

export interface Pilot {
  id: string;
  name: string;
  state: PilotState;
  raw: string;
  virtualCluster?: string;
  timer?: Timer;
  startedAt?: number;
  endedAt?: number;
  /** From the script's --cpus-per-task. */
  cpus: number;
  /** From the script's `#SBATCH --time=` (ms). */
  walltimeMs?: number;
  /** The token of its own it reads in place (spec.pool.pilotTokens): its script says so, pilotTokenDir where. */
  tokenPath?: string;
}

/** Finished batch jobs stay visible to the list command this long. */
const LISTED_AFTER_END_MS = 300_000;

/** A pilot that ends runs its EXIT trap (which removes its own token) unless its node died under it. */
const TRAP_RUNS = 0.7;

/** A pass comes at least every steady poll; a status write may delay the submission a little more. */
const KNOWN_SLACK_MS = 2 * 60_000;

export class SiteModel {
  readonly pilots = new Map<string, Pilot>();
  readonly files = new Map<string, string>();
  /** Reservations the site's admins made (none unless a scenario adds them). */
  readonly maintenance: MaintenanceWindow[] = [];
  #nextId = 1000;
  refusedUntil = 0;
  hangUntil = 0;
  authFailsUntil = 0;
  batchFailsUntil = 0;
  /** While batch commands fail: the share of them that does (1: all). */
  batchFailRate = 1;
  /** Logins refused so far, and the last one (the operator stays away for a while after a refusal). */
  refusals = 0;
  lastRefusalAt = 0;
  /** Told of every pilot submission and token write, with who did it (the invariants check the Lease). */
  onWrite: (what: string, by: string) => void = () => undefined;
  /** Told of a pilot that starts, with the token file it finds then (pilots with a token of their own). */
  onStart: (p: Pilot, token: string | undefined) => void = () => undefined;
  /** When each per-pilot token file was last written (by path). */
  readonly tokenWrittenAt = new Map<string, number>();
  /** Told of a pilot submitted to run into a maintenance window the operator had time to read. */
  onCrossing: (what: string) => void = () => undefined;
  /** When each window was reserved (by name). */
  readonly #reservedAt = new Map<string, number>();

  constructor(
    readonly host: string,
    /** The private key the site accepts. */
    readonly acceptedKey: string,
    readonly sched: Scheduler,
    readonly prng: Prng,
    readonly trace: Trace,
    /** Named scenarios: how long every pilot runs once started. */
    readonly pilotRunMs?: number,
  ) {}

  fault(kind: 'refused' | 'hang' | 'auth' | 'batch', ms: number, rate = 1): void {
    const until = this.sched.now() + ms;
    if (kind === 'refused') this.refusedUntil = until;
    else if (kind === 'hang') this.hangUntil = until;
    else if (kind === 'auth') this.authFailsUntil = until;
    else {
      this.batchFailsUntil = until;
      this.batchFailRate = rate;
    }
    this.trace.add(`site:${this.host}`, 'fault', `${kind}${rate < 1 ? ` (${rate})` : ''} for ${ms} ms`);
  }

  noteRefusal(): void {
    this.refusals++;
    this.lastRefusalAt = this.sched.now();
  }

  /** An admin reserves the site: a maintenance window `leadMs` from now, `ms` long. */
  reserve(leadMs: number, ms: number): void {
    const now = this.sched.now();
    const name = `maint${this.maintenance.length + 1}`;
    this.maintenance.push({ name, startMs: now + leadMs, endMs: now + leadMs + ms });
    this.#reservedAt.set(name, now);
    this.trace.add(`site:${this.host}`, 'fault', `${name} reserved from +${leadMs} ms for ${ms} ms`);
  }

  /**
   * A pilot must end before every window that was reserved long enough ago for the operator to have read it
   * (it reads every Maintenance.readEveryMs, in passes at least every steady poll), or start after it.
   */
  #checkCrossing(name: string, script: string): void {
    const walltime = walltimeMsOf(script);
    if (walltime === undefined) return;
    const now = this.sched.now();
    const end = now + walltime;
    for (const w of this.maintenance) {
      const known = now - (this.#reservedAt.get(w.name) ?? now) >= Maintenance.readEveryMs + KNOWN_SLACK_MS;
      if (known && now < w.endMs && end > w.startMs)
        this.onCrossing(`pilot ${name} runs from ${now} to ${end} into ${w.name} (${w.startMs}-${w.endMs})`);
    }
  }

  /** Stores the pool token (SiteSession.prepare). */
  putToken(dir: string, token: string, by: string): void {
    this.files.set(`${dir}/pilot.token`, token);
    this.onWrite(`pool token written to ${dir}`, by);
  }

  /** Stores a pilot's own token (SiteSession.storePilotToken). */
  storeToken(dir: string, pilot: string, token: string, by: string): void {
    const path = `${dir}/tokens/${pilot}/token`;
    this.trace.count(this.files.has(path) ? 'pilot tokens replaced' : 'pilot tokens stored');
    this.files.set(path, token);
    this.tokenWrittenAt.set(path, this.sched.now());
    this.onWrite(`token of pilot ${pilot} written to ${dir}`, by);
  }

  list(): BatchJob[] {
    const now = this.sched.now();
    return [...this.pilots.values()]
      .filter((p) => p.endedAt === undefined || now - p.endedAt < LISTED_AFTER_END_MS)
      .map((p) => ({ id: p.id, name: p.name, state: p.state, raw: p.raw }));
  }

  submit(dir: string, name: string, script: string, by: string): string {
    this.#checkCrossing(name, script);
    const id = String(this.#nextId++);
    this.files.set(`${dir}/pilots/${name}.sh`, script);
    // As the startd would advertise it: `VirtualCluster = "ns/name"` in its config, or the real pilot's
    // `export _CONDOR_VirtualCluster='"ns/name"'`.
    const vc = /VirtualCluster\s*=\s*'?"([^"]+)"/.exec(script)?.[1];
    const cpus = Number(/--cpus-per-task=(\d+)/.exec(script)?.[1] ?? 1);
    // The real script exports _CONDOR_SEC_TOKEN_DIRECTORY="$T" for a token of its own (pilotTokenDir).
    const own = script.includes('_CONDOR_SEC_TOKEN_DIRECTORY="$T"');
    const p: Pilot = {
      id,
      name,
      state: 'queued',
      raw: 'PENDING',
      virtualCluster: vc,
      cpus,
      walltimeMs: walltimeMsOf(script),
      ...(own ? { tokenPath: `${pilotTokenDir(dir, name)}/token` } : {}),
    };
    this.pilots.set(id, p);
    this.onWrite(`pilot ${id} (${name}) submitted`, by);
    this.trace.add(`site:${this.host}`, 'site', `pilot ${id} ${name} queued${vc ? ` for ${vc}` : ''}`);
    p.timer = this.sched.schedule(this.prng.latency(2_000, 120_000), () => this.#start(p));
    return id;
  }

  cancel(ids: readonly string[]): void {
    for (const id of ids) {
      const p = this.pilots.get(id);
      if (!p || p.endedAt !== undefined) continue;
      this.#end(p, 'failed', 'CANCELLED');
    }
  }

  /** What the accounting says: pilots that started, with their end once they ended (none end before `sinceMs`). */
  usage(sinceMs: number): UsageRecord[] {
    return [...this.pilots.values()].flatMap((p) =>
      p.startedAt === undefined || (p.endedAt ?? Infinity) < sinceMs
        ? []
        : [{ name: p.name, cpus: p.cpus, gpus: 0, startMs: p.startedAt, endMs: p.endedAt }],
    );
  }

  /**
   * Running pilots of `virtualCluster` that are in its pool: a pilot with a token of its own authenticates
   * with the token in its directory, so it is in the pool only while that token has not expired.
   */
  running(virtualCluster: string): Pilot[] {
    const now = this.sched.now();
    return [...this.pilots.values()].filter(
      (p) =>
        p.state === 'running' &&
        p.virtualCluster === virtualCluster &&
        (p.tokenPath === undefined || expiryOf(this.files.get(p.tokenPath) ?? '') > now),
    );
  }

  #start(p: Pilot): void {
    if (p.state !== 'queued') return;
    p.state = 'running';
    p.raw = 'RUNNING';
    p.startedAt = this.sched.now();
    this.trace.add(`site:${this.host}`, 'site', `pilot ${p.id} running`);
    if (p.tokenPath !== undefined) {
      const token = this.files.get(p.tokenPath);
      this.onStart(p, token);
      // `[ -s "$T/token" ] || exit 1`: without a token of its own the script stops at once.
      if (token === undefined) return this.#end(p, 'failed', 'FAILED');
    }
    const fails = this.prng.chance(0.1);
    p.timer = this.sched.schedule(this.pilotRunMs ?? this.prng.latency(60_000, 3_600_000), () =>
      this.#end(p, fails ? 'failed' : 'done', fails ? 'FAILED' : 'COMPLETED'),
    );
  }

  #end(p: Pilot, state: PilotState, raw: string): void {
    p.timer?.cancel();
    p.state = state;
    p.raw = raw;
    p.endedAt = this.sched.now();
    this.trace.add(`site:${this.host}`, 'site', `pilot ${p.id} ${raw}`);
    // A pilot that ran removes its own token dir on exit (the script's EXIT trap), unless its node died.
    if (p.tokenPath !== undefined && p.startedAt !== undefined && this.prng.chance(TRAP_RUNS)) {
      if (this.files.delete(p.tokenPath)) this.trace.count('pilot tokens removed by their pilot');
      this.trace.add(`site:${this.host}`, 'site', `pilot ${p.id} removed its token`);
    }
  }
}

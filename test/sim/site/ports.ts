/**
 * SiteConnector/SiteSession over the site models: each session method is a port call planned under the
 * site's faults (SSH refused: SshError unreachable at once; hanging: SshError timeout after the client's
 * timeout; wrong key: auth; a batch command failing: failed).
 */
import type { PilotBundle, SiteConnector, SiteLogin, SiteSession } from '../../../src/sites/session.js';
import { SshError } from '../../../src/sites/ssh.js';
import { storedTokenOf, type StoredToken } from '../../../src/sites/pilot-tokens.js';
import type { BatchJob } from '../../../src/sites/batch.js';
import type { UsageRecord } from '../../../src/sites/accounting.js';
import type { MaintenanceWindow } from '../../../src/sites/maintenance.js';
import { applyNow } from '../kube/faults.js';
import { fail, type CallPlan, type Caller, type Net } from '../net.js';
import type { Prng } from '../prng.js';
import type { SiteModel } from './site-model.js';

export interface SitePortEnv {
  net: Net;
  prng: Prng;
  now: () => number;
  sites: ReadonlyMap<string, SiteModel>;
  /** How long an SSH command may hang before the client gives up (ms). */
  sshTimeoutMs: number;
}

class SimSiteSession implements SiteSession {
  readonly address: string;

  constructor(
    readonly env: SitePortEnv,
    readonly who: Caller,
    readonly login: SiteLogin,
  ) {
    this.address = `${login.user}@${login.host}:${login.port}`;
  }

  prepare(dir: string, token?: string): Promise<void> {
    return this.#call(`prepare ${dir}`, false, (s) =>
      token === undefined ? s.files.delete(`${dir}/pilot.token`) : s.putToken(dir, token, this.who.name),
    ).then(() => undefined);
  }

  storePilotToken(dir: string, pilot: string, token: string): Promise<void> {
    return this.#call(`storePilotToken ${pilot}`, false, (s) =>
      s.storeToken(dir, pilot, token, this.who.name),
    );
  }

  listPilotTokens(dir: string): Promise<Map<string, StoredToken>> {
    return this.#call(`listPilotTokens ${dir}`, false, (s) => storedTokensIn(s.files, dir));
  }

  retainPilotTokens(dir: string, keep: readonly string[]): Promise<void> {
    return this.#call(`retainPilotTokens ${dir}`, false, (s) => {
      for (const [pilot] of storedTokensIn(s.files, dir))
        if (!keep.includes(pilot)) {
          s.files.delete(`${dir}/tokens/${pilot}/token`);
          s.trace.count('pilot tokens removed by retainPilotTokens');
        }
    });
  }

  ensureBundle(dir: string, bundle: PilotBundle): Promise<void> {
    return this.#call(`ensureBundle ${dir}`, false, (s) => {
      s.files.set(`${dir}/condor-${bundle.sha256.slice(0, 8)}.tar.gz`, bundle.sha256);
    });
  }

  listJobs(): Promise<BatchJob[]> {
    return this.#call('listJobs', true, (s) => s.list());
  }

  listMaintenance(nowMs: number): Promise<MaintenanceWindow[]> {
    return this.#call('listMaintenance', true, (s) => s.maintenance.filter((w) => w.endMs > nowMs));
  }

  readUsage(sinceMs: number): Promise<UsageRecord[]> {
    return this.#call('readUsage', true, (s) => s.usage(sinceMs));
  }

  submitPilot(dir: string, name: string, script: string): Promise<string> {
    return this.#call(`submitPilot ${name}`, true, (s) => s.submit(dir, name, script, this.who.name));
  }

  cancel(ids: readonly string[]): Promise<void> {
    return this.#call(`cancel ${ids.join(',')}`, true, (s) => s.cancel(ids));
  }

  removeToken(dir: string): Promise<void> {
    return this.#call(`removeToken ${dir}`, false, (s) => {
      s.files.delete(`${dir}/pilot.token`);
      for (const [pilot] of storedTokensIn(s.files, dir)) s.files.delete(`${dir}/tokens/${pilot}/token`);
    });
  }

  close(): void {
    // Nothing held open in the model.
  }

  #call<T>(text: string, batch: boolean, effect: (s: SiteModel) => T): Promise<T> {
    return this.env.net.call(this.who, { port: `site.${this.login.host}`, text }, () =>
      this.#plan(batch, effect),
    );
  }

  #plan<T>(batch: boolean, effect: (s: SiteModel) => T): CallPlan<T> {
    const { prng, now, sshTimeoutMs } = this.env;
    const s = this.env.sites.get(this.login.host);
    const t = now();
    if (!s || t < s.refusedUntil)
      return {
        serveInMs: prng.int(5, 100),
        serve: () =>
          fail(new SshError('unreachable', `connect ECONNREFUSED ${this.login.host}:${this.login.port}`)),
      };
    if (t < s.hangUntil)
      return {
        serveInMs: sshTimeoutMs,
        serve: () => fail(new SshError('timeout', `no answer from ${this.address} in ${sshTimeoutMs} ms`)),
      };
    if (t < s.authFailsUntil || this.login.privateKey !== s.acceptedKey)
      return {
        serveInMs: prng.int(50, 500),
        serve: () => {
          s.noteRefusal();
          return fail(new SshError('auth', 'All configured authentication methods failed'));
        },
      };
    const serveInMs = prng.latency(100, 5_000);
    if (batch && t < s.batchFailsUntil && (s.batchFailRate >= 1 || prng.chance(s.batchFailRate)))
      return {
        serveInMs,
        serve: () =>
          fail(
            new SshError(
              'failed',
              'sbatch: error: Batch job submission failed: Socket timed out on send/recv operation',
            ),
          ),
      };
    return { serveInMs, serve: () => applyNow(() => effect(s)) };
  }
}

/** The pilot tokens among a site's files, as tokenCommand.list reads them on a real site. */
function storedTokensIn(files: ReadonlyMap<string, string>, dir: string): Map<string, StoredToken> {
  const out = new Map<string, StoredToken>();
  const prefix = `${dir}/tokens/`;
  for (const [path, content] of files) {
    if (!path.startsWith(prefix) || !path.endsWith('/token')) continue;
    out.set(path.slice(prefix.length, -'/token'.length), storedTokenOf(content.split('.')[1] ?? ''));
  }
  return out;
}

export class SimSiteConnector implements SiteConnector {
  constructor(
    readonly env: SitePortEnv,
    readonly who: Caller,
  ) {}

  open(login: SiteLogin, _batchSystem: string): SiteSession {
    return new SimSiteSession(this.env, this.who, login);
  }
}

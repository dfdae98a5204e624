/**
 * SiteSession over SSH: the remote command lines for each thing the operator does on a site, built with the
 * batch adapter's argv (sites/batch.ts) and the shell quoting of sites/shell.ts, run through one SSH
 * connection (sites/ssh.ts) that is opened on first use and reopened after a failure. Directories are site
 * paths: `~/x` is expanded by the site's shell, anything else is quoted as is. A command that exits non-zero
 * throws an SshError of kind `failed` carrying what the tool said.
 */
import { adapterFor, type BatchJob, type BatchSystemAdapter } from './batch.js';
import { accountingReaderFor, type UsageRecord } from './accounting.js';
import { maintenanceReaderFor, type MaintenanceWindow } from './maintenance.js';
import { sitePath } from './pilot.js';
import { parseTokenListing, tokenCommand, type StoredToken } from './pilot-tokens.js';
import type { PilotBundle, SiteConnector, SiteLogin, SiteSession } from './session.js';
import { shellCommand, shellQuote } from './shell.js';
import { SshError, SshTransport, type ExecResult } from './ssh.js';

/** What the session needs of a connection (SshTransport; a recording fake in tests). */
export interface RemoteShell {
  readonly address: string;
  execScript(command: string, o?: { input?: string | Buffer; timeoutMs?: number }): Promise<ExecResult>;
  close(): void;
}

/** How long a listing or cancel may take, and a command that moves a script or a bundle. */
export const SITE_COMMAND_TIMEOUT_MS = 60_000;
export const SITE_UPLOAD_TIMEOUT_MS = 120_000;

/** What a failed remote command said: stderr, or stdout for tools that report there (SGE's qdel). */
export function said(r: { stdout: string; stderr: string }, max: number): string {
  return (r.stderr.trim() || r.stdout.trim()).slice(0, max);
}

/**
 * The command lines a session runs, pure (the hostile-input tests run them in a sandbox). `dir` is a site
 * path as recorded in status.sites.
 */
export const siteCommand = {
  /** Makes the private pilot directories and stores stdin as the pool token (0600 by the umask). */
  prepare: (dir: string) => {
    const d = sitePath(dir);
    return `umask 077 && mkdir -p ${d}/pilots ${d}/logs && cat > ${d}/pilot.token`;
  },
  /** Makes the private pilot directories; the pilots bring their own tokens, so no shared one may stay. */
  prepareMinted: (dir: string) => {
    const d = sitePath(dir);
    return `umask 077 && mkdir -p ${d}/pilots ${d}/logs ${d}/tokens && rm -f ${d}/pilot.token`;
  },
  bundlePresent: (dir: string, sha256: string) =>
    `cd ${sitePath(dir)} && test -s ${shellQuote(`condor-${sha256}.tar.gz`)}`,
  /** Stores stdin as the bundle, atomically (a broken upload never looks complete). */
  bundleUpload: (dir: string, sha256: string) => {
    const file = shellQuote(`condor-${sha256}.tar.gz`);
    const part = shellQuote(`condor-${sha256}.tar.gz.part`);
    return `cd ${sitePath(dir)} && umask 077 && cat > ${part} && mv ${part} ${file}`;
  },
  /** Stores stdin as pilot `name`'s script and submits it from `dir` (relative log paths start there). */
  submit: (adapter: BatchSystemAdapter, dir: string, name: string) => {
    const file = `pilots/${name}.sh`;
    return `cd ${sitePath(dir)} && umask 077 && cat > ${shellQuote(file)} && ${shellCommand(adapter.submit(file))}`;
  },
  removeToken: (dir: string) => `rm -rf ${sitePath(dir)}/pilot.token ${sitePath(dir)}/tokens`,
};

export class SshSiteSession implements SiteSession {
  readonly #shell: RemoteShell;
  readonly #adapter: BatchSystemAdapter;
  readonly #user: string;

  constructor(shell: RemoteShell, adapter: BatchSystemAdapter, user: string) {
    this.#shell = shell;
    this.#adapter = adapter;
    this.#user = user;
  }

  get address(): string {
    return this.#shell.address;
  }

  async prepare(dir: string, token?: string): Promise<void> {
    if (token === undefined) await this.#run(siteCommand.prepareMinted(dir));
    else await this.#run(siteCommand.prepare(dir), token);
  }

  async storePilotToken(dir: string, pilot: string, token: string): Promise<void> {
    await this.#run(tokenCommand.store(dir, pilot), token);
  }

  async listPilotTokens(dir: string): Promise<Map<string, StoredToken>> {
    return parseTokenListing(await this.#run(tokenCommand.list(dir)));
  }

  async retainPilotTokens(dir: string, keep: readonly string[]): Promise<void> {
    await this.#run(tokenCommand.retain(dir, keep));
  }

  async ensureBundle(dir: string, bundle: PilotBundle): Promise<void> {
    const present = await this.#shell.execScript(siteCommand.bundlePresent(dir, bundle.sha256), {
      timeoutMs: SITE_COMMAND_TIMEOUT_MS,
    });
    if (present.code === 0) return;
    await this.#run(siteCommand.bundleUpload(dir, bundle.sha256), bundle.content());
  }

  async listJobs(): Promise<BatchJob[]> {
    const argv = this.#adapter.list(this.#user);
    const r = await this.#shell.execScript(shellCommand(argv), { timeoutMs: SITE_COMMAND_TIMEOUT_MS });
    if (r.code !== 0 && !this.#adapter.isEmptyListError?.(r.stderr))
      throw new SshError('failed', `${argv[0]} failed: ${r.stderr.trim().slice(0, 300)}`);
    return this.#adapter.parseList(r.stdout);
  }

  async listMaintenance(nowMs: number): Promise<MaintenanceWindow[]> {
    const reader = maintenanceReaderFor(this.#adapter.name);
    const r = await this.#shell.execScript(shellCommand(reader.list), { timeoutMs: SITE_COMMAND_TIMEOUT_MS });
    // argv is `env VAR=value tool ...`: name the tool.
    if (r.code !== 0)
      throw new SshError('failed', `${reader.list[2]} failed: ${r.stderr.trim().slice(0, 300)}`);
    return reader.parse(r.stdout, nowMs).filter((w) => w.endMs > nowMs);
  }

  async readUsage(sinceMs: number): Promise<UsageRecord[]> {
    const reader = accountingReaderFor(this.#adapter.name);
    const r = await this.#shell.execScript(reader.command(this.#user, sinceMs), {
      timeoutMs: SITE_COMMAND_TIMEOUT_MS,
    });
    if (r.code !== 0)
      throw new SshError('failed', `reading the accounting failed: ${r.stderr.trim().slice(0, 300)}`);
    return reader.parse(r.stdout);
  }

  async submitPilot(dir: string, name: string, script: string): Promise<string> {
    const out = await this.#run(siteCommand.submit(this.#adapter, dir, name), script);
    try {
      return this.#adapter.parseSubmit(out);
    } catch (e) {
      // Submitted, but the id is unreadable: the next listing finds the pilot by name.
      throw new SshError('failed', e instanceof Error ? e.message : String(e));
    }
  }

  async cancel(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const argv = this.#adapter.cancel(ids);
    const r = await this.#shell.execScript(shellCommand(argv), { timeoutMs: SITE_COMMAND_TIMEOUT_MS });
    if (r.code !== 0) throw new SshError('failed', `${argv[0]} failed: ${said(r, 300)}`);
  }

  async removeToken(dir: string): Promise<void> {
    await this.#run(siteCommand.removeToken(dir));
  }

  close(): void {
    this.#shell.close();
  }

  /** Runs a command line (already quoted), feeding `input`; its stdout, or an SshError unless it exits 0. */
  async #run(command: string, input?: string | Buffer): Promise<string> {
    const r = await this.#shell.execScript(command, { input, timeoutMs: SITE_UPLOAD_TIMEOUT_MS });
    if (r.code !== 0) throw new SshError('failed', `remote command failed (exit ${r.code}): ${said(r, 500)}`);
    return r.stdout;
  }
}

/** Opens SshSiteSessions: one SSH connection each, the host key pinned. */
export class SshSiteConnector implements SiteConnector {
  open(login: SiteLogin, batchSystem: string): SiteSession {
    const transport = new SshTransport({
      host: login.host,
      port: login.port,
      username: login.user,
      privateKey: login.privateKey,
      hostKeys: login.hostKeys,
    });
    return new SshSiteSession(transport, adapterFor(batchSystem), login.user);
  }
}

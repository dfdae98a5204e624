/**
 * Runs the operator as a real process against the local stack, the way `make run` does, with its own
 * operator id, namespace and ports so that test files do not see each other's jobs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, STACK, loadStackEnv, waitFor } from './stack.js';

export interface OperatorOptions {
  namespace: string;
  operatorId: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  logDir?: string;
  /** Where the operator's own output goes (a file per start). */
  logFile?: string;
  /** Run the TypeScript sources through tsx (default) or the compiled dist/main.js (one process: benchmarks). */
  entry?: 'src' | 'dist';
  /** A kubeconfig to run as (e.g. a ServiceAccount token); default the stack's admin kubeconfig. */
  kubeconfig?: string;
  /**
   * Leader election on, with the Lease in `namespace` named `id` (without an id the operator's default:
   * named after its operator id). Default off: test files run operators side by side.
   */
  leaderElection?: { namespace: string; id?: string };
  /** A cgroup's cgroup.procs file the process joins before node starts (benchmarks: the pod's memory limit). */
  cgroupProcs?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export class OperatorProcess {
  readonly logDir: string;
  readonly logFile: string;
  metricsPort = 0;
  healthPort = 0;
  /** The HTTPS port (admission webhook, live logs). */
  servingPort = 0;
  #child: ChildProcess | undefined;
  #out: WriteStream | undefined;
  #exit: Promise<number | null> = Promise.resolve(null);

  constructor(readonly o: OperatorOptions) {
    this.logDir = o.logDir ?? mkdtempSync(join(tmpdir(), 'hpcop-logs-'));
    this.logFile = o.logFile ?? join(mkdtempSync(join(tmpdir(), 'hpcop-operator-')), 'operator.log');
  }

  /**
   * Starts the process and waits until it reports ready on /readyz. Its ports are picked free, and picked again
   * if it could not bind one: this host hands out ephemeral ports from 1024 up, so a client's connection can take
   * a port between the pick and the operator's listen (fresh-clone CI lost a test file to that once).
   */
  async start(o: { env?: Record<string, string>; waitReady?: boolean } = {}): Promise<void> {
    for (let tries = 1; ; tries++) {
      const bindFailed = await this.#spawn(o);
      if (o.waitReady === false) return;
      try {
        await this.#waitReady();
        return;
      } catch (err) {
        if (!bindFailed() || tries >= 3) throw err;
      }
    }
  }

  /** Spawns the process on fresh ports; the returned function tells whether it failed to bind one. */
  async #spawn(o: { env?: Record<string, string> }): Promise<() => boolean> {
    this.metricsPort = await freePort();
    this.healthPort = await freePort();
    this.servingPort = await freePort();
    const args = this.#args(loadStackEnv());
    this.#out = createWriteStream(this.logFile, { flags: 'a' });
    // exec keeps the pid: signals and kill -9 still reach the operator itself.
    const [command, argv] = this.o.cgroupProcs
      ? ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', this.o.cgroupProcs, process.execPath, ...args]]
      : [process.execPath, args];
    const child = spawn(command, argv, {
      cwd: REPO,
      env: {
        ...process.env,
        ...(this.o.kubeconfig ? { KUBECONFIG: this.o.kubeconfig } : {}),
        ...this.o.env,
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let addrInUse = false;
    child.stdout?.pipe(this.#out, { end: false });
    child.stderr?.pipe(this.#out, { end: false });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('EADDRINUSE')) addrInUse = true;
    });
    this.#child = child;
    // A signal reads as the shell shows it: 128 + its number (137 for SIGKILL).
    this.#exit = new Promise((resolve) =>
      child.once('exit', (code, signal) =>
        resolve(code ?? (signal ? 128 + constants.signals[signal] : null)),
      ),
    );
    return () => addrInUse;
  }

  /** Ready on /readyz, or an error as soon as the process exits (not after the whole timeout). */
  async #waitReady(): Promise<void> {
    let gone = false;
    const exited = this.#exit.then((code) => {
      gone = true;
      return { code };
    });
    const ready = waitFor(
      `the operator to be ready (log: ${this.logFile})`,
      async () => {
        if (gone) return true;
        const r = await fetch(`http://127.0.0.1:${this.healthPort}/readyz?verbose`).catch(() => undefined);
        if (r && !r.ok) throw new Error(`not ready: ${(await r.text()).trim().replace(/\n/g, '; ')}`);
        return r?.ok;
      },
      // Longer than the operator's own HTCondor call timeout (60 s): a first condor_q that hangs on a busy
      // schedd, then one that answers, is a slow start, not a broken one.
      150_000,
    );
    const first = await Promise.race([ready.then(() => undefined), exited]);
    if (first) throw new Error(`the operator exited with ${first.code}; log: ${this.logFile}`);
  }

  /** The operator's command line: the entry point and the flags that point it at the stack. */
  #args(env: Record<string, string>): string[] {
    const entry =
      this.o.entry === 'dist'
        ? [join(REPO, 'dist/main.js')]
        : // tsx as a loader in this one process (its CLI would fork a child): kill -9 hits the operator itself.
          ['--import', 'tsx', join(REPO, 'src/main.ts')];
    return [
      ...entry,
      `--namespace=${this.o.namespace}`,
      `--operator-id=${this.o.operatorId}`,
      `--schedd-name=${env.HPC_SCHEDD_NAME}`,
      `--collector=${env.HPC_COLLECTOR}`,
      `--condor-bin-dir=${join(STACK, 'bin')}`,
      `--log-dir=${this.logDir}`,
      `--metrics-bind-address=127.0.0.1:${this.metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${this.healthPort}`,
      `--serving-bind-address=127.0.0.1:${this.servingPort}`,
      ...(this.o.leaderElection
        ? [
            '--leader-elect=true',
            `--leader-election-namespace=${this.o.leaderElection.namespace}`,
            ...(this.o.leaderElection.id ? [`--leader-election-id=${this.o.leaderElection.id}`] : []),
          ]
        : ['--leader-elect=false']),
      '--log-level=debug',
      ...(this.o.extraArgs ?? []),
    ];
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null)
      this.#child.kill('SIGKILL');
    await this.#exit;
    this.#out?.end();
  }

  /** True while the process runs. */
  get running(): boolean {
    return !!this.#child && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Resolves with the exit code once the process ends. */
  exited(): Promise<number | null> {
    return this.#exit;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null)
      this.#child.kill(signal);
    const code = await this.#exit;
    this.#out?.end();
    return code;
  }

  /** The body of /readyz?verbose (each check with its note). */
  async readyz(): Promise<string> {
    return (await fetch(`http://127.0.0.1:${this.healthPort}/readyz?verbose`)).text();
  }

  /** The Prometheus text exposition, parsed into `name{labels}` -> value. */
  async metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      const i = line.lastIndexOf(' ');
      out.set(line.slice(0, i), Number(line.slice(i + 1)));
    }
    return out;
  }

  /** Sum of a metric over the series whose labels contain all of `labels` (from `snapshot` if given). */
  async metric(
    name: string,
    labels: Record<string, string> = {},
    snapshot?: Map<string, number>,
  ): Promise<number> {
    let sum = 0;
    for (const [series, value] of snapshot ?? (await this.metrics())) {
      const m = /^([^{]+)(?:\{(.*)\})?$/.exec(series);
      if (!m || m[1] !== name) continue;
      const got = m[2] ?? '';
      if (Object.entries(labels).every(([k, v]) => got.includes(`${k}="${v}"`))) sum += value;
    }
    return sum;
  }
}

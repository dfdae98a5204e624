/**
 * Runs the real job wrapper (wrapper/hpc-wrapper.sh) under a given shell, without HTCondor, for the wrapper's
 * unit tests: a scratch directory as HTCondor's, a PATH without any real container runtime, STUB binaries
 * that record their command lines, and the report read back. Shared by wrapper.test.ts (the contract) and
 * wrapper-signals.test.ts (exit codes above 128 and signals sent to the wrapper).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WRAPPER = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'wrapper', 'hpc-wrapper.sh');
export const SHELLS = [['dash'], ['bash', '--posix'], ['busybox', 'sh']].filter(
  ([sh]) => spawnSync('sh', ['-c', `command -v ${sh}`]).status === 0,
);
export const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
export const words = (items: string[]) => items.map(b64).join(' ');

/**
 * A wrapper that never ends (one that stopped itself, or one that waits for a step it never told to stop)
 * must fail its test, not hang the run: spawnSync even blocks Jest's own timeout. SIGKILL, because a stopped
 * process does not act on SIGTERM.
 */
const HANG_GUARD = { timeout: 120_000, killSignal: 'SIGKILL' as const };

/** Runtimes and module systems that must come only from stubs, never from this machine. */
const RUNTIMES = new Set([
  'apptainer',
  'singularity',
  'shifter',
  'shifterimg',
  'ch-run',
  'ch-image',
  'ch-convert',
  'podman',
  'docker',
  'module',
  'srun',
  'aprun',
  'parrot_run',
]);

/** /usr/bin and /bin as symlinks, minus any real container runtime the test machine happens to have. */
const BASE_BIN = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'hpcop-basebin-'));
  for (const src of ['/bin', '/usr/bin']) {
    for (const name of readdirSync(src)) {
      if (RUNTIMES.has(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(src, name), join(dir, name));
    }
  }
  return dir;
})();

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  result: Record<string, unknown>;
  /** Command lines the stubs were called with, one array per call. */
  calls: string[][];
  scratch: string;
}

export interface RunOptions {
  /** Names of stub executables to put first on PATH. */
  stubs?: string[];
  /** More directories to put on PATH (before the stubs). */
  path?: string[];
  /** Files to put into the scratch directory before the wrapper starts (relative path -> content). */
  files?: Record<string, string>;
}

/** A directory of stub executables that log their argv (NUL-separated) and exit 0. */
export function stubDir(names: string[], log: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hpcop-stubs-'));
  for (const name of names) {
    const path = join(dir, name);
    writeFileSync(
      path,
      `#!/bin/sh\n# STUB ${name}: records its command line for the test\n{ printf '%s\\0' "$(basename "$0")" "$@"; printf '\\n'; } >> '${log}'\n`,
    );
    chmodSync(path, 0o755);
  }
  return dir;
}

/** argv and spawn options for one wrapper run in a fresh scratch directory. */
function prepare(shell: string[], env: Record<string, string>, o: RunOptions) {
  const scratch = mkdtempSync(join(tmpdir(), 'hpcop-scratch-'));
  const log = join(scratch, 'stub-calls.log');
  for (const [rel, content] of Object.entries(o.files ?? {})) {
    mkdirSync(dirname(join(scratch, rel)), { recursive: true });
    writeFileSync(join(scratch, rel), content);
  }
  const dirs = [...(o.path ?? [])];
  if (o.stubs) dirs.push(stubDir(o.stubs, log));
  return {
    scratch,
    log,
    command: shell[0] as string,
    args: [...shell.slice(1), WRAPPER],
    options: {
      cwd: scratch,
      env: { PATH: [...dirs, BASE_BIN].join(':'), _CONDOR_SCRATCH_DIR: scratch, HOME: scratch, ...env },
    },
  };
}

/** What a finished run left: the report in scratch and the stubs' call log. */
function collect(
  p: { scratch: string; log: string },
  r: Pick<Run, 'code' | 'signal' | 'stdout' | 'stderr'>,
): Run {
  const resultFile = join(p.scratch, 'hpc-result.json');
  const calls = existsSync(p.log)
    ? readFileSync(p.log, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\0').slice(0, -1))
    : [];
  return {
    ...r,
    result: existsSync(resultFile)
      ? (JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>)
      : {},
    calls,
    scratch: p.scratch,
  };
}

/** Runs the wrapper to its end. */
export function runWrapper(shell: string[], env: Record<string, string>, o: RunOptions = {}): Run {
  const p = prepare(shell, env, o);
  const r = spawnSync(p.command, p.args, { ...p.options, encoding: 'utf8', ...HANG_GUARD });
  return collect(p, { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr });
}

export interface Started {
  child: ChildProcess;
  scratch: string;
  /** Resolves when the wrapper has exited and its output streams are closed. */
  done: Promise<Run>;
}

/** Starts the wrapper without waiting for it, so that a test can signal it while it runs. */
export function startWrapper(shell: string[], env: Record<string, string>, o: RunOptions = {}): Started {
  const p = prepare(shell, env, o);
  const child = spawn(p.command, p.args, { ...p.options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const guard = setTimeout(() => child.kill(HANG_GUARD.killSignal), HANG_GUARD.timeout);
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve(collect(p, { code, signal, stdout, stderr }));
    });
  });
  return { child, scratch: p.scratch, done };
}

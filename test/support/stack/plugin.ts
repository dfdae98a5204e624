/**
 * kubectl-hpc as a child process, the way kubectl runs it but from the sources (through tsx, no build), for
 * the e2e tests: run to its end (`hpc`), or started and read as its output comes (`startHpc`, for -f).
 */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './stack.js';

const CLI = join(REPO, 'src/cli/kubectl-hpc.ts');

export interface PluginRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `kubectl hpc ARGS` to its end. Never throws on a non-zero exit. */
export function hpc(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<PluginRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: REPO, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface RunningPlugin {
  out: () => string;
  err: () => string;
  done: Promise<number | null>;
  /** Ctrl-C. */
  stop: () => void;
}

/** Starts `kubectl hpc ARGS`; its output is read as it comes. */
export function startHpc(args: string[], env: NodeJS.ProcessEnv = process.env): RunningPlugin {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { out: () => out, err: () => err, done, stop: () => child.kill('SIGINT') };
}

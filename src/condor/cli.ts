/**
 * Runs HTCondor command-line tools (found on PATH or in a configured bin dir) with a timeout, and turns
 * failures into typed CondorErrors. Every call is reported to an observer (metrics) with its duration and
 * outcome. How many run at once is decided per daemon and kind of call above this (condor/lanes.ts), so that
 * one unresponsive daemon cannot take every slot.
 */
import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { CondorError, classifyFailure } from './errors.js';

export interface CondorCliOptions {
  /** Directory of the condor_* tools; empty means PATH. */
  binDir?: string;
  /** Extra environment for the tools (CONDOR_CONFIG, _CONDOR_* overrides). */
  env?: Record<string, string>;
  /** Default timeout per call. */
  timeoutMs?: number;
  /** Told about every call (for metrics). */
  observer?: (event: CommandEvent) => void;
}

export interface CommandEvent {
  tool: string;
  /** Schedd or pool the call addressed, for labels. */
  target: string;
  /** Why the operator ran it (track, adopt, submit, action, logs, probe), to see what drives the load. */
  purpose: string;
  outcome: 'success' | CondorError['kind'];
  durationSeconds: number;
}

export interface RunOptions {
  input?: string;
  /** Working directory of the tool (condor_submit -spool records it as the job's submit directory). */
  cwd?: string;
  timeoutMs?: number;
  /** Exit codes that are not failures for this call (condor_rm's 1 for "nothing matched", say). */
  okExitCodes?: readonly number[];
  /** Environment for this call on top of the tool's (e.g. where a signing key is). */
  env?: Record<string, string>;
  target?: string;
  purpose?: string;
  /**
   * Gets stdout piece by piece as it arrives instead of it being buffered (RunResult.stdout is then empty):
   * a whole read of a large queue is tens of MB. What it throws fails the call once the tool has exited
   * (a failed or timed-out tool is reported as such first).
   */
  onStdout?: (chunk: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export class CondorCli {
  readonly #binDir: string;
  readonly #env: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #observer: ((e: CommandEvent) => void) | undefined;

  constructor(o: CondorCliOptions = {}) {
    // Absolute: tools run with other working directories (condor_submit in the log directory).
    this.#binDir = o.binDir ? resolve(o.binDir) : '';
    this.#env = o.env ?? {};
    this.#timeoutMs = o.timeoutMs ?? 60_000;
    this.#observer = o.observer;
  }

  #file(tool: string): string {
    return this.#binDir ? join(this.#binDir, tool) : tool;
  }

  /**
   * Starts a tool whose output is a stream (condor_tail -f): no timeout and nothing buffered; the caller
   * reads its stdout and kills it when done. Reported to the observer when it exits (a signal the caller
   * sent is a success: stopping a follower is how it ends).
   */
  spawn(tool: string, args: readonly string[], o: { target?: string; purpose?: string } = {}): ChildProcess {
    const started = process.hrtime.bigint();
    const child = spawn(this.#file(tool), args, {
      env: { ...process.env, ...this.#env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const report = (outcome: CommandEvent['outcome']) =>
      this.#observer?.({
        tool,
        target: o.target ?? '',
        purpose: o.purpose ?? 'other',
        outcome,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    child.once('error', () => report('spawn'));
    child.once('exit', (code) => report(code === 0 || code === null ? 'success' : 'failed'));
    return child;
  }

  async run(tool: string, args: readonly string[], o: RunOptions = {}): Promise<RunResult> {
    const file = this.#file(tool);
    const started = process.hrtime.bigint();
    let outcome: CommandEvent['outcome'] = 'success';
    try {
      const streamed = o.onStdout ? consumeStdout(o.onStdout) : undefined;
      const sub = execa(file, args, {
        input: o.input,
        cwd: o.cwd,
        timeout: o.timeoutMs ?? this.#timeoutMs,
        env: { ...this.#env, ...o.env },
        extendEnv: true,
        reject: false,
        stripFinalNewline: false,
        maxBuffer: 512 * 1024 * 1024,
        buffer: { stdout: !streamed },
        // Never let a tool read the operator's terminal.
        stdin: o.input === undefined ? 'ignore' : 'pipe',
      });
      if (streamed) sub.stdout?.on('data', streamed.data);
      const r = await sub;
      if (r.timedOut) {
        outcome = 'timeout';
        throw new CondorError('timeout', tool, undefined, String(r.stderr ?? ''), `${tool} timed out`);
      }
      if (r.failed && r.exitCode === undefined) {
        outcome = 'spawn';
        throw new CondorError(
          'spawn',
          tool,
          undefined,
          String(r.stderr ?? ''),
          `${tool} could not start: ${r.shortMessage}`,
        );
      }
      const exitCode = r.exitCode ?? -1;
      const result = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode };
      if (exitCode !== 0 && !(o.okExitCodes ?? []).includes(exitCode)) {
        const err = classifyFailure(tool, exitCode, result.stderr);
        outcome = err.kind;
        throw err;
      }
      const consumerError = streamed?.end();
      if (consumerError !== undefined) {
        outcome = 'failed';
        throw consumerError;
      }
      return result;
    } finally {
      this.#observer?.({
        tool,
        target: o.target ?? '',
        purpose: o.purpose ?? 'other',
        outcome,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    }
  }
}

/**
 * Feeds stdout to `onStdout` as text (a character split across chunks is joined first). What it throws is
 * kept, not thrown from the stream's event (that would be an uncaught exception): the first error stops the
 * feeding and is returned by end().
 */
function consumeStdout(consumer: (chunk: string) => void): {
  data: (chunk: Buffer | string) => void;
  end: () => unknown;
} {
  const decoder = new StringDecoder('utf8');
  let onStdout: ((chunk: string) => void) | undefined = consumer;
  let error: unknown;
  const feed = (text: string) => {
    if (error !== undefined || text === '' || !onStdout) return;
    try {
      onStdout(text);
    } catch (e) {
      error = e;
    }
  };
  return {
    data: (chunk) => feed(typeof chunk === 'string' ? chunk : decoder.write(chunk)),
    end: () => {
      feed(decoder.end());
      // The child process object outlives the call (execa keeps it): what the consumer collected must not.
      onStdout = undefined;
      return error;
    },
  };
}

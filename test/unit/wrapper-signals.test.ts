/**
 * The job wrapper and signals, under dash, bash and busybox sh: which exit codes above 128 it turns back into
 * the signal (only those whose default action ends a process), and what it does when it is itself told to
 * stop (HTCondor's SIGTERM on condor_rm, hold and eviction; SIGINT, SIGHUP): the step is told, its partial
 * results and logs still go back, and the report says what happened (wrapper/README.md, "Signals").
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHELLS, b64, runWrapper, startWrapper, words, type Started } from './wrapper-harness.js';

/** Exit codes 128 + a signal whose default action stops the process (STOP, TSTP, TTIN, TTOU) or nothing. */
const NOT_FATAL = {
  145: 'CHLD',
  146: 'CONT',
  147: 'STOP',
  148: 'TSTP',
  149: 'TTIN',
  150: 'TTOU',
  151: 'URG',
  156: 'WINCH',
};
const SIGNAL_NUMBER = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

/** Waits until `path` exists: the step says it is running. Polls; a wrapper that never gets there fails. */
async function until(path: string, w: Started): Promise<void> {
  for (let i = 0; i < 3000 && !existsSync(path); i++) {
    if (w.child.exitCode !== null || w.child.signalCode !== null) break;
    await sleep(20);
  }
  if (!existsSync(path)) throw new Error(`${path} never appeared; the wrapper ended or hangs`);
}

/** Processes a test started that must not outlive it (the wrapper, a step orphaned by a broken wrapper). */
const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone: what should have happened
    }
  }
});

const WS = '/reana/users/0f0e/workflows/7a7b';

/**
 * A step that takes a while: it writes partial output, says it is running (its pid and its sleep's into
 * READY), then waits; on SIGTERM it writes a checkpoint and exits 7.
 */
const LONG_STEP = [
  'trap \'kill "$sleeper" 2>/dev/null; echo "checkpoint at TERM" > checkpoint.txt; echo "step: caught TERM" >&2; exit 7\' TERM',
  'echo partial > partial.txt',
  'echo computing',
  'sleep 600 & sleeper=$!',
  'echo "$$ $sleeper" > "$READY.tmp" && mv "$READY.tmp" "$READY"',
  'wait "$sleeper"',
  'echo "not reached" > after.txt',
].join('\n');

describe.each(SHELLS)('the job wrapper under %s', (...shell: string[]) => {
  it.each(Object.entries(NOT_FATAL))(
    'defect 7, the wrapper stops itself when the step exits 147 (and 148-150): exit %s (SIG%s) is an exit code',
    (code) => {
      const r = runWrapper(shell, { HPC_SCRIPT: b64(`exit ${code}`) });
      // Before the fix the wrapper sent itself SIGSTOP (147) and never ended: the hang guard killed it.
      expect([r.code, r.signal]).toEqual([Number(code), null]);
      expect(r.result).toMatchObject({ exitCode: Number(code), category: 'exit' });
      expect(r.result).not.toHaveProperty('signal');
    },
  );

  it('still dies by a signal whose default action ends a process (KILL, USR1, HUP)', () => {
    for (const [code, signal] of [
      [137, 'SIGKILL'],
      [138, 'SIGUSR1'],
      [129, 'SIGHUP'],
    ] as const) {
      const r = runWrapper(shell, { HPC_SCRIPT: b64(`exit ${code}`) });
      expect([code, r.signal]).toEqual([code, signal]);
      expect(r.result).toMatchObject({ category: 'signal', signal: code - 128 });
    }
  });

  it.each(Object.keys(SIGNAL_NUMBER) as (keyof typeof SIGNAL_NUMBER)[])(
    'no TERM trap in the wrapper: on %s while the step runs, the step is told to stop, its partial results and logs go back, the report says so',
    async (signal) => {
      const ready = join(mkdtempSync(join(tmpdir(), 'hpcop-ready-')), 'ready');
      const w = startWrapper(
        shell,
        {
          HPC_JOB: 'ns/step1',
          HPC_ATTEMPT: '1',
          HPC_SCRIPT: b64(LONG_STEP),
          HPC_ENV: words([`READY=${ready}`]),
          HPC_WORKSPACE: b64(WS),
          HPC_STAGING: 'condor-transfer',
          HPC_TRANSFER_DIR: 'hpc-ws',
        },
        { files: { 'hpc-ws/in.txt': 'input\n' } },
      );
      leftovers.push(w.child.pid as number);
      await until(ready, w);
      leftovers.push(...readFileSync(ready, 'utf8').trim().split(' ').map(Number));
      w.child.kill(signal);
      const r = await w.done;

      // The wrapper dies by the signal it was sent, after the report (HTCondor records ExitBySignal).
      expect([r.code, r.signal]).toEqual([null, signal]);
      expect(r.result).toMatchObject({ category: 'terminated', signal: SIGNAL_NUMBER[signal], exitCode: 7 });
      expect(String(r.result.message)).toContain(signal);
      // The step got SIGTERM (whatever the wrapper got) and ran its handler; what it made comes back.
      const results = join(r.scratch, 'hpc-results');
      expect(readFileSync(join(results, 'partial.txt'), 'utf8')).toBe('partial\n');
      expect(readFileSync(join(results, 'checkpoint.txt'), 'utf8')).toBe('checkpoint at TERM\n');
      expect(existsSync(join(results, 'in.txt'))).toBe(false);
      expect(existsSync(join(results, 'after.txt'))).toBe(false);
      // The logs and the report, in the workspace layout.
      const logs = join(results, '.hpc/step1/1');
      expect(readFileSync(join(logs, 'stdout'), 'utf8')).toBe('computing\n');
      expect(readFileSync(join(logs, 'stderr'), 'utf8')).toContain('step: caught TERM');
      expect(JSON.parse(readFileSync(join(logs, 'result.json'), 'utf8'))).toMatchObject({
        category: 'terminated',
      });
      expect(r.stdout).toBe('computing\n');
    },
  );

  it('on SIGTERM before the step started, does not start it and reports that', async () => {
    // A STUB ch-image whose pull blocks until the test has sent the signal: the wrapper is still preparing.
    const dir = mkdtempSync(join(tmpdir(), 'hpcop-pull-'));
    const log = join(dir, 'calls.log');
    for (const name of ['ch-run', 'ch-convert', 'ch-image']) {
      const body =
        name === 'ch-image'
          ? `: > '${dir}/pulling'\nwhile [ ! -e '${dir}/release' ]; do sleep 0.02; done\n`
          : `echo ${name} >> '${log}'\n`;
      writeFileSync(join(dir, name), `#!/bin/sh\n# STUB ${name}\n${body}`);
      chmodSync(join(dir, name), 0o755);
    }
    const w = startWrapper(
      shell,
      {
        HPC_ARGV: words(['true']),
        HPC_IMAGE: b64('docker://ghcr.io/org/step:1'),
        HPC_RUNTIME: 'charliecloud',
      },
      { path: [dir] },
    );
    leftovers.push(w.child.pid as number);
    await until(join(dir, 'pulling'), w);
    w.child.kill('SIGTERM');
    writeFileSync(join(dir, 'release'), '');
    const r = await w.done;
    expect([r.code, r.signal]).toEqual([null, 'SIGTERM']);
    expect(r.result).toMatchObject({ category: 'terminated', signal: 15, exitCode: 143 });
    expect(String(r.result.message)).toContain('before the step started');
    // ch-convert may have run (the pull had returned); the step (ch-run) never did.
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').not.toContain('ch-run');
  });
});

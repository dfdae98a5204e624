/**
 * The job wrapper passes the step's stdout and stderr on as they come (under dash, bash and busybox sh): what
 * condor_tail reads from a running job, and so what `kubectl hpc logs -f` shows, is the job's own stdout.
 * The copies the wrapper keeps ($H/stdout, $H/stderr) stay whole, and a step that leaves something in the
 * background holding its output open does not keep the wrapper from ending.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHELLS, b64, startWrapper, words } from './wrapper-harness.js';

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1500 && !ok(); i++) await sleep(20);
  if (!ok()) throw new Error(`timed out waiting for ${what}`);
}

describe.each(SHELLS)('the wrapper under %s', (...shell: string[]) => {
  it("passes the step's output on while the step runs, and keeps its own copies whole", async () => {
    const go = join(mkdtempSync(join(tmpdir(), 'hpc-live-')), 'go');
    const w = startWrapper(shell, {
      HPC_JOB: 'ns/live',
      HPC_ATTEMPT: '1',
      HPC_SCRIPT: b64('echo first\necho oops >&2\nwhile [ ! -e "$GO" ]; do sleep 0.05; done\necho second'),
      HPC_ENV: words([`GO=${go}`]),
    });
    let out = '';
    let err = '';
    w.child.stdout?.on('data', (d: string) => (out += d));
    w.child.stderr?.on('data', (d: string) => (err += d));
    await until('the first lines while the step waits', () => out === 'first\n' && err.includes('oops\n'));
    expect(w.child.exitCode).toBeNull();
    writeFileSync(go, '');
    const r = await w.done;
    expect([r.code, r.stdout]).toEqual([0, 'first\nsecond\n']);
    expect(readFileSync(join(r.scratch, '.hpc/stdout'), 'utf8')).toBe('first\nsecond\n');
    expect(readFileSync(join(r.scratch, '.hpc/stderr'), 'utf8')).toBe('oops\n');
    expect(existsSync(join(r.scratch, '.hpc/stdout.pipe'))).toBe(false);
  });
});

describe('a step that leaves a process holding its output', () => {
  it('does not keep the wrapper: it ends (10 s after the step), with what the step wrote', async () => {
    const shell = SHELLS[0] as string[];
    // A wrapper that waited for the background process would be killed by the harness's hang guard (120 s).
    const pidFile = join(mkdtempSync(join(tmpdir(), 'hpc-bg-')), 'pid');
    const w = startWrapper(shell, {
      HPC_JOB: 'ns/bg',
      HPC_ATTEMPT: '1',
      HPC_SCRIPT: b64('sleep 300 &\necho $! >"$PIDFILE"\necho now'),
      HPC_ENV: words([`PIDFILE=${pidFile}`]),
    });
    const r = await w.done;
    process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    expect([r.code, r.signal, r.stdout]).toEqual([0, null, 'now\n']);
  });
});

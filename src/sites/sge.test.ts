/**
 * The SGE adapter and pilot as real Son of Grid Engine 8.1.9 showed they must behave (see the SGE e2e test,
 * test/e2e/sge.e2e.test.ts): qdel kills a job with SIGKILL unless the job asked for -notify, in which case the
 * whole job gets SIGUSR2 first. A pilot must turn that into a graceful HTCondor shutdown, or its slots stay in
 * the pool for the collector's ad lifetime after the operator cancelled it.
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapterFor, sge, slurm } from './batch.js';
import { pilotScript, type PilotOptions } from './pilot.js';

const request = {
  name: 'hp69d2c775-3',
  walltimeSeconds: 3600,
  nodes: 1,
  cores: 1,
  memoryMiB: 512,
  logDir: 'logs',
};

describe('the SGE adapter', () => {
  it('asks qdel for a warning signal (-notify) and names it', () => {
    expect(sge.directives(request)).toContain('#$ -notify');
    expect(sge.warningSignal).toBe('USR2');
    // The others send SIGTERM themselves: their pilots keep the master in the foreground.
    for (const name of ['slurm', 'pbs', 'torque', 'lsf'])
      expect(adapterFor(name).warningSignal).toBeUndefined();
  });

  it('keeps the directives before the first command, as qsub reads them', () => {
    const script = pilotScript(options(sge, '/nonexistent', '/nonexistent'));
    const lines = script.split('\n');
    const firstCommand = lines.findIndex((l, i) => i > 0 && l !== '' && !l.startsWith('#'));
    expect(lines.slice(0, firstCommand).filter((l) => l.startsWith('#$ '))).toContain('#$ -notify');
  });
});

function options(adapter: typeof sge, sbinDir: string, tokenPath: string): PilotOptions {
  return {
    adapter,
    request,
    virtualCluster: 'ns/demo',
    allocation: 'site1',
    collectorHost: 'cm.example.org:9618',
    trustDomain: 'pool.example.org',
    token: { shared: tokenPath },
    condor: { source: 'path', sbinDir },
    idleShutdownSeconds: 300,
  };
}

/**
 * Runs a pilot script in its own process group with a fake condor_master that, like the real one, shuts
 * down on SIGTERM and exits 99 (and records which signals reached it); sends the process group `signal` once
 * the master runs, as SGE's shepherd does; resolves with how the script ended.
 */
async function runAndSignal(
  adapter: typeof sge,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; master: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'hpcop-sge-pilot-'));
  writeFileSync(join(dir, 'token'), 'x');
  writeFileSync(
    join(dir, 'condor_master'),
    [
      '#!/bin/sh',
      `trap 'echo TERM >> ${dir}/master.out; exit 99' TERM`,
      `echo started >> ${dir}/master.out`,
      'while :; do sleep 0.05; done',
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'condor_master'), 0o755);
  writeFileSync(join(dir, 'p.sh'), pilotScript(options(adapter, dir, join(dir, 'token'))));
  const child = spawn('sh', [join(dir, 'p.sh')], {
    detached: true,
    stdio: 'ignore',
    env: { PATH: '/usr/bin:/bin', TMPDIR: dir, HOME: dir },
  });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  const deadline = Date.now() + 10_000;
  while (!existsSync(join(dir, 'master.out')) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  process.kill(-(child.pid as number), signal);
  const timeout = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 10_000);
  const r = await ended;
  clearTimeout(timeout);
  // The fake master's loop (its sleep) may outlive the script by a moment: stop what is left.
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    // the group is gone already
  }
  return { ...r, master: readFileSync(join(dir, 'master.out'), 'utf8') };
}

describe('an SGE pilot warned by qdel -notify (SIGUSR2 to the whole job)', () => {
  it('shuts its master down with SIGTERM and ends as a normal pilot end (exit 0)', async () => {
    const r = await runAndSignal(sge, 'SIGUSR2');
    expect(r.master).toBe('started\nTERM\n');
    expect(r).toMatchObject({ code: 0, signal: null });
  });

  it('shuts down the same way on SIGTERM to the whole job', async () => {
    const r = await runAndSignal(sge, 'SIGTERM');
    expect(r.master).toMatch(/^started\n(TERM\n)+$/);
    expect(r).toMatchObject({ code: 0, signal: null });
  });

  it('(control) a pilot written for SLURM dies of SIGUSR2 without telling its master', async () => {
    const r = await runAndSignal(slurm, 'SIGUSR2');
    expect(r.master).toBe('started\n');
    expect(r.signal).toBe('SIGUSR2');
  });
});

/** bench/hpcjobs/cpu-share.ts: a phase's CPU by component, and the machine's busy time no component explains. */
import { describe, expect, it } from '@jest/globals';
import { cpuShare, cpuSnapshot, type CpuSnapshot } from '../../bench/hpcjobs/cpu-share.js';

const snap = (at: number, seconds: Record<string, number>, busy: number, total: number): CpuSnapshot => ({
  at,
  seconds,
  busy,
  total,
});

describe('cpuShare', () => {
  it('takes each component over the phase and puts the rest of the busy time in other', () => {
    const a = snap(0, { apiServer: 10, schedd: 1 }, 50, 100);
    const b = snap(10_000, { apiServer: 25, schedd: 3 }, 68, 120);
    const c = cpuShare(a, b);
    expect(c.wallSeconds).toBe(10);
    expect(c.seconds).toEqual({ apiServer: 15, schedd: 2, other: 1 });
    expect(c.busy).toBe(0.9);
  });

  it('reads this process from /proc: the bench client has used some CPU, never less later', () => {
    const a = cpuSnapshot(process.pid);
    // Busy for 50 ms of wall time: /proc/stat counts every core in 10 ms ticks.
    for (const until = Date.now() + 50; Date.now() < until;);
    const b = cpuSnapshot(process.pid);
    expect(b.seconds.benchClient).toBeGreaterThanOrEqual(a.seconds.benchClient as number);
    expect(b.seconds.operator).toBeGreaterThan(0);
    expect(b.total).toBeGreaterThan(a.total);
  });
});

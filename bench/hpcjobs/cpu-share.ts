/**
 * Where the machine's CPU went during a phase of a benchmark, by component: the API server and etcd, the
 * schedd, the operator (its own thread and, apart, the condor_submit / condor_q it ran and waited for), the
 * bench's own client, and everything else; beside it the machine's busy share of its cores. Every part of a
 * run shares the same cores, so a phase whose cores were busy throughout can go no faster than its total CPU
 * over the cores: the table shows which part a floor measured alone leaves out.
 *
 * Read from /proc (utime, stime and the reaped children's cutime, cstime of each process; the `cpu` line of
 * /proc/stat for the machine). A process that started and ended inside the phase and is nobody's waited-for
 * child is counted only in the machine's total ("other").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Components by the executable name (/proc/PID/comm) of their processes. */
const BY_COMM: Readonly<Record<string, string>> = {
  'kube-apiserver': 'apiServer',
  etcd: 'etcd',
  condor_schedd: 'schedd',
};

export interface CpuSnapshot {
  at: number;
  /** CPU seconds per component so far. */
  seconds: Record<string, number>;
  /** The machine's busy and total CPU seconds so far (all cores). */
  busy: number;
  total: number;
}

export interface CpuShare {
  wallSeconds: number;
  cores: number;
  /** Busy share of all cores over the phase (0..1). */
  busy: number;
  /** CPU seconds per component over the phase; `other` is the machine's busy time no component accounts for. */
  seconds: Record<string, number>;
}

let ticksPerSecond: number | undefined;
function ticks(): number {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  return ticksPerSecond;
}

/** utime+stime and cutime+cstime of a process (s), or undefined once it is gone. */
export function processCpu(pid: number): { own: number; children: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // Fields 14-17 of proc(5), counted from 0 after the state field (3): utime 11, stime 12, cutime 13, cstime 14.
    return {
      own: ((f[11] ?? 0) + (f[12] ?? 0)) / ticks(),
      children: ((f[13] ?? 0) + (f[14] ?? 0)) / ticks(),
    };
  } catch {
    return undefined;
  }
}

function commOf(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function machine(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] as string;
  // cpu user nice system idle iowait irq softirq steal ...
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: (total - idle) / ticks(), total: total / ticks() };
}

/** A snapshot now; `operatorPid` and the bench's own process are counted as their own components. */
export function cpuSnapshot(operatorPid: number | undefined): CpuSnapshot {
  const seconds: Record<string, number> = { apiServer: 0, etcd: 0, schedd: 0, operator: 0, operatorTools: 0 };
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const component = BY_COMM[commOf(pid) ?? ''];
    const c = component ? processCpu(Number(pid)) : undefined;
    // A schedd answers queries in forked children it reaps: their CPU is the schedd's.
    if (component && c) seconds[component] = (seconds[component] ?? 0) + c.own + c.children;
  }
  const op = operatorPid === undefined ? undefined : processCpu(operatorPid);
  seconds.operator = op?.own ?? 0;
  seconds.operatorTools = op?.children ?? 0;
  seconds.benchClient = processCpu(process.pid)?.own ?? 0;
  return { at: Date.now(), seconds, ...machine() };
}

/** What the phase from `a` to `b` used. */
export function cpuShare(a: CpuSnapshot, b: CpuSnapshot): CpuShare {
  const seconds: Record<string, number> = {};
  let named = 0;
  for (const [k, v] of Object.entries(b.seconds)) {
    seconds[k] = round(Math.max(0, v - (a.seconds[k] ?? 0)));
    named += seconds[k];
  }
  const busy = b.busy - a.busy;
  seconds.other = round(Math.max(0, busy - named));
  const total = b.total - a.total;
  return {
    wallSeconds: round((b.at - a.at) / 1000),
    cores: cpus().length,
    busy: total > 0 ? round(busy / total) : 0,
    seconds,
  };
}

/** Measures `fn`'s phase. */
export async function measuringCpu<T>(
  operatorPid: number | undefined,
  fn: () => Promise<T>,
): Promise<{ result: T; cpu: CpuShare }> {
  const a = cpuSnapshot(operatorPid);
  const result = await fn();
  return { result, cpu: cpuShare(a, cpuSnapshot(operatorPid)) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

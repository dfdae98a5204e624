/**
 * Maintenance windows of a site, read from its batch system, and what they mean for a pilot about to be
 * submitted. Pure (no I/O): argv to run over SSH and parsers of the tools' documented output.
 *
 * What counts as maintenance, per batch system:
 * - SLURM: reservations with the MAINT flag (`scontrol create reservation ... flags=maint`);
 * - PBS Pro: maintenance reservations (ids starting with `M`, made by `pbs_rsub --hosts`);
 * - LSF: system reservations (`brsvs` type `sys`, made by an administrator with `brsvadd -s`);
 * - SGE: advance reservations owned by root (SGE has no maintenance kind; sites reserve as the manager).
 * Times are read in UTC (`TZ=UTC`, SLURM_TIME_FORMAT=%s), so a site's local time zone cannot shift them.
 */
import { ctimeUtcMs } from './ctime.js';

export interface MaintenanceWindow {
  /** The reservation's name or id, for messages. */
  name: string;
  startMs: number;
  endMs: number;
  /** The partition or queue it is limited to, when it says. */
  queue?: string;
}

export interface MaintenanceReader {
  /** argv printing the site's reservations. */
  readonly list: readonly string[];
  parse(stdout: string, nowMs: number): MaintenanceWindow[];
}

// ---------------------------------------------------------------------------------------------- SLURM

/** `scontrol show reservation -o`: one `Key=Value ...` line per reservation, times as epoch seconds. */
const slurmReader: MaintenanceReader = {
  list: ['env', 'SLURM_TIME_FORMAT=%s', 'scontrol', 'show', 'reservation', '-o'],
  parse(stdout) {
    const windows: MaintenanceWindow[] = [];
    for (const line of stdout.split('\n')) {
      const f = keyValues(line);
      if (!f.ReservationName || !(f.Flags ?? '').split(',').includes('MAINT')) continue;
      const start = Number(f.StartTime);
      const end = Number(f.EndTime);
      if (!Number.isFinite(start) || !Number.isFinite(end)) continue;
      const queue = f.PartitionName && f.PartitionName !== '(null)' ? f.PartitionName : undefined;
      windows.push({ name: f.ReservationName, startMs: start * 1000, endMs: end * 1000, queue });
    }
    return windows;
  },
};

function keyValues(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)=(\S*)/g)) out[m[1] as string] = m[2] as string;
  return out;
}

// -------------------------------------------------------------------------------------------- PBS Pro

/**
 * `pbs_rstat -f`: blocks starting `Resv ID: <id>` with `key = value` lines; reserve_start/_end as ctime
 * ("Thu Dec  3 10:00:00 2026"), in UTC because of TZ=UTC.
 */
const pbsReader: MaintenanceReader = {
  list: ['env', 'TZ=UTC', 'pbs_rstat', '-f'],
  parse(stdout) {
    const windows: MaintenanceWindow[] = [];
    for (const block of stdout.split(/^(?=Resv ID:)/m)) {
      const id = /^Resv ID:\s*(\S+)/.exec(block)?.[1];
      if (!id || !id.startsWith('M')) continue;
      const start = ctimeUtcMs(/reserve_start = (.+)$/m.exec(block)?.[1]);
      const end = ctimeUtcMs(/reserve_end = (.+)$/m.exec(block)?.[1]);
      if (start === undefined || end === undefined) continue;
      // Not its `queue`: every PBS reservation gets a queue of its own, named after it.
      windows.push({ name: id, startMs: start, endMs: end });
    }
    return windows;
  },
};

// ------------------------------------------------------------------------------------------------ LSF

/**
 * `brsvs`: a table `RSVID TYPE USER NCPUS RSV_HOSTS TIME_WINDOW` (more hosts continue on lines of their own).
 * One-time windows are `month/day/hour/minute-month/day/hour/minute` without a year (the next such time);
 * recurring ones end in `*` and are `weekday:hour:minute-...` (weekly) or `hour:minute-...` (daily).
 */
const lsfReader: MaintenanceReader = {
  list: ['env', 'TZ=UTC', 'brsvs'],
  parse(stdout, nowMs) {
    const windows: MaintenanceWindow[] = [];
    for (const line of stdout.split('\n')) {
      const f = line.trim().split(/\s+/);
      const [id, type] = f;
      if (!id || type !== 'sys') continue;
      const recurring = f[f.length - 1] === '*';
      const text = f[f.length - (recurring ? 2 : 1)] ?? '';
      const w = recurring ? recurringWindow(text, nowMs) : oneTimeWindow(text, nowMs);
      if (w) windows.push({ name: id, ...w });
    }
    return windows;
  },
};

type Span = { startMs: number; endMs: number };

function oneTimeWindow(text: string, nowMs: number): Span | undefined {
  const m = /^(\d+)\/(\d+)\/(\d+)\/(\d+)-(\d+)\/(\d+)\/(\d+)\/(\d+)$/.exec(text);
  if (!m) return undefined;
  const n = m.slice(1).map(Number) as [number, number, number, number, number, number, number, number];
  const startMs = nextDate(nowMs, n[0], n[1], n[2], n[3]);
  return { startMs, endMs: Math.max(startMs, nextDate(startMs, n[4], n[5], n[6], n[7])) };
}

/** The first month/day hour:minute (UTC) from a day before `fromMs` on (a window that began today counts). */
function nextDate(fromMs: number, month: number, day: number, hour: number, minute: number): number {
  const year = new Date(fromMs).getUTCFullYear();
  const at = (y: number) => Date.UTC(y, month - 1, day, hour, minute);
  return at(year) >= fromMs - DAY_MS ? at(year) : at(year + 1);
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** The current or next occurrence of a weekly (`d:h:m-d:h:m`) or daily (`h:m-h:m`) window. */
function recurringWindow(text: string, nowMs: number): Span | undefined {
  const parts = text.split('-').map((p) => p.split(':').map(Number));
  const [a, b] = parts;
  if (parts.length !== 2 || !a || !b || a.length !== b.length || a.some(isNaN) || b.some(isNaN))
    return undefined;
  const weekly = a.length === 3;
  if (!weekly && a.length !== 2) return undefined;
  const period = weekly ? WEEK_MS : DAY_MS;
  // Offsets from the start of the period (weeks start on Sunday, as LSF's day 0).
  const offset = (t: number[]) =>
    weekly
      ? ((t[0] as number) * 24 * 60 + (t[1] as number) * 60 + (t[2] as number)) * 60_000
      : ((t[0] as number) * 60 + (t[1] as number)) * 60_000;
  const sunday = Date.UTC(1970, 0, 4); // a Sunday, 00:00 UTC
  const periodStart = nowMs - ((nowMs - sunday) % period);
  const length = (offset(b) - offset(a) + period) % period;
  let startMs = periodStart + offset(a);
  if (startMs + length <= nowMs) startMs += period;
  // One that began in the period before and is still on (a daily 23:00-01:00 at 00:30).
  else if (startMs > nowMs && startMs - period + length > nowMs) startMs -= period;
  return { startMs, endMs: startMs + length };
}

// ------------------------------------------------------------------------------------------------ SGE

/** `qrstat -u '*' -xml`: `<ar_summary>` elements with owner, start_time and end_time (ISO, UTC by TZ=UTC). */
const sgeReader: MaintenanceReader = {
  list: ['env', 'TZ=UTC', 'qrstat', '-u', '*', '-xml'],
  parse(stdout) {
    const windows: MaintenanceWindow[] = [];
    for (const m of stdout.matchAll(/<ar_summary>([\s\S]*?)<\/ar_summary>/g)) {
      const body = m[1] as string;
      const tag = (t: string) => new RegExp(`<${t}>([^<]*)</${t}>`).exec(body)?.[1];
      if (tag('owner') !== 'root') continue;
      const start = Date.parse(`${tag('start_time') ?? ''}Z`);
      const end = Date.parse(`${tag('end_time') ?? ''}Z`);
      if (Number.isNaN(start) || Number.isNaN(end)) continue;
      windows.push({ name: tag('name') || (tag('id') ?? '?'), startMs: start, endMs: end });
    }
    return windows;
  },
};

export function maintenanceReaderFor(batchSystem: string): MaintenanceReader {
  switch (batchSystem) {
    case 'slurm':
      return slurmReader;
    case 'pbs':
    case 'torque':
      return pbsReader;
    case 'lsf':
      return lsfReader;
    case 'sge':
      return sgeReader;
    default:
      throw new Error(`no maintenance reader for batch system ${batchSystem}`);
  }
}

// ------------------------------------------------------------------------------------------- decisions

export type PilotTiming =
  | { kind: 'submit'; walltimeSeconds: number; before?: MaintenanceWindow }
  | { kind: 'wait'; window: MaintenanceWindow; untilMs: number };

/**
 * How long a pilot submitted now may run so that it ends before the next window that applies to its queue:
 * its own walltime if that fits, a shorter one (ending `marginSeconds` before the window) if at least
 * `minimumSeconds` fit, else wait until the window (and any that follow it at once) is over.
 */
export function pilotTiming(
  windows: readonly MaintenanceWindow[],
  p: {
    nowMs: number;
    walltimeSeconds: number;
    minimumSeconds: number;
    marginSeconds: number;
    queue?: string;
  },
): PilotTiming {
  const applies = windows
    .filter((w) => w.endMs > p.nowMs && (!w.queue || !p.queue || w.queue === p.queue))
    .sort((a, b) => a.startMs - b.startMs);
  const next = applies[0];
  if (!next) return { kind: 'submit', walltimeSeconds: p.walltimeSeconds };
  const room = Math.floor((next.startMs - p.nowMs) / 1000) - p.marginSeconds;
  if (room >= p.walltimeSeconds) return { kind: 'submit', walltimeSeconds: p.walltimeSeconds };
  if (room >= p.minimumSeconds) return { kind: 'submit', walltimeSeconds: room, before: next };
  let untilMs = next.endMs;
  for (const w of applies.slice(1)) if (w.startMs <= untilMs) untilMs = Math.max(untilMs, w.endMs);
  return { kind: 'wait', window: next, untilMs };
}

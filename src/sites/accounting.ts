/**
 * What a batch system's accounting says the pilots have used: one record per batch job (its name, cores,
 * GPUs, start, and end once it ended), read with the login user's own rights. Pure: the shell command to run
 * over SSH and the parser of its output. Each command prints sections after marker lines (`#sacct`, `#tz`,
 * ...), because what a site offers differs (SLURM with or without its database) and the running pilots come
 * from the queue, not from accounting.
 */
import { ctimeUtcMs, MONTHS } from './ctime.js';
import { shellQuote } from './shell.js';

export interface UsageRecord {
  /** The batch job's name (our pilots: the pilot name). */
  name: string;
  cpus: number;
  gpus: number;
  startMs: number;
  /** Undefined while it runs. */
  endMs?: number;
}

export interface AccountingReader {
  /** The remote command line (for the site's shell) that prints `user`'s jobs since `sinceMs`. */
  command(user: string, sinceMs: number): string;
  parse(stdout: string): UsageRecord[];
}

/** The output's sections by marker (`#name rest` starts section `name`; `rest` is kept as its first line). */
function sections(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    const m = /^#(\w+)\s*(.*)$/.exec(line);
    if (m) out.set(m[1] as string, (current = m[2] ? [m[2]] : []));
    else if (current && line.trim()) current.push(line);
  }
  return out;
}

const gpusIn = (text: string | undefined) => Number(/gpu(?::[\w.-]+)?[:=](\d+)/.exec(text ?? '')?.[1] ?? 0);

// ---------------------------------------------------------------------------------------------- SLURM

/**
 * `sacct` when the site keeps accounting in slurmdbd; without it, the jobcomp/filetxt file (JobCompLoc,
 * `Key=Value` lines, times in the controller's local time: `#tz` gives its offset). Running pilots from
 * `squeue`. Epoch times through SLURM_TIME_FORMAT=%s.
 */
const slurmReader: AccountingReader = {
  command(user, sinceMs) {
    const u = shellQuote(user);
    const since = Math.floor(sinceMs / 1000);
    return [
      'export SLURM_TIME_FORMAT=%s',
      `if out=$(sacct -X -P -n -u ${u} -S "$(date -d @${since} +%Y-%m-%dT%H:%M:%S)" -o JobName,Start,End,AllocCPUS,AllocTRES 2>/dev/null); then echo '#sacct'; printf '%s\\n' "$out"`,
      "else echo '#jobcomp'; cat \"$(scontrol show config | sed -n 's/^JobCompLoc *= *//p')\" 2>/dev/null; fi",
      'echo "#tz $(date +%z)"',
      `echo '#squeue'; squeue -h -u ${u} -t R -o '%j|%C|%S|%b'`,
    ].join('\n');
  },
  parse(stdout) {
    const s = sections(stdout);
    const offsetMs = tzOffsetMs(s.get('tz')?.[0]);
    const done = s.has('sacct')
      ? parseSacct(s.get('sacct') ?? [])
      : parseJobcomp(s.get('jobcomp') ?? [], offsetMs);
    const running = (s.get('squeue') ?? []).flatMap((line) => {
      const [name, cpus, start, gres] = line.split('|');
      const startMs = Number(start) * 1000;
      return name && Number.isFinite(startMs)
        ? [{ name, cpus: Number(cpus) || 0, gpus: gpusIn(gres), startMs }]
        : [];
    });
    return [...done.filter((r) => r.endMs !== undefined), ...running];
  },
};

function parseSacct(lines: readonly string[]): UsageRecord[] {
  return lines.flatMap((line) => {
    const [name, start, end, cpus, tres] = line.split('|');
    const startMs = Number(start) * 1000;
    if (!name || !Number.isFinite(startMs) || startMs <= 0) return [];
    const endMs = Number(end) * 1000;
    return [
      {
        name,
        cpus: Number(cpus) || 0,
        gpus: gpusIn(tres),
        startMs,
        endMs: Number.isFinite(endMs) ? endMs : undefined,
      },
    ];
  });
}

function parseJobcomp(lines: readonly string[], offsetMs: number): UsageRecord[] {
  return lines.flatMap((line) => {
    const f: Record<string, string> = {};
    for (const m of line.matchAll(/(\w+)=(\S*)/g)) f[m[1] as string] = m[2] as string;
    const startMs = Date.parse(`${f.StartTime ?? ''}Z`) - offsetMs;
    const endMs = Date.parse(`${f.EndTime ?? ''}Z`) - offsetMs;
    if (!f.Name || Number.isNaN(startMs) || Number.isNaN(endMs) || f.NodeList === '(null)') return [];
    return [{ name: f.Name, cpus: Number(f.ProcCnt) || 0, gpus: gpusIn(f.Tres), startMs, endMs }];
  });
}

/** "+0100" -> 3,600,000. */
function tzOffsetMs(text: string | undefined): number {
  const m = /^([+-])(\d{2})(\d{2})$/.exec(text?.trim() ?? '');
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

// ------------------------------------------------------------------------------------------------ SGE

/** `qacct` blocks for finished jobs and `qstat -r -xml` for running ones, both in UTC. */
const sgeReader: AccountingReader = {
  command(user, sinceMs) {
    const u = shellQuote(user);
    const d = new Date(sinceMs);
    const two = (n: number) => String(n).padStart(2, '0');
    const begin = `${d.getUTCFullYear()}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}`;
    return [
      'export TZ=UTC',
      `echo '#qacct'; qacct -o ${u} -j '*' -b ${begin} 2>/dev/null`,
      `echo '#qstat'; qstat -s r -r -u ${u} -xml`,
    ].join('\n');
  },
  parse(stdout) {
    const s = sections(stdout);
    const done = (s.get('qacct') ?? [])
      .join('\n')
      .split(/^=+$/m)
      .flatMap((block) => {
        const field = (k: string) => new RegExp(`^${k}\\s+(.+?)\\s*$`, 'm').exec(block)?.[1];
        const name = field('jobname');
        const startMs = ctimeUtcMs(field('start_time'));
        const endMs = ctimeUtcMs(field('end_time'));
        if (!name || startMs === undefined || endMs === undefined) return [];
        return [{ name, cpus: Number(field('slots')) || 0, gpus: gpusIn(field('category')), startMs, endMs }];
      });
    const running = [
      ...(s.get('qstat') ?? []).join('\n').matchAll(/<job_list[^>]*>([\s\S]*?)<\/job_list>/g),
    ].flatMap((m) => {
      const body = m[1] as string;
      const tag = (t: string) => new RegExp(`<${t}[^>]*>([^<]*)</${t}>`).exec(body)?.[1];
      const name = tag('JB_name');
      const startMs = Date.parse(`${tag('JAT_start_time') ?? ''}Z`);
      if (!name || Number.isNaN(startMs)) return [];
      const gpu = /<hard_request name="gpu"[^>]*>(\d+)</.exec(body)?.[1];
      return [{ name, cpus: Number(tag('slots')) || 0, gpus: Number(gpu ?? 0), startMs }];
    });
    return [...done, ...running];
  },
};

// -------------------------------------------------------------------------------------------- PBS Pro

/** `qstat -x -f -F json` (finished jobs need job history on the server), in UTC. */
const pbsReader: AccountingReader = {
  command(user) {
    return `export TZ=UTC\necho '#qstat'; qstat -x -f -F json -u ${shellQuote(user)}`;
  },
  parse(stdout) {
    const text = (sections(stdout).get('qstat') ?? []).join('\n');
    let jobs: Record<string, Record<string, unknown>> = {};
    try {
      jobs = (JSON.parse(text) as { Jobs?: typeof jobs }).Jobs ?? {};
    } catch {
      return [];
    }
    return Object.values(jobs).flatMap((j) => {
      const list = (j.Resource_List ?? {}) as Record<string, unknown>;
      const used = (j.resources_used ?? {}) as Record<string, unknown>;
      const startMs = ctimeUtcMs(String(j.stime ?? ''));
      if (typeof j.Job_Name !== 'string' || startMs === undefined) return [];
      const ended = j.job_state === 'F';
      const walltime = String(used.walltime ?? '0:0:0')
        .split(':')
        .map(Number);
      const ranMs = ((walltime[0] ?? 0) * 3600 + (walltime[1] ?? 0) * 60 + (walltime[2] ?? 0)) * 1000;
      return [
        {
          name: j.Job_Name,
          cpus: Number(list.ncpus) || 0,
          gpus: Number(list.ngpus) || 0,
          startMs,
          endMs: ended ? startMs + ranMs : undefined,
        },
      ];
    });
  },
};

// ------------------------------------------------------------------------------------------------ LSF

/**
 * `bjobs -a -o` with a delimiter (finished jobs only for as long as mbatchd keeps them: CLEAN_PERIOD, 1 h by
 * default; sites that want budgets over longer periods raise it).
 */
const lsfReader: AccountingReader = {
  command(user) {
    return `export TZ=UTC\necho '#bjobs'; bjobs -a -noheader -u ${shellQuote(user)} -o "job_name nalloc_slot gpu_num start_time finish_time stat delimiter='|'"`;
  },
  parse(stdout) {
    const year = new Date().getUTCFullYear();
    return (sections(stdout).get('bjobs') ?? []).flatMap((line) => {
      const [name, slots, gpus, start, finish, stat] = line.split('|').map((f) => f.trim());
      const startMs = lsfTime(start, year);
      if (!name || startMs === undefined) return [];
      const endMs = stat === 'DONE' || stat === 'EXIT' ? lsfTime(finish, year) : undefined;
      return [{ name, cpus: Number(slots) || 0, gpus: Number(gpus) || 0, startMs, endMs }];
    });
  },
};

/** "Dec  3 10:00" or "Dec  3 10:00 L" (LSF leaves the year out). */
function lsfTime(text: string | undefined, year: number): number | undefined {
  const m = /^(\w{3})\s+(\d{1,2})\s+(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text ?? '');
  const month = MONTHS.indexOf(m?.[1] ?? '');
  if (!m || month < 0) return undefined;
  return Date.UTC(year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0));
}

export function accountingReaderFor(batchSystem: string): AccountingReader {
  switch (batchSystem) {
    case 'slurm':
      return slurmReader;
    case 'pbs':
      return pbsReader;
    case 'lsf':
      return lsfReader;
    case 'sge':
      return sgeReader;
    default:
      // Torque's qstat has no JSON and keeps no history by default.
      throw new Error(
        `allocation budgets are not supported on ${batchSystem}: its accounting cannot be read`,
      );
  }
}

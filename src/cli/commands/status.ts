/** `kubectl hpc status`: HPCJobs, HPCJobSets and VirtualClusters at a glance, once or kept up to date. */
import type { HPCJob } from '../../crds/hpcjob.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import type { VirtualCluster } from '../../crds/virtualcluster.js';
import { UsageError, boolFlag, stringFlag, type FlagSpec } from '../args.js';
import {
  ALL_NAMESPACES,
  COMMON_FLAGS,
  NAMESPACE,
  namespaceOf,
  type CliContext,
  type Command,
} from '../command.js';
import { age, names as objectNames, oneLine, render, table, type OutputFormat } from '../format.js';
import { LiveBlock, sleep, type LiveLine } from '../live.js';
import type { Kube } from '../kube.js';
import { INDEX_FLAG, indexFlag, statusOfIndex } from './set-index.js';
import { hpcJobSetSection } from './sets.js';
import { durationFlag } from './util.js';

const OUTPUT_WIDE: FlagSpec = {
  name: 'output',
  short: 'o',
  type: 'string',
  placeholder: 'json|yaml|wide|name|jsonpath=TEMPLATE',
  choices: ['json', 'yaml', 'wide', 'name', 'jsonpath='],
  help: 'json, yaml or jsonpath=TEMPLATE: the objects as a List; name: kind.group/name; wide: also schedd, allocations and messages.',
};

interface Row {
  key: string;
  cells: string[];
}

interface Section {
  header: string[];
  rows: Row[];
  /** Index of the AGE column: it ticks, so it does not count as a change when watching. */
  ageColumn: number;
}

export function hpcJobSection(
  jobs: HPCJob[],
  o: { allNamespaces: boolean; wide: boolean; now: number },
): Section {
  const header = ['HPCJOB', 'PHASE', 'ATTEMPTS', 'JOB', 'VIRTUALCLUSTER', 'AGE'];
  if (o.wide) header.push('SCHEDD', 'MESSAGE');
  if (o.allNamespaces) header.unshift('NAMESPACE');
  const rows = jobs.map((j) => {
    const s = j.status ?? {};
    const cells = [
      j.metadata.name,
      s.phase ?? '',
      s.attempt ? String(s.attempt) : '',
      s.jobId ?? '',
      j.spec.virtualClusterRef?.name ?? s.virtualCluster ?? '',
      age(j.metadata.creationTimestamp, o.now),
    ];
    if (o.wide) cells.push(s.schedd ?? '', oneLine(s.message, 70));
    if (o.allNamespaces) cells.unshift(j.metadata.namespace);
    return { key: `hpcjob/${j.metadata.namespace}/${j.metadata.name}`, cells };
  });
  return { header, rows, ageColumn: o.allNamespaces ? 6 : 5 };
}

export function virtualClusterSection(
  vcs: VirtualCluster[],
  o: { allNamespaces: boolean; wide: boolean; now: number },
): Section {
  const header = [
    'VIRTUALCLUSTER',
    'PHASE',
    'REQUESTED',
    'QUEUED',
    'RUNNING',
    'IDLE',
    'BUSY',
    'ERROR',
    'AGE',
  ];
  // Only when some allocation has a budget: most tables stay as they were.
  const budgets = vcs.some((vc) => (vc.status?.allocations ?? []).some((a) => a.budget));
  if (budgets) header.splice(header.length - 1, 0, 'BUDGET');
  if (o.wide) header.push('ALLOCATIONS', 'MESSAGE');
  if (o.allNamespaces) header.unshift('NAMESPACE');
  const n = (v: number | undefined) => String(v ?? 0);
  const rows = vcs.map((vc) => {
    const w = vc.status?.workers ?? {};
    const cells = [
      vc.metadata.name,
      vc.status?.phase ?? '',
      n(w.requested),
      n(w.queued),
      n(w.running),
      n(w.idle),
      n(w.busy),
      n(w.error),
      ...(budgets ? [budgetCell(vc)] : []),
      age(vc.metadata.creationTimestamp, o.now),
    ];
    if (o.wide) {
      // Per allocation: name=running/requested, the split a site admin asks about first.
      const allocs = (vc.status?.allocations ?? []).map(
        (a) => `${a.name}=${a.running ?? 0}/${a.requested ?? 0}`,
      );
      cells.push(allocs.join(','), oneLine(vc.status?.message, 70));
    }
    if (o.allNamespaces) cells.unshift(vc.metadata.namespace);
    return { key: `virtualcluster/${vc.metadata.namespace}/${vc.metadata.name}`, cells };
  });
  return { header, rows, ageColumn: header.indexOf('AGE') };
}

/** Used of budget this period, over the allocations that have one: `12.5/100 core-h` (and GPU-hours). */
export function budgetCell(vc: VirtualCluster): string {
  const all = (vc.status?.allocations ?? []).flatMap((a) => (a.budget ? [a.budget] : []));
  const sum = (f: (b: (typeof all)[number]) => number | string | undefined) =>
    all.reduce((t, b) => t + Number(f(b) ?? 0), 0);
  const round = (x: number) => String(Math.round(x * 10) / 10);
  const parts: string[] = [];
  if (all.some((b) => b.coreHours !== undefined))
    parts.push(`${round(sum((b) => b.coreHoursUsed))}/${sum((b) => b.coreHours)} core-h`);
  if (all.some((b) => b.gpuHours !== undefined))
    parts.push(`${round(sum((b) => b.gpuHoursUsed))}/${sum((b) => b.gpuHours)} GPU-h`);
  return parts.join(' ') || '-';
}

/** Both tables as lines, a blank line between them; a section without rows is left out. */
export function statusLines(sections: Section[]): LiveLine[] {
  const lines: LiveLine[] = [];
  sections
    .filter((s) => s.rows.length > 0)
    .forEach((s, i) => {
      if (i > 0) lines.push({ key: `gap${i}`, text: '' });
      const text = table(
        s.header,
        s.rows.map((r) => r.cells),
      )
        .trimEnd()
        .split('\n');
      lines.push({ key: `header${i}`, text: text[0] as string, signature: s.header.join(' ') });
      s.rows.forEach((r, k) => {
        const signature = r.cells.filter((_, c) => c !== s.ageColumn).join('\t');
        lines.push({ key: r.key, text: text[k + 1] as string, signature });
      });
    });
  return lines;
}

export const status: Command = {
  name: 'status',
  summary: 'Show HPCJobs, HPCJobSets and VirtualClusters: phase, attempts or index counts, workers, age.',
  usage: [
    'status [NAME...] [-n NS | -A] [-w] [-o json|yaml|wide]',
    'status hpcjobset/NAME --index N [-n NS] [-o json|yaml]',
  ],
  details: `NAMEs limit the tables to those HPCJobs, HPCJobSets and VirtualClusters.
hpcjobset/NAME --index N: that index's state (from the set's status: queued and pending are counts only,
so an index on no list shows the states it may be in), its attempt and its last failed attempt.
--watch redraws the tables in place on a terminal; in a pipe it prints a row again whenever something other
than its age changed.

Examples:
  kubectl hpc status -n analysis
  kubectl hpc status -A --watch
  kubectl hpc status hpcjobset/sweep --index 7`,
  flags: [
    NAMESPACE,
    ALL_NAMESPACES,
    { name: 'watch', short: 'w', type: 'boolean', help: 'Keep the tables up to date until interrupted.' },
    {
      name: 'interval',
      type: 'string',
      placeholder: 'DURATION',
      help: 'How often --watch reads the objects (default 2s).',
    },
    OUTPUT_WIDE,
    INDEX_FLAG,
    ...COMMON_FLAGS,
  ],
  async run(ctx: CliContext): Promise<number> {
    const index = indexFlag(ctx);
    if (index !== undefined) return statusOfIndex(ctx, index);
    const allNamespaces = boolFlag(ctx.args, 'all-namespaces');
    if (allNamespaces && stringFlag(ctx.args, 'namespace')) throw new UsageError('use -n or -A, not both');
    const output = stringFlag(ctx.args, 'output');
    const watch = boolFlag(ctx.args, 'watch');
    const machine = output !== undefined && output !== 'wide';
    if (watch && machine) throw new UsageError('--watch prints tables only');
    const intervalMs = Math.max(200, durationFlag(ctx, 'interval') ?? 2000);
    const ns = allNamespaces ? undefined : namespaceOf(ctx);
    const names = new Set(ctx.args.positionals);
    const kube = ctx.kube();
    const read = () => readAll(kube, ns, names);
    const sections = (f: Found) => {
      const o = { allNamespaces, wide: output === 'wide', now: ctx.now() };
      return [hpcJobSection(f.jobs, o), hpcJobSetSection(f.sets, o), virtualClusterSection(f.vcs, o)];
    };

    const first = await read();
    if (machine) {
      const items = [...first.jobs, ...first.sets, ...first.vcs];
      ctx.out.write(
        output === 'name'
          ? objectNames(items)
          : render({ apiVersion: 'v1', kind: 'List', items }, output as OutputFormat),
      );
      return missing(ctx, names, first) ? 1 : 0;
    }
    const where = ns === undefined ? 'any namespace' : `namespace ${ns}`;
    if (!watch) {
      const lines = statusLines(sections(first));
      if (lines.length === 0) ctx.err.write(`No HPCJobs, HPCJobSets or VirtualClusters in ${where}.\n`);
      else ctx.out.write(lines.map((l) => l.text + '\n').join(''));
      return missing(ctx, names, first) ? 1 : 0;
    }
    // Polling, not a watch: two kinds, reconnects and 410s are more machinery than a terminal view needs,
    // and two list calls every couple of seconds cost the API server next to nothing.
    const live = new LiveBlock(ctx.out);
    let snapshot = first;
    let problem: string | undefined;
    for (;;) {
      const lines = statusLines(sections(snapshot));
      if (lines.length === 0)
        lines.push({ key: 'none', text: `No HPCJobs, HPCJobSets or VirtualClusters in ${where}.` });
      // A watch is left running for hours: an API hiccup is shown under the last tables, not fatal.
      if (problem) lines.push({ key: 'problem', text: `(cannot read them now, retrying: ${problem})` });
      live.render(lines);
      await sleep(intervalMs);
      try {
        snapshot = await read();
        problem = undefined;
      } catch (e) {
        problem = (e as Error).message;
      }
    }
  },
};

/** Every kind the tables show, in one namespace (or all), narrowed to `names` when some are given. */
async function readAll(kube: Kube, ns: string | undefined, names: Set<string>): Promise<Found> {
  const [jobs, sets, vcs] = await Promise.all([
    kube.listHPCJobs(ns),
    kube.listHPCJobSets(ns),
    kube.listVirtualClusters(ns),
  ]);
  const keep = <T extends { metadata: { name: string } }>(xs: T[]) =>
    names.size === 0 ? xs : xs.filter((x) => names.has(x.metadata.name));
  return { jobs: keep(jobs), sets: keep(sets), vcs: keep(vcs) };
}

interface Found {
  jobs: HPCJob[];
  sets: HPCJobSet[];
  vcs: VirtualCluster[];
}

/** Names asked for that exist as no kind: reported like kubectl's NotFound. */
function missing(ctx: CliContext, names: Set<string>, found: Found): boolean {
  const seen = new Set([...found.jobs, ...found.sets, ...found.vcs].map((x) => x.metadata.name));
  const absent = [...names].filter((n) => !seen.has(n));
  for (const n of absent) ctx.err.write(`error: no HPCJob, HPCJobSet or VirtualCluster named ${n}\n`);
  return absent.length > 0;
}

/**
 * What the HPCJob benchmarks share: the stack's API server (keep-alive connections, as the operator uses) and
 * schedd, the operator under test, HPCJob creation, a watch of the phases each HPCJob was seen in, and the
 * small statistics the tables print.
 */
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { PooledKubeConfig } from '../../src/runtime/kube/kubeconfig.js';
import { FINALIZER } from '../../src/controllers/hpcjob/transition.js';
import { HPCJOBS } from '../../test/support/stack/kube.js';
import { OperatorProcess, type OperatorOptions } from '../../test/support/stack/operator.js';
import { kubeConfig, schedd } from '../../test/support/stack/stack.js';
import { processCpu } from './cpu-share.js';
import { chartMemoryLimit, memoryCgroup, type MemoryCgroup } from './memory-limit.js';

// Keep-alive connections, as the operator uses: the floors measure the API server, not TLS handshakes.
export const kc = PooledKubeConfig.from(kubeConfig());
export const co = kc.makeApiClient(k8s.CustomObjectsApi);
export const sd = schedd();
/** A requirement no slot meets: the jobs stay Queued (submission and tracking only). */
export const NEVER = 'TARGET.HPCBenchNeverMatches =?= true';

/**
 * The operator from dist/ (one process), with its own id and namespace (and `extra` flags), in a memory
 * cgroup with the chart's limit (memory-limit.ts says why).
 */
export async function startOperator(ns: string, extra: string[] = []): Promise<OperatorProcess> {
  const limit = chartMemoryLimit();
  const cgroup = memoryCgroup(`hpc-bench-${ns}`, limit);
  console.log(
    cgroup
      ? `  the operator runs with the chart's memory limit, ${limit / 2 ** 20} MiB (${cgroup.procs})`
      : '  no memory cgroup could be made: the operator runs without the memory limit of the chart',
  );
  const op = new LimitedOperator(
    {
      namespace: ns,
      operatorId: ns,
      entry: 'dist',
      extraArgs: ['--workers=16', '--log-level=info', ...extra],
      cgroupProcs: cgroup?.procs,
    },
    cgroup,
  );
  await op.start();
  return op;
}

/** An operator process whose cgroup goes when it stops. */
class LimitedOperator extends OperatorProcess {
  constructor(
    o: OperatorOptions,
    readonly cgroup: MemoryCgroup | undefined,
  ) {
    super(o);
  }

  override async stop(signal?: NodeJS.Signals): Promise<number | null> {
    const code = await super.stop(signal);
    this.cgroup?.remove();
    return code;
  }
}

export async function pool<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

/**
 * Creates HPCJobs `names` with `spec`, 64 at a time; `withFinalizer` puts the operator's finalizer on them at
 * create, as the REANA backend does (the operator then need not add it: one write less per HPCJob).
 */
export async function createHPCJobs(
  ns: string,
  names: string[],
  spec: Record<string, unknown>,
  withFinalizer: boolean,
  created?: { count: number },
): Promise<void> {
  await pool(names, 64, async (name) => {
    await co.createNamespacedCustomObject({
      ...HPCJOBS,
      namespace: ns,
      body: {
        apiVersion: 'hpc.scailfin.io/v1alpha1',
        kind: 'HPCJob',
        metadata: { name, ...(withFinalizer ? { finalizers: [FINALIZER] } : {}) },
        spec,
      },
    });
    if (created) created.count++;
  });
}

/** The names of the HPCJobs in `ns` (one page: the benchmarks stay below 10,000 at a time here). */
export async function listNames(ns: string): Promise<string[]> {
  const list = (await co.listNamespacedCustomObject({ ...HPCJOBS, namespace: ns, limit: 10_000 })) as {
    items: { metadata: { name: string } }[];
  };
  return list.items.map((i) => i.metadata.name);
}

/** Events (events.k8s.io/v1) in `ns` about each of `names`, counted (a series counts once). */
export async function eventsAbout(ns: string, names: string[]): Promise<number> {
  const wanted = new Set(names);
  const list = await kc.makeApiClient(k8s.EventsV1Api).listNamespacedEvent({ namespace: ns });
  return list.items.filter((e) => wanted.has(e.regarding?.name ?? '')).length;
}

export async function deleteHPCJobs(ns: string, names: string[]): Promise<void> {
  await pool(names, 64, (name) => co.deleteNamespacedCustomObject({ ...HPCJOBS, namespace: ns, name }));
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** utime+stime (s) and VmHWM (MiB) of a process. */
export function usage(pid: number): { cpu: number; hwm: number } {
  const cpu = processCpu(pid)?.own ?? 0;
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return { cpu, hwm };
}

/** The API path of the HPCJobs of namespace `ns` (for watches). */
export const hpcjobsPath = (ns: string): string =>
  `/apis/${HPCJOBS.group}/${HPCJOBS.version}/namespaces/${ns}/${HPCJOBS.plural}`;

export interface PhaseWatch {
  /** Per HPCJob, when it was first seen in each phase (ms). */
  seen: Map<string, Map<string, number>>;
  /** Per HPCJob, the MODIFIED events seen: one per write to it (finalizer, status), as the API server saw them. */
  modified: Map<string, number>;
  stop: () => void;
}

/** A watch that records when each HPCJob was first seen in each phase (restarted when the server ends it). */
export function phaseWatch(ns: string): PhaseWatch {
  const seen = new Map<string, Map<string, number>>();
  const modified = new Map<string, number>();
  let abort: AbortController | undefined;
  let stopped = false;
  const start = () => {
    void new k8s.Watch(kc)
      .watch(
        hpcjobsPath(ns),
        { allowWatchBookmarks: true },
        (type: string, obj: { metadata: { name: string }; status?: { phase?: string } }) => {
          if (type === 'MODIFIED')
            modified.set(obj.metadata.name, (modified.get(obj.metadata.name) ?? 0) + 1);
          const phase = obj.status?.phase;
          if (!phase) return;
          let m = seen.get(obj.metadata.name);
          if (!m) seen.set(obj.metadata.name, (m = new Map()));
          if (!m.has(phase)) m.set(phase, Date.now());
        },
        () => {
          if (!stopped) setTimeout(start, 100);
        },
      )
      .then((a) => (abort = a));
  };
  start();
  return {
    seen,
    modified,
    stop: () => {
      stopped = true;
      abort?.abort();
    },
  };
}

/**
 * HPCJob throughput benchmark (make bench): N HPCJobs applied at once on the local stack, against the schedd's
 * own limit, the API server's own cost and the per-job strategy of the peers. Prints a table with ratios and
 * the targets met or missed; not a test.
 *
 *   node --import tsx bench/hpcjobs.ts [N ...]        (default: 100 1000 5000)
 *
 * The jobs never match a slot (requirements false), so they stay Queued: this measures submission and
 * tracking, not the two cores running them. State changes are made en masse with condor_hold / condor_release
 * and the time until each HPCJob shows it is read from a watch.
 */
import * as k8s from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { renderSubmitDescriptions, s } from '../src/condor/submit-description.js';
import { jobIdsOf } from '../src/condor/parse.js';
import { PooledKubeConfig } from '../src/runtime/kube/kubeconfig.js';
import { HPCJOBS, createNamespace, deleteNamespace, installCRDs } from '../test/support/stack/kube.js';
import { OperatorProcess } from '../test/support/stack/operator.js';
import { REPO, kubeConfig, schedd, uniqueName, waitFor } from '../test/support/stack/stack.js';

// Keep-alive connections, as the operator uses: (b) measures the API server, not TLS handshakes.
const kc = PooledKubeConfig.from(kubeConfig());
const co = kc.makeApiClient(k8s.CustomObjectsApi);
const sd = schedd();
const NEVER = 'TARGET.HPCBenchNeverMatches =?= true';
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);

interface Latency {
  hold: number[];
  release: number[];
}

/** job-0 … job-99: the jobs of the 100-job slice, by HPCJobRef (namespace/name). */
const SLICE_CONSTRAINT = 'regexp("/job-[0-9][0-9]?$", HPCJobRef)';
const SLICE = Array.from({ length: 100 }, (_, i) => `job-${i}`);

interface Row {
  n: number;
  createSeconds: number;
  createToSubmittedSeconds: number;
  condorSubmits: number;
  adoptQueries: number;
  trackQueriesPerMinute: number;
  historyPerMinute: number;
  /** A slice of 100 jobs changed while all N are tracked, and every job changed at once. */
  latency: { slice: Latency; all: Latency };
  cpuSeconds: number;
  peakRssMiB: number;
  /** V8 heap in use and reserved, and memory outside it (buffers), at the end of the run (MiB). */
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  writesPerJob: number;
  scheddOwnSeconds: number;
  apiWritesSeconds: number;
  perJob?: { submitSeconds: number; pollRoundSeconds: number; calls: number };
}

async function pool<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(size, items.length) }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** utime+stime (s) and VmHWM (MiB) of a process. */
function usage(pid: number): { cpu: number; hwm: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  const cpu = (Number(fields[11]) + Number(fields[12])) / ticks;
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  return { cpu, hwm };
}

/** A watch that records when each HPCJob was last seen in each phase. */
function phaseWatch(ns: string): { seen: Map<string, Map<string, number>>; stop: () => void } {
  const seen = new Map<string, Map<string, number>>();
  let abort: AbortController | undefined;
  let stopped = false;
  const start = () => {
    void new k8s.Watch(kc)
      .watch(
        `/apis/${HPCJOBS.group}/${HPCJOBS.version}/namespaces/${ns}/${HPCJOBS.plural}`,
        { allowWatchBookmarks: true },
        (_type: string, obj: { metadata: { name: string }; status?: { phase?: string } }) => {
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
    stop: () => {
      stopped = true;
      abort?.abort();
    },
  };
}

async function scheddOwnLimit(n: number, ns: string): Promise<number> {
  const tag = `${ns}-own`;
  const jobs = Array.from({ length: n }, (_, i) => ({
    commands: {
      executable: s.string(`${REPO}/wrapper/hpc-wrapper.sh`),
      requirements: s.expr({ expr: NEVER }),
      environment: s.env({ HPC_ARGV: Buffer.from('true').toString('base64'), HPC_JOB: `${ns}/own-${i}` }),
      should_transfer_files: s.string('YES'),
    },
    attributes: { HPCBenchTag: tag, HPCIndex: i },
  }));
  const [batch] = renderSubmitDescriptions(jobs);
  const t = Date.now();
  const ranges = await sd.submit(batch!.description);
  const seconds = (Date.now() - t) / 1000;
  if (jobIdsOf(ranges).length !== n) throw new Error('schedd limit run submitted the wrong number of jobs');
  await sd.act('condor_rm', `HPCBenchTag == "${tag}"`);
  return seconds;
}

/** The peers' way: one condor_submit per job, then one condor_q per job per poll (one round timed). */
async function perJobStrategy(
  n: number,
  ns: string,
): Promise<{ submitSeconds: number; pollRoundSeconds: number; calls: number }> {
  const tag = `${ns}-perjob`;
  const ids: string[] = [];
  let t = Date.now();
  for (let i = 0; i < n; i++) {
    const [b] = renderSubmitDescriptions([
      {
        commands: {
          executable: s.string('/bin/true'),
          requirements: s.expr({ expr: NEVER }),
          should_transfer_files: s.string('YES'),
        },
        attributes: { HPCBenchTag: tag },
      },
    ]);
    ids.push(...jobIdsOf(await sd.submit(b!.description)));
  }
  const submitSeconds = (Date.now() - t) / 1000;
  t = Date.now();
  for (const id of ids) {
    const [c, p] = id.split('.');
    await sd.query(`ClusterId == ${c} && ProcId == ${p}`, ['JobStatus']);
  }
  const pollRoundSeconds = (Date.now() - t) / 1000;
  await sd.act('condor_rm', `HPCBenchTag == "${tag}"`);
  return { submitSeconds, pollRoundSeconds, calls: 2 * n };
}

async function run(n: number): Promise<Row> {
  const ns = uniqueName(`bench-${n}`);
  await createNamespace(kc, ns);
  const op = new OperatorProcess({
    namespace: ns,
    operatorId: ns,
    entry: 'dist',
    extraArgs: ['--workers=16', '--log-level=info'],
  });
  await op.start();
  const watch = phaseWatch(ns);
  const names = Array.from({ length: n }, (_, i) => `job-${i}`);
  try {
    const t0 = Date.now();
    await pool(names, 64, (name) =>
      co.createNamespacedCustomObject({
        ...HPCJOBS,
        namespace: ns,
        body: {
          apiVersion: 'hpc.scailfin.io/v1alpha1',
          kind: 'HPCJob',
          metadata: { name },
          // A hold by hand (code 1) is reported and left alone for an hour: the bench releases it itself.
          spec: {
            command: ['/bin/true'],
            requirements: NEVER,
            retryPolicy: { backoff: { initial: '1h' }, rules: [{ onHoldCodes: [1], action: 'release' }] },
          },
        },
      }),
    );
    const createSeconds = (Date.now() - t0) / 1000;
    await waitFor(
      `${n} HPCJobs Queued`,
      () => names.every((x) => watch.seen.get(x)?.has('Queued')),
      1_800_000,
      500,
    );
    const submittedAt = Math.max(
      ...names.map((x) => watch.seen.get(x)?.get('Submitted') ?? watch.seen.get(x)?.get('Queued') ?? 0),
    );
    const createToSubmittedSeconds = (submittedAt - t0) / 1000;

    // Steady tracking cost: condor calls over a quiet minute, with N jobs tracked.
    const m1 = await op.metrics();
    await new Promise((r) => setTimeout(r, 60_000));
    const m2 = await op.metrics();
    const delta = async (labels: Record<string, string>) =>
      (await op.metric('hpc_condor_command_duration_seconds_count', labels, m2)) -
      (await op.metric('hpc_condor_command_duration_seconds_count', labels, m1));
    const trackQueriesPerMinute = await delta({ command: 'condor_q', purpose: 'track' });
    const historyPerMinute = await delta({ command: 'condor_history' });

    // Status latency, from the moment HTCondor had changed the jobs (the command returned) to the CR showing
    // it: a slice of 100 jobs with all N tracked (what a user sees when a few jobs change), then all N at once
    // (bounded by the API server's write rate, compared with (b)).
    const changeStates = async (subset: string[], constraint: string): Promise<Latency> => {
      const latency: Latency = { hold: [], release: [] };
      for (const [action, phase, key] of [
        ['condor_hold', 'Held', 'hold'],
        ['condor_release', 'Queued', 'release'],
      ] as const) {
        for (const x of subset) watch.seen.get(x)?.delete(phase);
        await sd.act(action, constraint, action === 'condor_hold' ? 'benchmark' : undefined);
        const done = Date.now();
        await waitFor(
          `${subset.length} HPCJobs ${phase}`,
          () => subset.every((x) => watch.seen.get(x)?.has(phase)),
          600_000,
          100,
        );
        for (const x of subset)
          latency[key].push(Math.max(0, (watch.seen.get(x)?.get(phase) as number) - done) / 1000);
      }
      return latency;
    };
    const ours = `HPCOperator == "${ns}"`;
    const slice = await changeStates(
      SLICE.filter((x) => names.includes(x)),
      `${ours} && ${SLICE_CONSTRAINT}`,
    );
    const all = await changeStates(names, ours);
    const latency = { slice, all };
    const { cpu, hwm } = usage(op.pid as number);
    const m3 = await op.metrics();
    const writes = await op.metric('hpc_kube_writes_total', {}, m3);
    const condorSubmits = await op.metric(
      'hpc_condor_command_duration_seconds_count',
      { command: 'condor_submit' },
      m3,
    );
    const adoptQueries = await op.metric(
      'hpc_condor_command_duration_seconds_count',
      { command: 'condor_q', purpose: 'adopt' },
      m3,
    );

    // (b) the API server's own cost for N status writes at the same concurrency as the operator's workers.
    const tb = Date.now();
    await pool(names, 16, (name) =>
      co.patchNamespacedCustomObjectStatus(
        { ...HPCJOBS, namespace: ns, name, body: { status: { message: 'benchmark write' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    const apiWritesSeconds = (Date.now() - tb) / 1000;

    // Clean up through the operator (finalizers remove the jobs), then measure the schedd's own limit.
    await pool(names, 64, (name) => co.deleteNamespacedCustomObject({ ...HPCJOBS, namespace: ns, name }));
    await waitFor(
      'the queue to be empty of the benchmark',
      async () => (await sd.query(`HPCOperator == "${ns}"`, ['JobStatus'])).length === 0,
      600_000,
      1000,
    );
    const scheddOwnSeconds = await scheddOwnLimit(n, ns);
    const perJob = n <= 1000 ? await perJobStrategy(n, ns) : undefined;
    return {
      n,
      createSeconds,
      createToSubmittedSeconds,
      condorSubmits,
      adoptQueries,
      trackQueriesPerMinute,
      historyPerMinute,
      latency,
      cpuSeconds: cpu,
      peakRssMiB: hwm,
      heapUsedMiB: (await op.metric('nodejs_heap_size_used_bytes', {}, m3)) / 2 ** 20,
      heapTotalMiB: (await op.metric('nodejs_heap_size_total_bytes', {}, m3)) / 2 ** 20,
      externalMiB: (await op.metric('nodejs_external_memory_bytes', {}, m3)) / 2 ** 20,
      writesPerJob: writes / n,
      scheddOwnSeconds,
      apiWritesSeconds,
      ...(perJob ? { perJob } : {}),
    };
  } finally {
    watch.stop();
    await op.stop();
    await deleteNamespace(kc, ns);
  }
}

function report(rows: Row[]): void {
  const f = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  console.log('\nHPCJobs applied at once (jobs never match: submission and tracking only)\n');
  const head = [
    'N',
    'create',
    'create→Submitted',
    '(a) schedd own',
    '(b) API writes',
    'condor_submit',
    'condor_q/min',
    'history/min',
    '100 of N: hold p50/p95/p99',
    'release p50/p95/p99',
    'all N: hold p50/p99/max',
    'release p50/p99/max',
    'CPU s',
    'peak RSS MiB',
    'writes/job',
  ];
  console.log(head.join(' | '));
  for (const r of rows) {
    const lat = (xs: number[]) =>
      `${f(percentile(xs, 50))}/${f(percentile(xs, 95))}/${f(percentile(xs, 99))} s`;
    const latMax = (xs: number[]) =>
      `${f(percentile(xs, 50))}/${f(percentile(xs, 99))}/${f(percentile(xs, 100))} s`;
    console.log(
      [
        r.n,
        `${f(r.createSeconds)} s`,
        `${f(r.createToSubmittedSeconds)} s`,
        `${f(r.scheddOwnSeconds, 2)} s`,
        `${f(r.apiWritesSeconds)} s`,
        `${r.condorSubmits} (+${r.adoptQueries} adopt checks)`,
        f(r.trackQueriesPerMinute, 0),
        f(r.historyPerMinute, 0),
        lat(r.latency.slice.hold),
        lat(r.latency.slice.release),
        latMax(r.latency.all.hold),
        latMax(r.latency.all.release),
        f(r.cpuSeconds),
        `${f(r.peakRssMiB, 0)} (heap ${f(r.heapUsedMiB, 0)}/${f(r.heapTotalMiB, 0)}, ext ${f(r.externalMiB, 0)})`,
        f(r.writesPerJob, 1),
      ].join(' | '),
    );
  }
  console.log(
    '\nThe per-job strategy (one condor_submit and one condor_q per job per poll, polled every 5 s)\n',
  );
  for (const r of rows) {
    if (!r.perJob) continue;
    const oursFirstMinute = r.condorSubmits + r.adoptQueries + r.trackQueriesPerMinute + r.historyPerMinute;
    const theirsFirstMinute = r.n + r.n * 12;
    console.log(
      `N=${r.n}: per-job submit ${f(r.perJob.submitSeconds)} s (${r.n} calls), one poll round ${f(r.perJob.pollRoundSeconds)} s (${r.n} calls);` +
        ` condor calls in the first minute: ours ${oursFirstMinute}, per-job ${theirsFirstMinute} (${f(theirsFirstMinute / oursFirstMinute, 0)}x fewer)`,
    );
  }
  console.log('\nTargets');
  const at = (n: number) => rows.find((r) => r.n === n);
  const t1000 = at(1000);
  const t5000 = at(5000);
  const check = (name: string, ok: boolean | undefined, detail: string) =>
    console.log(`  ${ok === undefined ? 'not run' : ok ? 'met    ' : 'MISSED '} ${name}: ${detail}`);
  check(
    'N=1,000 all Submitted within 2x (schedd own + API writes)',
    t1000 && t1000.createToSubmittedSeconds <= 2 * (t1000.scheddOwnSeconds + t1000.apiWritesSeconds),
    t1000
      ? `${f(t1000.createToSubmittedSeconds)} s vs 2 x (${f(t1000.scheddOwnSeconds, 2)} + ${f(t1000.apiWritesSeconds)}) = ${f(2 * (t1000.scheddOwnSeconds + t1000.apiWritesSeconds))} s`
      : '',
  );
  if (t1000?.perJob) {
    const ours =
      t1000.condorSubmits + t1000.adoptQueries + t1000.trackQueriesPerMinute + t1000.historyPerMinute;
    const theirs = t1000.n * 13;
    check(
      'at least 20x fewer condor calls than the per-job strategy (N=1,000, first minute)',
      theirs / ours >= 20,
      `${f(theirs / ours, 0)}x`,
    );
  }
  check(
    'status latency p99 <= 3 s with 5,000 jobs tracked',
    t5000 &&
      Math.max(percentile(t5000.latency.slice.hold, 99), percentile(t5000.latency.slice.release, 99)) <= 3,
    t5000
      ? `100 jobs changed: hold ${f(percentile(t5000.latency.slice.hold, 99))} s, release ${f(percentile(t5000.latency.slice.release, 99))} s`
      : '',
  );
  for (const r of rows) {
    // Every job changed at once needs N status writes: the last one cannot land before (b) allows.
    const last = Math.max(percentile(r.latency.all.hold, 100), percentile(r.latency.all.release, 100));
    console.log(
      `  info    N=${r.n}, all jobs changed at once: last CR updated after ${f(last)} s; the API server alone takes ${f(r.apiWritesSeconds)} s for ${r.n} writes (${f(last / r.apiWritesSeconds, 2)}x)`,
    );
  }
  check(
    'operator peak RSS <= 300 MB at 5,000 HPCJobs',
    t5000 && t5000.peakRssMiB * 1.048576 <= 300,
    t5000 ? `${f(t5000.peakRssMiB * 1.048576, 0)} MB` : '',
  );
  const perMinute = rows.map((r) => r.trackQueriesPerMinute);
  check(
    'condor calls per minute independent of N',
    // One size alone says nothing about N.
    perMinute.length > 1 ? Math.max(...perMinute) - Math.min(...perMinute) <= 5 : undefined,
    rows.map((r) => `N=${r.n}: ${f(r.trackQueriesPerMinute, 0)}/min`).join(', '),
  );
}

async function main(): Promise<void> {
  await installCRDs(kc);
  const rows: Row[] = [];
  for (const n of sizes.length ? sizes : [100, 1000, 5000]) {
    console.log(`running N=${n} ...`);
    rows.push(await run(n));
    report(rows);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

/**
 * One phase of the walltime bench on the local stack's SLURM site: its own namespace and operator, a
 * VirtualCluster of short one-core pilots, a queue of steps that each take most of a pilot's lifetime, a fixed
 * window, then what the HPCJobs and their HTCondor jobs show. "on": the steps declare resources.walltime (each
 * carries HPCWalltimeNeeded and starts only on a pilot that outlives it); "off": the same steps without it and a
 * VirtualCluster without steps.defaultWalltime (they start on any pilot, and its end may cut them short).
 * Everything it made is deleted through the operator, whose finalizers remove the jobs and cancel the pilots.
 */
import * as k8s from '@kubernetes/client-node';
import type { VirtualCluster } from '../../src/crds/virtualcluster.js';
import { STEP_DEFAULTS } from '../../src/crds/virtualcluster-steps.js';
import { createHPCJob, createNamespace, deleteNamespace, HPCJOBS } from '../../test/support/stack/kube.js';
import { OperatorProcess } from '../../test/support/stack/operator.js';
import { kubeConfig, schedd, uniqueName } from '../../test/support/stack/stack.js';
import {
  createSiteSecrets,
  deleteTestObjects,
  FAST_PILOT_ARGS,
  slurmSpec,
  VIRTUALCLUSTERS,
} from '../../test/e2e/helpers/site.js';
import { stepWalltimeSeconds, WALLTIME_MARGIN_SECONDS, type Mode, type Params } from './params.js';
import { AD_ATTRIBUTES, mergeAds, tally, type PhaseResult, type StepObject } from './tally.js';

const VC_NAME = 'bench';

/** Pilots of `pilotMinutes` that autoscaling cannot lengthen (maxWalltime = walltime), at most `pilots`. */
export function vcSpec(p: Params, mode: Mode) {
  const s = slurmSpec(0, { workers: { autoscale: 'QueuedJobs', min: 0, max: p.pilots } });
  const walltime = `${p.pilotMinutes}m`;
  Object.assign(s.allocations[0] as Record<string, unknown>, { walltime, maxWalltime: walltime });
  return mode === 'on' ? { ...s, steps: { walltimeMargin: `${WALLTIME_MARGIN_SECONDS}s` } } : s;
}

export function stepSpec(p: Params, mode: Mode) {
  const walltime = mode === 'on' ? { walltime: `${stepWalltimeSeconds(p)}s` } : {};
  return {
    virtualClusterRef: { name: VC_NAME },
    command: ['/bin/sleep', String(p.stepSeconds)],
    resources: { memory: '128Mi', ...walltime },
  };
}

/** Runs one phase and returns what it achieved in the window; `abort` cuts the window short (Ctrl-C). */
export async function runPhase(p: Params, mode: Mode, abort: AbortSignal): Promise<PhaseResult> {
  const kc = kubeConfig();
  const co = kc.makeApiClient(k8s.CustomObjectsApi);
  const ns = uniqueName(`bench-wall-${mode}`);
  await createNamespace(kc, ns);
  const op = new OperatorProcess({
    namespace: ns,
    operatorId: ns,
    extraArgs: [...FAST_PILOT_ARGS, '--log-level=info'],
  });
  try {
    await createSiteSecrets(kc, ns);
    await op.start();
    console.log(`[${mode}] namespace ${ns}, operator log ${op.logFile}`);
    const t0 = await createVirtualCluster(co, ns, p, mode);
    const names = Array.from({ length: p.steps }, (_, i) => `step-${String(i).padStart(2, '0')}`);
    for (const name of names) await createHPCJob(kc, ns, name, stepSpec(p, mode));
    await watchWindow(co, ns, mode, t0 + 60_000 * p.minutes, abort);
    return await snapshot(co, ns);
  } finally {
    // While the operator still runs: its finalizers remove the jobs and cancel the pilots on the shared site.
    await deleteTestObjects(co, ns).catch((e: unknown) => console.error(`[${mode}] cleanup: ${String(e)}`));
    await op.stop();
    await deleteNamespace(kc, ns);
  }
}

/** Creates the VirtualCluster and checks that the API server kept what the phase depends on; its start (ms). */
async function createVirtualCluster(
  co: k8s.CustomObjectsApi,
  ns: string,
  p: Params,
  mode: Mode,
): Promise<number> {
  const vc = (await co.createNamespacedCustomObject({
    ...VIRTUALCLUSTERS,
    namespace: ns,
    body: {
      apiVersion: 'hpc.scailfin.io/v1alpha1',
      kind: 'VirtualCluster',
      metadata: { name: VC_NAME },
      spec: vcSpec(p, mode),
    },
  })) as VirtualCluster;
  // A CRD from an older checkout would drop these fields (main keeps this checkout's CRDs installed).
  const kept = [vc.spec.allocations?.[0]?.maxWalltime, vc.spec.steps?.walltimeMargin];
  const want = [
    `${p.pilotMinutes}m`,
    mode === 'on' ? `${WALLTIME_MARGIN_SECONDS}s` : STEP_DEFAULTS.walltimeMargin,
  ];
  if (kept.join() !== want.join())
    throw new Error(`the stored VirtualCluster has ${kept.join(', ')}, not ${want.join(', ')}`);
  if (vc.spec.steps?.defaultWalltime !== undefined)
    throw new Error('the VirtualCluster has a defaultWalltime');
  return Date.now();
}

const listSteps = async (co: k8s.CustomObjectsApi, ns: string) =>
  ((await co.listNamespacedCustomObject({ ...HPCJOBS, namespace: ns })) as { items: StepObject[] }).items;

const getVC = (co: k8s.CustomObjectsApi, ns: string) =>
  co.getNamespacedCustomObject({
    ...VIRTUALCLUSTERS,
    namespace: ns,
    name: VC_NAME,
  }) as Promise<VirtualCluster>;

/** Pilots submitted so far: the allocation's next pilot sequence number. */
const pilotsSubmitted = async (co: k8s.CustomObjectsApi, ns: string) =>
  (await getVC(co, ns)).status?.allocations?.[0]?.nextSequence ?? 0;

/** Waits until `end`, printing the steps' phases and the pilots each minute; returns early on `abort`. */
async function watchWindow(
  co: k8s.CustomObjectsApi,
  ns: string,
  mode: Mode,
  end: number,
  abort: AbortSignal,
): Promise<void> {
  const start = Date.now();
  while (Date.now() < end && !abort.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(60_000, end - Date.now()));
      abort.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    const phases: Record<string, number> = {};
    for (const s of await listSteps(co, ns))
      phases[s.status?.phase ?? '-'] = (phases[s.status?.phase ?? '-'] ?? 0) + 1;
    const a = (await getVC(co, ns)).status?.allocations?.[0];
    console.log(
      `[${mode}] ${Math.round((Date.now() - start) / 1000)} s: steps ${JSON.stringify(phases)}; ` +
        `pilots submitted ${a?.nextSequence ?? 0}, queued ${a?.queued ?? 0}, running ${a?.running ?? 0}, ` +
        `busy ${a?.busy ?? 0}, failed ${a?.error ?? 0}${a?.message ? ` (${a.message})` : ''}`,
    );
  }
}

/** The HPCJobs, their HTCondor jobs (queue and history) and the pilots, read at the end of the window. */
async function snapshot(co: k8s.CustomObjectsApi, ns: string): Promise<PhaseResult> {
  const sd = schedd();
  const constraint = `HPCOperator == "${ns}"`;
  const [steps, queue, history, pilots] = await Promise.all([
    listSteps(co, ns),
    sd.query(constraint, AD_ATTRIBUTES),
    sd.history(constraint, AD_ATTRIBUTES),
    pilotsSubmitted(co, ns),
  ]);
  return tally(steps, mergeAds(queue, history), pilots);
}

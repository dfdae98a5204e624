/**
 * TEMPORARY bridge while the VirtualCluster controller moves to a pure transition on ports: wires the
 * current VirtualClusterReconciler on the real process's manager. Removed when that lands.
 */
import type * as k8s from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CondorCli } from './condor/cli.js';
import type { OperatorConfig } from './config.js';
import { VirtualClusterReconciler } from './controllers/virtualcluster/reconciler.js';
import { GROUP, VERSION } from './crds/common.js';
import { VIRTUALCLUSTER_PLURAL } from './crds/virtualcluster.js';
import type { Operator } from './operator.js';
import { Controller } from './runtime/controller.js';
import { EventRecorder } from './runtime/events.js';
import { objectKey } from './runtime/informer.js';
import { KubeEventSink } from './runtime/kube/events.js';
import { KubeObjectWriter } from './runtime/kube/objects.js';
import type { Secrets } from './runtime/kube-api.js';
import type { Manager } from './runtime/manager.js';

export function setupLegacyVirtualClusters(
  mgr: Manager,
  op: Omit<Operator, 'start' | 'stop' | 'memory'>,
  x: { config: OperatorConfig; kc: k8s.KubeConfig; cli: CondorCli; secrets: Secrets; identity: string },
): void {
  const { config, log, metrics } = { ...x, ...op };
  const bundle = config.pilotBundle
    ? {
        path: config.pilotBundle,
        sha256: createHash('sha256').update(readFileSync(config.pilotBundle)).digest('hex').slice(0, 16),
        content: () => readFileSync(config.pilotBundle),
      }
    : undefined;
  const reconciler = new VirtualClusterReconciler({
    log,
    clusters: op.virtualClusters,
    jobs: op.hpcJobs,
    writer: new KubeObjectWriter(
      x.kc,
      { group: GROUP, version: VERSION, plural: VIRTUALCLUSTER_PLURAL },
      metrics,
    ),
    recorder: new EventRecorder(new KubeEventSink(x.kc), {
      controller: 'hpc.scailfin.io/virtualcluster-controller',
      instance: x.identity,
      log,
      metrics,
    }),
    secrets: x.secrets,
    cli: x.cli,
    metrics,
    pilotUpdateIntervalSeconds: config.pilotUpdateIntervalSeconds,
    activePollMs: config.pilotActivePollSeconds * 1000,
    steadyPollMs: config.pilotSteadyPollSeconds * 1000,
    bundle,
  });
  const controller = new Controller({
    name: 'virtualcluster',
    reconcile: (key, ctx) => reconciler.reconcile(key, ctx.log),
    workers: Math.max(1, Math.min(config.workers, 4)),
    log,
    metrics,
  });
  op.hpcJobs.on((_type, obj) => {
    const vc = obj.spec.virtualClusterRef?.name;
    if (vc) controller.queue.add(`${obj.metadata.namespace}/${vc}`);
  });
  op.virtualClusters.on((_type, vc) => controller.queue.add(objectKey(vc)));
  mgr.add(controller);
}

/**
 * The HPCJobSets of a schedule on the scheduler: the user creates them (a template like the simulated
 * HPCJobs', on the operator's default pool), suspends and resumes them, cancels them or some of their
 * indices, deletes them; at the heal their suspensions are lifted, at the clean-up they are deleted.
 */
import { HPCJobSetAnnotations, type HPCJobSet } from '../../../src/crds/hpcjobset.js';
import { workspacePath } from '../builders.js';
import type { World } from '../world.js';
import type { SetAction, SetPlan } from './plan.js';

const API_VERSION = 'hpc.scailfin.io/v1alpha1';

export function hpcJobSet(p: SetPlan): HPCJobSet {
  const size = p.items
    ? { items: Array.from({ length: p.size }, (_, i) => ({ energy: `${i}.5`, label: `point ${i}` })) }
    : { count: p.size };
  return {
    apiVersion: API_VERSION,
    kind: 'HPCJobSet',
    metadata: { name: p.name, namespace: p.ns },
    spec: {
      ...size,
      ...(p.parallelism ? { parallelism: p.parallelism } : {}),
      template: {
        image: 'docker://ghcr.io/example/step:1',
        command: ['python', 'step.py'],
        args: p.items ? ['--energy', '$(HPC_ITEM_energy)'] : ['--index', '$(HPC_INDEX)'],
        containerRuntime: 'auto',
        resources: { cpus: 1, memory: '1Gi' },
        workspace: { path: workspacePath(p.ns, p.name), staging: 'chirp' },
        retryPolicy: {
          limit: p.retryLimit,
          releaseLimit: 2,
          backoff: { initial: '10s', max: '2m', factor: 2 },
        },
      },
    },
  };
}

export function scheduleSets(w: World): void {
  for (const s of w.plan.sets ?? []) w.sched.schedule(s.at, () => w.user.createHPCJobSet(hpcJobSet(s)));
  for (const a of w.plan.setActions ?? []) w.sched.schedule(a.at, () => setAction(w, a));
}

function setAction(w: World, a: SetAction): void {
  switch (a.kind) {
    case 'set-suspend':
    case 'set-unsuspend':
      return w.user.setSuspendSet(a.ns, a.name, a.kind === 'set-suspend');
    case 'set-cancel':
      return w.user.annotateSet(a.ns, a.name, HPCJobSetAnnotations.Cancel, `c${a.at}`);
    case 'set-cancel-indices':
      return w.user.annotateSet(a.ns, a.name, HPCJobSetAnnotations.CancelIndices, a.indices ?? '0');
    case 'set-delete':
      return w.user.delete('hpcjobsets', a.ns, a.name);
  }
}

/** At the heal: suspended sets are resumed. */
export function resumeSets(w: World): void {
  for (const o of w.api.store.list('hpcjobsets'))
    if ((o as HPCJobSet).spec.suspend && !o.metadata.deletionTimestamp)
      w.user.setSuspendSet(o.metadata.namespace ?? '', o.metadata.name, false);
}

/** At the clean-up: every set is deleted. */
export function deleteSets(w: World): void {
  for (const o of w.api.store.list('hpcjobsets'))
    w.user.delete('hpcjobsets', o.metadata.namespace ?? '', o.metadata.name);
}

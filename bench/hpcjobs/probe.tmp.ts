import * as k8s from '@kubernetes/client-node';
import { createNamespace, deleteNamespace, HPCJOBS } from '../../test/support/stack/kube.js';
import { uniqueName, waitFor } from '../../test/support/stack/stack.js';
import { createHPCJobs, kc, startOperator } from './cluster.js';

const ns = uniqueName('probe-w15');
await createNamespace(kc, ns);
const op = await startOperator(ns);
const log: string[] = [];
const done = new Set<string>();
const w = await new k8s.Watch(kc).watch(
  `/apis/${HPCJOBS.group}/${HPCJOBS.version}/namespaces/${ns}/${HPCJOBS.plural}`,
  {},
  (type: string, obj: any) => {
    const s = obj.status ?? {};
    log.push(`${Date.now() % 100000} ${type} ${obj.metadata.name} rv=${obj.metadata.resourceVersion} fin=${(obj.metadata.finalizers ?? []).length} phase=${s.phase} conds=${(s.conditions ?? []).map((c: any) => `${c.type}:${c.reason}`).join(',')} msg=${s.message}`);
    if (s.phase === 'Succeeded') done.add(obj.metadata.name);
  },
  () => undefined,
);
await createHPCJobs(ns, ['a', 'b', 'c'], { command: ['/bin/true'] }, false);
await waitFor('done', () => done.size === 3, 120_000, 200);
await new Promise((r) => setTimeout(r, 5000));
const m = await op.metrics();
for (const [k, v] of m) if (k.startsWith('hpc_hpcjob_api_writes_total') || k.startsWith('hpc_kube_writes')) log.push(`${k} ${v}`);
w.abort();
console.log(log.join('\n'));
console.log('operator log', op.logFile);
await op.stop();
await deleteNamespace(kc, ns);
process.exit(0);

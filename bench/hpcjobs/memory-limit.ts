/**
 * The operator under a benchmark runs with the memory limit the chart gives it: Node sizes its heap from
 * the cgroup's limit (about 560 MB of heap for the chart's 1 GiB), as it does in the pod, and collects
 * garbage sooner than with the host's 24 GiB in view (4.2 GB of heap). Without this a bench measures V8's
 * laziness on a big host, not what the operator costs where it runs. A kernel without memory cgroups runs
 * it unconfined, and the bench says so.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { quantityBytes } from '../../src/util/units.js';
import { REPO } from '../../test/support/stack/stack.js';

export interface MemoryCgroup {
  /** Its cgroup.procs file: a process that writes its pid there joins it. */
  procs: string;
  limitBytes: number;
  remove(): void;
}

/** resources.limits.memory of the chart's values, in bytes. */
export function chartMemoryLimit(): number {
  const values = parse(readFileSync(join(REPO, 'charts/hpc-operator/values.yaml'), 'utf8')) as {
    resources?: { limits?: { memory?: string } };
  };
  const limit = values.resources?.limits?.memory;
  if (!limit) throw new Error('charts/hpc-operator/values.yaml sets no resources.limits.memory');
  return quantityBytes(limit);
}

/** A memory cgroup named `name` limited to `bytes` (cgroup v2, else v1), or undefined where none can be made. */
export function memoryCgroup(name: string, bytes: number): MemoryCgroup | undefined {
  const v2 = '/sys/fs/cgroup';
  const candidates: [string, string][] = [];
  if (controllers(v2).includes('memory')) candidates.push([join(v2, name), 'memory.max']);
  if (existsSync(join(v2, 'memory/memory.limit_in_bytes')))
    candidates.push([join(v2, 'memory', name), 'memory.limit_in_bytes']);
  for (const [dir, limitFile] of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, limitFile), String(bytes));
      const remove = () => rmdirSync(dir);
      return { procs: join(dir, 'cgroup.procs'), limitBytes: bytes, remove };
    } catch {
      continue;
    }
  }
  return undefined;
}

function controllers(root: string): string {
  try {
    return readFileSync(join(root, 'cgroup.controllers'), 'utf8');
  } catch {
    return '';
  }
}

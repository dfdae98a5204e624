/**
 * Files in memory: one store that condor_transfer_data (the schedd model) writes sandboxes into and the
 * operator's AttemptFiles reads and merges from, as the real ones meet in the operator's log directory. The
 * in-memory AttemptFiles follows the real layout: <logDir>/<namespace>/<name>/<attempt>.
 */
import type { AttemptFiles, StagingPlan } from '../../src/controllers/hpcjob/attempt-files.js';
import type { HPCJob } from '../../src/crds/hpcjob.js';

export class FileStore {
  readonly files = new Map<string, string>();

  write(path: string, content: string): void {
    this.files.set(path, content);
  }

  read(path: string): string | undefined {
    return this.files.get(path);
  }

  /** Paths under `dir` (recursively). */
  list(dir: string): string[] {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    return [...this.files.keys()].filter((p) => p.startsWith(prefix)).sort();
  }

  removeUnder(dir: string): number {
    const paths = this.list(dir);
    for (const p of paths) this.files.delete(p);
    return paths.length;
  }
}

/** Where the model puts a merged condor-transfer result of one attempt in the workspace. */
export function mergedResultPath(workspace: string, attempt: number): string {
  return `${workspace}/out-${attempt}.txt`;
}

export class SimAttemptFiles implements AttemptFiles {
  constructor(
    readonly store: FileStore,
    readonly logDir: string,
  ) {}

  dir(job: HPCJob, attempt: number): string {
    return `${this.logDir}/${job.metadata.namespace}/${job.metadata.name}/${attempt}`;
  }

  prepare(job: HPCJob, attempt: number): Promise<StagingPlan> {
    const dir = this.dir(job, attempt);
    this.store.write(`${dir}/.prepared`, '');
    const plan: StagingPlan = { inputFiles: [] };
    if (job.spec.workspace?.staging === 'condor-transfer') {
      plan.inputFiles.push(`${dir}/workspace`);
      plan.transferDir = 'workspace';
    }
    return Promise.resolve(plan);
  }

  submitted(): void {
    // Nothing secret is copied in the model.
  }

  mergeResults(job: HPCJob, attempt: number): boolean {
    const ws = job.spec.workspace;
    if (ws?.staging !== 'condor-transfer') return false;
    const result = this.store.read(`${this.dir(job, attempt)}/hpc-results/result.txt`);
    if (result === undefined) return false;
    this.store.write(mergedResultPath(ws.path, attempt), result);
    return true;
  }

  stderrTail(job: HPCJob, attempt: number): string {
    return (this.store.read(`${this.dir(job, attempt)}/hpc.stderr`) ?? '').split('\n').slice(-20).join('\n');
  }

  removeAll(job: HPCJob): void {
    this.store.removeUnder(`${this.logDir}/${job.metadata.namespace}/${job.metadata.name}`);
  }
}

/**
 * AttemptFiles on the operator's log directory (a volume in its pod): `<log-dir>/<namespace>/<name>/<attempt>/`
 * is each attempt's initialdir, where condor_transfer_data puts its stdout, stderr and condor-transfer
 * results. Secrets are written to 0600 files only for condor_submit to spool, and removed once the job is in
 * the queue.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { HPCJob } from '../../crds/hpcjob.js';
import type { AttemptFiles, StagingPlan, StagingProblem } from './attempt-files.js';
import { STDERR_FILE, attemptLogDir } from './description.js';
import { TICKET_FILE, mergeTransferredResults, planStaging, type SecretSource } from './staging.js';

export interface LogDirFilesOptions {
  logDir: string;
  /** Workspace volumes mounted in the operator (condor-transfer staging). */
  workspaceMounts: { remote: string; local: string }[];
  /** Reads chirp tickets for cctools staging. */
  secrets?: SecretSource;
}

export class LogDirFiles implements AttemptFiles {
  constructor(readonly o: LogDirFilesOptions) {}

  dir(job: HPCJob, attempt: number): string {
    return attemptLogDir(this.o.logDir, job, attempt);
  }

  async prepare(job: HPCJob, attempt: number): Promise<StagingPlan | StagingProblem> {
    const dir = this.dir(job, attempt);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return planStaging(job, dir, this.o.workspaceMounts, this.o.secrets);
  }

  submitted(job: HPCJob, attempt: number): void {
    rmSync(join(this.dir(job, attempt), TICKET_FILE), { force: true });
  }

  mergeResults(job: HPCJob, attempt: number): boolean {
    return mergeTransferredResults(job, this.dir(job, attempt), this.o.workspaceMounts);
  }

  stderrTail(job: HPCJob, attempt: number): string {
    return tailOf(join(this.dir(job, attempt), STDERR_FILE), 2048, 20);
  }

  removeAll(job: HPCJob): void {
    rmSync(join(this.o.logDir, job.metadata.namespace, job.metadata.name), { recursive: true, force: true });
  }
}

/** The last `maxLines` lines of a file, within its last `maxBytes`; '' when it cannot be read. */
export function tailOf(path: string, maxBytes: number, maxLines: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').replace(/\s+$/, '').split('\n');
    return lines.slice(-maxLines).join('\n');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

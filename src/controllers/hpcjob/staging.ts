/**
 * The operator's side of workspace staging: what must travel with the job (a chirp ticket from a Secret, the
 * workspace itself for condor-transfer) and, for condor-transfer, merging the results back into the
 * workspace volume the operator mounts. Secrets are written to 0600 files only for condor_submit to spool,
 * and removed once the job is submitted.
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HPCJobDefaults, type HPCJob } from '../../crds/hpcjob.js';
import { SecretAccessError, type Secrets } from '../../runtime/kube-api.js';
import type { StagingPlan, StagingProblem } from './attempt-files.js';

/** The chirp ticket's file name in an attempt directory (spooled with the job, then removed). */
export const TICKET_FILE = 'hpc-chirp.ticket';

/** Reads one key of a Secret; undefined when the Secret or key does not exist. Never logs the value. */
export type SecretSource = Pick<Secrets, 'read'>;

/** "remote-prefix=local-dir" pairs, comma-separated (--workspace-mount). */
export function parseWorkspaceMounts(spec: string): { remote: string; local: string }[] {
  return spec
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      if (i <= 0) throw new Error(`--workspace-mount ${JSON.stringify(p)} is not remote-prefix=local-dir`);
      return { remote: p.slice(0, i).replace(/\/+$/, ''), local: p.slice(i + 1).replace(/\/+$/, '') };
    });
}

/** The operator's local path of a workspace, through the mounts; undefined when none covers it. */
export function localWorkspace(
  mounts: { remote: string; local: string }[],
  path: string,
): string | undefined {
  for (const m of mounts) {
    if (path === m.remote || path.startsWith(m.remote + '/')) return m.local + path.slice(m.remote.length);
  }
  return undefined;
}

/** Prepares what travels with attempt `attempt` of `job`; its files go into `attemptDir`. */
export async function planStaging(
  job: HPCJob,
  attemptDir: string,
  mounts: { remote: string; local: string }[],
  secrets: SecretSource | undefined,
): Promise<StagingPlan | StagingProblem> {
  const ws = job.spec.workspace;
  const plan: StagingPlan = { inputFiles: [] };
  if (!ws) return plan;
  const staging = ws.staging ?? HPCJobDefaults.staging;
  if (staging === 'cctools' && ws.chirp?.ticketSecretRef) {
    const ref = ws.chirp.ticketSecretRef;
    let ticket: string | undefined;
    try {
      ticket = secrets
        ? await secrets.read(job.metadata.namespace, ref.name, ref.key ?? 'ticket')
        : undefined;
    } catch (e) {
      if (e instanceof SecretAccessError)
        return { reason: 'SecretForbidden', message: e.message, transient: true };
      throw e;
    }
    if (ticket === undefined) {
      return {
        reason: 'SecretNotFound',
        message: `Secret ${ref.name} (key ${ref.key ?? 'ticket'}) for the chirp ticket is missing`,
        transient: true,
      };
    }
    mkdirSync(attemptDir, { recursive: true, mode: 0o700 });
    const file = join(attemptDir, TICKET_FILE);
    writeFileSync(file, ticket, { mode: 0o600 });
    plan.inputFiles.push(file);
  }
  if (staging === 'condor-transfer') {
    const local = localWorkspace(mounts, ws.path);
    if (!local) {
      return {
        reason: 'StagingUnavailable',
        message: `staging condor-transfer needs the workspace ${ws.path} mounted in the operator (--workspace-mount)`,
        transient: false,
      };
    }
    if (!existsSync(local))
      return {
        reason: 'WorkspaceNotFound',
        message: `workspace ${ws.path} (${local}) does not exist`,
        transient: true,
      };
    plan.inputFiles.push(local);
    plan.transferDir = basename(local);
  }
  return plan;
}

/**
 * condor-transfer: copies what the wrapper handed back (hpc-results, fetched into the attempt directory)
 * into the workspace. Idempotent; returns the files copied.
 */
export function mergeTransferredResults(
  job: HPCJob,
  attemptDir: string,
  mounts: { remote: string; local: string }[],
): boolean {
  const ws = job.spec.workspace;
  if (!ws || ws.staging !== 'condor-transfer') return false;
  const local = localWorkspace(mounts, ws.path);
  const results = join(attemptDir, 'hpc-results');
  if (!local || !existsSync(results)) return false;
  cpSync(results, local, { recursive: true, force: true, preserveTimestamps: true });
  return true;
}

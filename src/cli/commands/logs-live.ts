/**
 * `kubectl hpc logs` of a running attempt, through the operator's live-logs endpoint (--operator-url):
 * what is there so far, or with -f the log as it grows until the attempt ends. While the HPCJob waits to run
 * the plugin watches its phase through the API server (cheap) and connects only once it runs; Ctrl-C or
 * a closed pipe drops the connection, and the operator stops condor_tail when nobody follows any more.
 */
import { stringFlag } from '../args.js';
import type { CliContext } from '../command.js';
import { CliError } from '../errors.js';
import { isFinal } from '../jobs.js';
import { sleep } from '../live.js';
import { fetchLogs, type LogAnswer, type LogRequest, type OperatorEndpoint } from '../operator-logs.js';
import type { HPCJob } from '../../crds/hpcjob.js';

export const OPERATOR_URL_ENV = 'KUBECTL_HPC_OPERATOR_URL';
export const OPERATOR_CA_ENV = 'KUBECTL_HPC_OPERATOR_CA';
export const OPERATOR_SERVER_NAME_ENV = 'KUBECTL_HPC_OPERATOR_TLS_SERVER_NAME';
/** How often the plugin looks at a waiting HPCJob before it connects. */
const WAIT_POLL_MS = 2000;

/** The endpoint from the flags, else the environment; undefined when no URL is given. */
export function operatorEndpoint(ctx: CliContext): OperatorEndpoint | undefined {
  const url = stringFlag(ctx.args, 'operator-url') ?? ctx.env[OPERATOR_URL_ENV];
  if (!url) return undefined;
  const caFile = stringFlag(ctx.args, 'operator-ca') ?? ctx.env[OPERATOR_CA_ENV];
  const serverName = stringFlag(ctx.args, 'operator-tls-server-name') ?? ctx.env[OPERATOR_SERVER_NAME_ENV];
  return { url, ...(caFile ? { caFile } : {}), ...(serverName ? { serverName } : {}) };
}

export function needEndpoint(ctx: CliContext, why: string): OperatorEndpoint {
  const ep = operatorEndpoint(ctx);
  if (ep) return ep;
  throw new CliError(
    `${why}: its log comes from the operator's live-logs endpoint. Pass --operator-url https://HOST:PORT ` +
      `(or set ${OPERATOR_URL_ENV}), e.g. after\n  kubectl port-forward -n hpc-operator-system svc/hpc-operator-webhook 9443:443\n` +
      `with --operator-url https://localhost:9443 --operator-ca <the operator's CA file> (docs/kubectl-hpc.md)`,
  );
}

/** True while the attempt asked for (or the current one) has not ended: its log is live. */
export function isLive(job: HPCJob, attempt: number | undefined): boolean {
  const s = job.status ?? {};
  const n = attempt ?? s.attempt ?? 0;
  if (n === 0) return !isFinal(s.phase);
  const a = s.attempts?.find((x) => x.attempt === n);
  return a?.outcome === 'Running';
}

/** Tells the person on stderr what the printed log lacks; the exit code stays 0 (the log is what there was). */
export function report(ctx: CliContext, a: LogAnswer): number {
  if (!a.ok) throw new CliError(`the operator answered ${a.status}: ${a.message}`);
  if (!a.complete)
    ctx.err.write(`kubectl hpc logs: the log above is not complete: ${a.note ?? 'no reason given'}\n`);
  return 0;
}

/** What is there so far of a running attempt (one condor_tail poll on the operator's side). */
export async function printSoFar(
  ctx: CliContext,
  ep: OperatorEndpoint,
  r: Omit<LogRequest, 'follow'>,
): Promise<number> {
  return report(ctx, await fetchLogs(ctx.kube().kc, ep, { ...r, follow: false }, ctx.out));
}

/**
 * Follows the attempt until it ends. Returns undefined when the attempt ended before it could be followed
 * (the caller prints the fetched file then).
 */
export async function follow(
  ctx: CliContext,
  ep: OperatorEndpoint,
  job: HPCJob,
  r: Omit<LogRequest, 'follow'>,
): Promise<number | undefined> {
  let told = '';
  for (;;) {
    if (!isLive(job, r.attempt)) return undefined;
    const phase = job.status?.phase ?? 'Pending';
    if (phase === 'Running') {
      const a = await fetchLogs(ctx.kube().kc, ep, { ...r, follow: true }, ctx.out);
      if (a.ok || a.status !== 409) return report(ctx, a);
      told = tell(ctx, told, a.message);
      await sleep((a.retryAfterSeconds ?? WAIT_POLL_MS / 1000) * 1000);
    } else {
      told = tell(ctx, told, `hpcjob ${r.name} is ${phase}: following once it runs`);
      await sleep(WAIT_POLL_MS);
    }
    job = await ctx.kube().getHPCJob(r.namespace, r.name);
  }
}

export function tell(ctx: CliContext, told: string, message: string): string {
  if (message !== told) ctx.err.write(`${message}\n`);
  return message;
}

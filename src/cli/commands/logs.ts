/**
 * `kubectl hpc logs`: an attempt's stdout or stderr. The operator fetches them into its log directory once
 * an attempt ends; when the plugin runs where that directory is (the operator on this host, or a shared
 * volume) it reads the file, else it asks the operator's pod with `kubectl exec ... cat`, the same way the
 * README tells people to. A running attempt's log (and -f) comes from the operator's live-logs endpoint
 * (logs-live.ts).
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { UsageError, boolFlag, intFlag, stringFlag } from '../args.js';
import { ALL_NAMESPACES, COMMON_FLAGS, NAMESPACE, type CliContext, type Command } from '../command.js';
import type { HPCJob } from '../../crds/hpcjob.js';
import { CliError } from '../kube.js';
import { logPath } from '../jobs.js';
import { follow, isLive, needEndpoint, printSoFar, OPERATOR_CA_ENV, OPERATOR_URL_ENV } from './logs-live.js';
import { totalOf } from '../../controllers/hpcjobset/index-env.js';
import { indicesText } from '../../controllers/hpcjobset/index-state.js';
import { logsOfIndex } from './logs-set.js';
import { namedHPCJobSet } from './describe-set.js';
import { INDEX_FLAG, indexFlag } from './set-index.js';
import { namedHPCJob } from './util.js';

const DEFAULT_OPERATOR_NAMESPACE = 'hpc-operator-system';
const DEFAULT_OPERATOR_DEPLOYMENT = 'hpc-operator';

export const logs: Command = {
  name: 'logs',
  summary: "Print an HPCJob attempt's (or an HPCJobSet index's) stdout or stderr.",
  usage: [
    'logs HPCJOB [-f] [--attempt N] [--stderr] [-n NS | -A] [--operator-url URL --operator-ca FILE]',
    'logs hpcjobset/NAME --index N [-f] [--stderr] [-n NS] --operator-url URL --operator-ca FILE',
  ],
  details: `Without --attempt: the last attempt. -A finds the HPCJob in whatever namespace it is. The file of an attempt that
has ended is read directly when it is on this machine (the operator runs here, or its log volume is mounted
at the same path); otherwise through
  kubectl exec -n <operator-namespace> deploy/<operator-deployment> -- cat <path>
A running attempt's log (what is there so far, or with -f all of it as it grows, until the attempt ends)
comes from the operator's live-logs endpoint, with this kubeconfig's credentials: --operator-url (or
$${OPERATOR_URL_ENV}) and the CA of its certificate --operator-ca (or $${OPERATOR_CA_ENV}). You need get on
hpcjobs/log in the namespace (the view, edit and admin roles have it).

hpcjobset/NAME --index N: that index's output, always from the operator's endpoint (get on hpcjobsets/log):
the output of its last attempt that ended (the operator fetches it before the index counts as ended), or,
while it runs, its job's live log; -f waits for an index not in HTCondor yet and follows it to its end.

Examples:
  kubectl hpc logs fit
  kubectl hpc logs fit --attempt 1 --stderr
  kubectl port-forward -n hpc-operator-system svc/hpc-operator-webhook 9443:443 &
  kubectl hpc logs fit -f --operator-url https://localhost:9443 --operator-ca operator-ca.crt
  kubectl hpc logs hpcjobset/sweep --index 7 --stderr --operator-url https://localhost:9443 --operator-ca operator-ca.crt`,
  flags: [
    NAMESPACE,
    ALL_NAMESPACES,
    { name: 'attempt', type: 'int', placeholder: 'N', help: 'Which attempt (default: the last).' },
    INDEX_FLAG,
    { name: 'stderr', type: 'boolean', help: 'Print stderr instead of stdout.' },
    {
      name: 'follow',
      short: 'f',
      type: 'boolean',
      help: 'Follow the log of the running attempt (or index) until it ends (through the operator).',
    },
    {
      name: 'operator-url',
      type: 'string',
      placeholder: 'URL',
      help: `HTTPS address of the operator's serving port, for running attempts (default $${OPERATOR_URL_ENV}).`,
    },
    {
      name: 'operator-ca',
      type: 'string',
      placeholder: 'FILE',
      help: `CA of the operator's serving certificate (default $${OPERATOR_CA_ENV}, else the system's roots).`,
    },
    {
      name: 'operator-tls-server-name',
      type: 'string',
      placeholder: 'NAME',
      help: "Name to check the operator's certificate against, when the URL's host is not in it.",
    },
    {
      name: 'operator-namespace',
      type: 'string',
      placeholder: 'NS',
      help: `Namespace of the operator, for kubectl exec (default ${DEFAULT_OPERATOR_NAMESPACE}).`,
    },
    {
      name: 'operator-deployment',
      type: 'string',
      placeholder: 'NAME',
      help: `Deployment of the operator, for kubectl exec (default ${DEFAULT_OPERATOR_DEPLOYMENT}).`,
    },
    ...COMMON_FLAGS,
  ],
  async run(ctx: CliContext): Promise<number> {
    const set = await namedHPCJobSet(ctx);
    const index = indexFlag(ctx);
    if (set) {
      if (index === undefined)
        throw new UsageError(
          `logs of hpcjobset ${set.metadata.name} need --index N (${indicesText(totalOf(set))})`,
        );
      return logsOfIndex(ctx, set, index);
    }
    if (index !== undefined)
      throw new UsageError('--index is for an HPCJobSet: logs hpcjobset/NAME --index N');
    const stream = boolFlag(ctx.args, 'stderr') ? 'stderr' : 'stdout';
    const attempt = intFlag(ctx.args, 'attempt');
    const job = await namedHPCJob(ctx, 'logs');
    const r = { namespace: job.metadata.namespace, name: job.metadata.name, stream, attempt } as const;
    if (boolFlag(ctx.args, 'follow') && isLive(job, attempt)) {
      const code = await follow(ctx, needEndpoint(ctx, `-f follows a running attempt`), job, r);
      if (code !== undefined) return code;
      return printFetched(ctx, await ctx.kube().getHPCJob(r.namespace, r.name), stream, attempt);
    }
    const n = attempt ?? job.status?.attempt ?? 0;
    if (n > 0 && isLive(job, attempt))
      return printSoFar(ctx, needEndpoint(ctx, `attempt ${n} of hpcjob ${r.name} is still running`), r);
    return printFetched(ctx, job, stream, attempt);
  },
};

/** The fetched file of an attempt that has ended: here, or through the operator's pod. */
async function printFetched(
  ctx: CliContext,
  job: HPCJob,
  stream: 'stdout' | 'stderr',
  attempt: number | undefined,
): Promise<number> {
  const { path } = logPath(job, stream, attempt);
  if (existsSync(path)) {
    for await (const chunk of createReadStream(path)) ctx.out.write(chunk as Buffer);
    return 0;
  }
  await viaOperatorPod(ctx, path);
  return 0;
}

async function viaOperatorPod(ctx: CliContext, path: string): Promise<void> {
  const opNs = stringFlag(ctx.args, 'operator-namespace') ?? DEFAULT_OPERATOR_NAMESPACE;
  const deploy = stringFlag(ctx.args, 'operator-deployment') ?? DEFAULT_OPERATOR_DEPLOYMENT;
  const args = ['exec', '-n', opNs, `deploy/${deploy}`, '--', 'cat', path];
  // The same cluster the plugin talks to.
  for (const flag of ['kubeconfig', 'context', 'request-timeout']) {
    const v = stringFlag(ctx.args, flag);
    if (v) args.unshift(`--${flag}=${v}`);
  }
  const shown = `kubectl ${args.join(' ')}`;
  const result = await new Promise<{ code: number | null; stderr: string; error?: Error }>((resolve) => {
    const child = spawn('kubectl', args, { env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => ctx.out.write(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve({ code: null, stderr, error }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
  if (result.code === 0) return;
  const why = result.error
    ? (result.error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'kubectl is not on PATH'
      : result.error.message
    : result.stderr.trim() || `exit code ${result.code}`;
  throw new CliError(
    `cannot read ${path}: it is not on this machine, and \`${shown}\` failed: ${why}\n` +
      'Run the plugin where the operator log directory is, or point --operator-namespace and ' +
      '--operator-deployment at the operator.',
  );
}

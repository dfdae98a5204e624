/**
 * `kubectl hpc logs`: an attempt's stdout or stderr. The operator fetches them into its log directory; when
 * the plugin runs where that directory is (the operator on this host, or a shared volume) it reads the file,
 * else it asks the operator's pod with `kubectl exec ... cat`, the same way the README tells people to.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { boolFlag, intFlag, stringFlag } from '../args.js';
import { ALL_NAMESPACES, COMMON_FLAGS, NAMESPACE, type CliContext, type Command } from '../command.js';
import { CliError } from '../kube.js';
import { logPath } from '../jobs.js';
import { namedHPCJob } from './util.js';

const DEFAULT_OPERATOR_NAMESPACE = 'hpc-operator-system';
const DEFAULT_OPERATOR_DEPLOYMENT = 'hpc-operator';

export const logs: Command = {
  name: 'logs',
  summary: "Print an HPCJob attempt's stdout (or stderr).",
  usage: ['logs HPCJOB [--attempt N] [--stderr] [-n NS | -A]'],
  details: `Without --attempt: the last attempt. -A finds the HPCJob in whatever namespace it is. The file is read directly when it is on this machine (the
operator runs here, or its log volume is mounted at the same path); otherwise through
  kubectl exec -n <operator-namespace> deploy/<operator-deployment> -- cat <path>

Examples:
  kubectl hpc logs fit
  kubectl hpc logs fit --attempt 1 --stderr`,
  flags: [
    NAMESPACE,
    ALL_NAMESPACES,
    { name: 'attempt', type: 'int', placeholder: 'N', help: 'Which attempt (default: the last).' },
    { name: 'stderr', type: 'boolean', help: 'Print stderr instead of stdout.' },
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
    const stream = boolFlag(ctx.args, 'stderr') ? 'stderr' : 'stdout';
    const job = await namedHPCJob(ctx, 'logs');
    const { path } = logPath(job, stream, intFlag(ctx.args, 'attempt'));
    if (existsSync(path)) {
      for await (const chunk of createReadStream(path)) ctx.out.write(chunk as Buffer);
      return 0;
    }
    await viaOperatorPod(ctx, path);
    return 0;
  },
};

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

/**
 * The command dispatcher of kubectl-hpc: finds the command, parses its flags, runs it, and turns failures
 * into kubectl's exit codes (0 ok, 1 error, 2 usage). Separate from the entry file so tests can call it.
 */
import { UsageError, parseArgs, stringFlag, type ParsedArgs } from './args.js';
import { commandFirst, commandHelp, type CliContext, type Command } from './command.js';
import { completion } from './commands/completion.js';
import { version } from './commands/version.js';
import { runComplete } from './complete.js';
import { cancel } from './commands/cancel.js';
import { describe } from './commands/describe.js';
import { explainHold } from './commands/explain-hold.js';
import { logs } from './commands/logs.js';
import { retry } from './commands/retry.js';
import { status } from './commands/status.js';
import { wait } from './commands/wait.js';
import { CliError, Kube } from './kube.js';
import { durationMs } from '../util/units.js';
import type { Output } from './live.js';

export const COMMANDS: readonly Command[] = [
  status,
  logs,
  describe,
  retry,
  cancel,
  wait,
  explainHold,
  version,
  completion,
];

export interface Io {
  out: Output;
  err: Output;
  env: NodeJS.ProcessEnv;
  now?: () => number;
}

export function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`).join('\n');
  return `kubectl hpc: HPCJobs and VirtualClusters of the SCAILFIN HPC operator, for people.

Usage:
  kubectl hpc COMMAND [ARGS] [FLAGS]

Commands:
${list}

Every command takes -h/--help, --kubeconfig FILE and --context NAME; most take -n/--namespace NS.
Exit codes: 0 ok, 1 error, 2 usage.
`;
}

/** The cluster client as the common flags say: --kubeconfig, --context, --request-timeout. */
function kubeFor(parsed: ParsedArgs, env: NodeJS.ProcessEnv): Kube {
  const kubeconfig = stringFlag(parsed, 'kubeconfig');
  const context = stringFlag(parsed, 'context');
  return new Kube({
    env,
    requestTimeoutMs: requestTimeoutMs(stringFlag(parsed, 'request-timeout')),
    ...(kubeconfig !== undefined ? { kubeconfig } : {}),
    ...(context !== undefined ? { context } : {}),
  });
}

/** kubectl's --request-timeout: a duration (10s, 1m), or a bare number of seconds; 0 means no limit. */
export function requestTimeoutMs(value: string | undefined): number {
  if (value === undefined) return 0;
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  try {
    return durationMs(value);
  } catch {
    throw new UsageError(
      `--request-timeout takes a duration such as 10s or 1m, not ${JSON.stringify(value)}`,
    );
  }
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  // Hidden: the completion protocol (complete.ts), asked by the shell scripts and kubectl_complete-hpc.
  if (argv[0] === '__complete')
    return runComplete(argv.slice(1), io.out, { commands: COMMANDS, kube: (p) => kubeFor(p, io.env) });
  const args = commandFirst(argv);
  const [name, ...rest] = args;
  if (name === undefined || name === '-h' || name === '--help' || (name === 'help' && rest.length === 0)) {
    (name === undefined ? io.err : io.out).write(topHelp());
    return name === undefined ? 2 : 0;
  }
  const wanted = name === 'help' ? (rest[0] as string) : name;
  const command = COMMANDS.find((c) => c.name === wanted);
  if (!command) {
    io.err.write(`error: unknown command ${JSON.stringify(wanted)}\n\n${topHelp()}`);
    return 2;
  }
  if (name === 'help') {
    io.out.write(commandHelp(command));
    return 0;
  }
  try {
    const parsed = parseArgs(rest, command.flags);
    // Checked up front: a bad value is a usage error even for a command that never reaches the cluster.
    requestTimeoutMs(stringFlag(parsed, 'request-timeout'));
    if (parsed.flags.get('help') === true) {
      io.out.write(commandHelp(command));
      return 0;
    }
    let kube: Kube | undefined;
    const ctx: CliContext = {
      args: parsed,
      out: io.out,
      err: io.err,
      env: io.env,
      now: io.now ?? Date.now,
      kube: () => (kube ??= kubeFor(parsed, io.env)),
    };
    return await command.run(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err.write(`error: ${e.message}\nSee 'kubectl hpc ${command.name} --help'.\n`);
      return 2;
    }
    if (e instanceof CliError) {
      io.err.write(`error: ${e.message}\n`);
      return 1;
    }
    // Not expected: keep the stack, it is what a bug report needs.
    io.err.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

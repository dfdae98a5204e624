/**
 * The command dispatcher of kubectl-hpc: finds the command, parses its flags, runs it, and turns failures
 * into kubectl's exit codes (0 ok, 1 error, 2 usage). Separate from the entry file so tests can call it.
 */
import { UsageError, parseArgs } from './args.js';
import { commandHelp, type CliContext, type Command } from './command.js';
import { cancel } from './commands/cancel.js';
import { describe } from './commands/describe.js';
import { explainHold } from './commands/explain-hold.js';
import { logs } from './commands/logs.js';
import { retry } from './commands/retry.js';
import { status } from './commands/status.js';
import { wait } from './commands/wait.js';
import { CliError, Kube } from './kube.js';
import type { Output } from './live.js';

export const COMMANDS: readonly Command[] = [status, logs, describe, retry, cancel, wait, explainHold];

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

/** Flags that may come before the command name and take a value (`kubectl hpc -n ns status`). */
const VALUE_FLAGS_BEFORE_COMMAND = new Set([
  '-n',
  '--namespace',
  '--kubeconfig',
  '--context',
  '-o',
  '--output',
]);

/** Moves the command name to the front when global flags come first. */
export function commandFirst(argv: readonly string[]): string[] {
  let i = 0;
  while (i < argv.length && (argv[i] as string).startsWith('-')) {
    const a = argv[i] as string;
    i += VALUE_FLAGS_BEFORE_COMMAND.has(a) ? 2 : 1;
  }
  if (i === 0 || i >= argv.length) return [...argv];
  return [argv[i] as string, ...argv.slice(0, i), ...argv.slice(i + 1)];
}

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
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
      kube: () => {
        const kubeconfig = parsed.flags.get('kubeconfig');
        const context = parsed.flags.get('context');
        kube ??= new Kube({
          ...(typeof kubeconfig === 'string' ? { kubeconfig } : {}),
          ...(typeof context === 'string' ? { context } : {}),
        });
        return kube;
      },
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

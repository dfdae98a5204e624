/** What every kubectl-hpc command has: flags, help, and a run function given a context. */
import { flagHelp, stringFlag, type FlagSpec, type ParsedArgs } from './args.js';
import { OUTPUT_FORMATS, type OutputFormat } from './format.js';
import type { Kube } from './kube.js';
import type { Output } from './live.js';

export interface CliContext {
  args: ParsedArgs;
  out: Output;
  err: Output;
  env: NodeJS.ProcessEnv;
  /** The cluster client, made on first use (explain-hold --code never needs one). */
  kube(): Kube;
  now(): number;
}

export interface Command {
  name: string;
  summary: string;
  /** Synopsis lines, without the leading `kubectl hpc`. */
  usage: string[];
  /** More help: what it does, examples. */
  details?: string;
  flags: FlagSpec[];
  /** Resolves to the exit code: 0 ok, 1 failed. Usage problems throw UsageError. */
  run(ctx: CliContext): Promise<number>;
}

export const HELP: FlagSpec = { name: 'help', short: 'h', type: 'boolean', help: 'Show this help.' };
export const KUBECONFIG: FlagSpec = {
  name: 'kubeconfig',
  type: 'string',
  placeholder: 'FILE',
  help: 'Kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config).',
};
export const CONTEXT: FlagSpec = {
  name: 'context',
  type: 'string',
  placeholder: 'NAME',
  help: 'Kubeconfig context to use.',
};
export const NAMESPACE: FlagSpec = {
  name: 'namespace',
  short: 'n',
  type: 'string',
  placeholder: 'NS',
  help: "Namespace (default: the context's, else default).",
};
export const ALL_NAMESPACES: FlagSpec = {
  name: 'all-namespaces',
  short: 'A',
  type: 'boolean',
  help: 'All namespaces.',
};
export const OUTPUT: FlagSpec = {
  name: 'output',
  short: 'o',
  type: 'string',
  placeholder: 'json|yaml|jsonpath=TEMPLATE',
  choices: OUTPUT_FORMATS,
  help: 'Print machine-readable output instead of text.',
};
export const TIMEOUT: FlagSpec = {
  name: 'timeout',
  type: 'string',
  placeholder: 'DURATION',
  help: 'Give up waiting after this long, e.g. 90s or 1h (default: wait forever).',
};

export const REQUEST_TIMEOUT: FlagSpec = {
  name: 'request-timeout',
  type: 'string',
  placeholder: 'DURATION',
  help: 'Give up on an API call after this long, e.g. 10s or 1m (0 or a bare number of seconds, as kubectl).',
};

/** Flags every command takes. */
export const COMMON_FLAGS: FlagSpec[] = [KUBECONFIG, CONTEXT, REQUEST_TIMEOUT, HELP];

export function outputFormat(ctx: CliContext): OutputFormat | undefined {
  return stringFlag(ctx.args, 'output') as OutputFormat | undefined;
}

export function namespaceOf(ctx: CliContext): string {
  return ctx.kube().namespace(stringFlag(ctx.args, 'namespace'));
}

export function commandHelp(c: Command): string {
  const usage = c.usage.map((u) => `  kubectl hpc ${u}`).join('\n');
  return (
    `${c.summary}\n\nUsage:\n${usage}\n` +
    (c.details ? `\n${c.details.trimEnd()}\n` : '') +
    `\nFlags:\n${flagHelp(c.flags)}\n`
  );
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

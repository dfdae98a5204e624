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
  placeholder: 'json|yaml',
  choices: OUTPUT_FORMATS,
  help: 'Print machine-readable output instead of text.',
};
export const TIMEOUT: FlagSpec = {
  name: 'timeout',
  type: 'string',
  placeholder: 'DURATION',
  help: 'Give up waiting after this long, e.g. 90s or 1h (default: wait forever).',
};

/** Flags every command takes. */
export const COMMON_FLAGS: FlagSpec[] = [KUBECONFIG, CONTEXT, HELP];

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

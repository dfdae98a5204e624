/**
 * `kubectl-hpc __complete ARGS... CURRENT`: what may come next on the command line, for the shell scripts of
 * `completion` and for kubectl's own plugin completion (kubectl_complete-hpc). Cobra's protocol: one
 * candidate per line, then `:4` (no file names). Commands, their flags, the values of -n (namespaces),
 * --context (contexts) and -o (formats), and HPCJob (for status VirtualCluster; for status, describe and
 * logs hpcjobset/NAME) names from the cluster.
 * Completion must never get in the way: any failure (no cluster, a half-typed flag) completes nothing.
 */
import { parseArgs, stringFlag, type FlagSpec, type ParsedArgs } from './args.js';
import { commandFirst, type Command } from './command.js';
import type { Kube } from './kube.js';
import type { Output } from './live.js';

/** Cobra's ShellCompDirectiveNoFileComp. */
const NO_FILES = ':4';

export interface Completer {
  commands: readonly Command[];
  /** The cluster as the flags typed so far say (--kubeconfig, --context). */
  kube(flags: ParsedArgs): Kube;
}

export async function runComplete(args: readonly string[], out: Output, c: Completer): Promise<number> {
  const list = await completions(args, c).catch(() => []);
  out.write(list.map((l) => `${l}\n`).join('') + `${NO_FILES}\n`);
  return 0;
}

export async function completions(args: readonly string[], c: Completer): Promise<string[]> {
  const cur = args[args.length - 1] ?? '';
  const typed = commandFirst(args.slice(0, -1));
  const command = c.commands.find((x) => x.name === typed[0]);
  const starting = (xs: readonly string[]) => xs.filter((x) => x.startsWith(cur));
  if (!command) return cur.startsWith('-') ? [] : starting(c.commands.map((x) => x.name));
  const words = typed.slice(1);
  const flags = lenient(words, command.flags);
  const pending = valueFlag(words[words.length - 1], command.flags);
  if (pending) return starting(await flagValues(pending, flags, c));
  if (cur.startsWith('-')) return starting(command.flags.map((f) => `--${f.name}`));
  if (command.name === 'completion') return starting(['bash', 'zsh']);
  return starting(await objectNames(command, flags, c));
}

/** The flags typed so far, or none when they do not parse yet. */
function lenient(words: string[], specs: readonly FlagSpec[]): ParsedArgs {
  try {
    return parseArgs(words, specs);
  } catch {
    return { flags: new Map(), positionals: [] };
  }
}

/** The flag whose value is being typed: the previous word is a flag that takes one (and has no `=`). */
function valueFlag(previous: string | undefined, specs: readonly FlagSpec[]): FlagSpec | undefined {
  if (!previous?.startsWith('-') || previous.includes('=')) return undefined;
  const spec = specs.find((s) => previous === `--${s.name}` || (s.short && previous === `-${s.short}`));
  return spec && spec.type !== 'boolean' ? spec : undefined;
}

async function flagValues(spec: FlagSpec, flags: ParsedArgs, c: Completer): Promise<string[]> {
  if (spec.choices) return [...spec.choices];
  if (spec.name === 'namespace') return c.kube(flags).listNamespaces();
  if (spec.name === 'context')
    return c
      .kube(flags)
      .kc.getContexts()
      .map((x) => x.name);
  return [];
}

/** Commands that take an HPCJobSet (hpcjobset/NAME). */
const TAKE_SETS = new Set(['status', 'describe', 'logs']);

/** Commands that take no object names complete none. */
const TAKES_NO_NAMES = new Set(['version', 'explain-hold']);

async function objectNames(command: Command, flags: ParsedArgs, c: Completer): Promise<string[]> {
  if (TAKES_NO_NAMES.has(command.name)) return [];
  const kube = c.kube(flags);
  const all = flags.flags.get('all-namespaces') === true;
  const ns = all ? undefined : kube.namespace(stringFlag(flags, 'namespace'));
  const jobs = (await kube.listHPCJobs(ns)).map((j) => j.metadata.name);
  const vcs =
    command.name === 'status' ? (await kube.listVirtualClusters(ns)).map((v) => v.metadata.name) : [];
  // The commands that take an HPCJobSet name it hpcjobset/NAME (as kubectl does), with or without --index.
  const sets = TAKE_SETS.has(command.name)
    ? (await kube.listHPCJobSets(ns)).map((s) => `hpcjobset/${s.metadata.name}`)
    : [];
  // Names already on the line are not offered again.
  const given = new Set(flags.positionals);
  return [...new Set([...jobs, ...vcs, ...sets])].filter((n) => !given.has(n)).sort();
}

/**
 * Argument parsing for kubectl-hpc, kubectl style: `-n ns`, `--namespace ns`, `--namespace=ns`, boolean flags
 * (`--watch`, `--watch=false`), flags anywhere between positionals, `--` ends the flags. Small on purpose:
 * the plugin has a handful of flags and takes no dependency for them.
 */

/** A mistake on the command line: exit code 2 and the command's usage. */
export class UsageError extends Error {}

export interface FlagSpec {
  name: string;
  short?: string;
  type: 'boolean' | 'string' | 'int';
  help: string;
  /** Shown in help: `--attempt N`. */
  placeholder?: string;
  /** Allowed values of a string flag; one ending in `=` allows any value with that prefix (jsonpath=...). */
  choices?: readonly string[];
}

export type FlagValue = string | number | boolean;

export interface ParsedArgs {
  flags: Map<string, FlagValue>;
  positionals: string[];
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const flags = new Map<string, FlagValue>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const key = eq >= 0 ? body.slice(0, eq) : body;
    let inline = eq >= 0 ? body.slice(eq + 1) : undefined;
    let spec = long ? byName.get(key) : byShort.get(key);
    // pflag also takes `-nvalue`: a short flag with its value glued on.
    if (!spec && !long && inline === undefined && key.length > 1) {
      spec = byShort.get(key[0] as string);
      if (spec && spec.type !== 'boolean') inline = key.slice(1);
      else spec = undefined;
    }
    if (!spec) throw new UsageError(`unknown flag: ${long ? '--' : '-'}${key}`);
    const shown = long ? `--${spec.name}` : `-${spec.short}`;
    if (spec.type === 'boolean') {
      if (inline === undefined) flags.set(spec.name, true);
      else if (inline === 'true' || inline === 'false') flags.set(spec.name, inline === 'true');
      else throw new UsageError(`${shown} takes true or false, not ${JSON.stringify(inline)}`);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`${shown} needs a value`);
      value = argv[++i] as string;
    }
    flags.set(spec.name, convert(spec, shown, value));
  }
  return { flags, positionals };
}

function convert(spec: FlagSpec, shown: string, value: string): FlagValue {
  if (spec.type === 'int') {
    if (!/^-?[0-9]+$/.test(value))
      throw new UsageError(`${shown} takes a whole number, not ${JSON.stringify(value)}`);
    return Number(value);
  }
  const allowed = (c: string) =>
    c.endsWith('=') ? value.startsWith(c) && value.length > c.length : c === value;
  if (spec.choices && !spec.choices.some(allowed)) {
    const shownChoices = spec.choices.map((c) => (c.endsWith('=') ? `${c}TEMPLATE` : c));
    throw new UsageError(`${shown} must be one of ${shownChoices.join(', ')}, not ${JSON.stringify(value)}`);
  }
  return value;
}

export function stringFlag(a: ParsedArgs, name: string): string | undefined {
  const v = a.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function intFlag(a: ParsedArgs, name: string): number | undefined {
  const v = a.flags.get(name);
  return typeof v === 'number' ? v : undefined;
}

export function boolFlag(a: ParsedArgs, name: string): boolean {
  return a.flags.get(name) === true;
}

/** The flags section of a command's help, aligned. */
export function flagHelp(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => {
    const value = s.type === 'boolean' ? '' : ` ${s.placeholder ?? (s.type === 'int' ? 'N' : 'VALUE')}`;
    return `${s.short ? `-${s.short}, ` : '    '}--${s.name}${value}`;
  });
  const width = Math.max(...left.map((l) => l.length));
  return specs.map((s, i) => `  ${(left[i] as string).padEnd(width)}   ${s.help}`).join('\n');
}

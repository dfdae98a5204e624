/**
 * What one index of an HPCJobSet gets: HPC_INDEX and HPC_ITEM_<KEY> in its environment, and the same names
 * written $(NAME) in args replaced by their values, as Kubernetes does for a container's args ($$ is a
 * literal $; a name that is not one of these stays as written). Only data is replaced: the result is
 * base64-encoded into the job's environment, never written into the submit description as syntax. Pure.
 */
import { ITEM_KEY_PATTERN, SetEnv, type HPCJobSet } from '../../crds/hpcjobset.js';

/** The variables of `index`, in a fixed order (HPC_INDEX first, then the item's keys sorted). */
export function indexVars(set: HPCJobSet, index: number): Record<string, string> {
  const vars: Record<string, string> = { [SetEnv.Index]: String(index) };
  const item = set.spec.items?.[index];
  if (item) for (const k of Object.keys(item).sort()) vars[SetEnv.ItemPrefix + k] = item[k] as string;
  return vars;
}

const REFERENCE = /\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g;

/** `text` with each $(NAME) of `vars` replaced by its value and $$ by $. */
export function expand(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(REFERENCE, (whole, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(vars, name) ? (vars[name] as string) : whole;
  });
}

/**
 * What `expand(text, vars)` is made of, to size it for any vars without expanding: the bytes that stay
 * (a $$ is one $) and the names referred to, once per reference. A name missing from vars stays as written.
 */
export function argShape(text: string): { fixedBytes: number; names: string[] } {
  const names: string[] = [];
  let fixed = text;
  fixed = fixed.replace(REFERENCE, (_whole, name: string | undefined) => {
    if (name === undefined) return '$';
    names.push(name);
    return '';
  });
  return { fixedBytes: Buffer.byteLength(fixed), names };
}

/** Whether any argument refers to a variable (or writes $$): then argv differs per index. */
export function argsVary(args: readonly string[] | undefined): boolean {
  return (args ?? []).some((a) => /\$\$|\$\([A-Za-z_]/.test(a));
}

/** Why the items cannot be run (a key that cannot be a variable name), or undefined. */
export function itemsProblem(set: HPCJobSet): string | undefined {
  const pattern = new RegExp(ITEM_KEY_PATTERN);
  const items = set.spec.items ?? [];
  for (let i = 0; i < items.length; i++) {
    for (const k of Object.keys(items[i] ?? {}))
      if (!pattern.test(k))
        return `spec.items[${i}]: key ${JSON.stringify(k.slice(0, 80))} is not a name (letters, digits and _, not starting with a digit, at most 64 characters): it becomes ${SetEnv.ItemPrefix}<KEY>`;
  }
  return undefined;
}

/** Number of indices: count, or the number of items. */
export function totalOf(set: HPCJobSet): number {
  return set.spec.count ?? set.spec.items?.length ?? 0;
}

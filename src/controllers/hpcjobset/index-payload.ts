/**
 * Whether what differs per index fits in a job environment variable, as the template's own values must
 * (controllers/hpcjob/validate.ts): each index's environment (the template's env with HPC_INDEX and its
 * HPC_ITEM_<KEY> variables) and, when args refer to them, its argv, both base64 words joined by dots in one
 * variable (set-jobs.ts). Sized without building them: a set may have 100,000 indices, and this runs on every
 * reconcile and in the admission webhook. Pure.
 */
import { MAX_ENV_VALUE } from '../../crds/hpcjob.js';
import { SetEnv, type HPCJobSet } from '../../crds/hpcjobset.js';
import { argShape, argsVary, indexVars } from './index-env.js';

/** Length of the base64 of `bytes` bytes. */
const b64Length = (bytes: number): number => 4 * Math.ceil(bytes / 3);

/** Length of b64Dotted of values of these byte lengths. */
const dottedLength = (byteLengths: readonly number[]): number =>
  byteLengths.reduce((n, b) => n + b64Length(b), 0) + Math.max(byteLengths.length - 1, 0);

export interface PayloadSizer {
  /** The lengths of index `index`'s environment and (when args vary) argv values, once encoded. */
  (index: number): { env: number; argv?: number };
}

/** A sizer for the set's indices (what does not depend on the index measured once). */
export function payloadSizer(set: HPCJobSet): PayloadSizer {
  const spec = set.spec.template ?? {};
  const userEnv = (spec.env ?? []).map((e) => Buffer.byteLength(`${e.name}=${e.value ?? ''}`));
  const command = (spec.command ?? []).map((c) => Buffer.byteLength(c));
  const shapes = spec.command && argsVary(spec.args) ? (spec.args ?? []).map(argShape) : undefined;
  const fixedEnv = dottedLength(userEnv) + (userEnv.length > 0 ? 1 : 0);
  return (index) => {
    // HPC_INDEX=<index>, then HPC_ITEM_<KEY>=<value> per key: indexVars without building it.
    let env = fixedEnv + b64Length(SetEnv.Index.length + 1 + String(index).length);
    const item = set.spec.items?.[index] ?? {};
    for (const k in item)
      env += 1 + b64Length(SetEnv.ItemPrefix.length + k.length + 1 + Buffer.byteLength(item[k] as string));
    if (!shapes) return { env };
    const vars = indexVars(set, index);
    const valueBytes = (name: string): number =>
      Object.hasOwn(vars, name) ? Buffer.byteLength(vars[name] as string) : name.length + 3;
    const args = shapes.map((s) => s.names.reduce((n, name) => n + valueBytes(name), s.fixedBytes));
    return { env, argv: dottedLength([...command, ...args]) };
  };
}

/** The indices worth sizing: every item's, or (for count) the last, whose HPC_INDEX is the longest. */
function candidates(set: HPCJobSet): number[] {
  if (set.spec.items) return set.spec.items.map((_, i) => i);
  const n = set.spec.count ?? 0;
  return n > 0 ? [n - 1] : [];
}

/** The first index whose environment or argv would not fit, as a message naming the field; or undefined. */
export function indexPayloadProblem(set: HPCJobSet): string | undefined {
  const size = payloadSizer(set);
  for (const index of candidates(set)) {
    const field = set.spec.items ? `spec.items[${index}]` : 'spec.count';
    const { env, argv } = size(index);
    if (env > MAX_ENV_VALUE)
      return `${field}: index ${index}'s environment (spec.template.env with ${SetEnv.Index} and its ${SetEnv.ItemPrefix}<KEY> variables) is ${env} bytes once encoded; at most ${MAX_ENV_VALUE} fit in a job environment variable`;
    if (argv !== undefined && argv > MAX_ENV_VALUE)
      return `${field}: index ${index}'s command and args (spec.template.args with its values) are ${argv} bytes once encoded; at most ${MAX_ENV_VALUE} fit in a job environment variable`;
  }
  return undefined;
}

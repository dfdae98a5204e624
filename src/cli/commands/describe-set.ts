/** `kubectl hpc describe hpcjobset/NAME`: the name prefix picks the kind, as with kubectl. */
import { intFlag } from '../args.js';
import { namespaceOf, type CliContext } from '../command.js';
import type { HPCJobSet } from '../../crds/hpcjobset.js';
import { describeHPCJobSet } from './sets.js';

const PREFIXES = ['hpcjobset/', 'hpcjobsets/', 'hpcjs/', 'hpcjobset.hpc.scailfin.io/'];

/** The HPCJobSet a `hpcjobset/NAME` argument names (read from the API), or undefined for any other name. */
export async function namedHPCJobSet(ctx: CliContext): Promise<HPCJobSet | undefined> {
  const [arg] = ctx.args.positionals;
  const prefix = PREFIXES.find((p) => arg?.toLowerCase().startsWith(p));
  if (!arg || !prefix) return undefined;
  return ctx.kube().getHPCJobSet(namespaceOf(ctx), arg.slice(prefix.length));
}

export async function describeSet(ctx: CliContext, set: HPCJobSet): Promise<number> {
  const events = await ctx
    .kube()
    .eventsFor(set)
    .catch((e: Error) => e);
  ctx.out.write(
    describeHPCJobSet(set, events, { now: ctx.now(), maxEvents: intFlag(ctx.args, 'events') ?? 20 }),
  );
  return 0;
}
